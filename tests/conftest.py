"""The shared cast, as in every test module of this project.

- alice: a student enrolled in the course
- bruno: the course's instructor
- carla: an admin
- charlie: an outsider (a student of no course here)

and three weeks of the course: ``published``, ``unpublished`` and ``scheduled`` (in 3 days).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from portal.courses.models import Enrollment
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory, WeekFactory
from tests.support.s3 import s3_media, s3_server  # noqa: F401 - an S3 endpoint for any test

# Nothing is downloaded from the internet while the tests run: final projects graded by the
# portal's worker (tests/grading) use the grading image's packages. The install step itself is
# tested against a local package index (tests/autograder/test_project_dependencies.py).
os.environ["AUTOGRADER_PACKAGE_INDEX_URL"] = ""


def pytest_configure(config: pytest.Config) -> None:
    # Tests render templates without running collectstatic first: use the plain storage
    # (the manifest storage of production is exercised by `check --deploy` and CI's
    # collectstatic step instead) and let whitenoise find files in the apps.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.AUTOGRADER_PACKAGE_INDEX_URL = ""  # see the environment variable above
    settings.STATIC_ROOT = None  # nothing is collected in tests; silences whitenoise
    # Each test process's own memory, emptied before every test (below): counters such as
    # the refused-upload throttle must not leak between tests or runs through Redis (and
    # flushing the Redis database would drop the Celery broker's bindings). A test that
    # needs the real Redis cache switches to it under a key prefix of its own.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def _portal_language() -> Iterator[None]:
    """Each test starts in the portal's language: a request with the English cookie leaves
    English active in its thread (the middleware activates, nothing deactivates), and a
    service called next would write its messages in English."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def course(db):
    return CourseFactory(slug="mle", title="Machine Learning Engineering")


@pytest.fixture
def alice(course):
    user = UserFactory(username="alice", full_name="Alice Aluna")
    EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
    return user


@pytest.fixture
def bruno(course):
    user = UserFactory(username="bruno", full_name="Bruno Instrutor")
    EnrollmentFactory(course=course, user=user, role=Enrollment.Role.INSTRUCTOR)
    return user


@pytest.fixture
def carla(db):
    return UserFactory(username="carla", full_name="Carla Admin", is_portal_admin=True)


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie", full_name="Charlie Outsider")


@pytest.fixture
def published(course):
    return WeekFactory(
        course=course,
        number=1,
        title="Apresentação do curso",
        theory_md="## MLOps\n\nTexto publicado.",
    )


@pytest.fixture
def unpublished(course):
    return WeekFactory(
        course=course,
        number=2,
        title="Dados secretos",
        publish_at=None,
        theory_md="## Segredo\n\nConteúdo ainda não liberado.",
    )


@pytest.fixture
def scheduled(course):
    return WeekFactory(
        course=course,
        number=3,
        title="Modelagem futura",
        publish_at=timezone.now() + dt.timedelta(days=3),
    )

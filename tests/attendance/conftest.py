from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from portal.courses.models import Enrollment
from tests.factories import ClassSessionFactory, EnrollmentFactory, UserFactory

SP = zoneinfo.ZoneInfo("America/Sao_Paulo")
CLASS_START = dt.datetime(2027, 3, 2, 19, 0, tzinfo=SP)


def at(minutes: int, seconds: int = 0) -> dt.datetime:
    """``minutes`` after the class started."""
    return CLASS_START + dt.timedelta(minutes=minutes, seconds=seconds)


@pytest.fixture
def session(published):
    """Tuesday's theory class: 105 minutes, so present from 79 (75 %)."""
    return ClassSessionFactory(
        week=published, kind="theory", starts_at=CLASS_START, duration_minutes=105
    )


@pytest.fixture
def dora(course):
    user = UserFactory(username="dora", full_name="Dora Discente")
    EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
    return user


@pytest.fixture
def eva(course):
    """Enrolled with her university address; her account has another one."""
    user = UserFactory(username="eva", full_name="Eva Estudante", email="eva.pessoal@example.com")
    EnrollmentFactory(course=course, user=user, email="Eva.Estudante@Example.EDU", role="student")
    return user

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from portal.courses.models import Enrollment, Material
from tests.courses.urls import manage_url, week_url
from tests.factories import WeekFactory

pytestmark = pytest.mark.django_db


# --- Who may see a week -------------------------------------------------------------


# --- Instructor pages ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "extra"),
    [
        ("get", "courses:manage", []),
        ("post", "courses:week_publication", [1]),
        ("post", "courses:roster_import", []),
    ],
)
def test_a_student_can_never_reach_instructor_pages(client, alice, published, method, name, extra):
    client.force_login(alice)
    url = reverse(name, args=["mle", *extra])

    response = getattr(client, method)(url, {"action": "unpublish"})

    assert response.status_code == 403
    published.refresh_from_db()
    assert published.is_published()


def test_an_instructor_of_another_course_cannot_manage_this_one(client, published):
    from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

    other = UserFactory(username="olga")
    EnrollmentFactory(
        course=CourseFactory(slug="other"), user=other, role=Enrollment.Role.INSTRUCTOR
    )
    client.force_login(other)

    assert client.get(manage_url(published.course)).status_code == 404


def test_an_instructor_publishes_a_week_and_the_student_then_sees_it(
    client, alice, bruno, unpublished
):
    client.force_login(bruno)
    response = client.post(
        reverse("courses:week_publication", args=["mle", unpublished.number]),
        {"action": "publish"},
        follow=True,
    )
    assert "Semana 2 publicada" in response.content.decode()

    client.force_login(alice)
    assert client.get(week_url(unpublished)).status_code == 200
    assert week_url(unpublished) in client.get("/").content.decode()


def test_an_instructor_unpublishes_a_week(client, alice, bruno, published):
    client.force_login(bruno)
    client.post(reverse("courses:week_publication", args=["mle", 1]), {"action": "unpublish"})

    published.refresh_from_db()
    assert published.publish_at is None
    client.force_login(alice)
    assert client.get(week_url(published)).status_code == 404


def test_an_instructor_schedules_a_week_in_the_future(client, bruno, unpublished):
    client.force_login(bruno)
    when = timezone.localtime() + dt.timedelta(days=2)

    response = client.post(
        reverse("courses:week_publication", args=["mle", 2]),
        {"action": "schedule", "publish_at": when.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )

    unpublished.refresh_from_db()
    assert unpublished.publish_at is not None
    assert abs(unpublished.publish_at - when) < dt.timedelta(minutes=1)
    assert "agendada: publicação em" in response.content.decode()


@pytest.mark.parametrize(
    ("publish_at", "message"),
    [
        ("", "Informe a data e a hora"),
        ("2001-01-01T10:00", "precisa estar no futuro"),
        ("amanhã", "Informe uma data/hora válida"),
    ],
)
def test_scheduling_with_a_bad_date_changes_nothing(
    client, bruno, unpublished, publish_at, message
):
    client.force_login(bruno)
    response = client.post(
        reverse("courses:week_publication", args=["mle", 2]),
        {"action": "schedule", "publish_at": publish_at},
        follow=True,
    )

    unpublished.refresh_from_db()
    assert unpublished.publish_at is None
    assert message in response.content.decode()


def test_publication_requires_post(client, bruno, unpublished):
    client.force_login(bruno)

    response = client.get(reverse("courses:week_publication", args=["mle", 2]))

    assert response.status_code == 405


# --- Content rendering --------------------------------------------------------------


def test_a_course_page_is_rendered_for_enrolled_people_only(client, alice, charlie, course):
    course.pages.create(slug="avaliacao", title="Avaliação", body_md="## Notas\n\nRegras.")
    url = reverse("courses:page", args=["mle", "avaliacao"])

    client.force_login(alice)
    assert "Regras." in client.get(url).content.decode()
    client.force_login(charlie)
    assert client.get(url).status_code == 404


# --- Material downloads -------------------------------------------------------------


@pytest.fixture
def file_material(settings, tmp_path, published, unpublished):
    settings.MEDIA_ROOT = tmp_path
    made = {}
    for week in (published, unpublished):
        material = Material(week=week, title=f"Arquivo {week.number}", kind="file")
        material.file.save(f"guia-{week.number}.md", ContentFile(b"# Guia\n"), save=True)
        made[week.number] = material
    return made


def test_a_student_downloads_material_of_a_published_week_only(client, alice, file_material):
    client.force_login(alice)

    ok = client.get(reverse("courses:material", args=["mle", file_material[1].pk]))
    hidden = client.get(reverse("courses:material", args=["mle", file_material[2].pk]))

    assert ok.status_code == 200
    assert b"".join(ok.streaming_content) == b"# Guia\n"
    assert "attachment" in ok["Content-Disposition"]
    assert hidden.status_code == 404


# --- Pages stay cheap as the course grows -----------------------------------------------


def test_the_management_page_runs_a_bounded_number_of_queries(
    client, bruno, course, django_assert_max_num_queries
):
    from tests.factories import EnrollmentFactory

    for number in range(1, 9):
        WeekFactory(course=course, number=number)
    EnrollmentFactory.create_batch(60, course=course)
    client.force_login(bruno)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("courses:manage", args=["mle"]))
    assert response.status_code == 200
    assert response.content.decode().count("Já entrou") >= 60

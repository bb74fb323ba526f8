"""Courses and weeks through the API: the pages' rules (courses.selectors) as JSON.

Alice (student) sees her course and its published weeks; Bruno (instructor) every week;
Carla (admin) every course; Charlie (outsider) nothing, not even that the course exists.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from portal.courses.models import Material
from tests.factories import AssignmentFactory, CourseFactory, MaterialFactory, WeekFactory


def _url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def _walk(client, url: str) -> list[dict]:
    """Every row of a paginated list, following ``next`` until it is null."""
    rows: list[dict] = []
    while url:
        body = client.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows


# -- courses ----------------------------------------------------------------------------------


def test_a_student_lists_only_her_courses_with_her_role(bearer, alice, course):
    CourseFactory(slug="outro", title="Outro curso")

    body = bearer(alice, "read").get(_url("course-list")).json()

    assert [(c["slug"], c["role"]) for c in body["results"]] == [("mle", "student")]
    assert body["results"][0]["weeks_url"].endswith(_url("week-list", "mle"))
    assert body["next"] is None


def test_the_course_detail_names_the_callers_role(bearer, alice, bruno, carla, course):
    for user, role in ((alice, "student"), (bruno, "instructor"), (carla, "admin")):
        body = bearer(user, "read").get(_url("course-detail", "mle")).json()
        assert (body["slug"], body["title"], body["role"]) == ("mle", course.title, role)


def test_an_outsider_gets_404_for_the_course_and_everything_in_it(bearer, charlie, published):
    client = bearer(charlie, "read")

    assert client.get(_url("course-list")).json()["results"] == []
    for url in (
        _url("course-detail", "mle"),
        _url("week-list", "mle"),
        _url("week-detail", "mle", published.number),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["id"] == "api.not_found"


def test_an_unknown_course_is_the_same_404_as_a_course_of_others(bearer, alice):
    response = bearer(alice, "read").get(_url("course-detail", "nao-existe"))

    assert response.status_code == 404
    assert response.json()["error"]["id"] == "api.not_found"


def test_without_a_credential_the_api_answers_401(api, course):
    response = api.get(_url("course-detail", "mle"))

    assert response.status_code == 401
    assert response.json()["error"]["id"] == "api.unauthenticated"


def test_the_course_list_walks_every_course_of_an_admin_by_cursor(bearer, carla):
    start = timezone.localdate()
    for n in range(5):
        CourseFactory(slug=f"turma-{n}", start_date=start + dt.timedelta(days=n))
    client = bearer(carla, "read")

    rows = _walk(client, _url("course-list") + "?page_size=2")

    assert [row["slug"] for row in rows] == [f"turma-{n}" for n in range(5)]
    assert {row["role"] for row in rows} == {"admin"}


# -- weeks ------------------------------------------------------------------------------------


def test_students_never_see_unpublished_or_scheduled_weeks(
    bearer, alice, published, unpublished, scheduled
):
    client = bearer(alice, "read")

    rows = client.get(_url("week-list", "mle")).json()["results"]

    assert [(w["number"], w["published"]) for w in rows] == [(1, True)]
    assert client.get(_url("week-detail", "mle", 1)).status_code == 200
    for week in (unpublished, scheduled):
        response = client.get(_url("week-detail", "mle", week.number))
        assert response.status_code == 404
        assert "Segredo" not in response.content.decode()


def test_instructors_see_every_week_drafts_included(
    bearer, bruno, published, unpublished, scheduled
):
    client = bearer(bruno, "read")

    rows = client.get(_url("week-list", "mle")).json()["results"]

    assert [(w["number"], w["published"]) for w in rows] == [(1, True), (2, False), (3, False)]
    draft = client.get(_url("week-detail", "mle", 2)).json()
    assert draft["publish_at"] is None
    assert draft["theory_md"].startswith("## Segredo")


def test_a_week_has_its_markdown_materials_sessions_and_assignments(
    bearer, alice, course, published, media_root
):
    MaterialFactory(week=published, title="MLflow", url="https://mlflow.org/docs/", order=2)
    slides = MaterialFactory(
        week=published, title="Slides", kind=Material.Kind.FILE, url="", order=1
    )
    slides.file.save("slides.pdf", ContentFile(b"%PDF-1.4"), save=True)
    AssignmentFactory(course=course, week=published, slug="aquecimento", order=1)
    AssignmentFactory(course=course, week=None, slug="projeto-final")

    body = bearer(alice, "read").get(_url("week-detail", "mle", 1)).json()

    assert body["title"] == "Apresentação do curso"
    assert body["theory_md"] == "## MLOps\n\nTexto publicado."  # the Markdown, as text
    assert [(m["title"], m["kind"]) for m in body["materials"]] == [
        ("Slides", "file"),
        ("MLflow", "link"),
    ]
    # A file is downloaded through the API, with the page's checks; a link is itself.
    assert body["materials"][0]["url"] == "http://testserver" + reverse(
        "api:material", args=["mle", slides.pk]
    )
    assert body["materials"][1]["url"] == "https://mlflow.org/docs/"
    assert body["assignments"] == ["aquecimento"]


def test_a_token_downloads_a_material_of_a_published_week_only(
    bearer, alice, course, published, unpublished, media_root
):
    files = []
    for week in (published, unpublished):
        material = MaterialFactory(week=week, title="Slides", kind=Material.Kind.FILE, url="")
        material.file.save(f"slides-{week.number}.pdf", ContentFile(b"%PDF-1.4"), save=True)
        files.append(material)
    script = bearer(alice, "read")

    shown = script.get(reverse("api:material", args=["mle", files[0].pk]))
    hidden = script.get(reverse("api:material", args=["mle", files[1].pk]))

    assert b"".join(shown.streaming_content) == b"%PDF-1.4"
    assert (hidden.status_code, hidden.json()["error"]["id"]) == (404, "api.not_found")


def test_the_week_list_walks_every_week_by_cursor(bearer, alice, course):
    for number in range(1, 8):
        WeekFactory(course=course, number=number)

    rows = _walk(bearer(alice, "read"), _url("week-list", "mle") + "?page_size=3")

    assert [w["number"] for w in rows] == [1, 2, 3, 4, 5, 6, 7]


def test_a_made_up_cursor_is_refused_with_its_id(bearer, alice, course):
    response = bearer(alice, "read").get(_url("week-list", "mle") + "?cursor=nada")

    assert response.status_code == 400
    assert response.json()["error"]["id"] == "api.bad_cursor"


@pytest.mark.parametrize("many", [2, 20])
def test_the_lists_take_a_bounded_number_of_queries(
    bearer, carla, course, many, django_assert_max_num_queries
):
    for number in range(1, many + 1):
        WeekFactory(course=course, number=number)
        CourseFactory(slug=f"turma-{number}")
    client = bearer(carla, "read")

    # The token (read, then its last use written), the course, the rows: whatever the count.
    with django_assert_max_num_queries(4):
        assert len(client.get(_url("week-list", "mle")).json()["results"]) == many
    with django_assert_max_num_queries(3):  # the token, its last use (once a minute), rows
        assert len(client.get(_url("course-list") + "?page_size=200").json()["results"]) > many


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT

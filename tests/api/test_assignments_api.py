"""Assignments through the API: what the assignment page shows, and only to whom it shows it.

Alice (student) sees the assignments of published weeks and of no week; Bruno (instructor)
every one; Charlie (outsider) gets a 404.
"""

# The attempt fixtures are imported here (tests/api/conftest.py holds only the tokens): a
# test naming one as a parameter is not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from portal.assessments.models import Assignment, AssignmentFile
from tests.factories import AssignmentFactory, CriterionFactory, WeekFactory
from tests.support.attempts import assignment, media  # noqa: F401 - fixtures


def _url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def _slugs(client) -> list[str]:
    return [a["slug"] for a in client.get(_url("assignment-list", "mle")).json()["results"]]


@pytest.fixture
def drafted(course, unpublished) -> Assignment:
    """An assignment of a week students do not see yet."""
    return AssignmentFactory(course=course, week=unpublished, slug="rascunho")


def test_students_see_only_assignments_of_published_weeks_or_of_no_week(
    bearer, alice, course, published, drafted
):
    AssignmentFactory(course=course, week=published, slug="publicada")
    AssignmentFactory(course=course, week=None, slug="projeto-final")
    client = bearer(alice, "read")

    assert sorted(_slugs(client)) == ["projeto-final", "publicada"]
    response = client.get(_url("assignment-detail", "mle", "rascunho"))
    assert response.status_code == 404
    assert response.json()["error"]["id"] == "api.not_found"


def test_instructors_see_every_assignment(bearer, bruno, course, published, drafted):
    AssignmentFactory(course=course, week=published, slug="publicada")
    client = bearer(bruno, "read")

    assert sorted(_slugs(client)) == ["publicada", "rascunho"]
    assert client.get(_url("assignment-detail", "mle", "rascunho")).status_code == 200


def test_an_outsider_gets_404_for_the_list_and_the_assignment(bearer, charlie, assignment):
    client = bearer(charlie, "read")

    assert client.get(_url("assignment-list", "mle")).status_code == 404
    assert client.get(_url("assignment-detail", "mle", assignment.slug)).status_code == 404


def test_the_detail_has_the_rubric_in_its_order(bearer, alice, assignment):
    CriterionFactory(
        assignment=assignment, key="relatorio", title="Relatório", max_points=Decimal("4"),
        manual=True, order=2, description="Clareza do texto.",
        levels=[{"points": 4, "description": "claro"}, {"points": 0, "description": "ausente"}],
    )  # fmt: skip
    CriterionFactory(
        assignment=assignment, key="teste_normaliza", title="Normaliza", max_points=2, order=1
    )

    body = bearer(alice, "read").get(_url("assignment-detail", "mle", assignment.slug)).json()

    assert [(c["key"], c["max_points"], c["manual"]) for c in body["criteria"]] == [
        ("teste_normaliza", "2.00", False),
        ("relatorio", "4.00", True),
    ]
    report = body["criteria"][1]
    assert report["description"] == "Clareza do texto."
    assert report["levels"] == [
        {"points": 4.0, "description": "claro"},
        {"points": 0.0, "description": "ausente"},
    ]
    assert report["id"] == assignment.criteria.get(key="relatorio").pk


def test_the_detail_has_the_deadlines_and_the_late_policy(bearer, alice, assignment):
    due = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    assignment.due_at, assignment.hard_deadline_at = due, due + dt.timedelta(days=3)
    assignment.late_grace_minutes, assignment.late_penalty_percent_per_day = 30, 10
    assignment.late_penalty_max_percent = 50
    assignment.save()

    body = bearer(alice, "read").get(_url("assignment-detail", "mle", assignment.slug)).json()

    assert dt.datetime.fromisoformat(body["due_at"]) == due
    assert dt.datetime.fromisoformat(body["late_after"]) == due + dt.timedelta(minutes=30)
    assert dt.datetime.fromisoformat(body["hard_deadline_at"]) == due + dt.timedelta(days=3)
    assert (body["late_penalty_percent_per_day"], body["late_penalty_max_percent"]) == (10, 50)
    assert body["kind"] == "notebook"


def test_the_upload_cap_is_the_assignments_own_else_the_sites(settings, bearer, alice, assignment):
    settings.AUTOGRADER_MAX_UPLOAD_BYTES = 5_000_000
    client = bearer(alice, "read")
    url = _url("assignment-detail", "mle", assignment.slug)

    assert client.get(url).json()["max_upload_bytes"] == 5_000_000
    assignment.max_upload_bytes = 1000
    assignment.save(update_fields=["max_upload_bytes"])
    assert client.get(url).json()["max_upload_bytes"] == 1000


def test_whether_grades_are_released_follows_the_release_mode(bearer, alice, assignment):
    client = bearer(alice, "read")
    url = _url("assignment-detail", "mle", assignment.slug)
    assert client.get(url).json()["grades_released"] is True  # automatic release

    assignment.release_mode = Assignment.ReleaseMode.MANUAL
    assignment.save(update_fields=["release_mode"])
    assert client.get(url).json()["grades_released"] is False

    assignment.released_at = timezone.now() - dt.timedelta(minutes=1)
    assignment.save(update_fields=["released_at"])
    assert client.get(url).json()["grades_released"] is True


def test_the_downloads_are_the_pages_and_held_out_files_never_appear(bearer, alice, assignment):
    for role, name in ((AssignmentFile.Role.DATA, "treino.csv"),
                       (AssignmentFile.Role.HOLDOUT_LABELS, "rotulos.csv")):  # fmt: skip
        data = AssignmentFile(assignment=assignment, role=role, name=name, sha256="a" * 64)
        data.size_bytes = 3
        data.file.save(name, ContentFile(b"a,b"), save=True)

    body = bearer(alice, "read").get(_url("assignment-detail", "mle", assignment.slug)).json()

    base = "http://testserver"
    assert body["notebook_url"] == base + reverse(
        "api:assignment-notebook", args=["mle", "aquecimento"]
    )
    assert body["bundle_url"] == base + reverse(
        "api:assignment-bundle", args=["mle", "aquecimento"]
    )
    assert [(f["name"], f["url"]) for f in body["data_files"]] == [
        (
            "treino.csv",
            base + reverse("api:assignment-file", args=["mle", "aquecimento", "treino.csv"]),
        )
    ]
    assert "rotulos" not in str(body)


def test_a_token_downloads_the_release_never_the_source(bearer, alice, assignment):
    url = _url("assignment-detail", "mle", assignment.slug)
    script = bearer(alice, "read")
    notebook_url = script.get(url).json()["notebook_url"]

    response = script.get(notebook_url, HTTP_ACCEPT="application/x-ipynb+json")

    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    with assignment.release_notebook.open("rb") as release:
        assert data == release.read()
    assert b"BEGIN HIDDEN TESTS" not in data and b"BEGIN SOLUTION" not in data
    assert 'filename="aquecimento.ipynb"' in response["Content-Disposition"]


def test_a_token_downloads_the_data_and_the_bundle_never_the_held_out_files(
    bearer, alice, assignment
):
    for role, name in ((AssignmentFile.Role.DATA, "treino.csv"),
                       (AssignmentFile.Role.HOLDOUT_LABELS, "rotulos.csv")):  # fmt: skip
        data = AssignmentFile(assignment=assignment, role=role, name=name, sha256="a" * 64)
        data.size_bytes = 7
        data.file.save(name, ContentFile(f"{name}\n".encode()), save=True)
    script = bearer(alice, "read")
    body = script.get(_url("assignment-detail", "mle", assignment.slug)).json()

    data = script.get(body["data_files"][0]["url"])
    assert b"".join(data.streaming_content) == b"treino.csv\n"
    held_out = script.get(
        reverse("api:assignment-file", args=["mle", "aquecimento", "rotulos.csv"])
    )
    assert (held_out.status_code, held_out.json()["error"]["id"]) == (404, "api.not_found")

    bundle = script.get(body["bundle_url"], HTTP_ACCEPT="application/zip")
    assert bundle.status_code == 200
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        assert sorted(archive.namelist()) == [
            "aquecimento/aquecimento.ipynb",
            "aquecimento/dados/treino.csv",
        ]


def test_no_release_yet_is_a_404_in_the_error_shape(bearer, alice, assignment):
    assignment.release_notebook = ""
    assignment.save(update_fields=["release_notebook"])
    response = bearer(alice, "read").get(
        reverse("api:assignment-notebook", args=["mle", "aquecimento"])
    )
    assert (response.status_code, response.json()["error"]["id"]) == (404, "api.not_found")


def test_a_project_has_no_upload_cap_nor_notebook(bearer, alice, course):
    AssignmentFactory(course=course, slug="projeto-final", kind=Assignment.Kind.PROJECT)

    body = bearer(alice, "read").get(_url("assignment-detail", "mle", "projeto-final")).json()

    assert (body["kind"], body["max_upload_bytes"], body["notebook_url"]) == ("project", None, None)


def test_the_list_walks_every_assignment_by_due_date(bearer, alice, course):
    now = timezone.now()
    for n in (3, 1, 4, 2, 5):
        AssignmentFactory(course=course, slug=f"entrega-{n}", due_at=now + dt.timedelta(days=n))
    client = bearer(alice, "read")
    url, seen = _url("assignment-list", "mle") + "?page_size=2", []
    while url:
        body = client.get(url).json()
        seen += [a["slug"] for a in body["results"]]
        url = body["next"]

    assert seen == [f"entrega-{n}" for n in range(1, 6)]


@pytest.mark.parametrize("many", [2, 15])
def test_the_list_takes_a_bounded_number_of_queries(
    bearer, alice, course, published, many, django_assert_max_num_queries
):
    for n in range(many):
        week = WeekFactory(course=course, number=10 + n)
        AssignmentFactory(course=course, week=week, slug=f"entrega-{n}")
    client = bearer(alice, "read")

    # The token and its last use, the course, the role, the rows (with their week and course).
    with django_assert_max_num_queries(5):
        assert len(client.get(_url("assignment-list", "mle")).json()["results"]) == many

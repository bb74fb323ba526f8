"""Every API route against every kind of caller: 0 leaks.

The callers: nobody; Alice, the student whose work the routes name; Diego, another student of
the course; Fernanda, an instructor of another course; Bruno, the course's instructor; Carla,
an admin; Bruno's token once expired; and Bruno's token without the scope the route needs.

Each (route, caller) pair runs on a fresh world. A caller the route is not for gets exactly
the refusal the pages give (401, 403 or 404) in the one error shape, and nothing of Alice's
(her name, e-mail, notebook hash) appears in any answer to someone who may not see her work.
A route added to ``/api/v1/`` without a line here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import resolve, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal.accounts import tokens
from portal.api.urls import v1
from portal.assessments.models import AssignmentFile
from portal.courses.models import Material
from portal.reports.models import ReportArchive
from portal.review.models import RegradeRequest, RerunConflict
from tests.api.conftest import client_with
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    MaterialFactory,
    UserFactory,
    WeekFactory,
)
from tests.review.test_review import graded_run
from tests.support import graded_assignment

assignment, media_root = graded_assignment.assignment, graded_assignment.media_root

ALICE_SHA = "a11ce" * 12 + "a11c"
NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}

# Who a route is for. Refusals, as the pages answer them: a course's students learn that its
# instructors' pages exist (403); anyone outside a course, or outside someone's work, 404.
ACCESS = {
    "anyone": {"alice": 200, "diego": 200, "fernanda": 200, "bruno": 200, "carla": 200},
    "member": {"alice": 200, "diego": 200, "fernanda": 404, "bruno": 200, "carla": 200},
    "alice_or_staff": {"alice": 200, "diego": 404, "fernanda": 404, "bruno": 200, "carla": 200},
    "alice_only": {"alice": 200, "diego": 404, "fernanda": 404, "bruno": 404, "carla": 404},
    "staff": {"alice": 403, "diego": 403, "fernanda": 404, "bruno": 200, "carla": 200},
    "admin": {"alice": 404, "diego": 404, "fernanda": 404, "bruno": 403, "carla": 200},
}


@dataclass
class World:
    alice: object
    diego: object
    fernanda: object
    bruno: object
    carla: object
    args: dict


@pytest.fixture
def world(assignment, alice, bruno, carla) -> World:
    course = assignment.course
    week = WeekFactory(course=course, number=1, title="Semana 1")
    diego = UserFactory(username="diego", full_name="Diego Aluno")
    EnrollmentFactory(course=course, user=diego, role="student")
    other = CourseFactory(slug="outro", title="Outro curso")
    fernanda = UserFactory(username="fernanda", full_name="Fernanda Instrutora")
    EnrollmentFactory(course=other, user=fernanda, role="instructor")

    assignment.release_notebook.save("semana-1.ipynb", ContentFile(json.dumps(NOTEBOOK)))
    data = AssignmentFile(
        assignment=assignment, role=AssignmentFile.Role.DATA, name="treino.csv", sha256="0" * 64
    )
    data.size_bytes = 4
    data.file.save("treino.csv", ContentFile(b"a,b\n"), save=True)
    slides = MaterialFactory(week=week, title="Slides", kind=Material.Kind.FILE, url="")
    slides.file.save("slides.pdf", ContentFile(b"%PDF-1.4"), save=True)
    run = graded_run(assignment, alice, manual_pending=True)
    run.submission.sha256 = ALICE_SHA
    run.submission.save(update_fields=["sha256"])
    run.feedback_notebook = run.staff_feedback_notebook = NOTEBOOK
    run.save(update_fields=["feedback_notebook", "staff_feedback_notebook"])
    scores = {s.criterion.key: s for s in run.scores.select_related("criterion")}
    words = scores["teste_conta_palavras"]
    regrade = RegradeRequest.objects.create(
        run=run, criterion=words.criterion, student=alice, reason="Meu teste passou."
    )
    conflict = RerunConflict.objects.create(score=words, previous_auto_points=Decimal(2))
    archive = ReportArchive.objects.create(course=course, requested_by=carla)
    return World(
        alice=alice,
        diego=diego,
        fernanda=fernanda,
        bruno=bruno,
        carla=carla,
        args={
            "course": course.slug,
            "slug": assignment.slug,
            "student": alice.pk,
            "regrade": regrade.pk,
            "conflict": conflict.pk,
            "archive": archive.pk,
            "data": "treino.csv",
            "material": slides.pk,
            "manual": scores["resposta_escala"].criterion_id,
            "words": words.criterion_id,
        },
    )


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    args: tuple[str, ...]
    access: str
    body: dict | None = None
    query: str = ""  # "?student=" for staff, ignored for students


C, A = ("course",), ("course", "slug")
ATTEMPT = (*A, "one")
STUDENT = (*A, "student")
ROUTES = [
    Route("me", "get", (), "anyone"),
    Route("course-list", "get", (), "anyone"),
    Route("course-detail", "get", C, "member"),
    Route("week-list", "get", C, "member"),
    Route("week-detail", "get", (*C, "one"), "member"),
    Route("material", "get", (*C, "material"), "member"),
    Route("assignment-list", "get", C, "member"),
    Route("assignment-detail", "get", A, "member"),
    Route("assignment-notebook", "get", A, "member"),
    Route("assignment-bundle", "get", A, "member"),
    Route("assignment-file", "get", (*A, "data"), "member"),
    Route("attempt-list", "get", A, "member", query="student"),
    Route("attempt-list", "post", A, "member", body={"url": ""}),
    Route("attempt-detail", "get", ATTEMPT, "alice_or_staff", query="student"),
    Route("attempt-feedback", "get", ATTEMPT, "alice_or_staff", query="student"),
    Route(
        "regrade-request-list",
        "post",
        ATTEMPT,
        "alice_only",
        body={"criterion": "manual", "reason": "A resposta está certa."},
    ),
    Route("grading-progress", "get", A, "staff"),
    Route("grading-students", "get", A, "staff"),
    Route("grading-rerun", "post", A, "staff", body={}),
    Route("grading-attempt-rerun", "post", (*STUDENT, "one"), "staff", body={}),
    Route("review-queue", "get", A, "staff"),
    Route("review-detail", "get", STUDENT, "staff"),
    Route(
        "review-scores",
        "post",
        STUDENT,
        "staff",
        body={
            "reason": "revisão",
            "changes": [{"criterion": "manual", "points": "1", "justification": "Certo."}],
        },
    ),
    Route("review-release", "post", A, "staff", body={"released": True}),
    Route(
        "review-regrade-answer",
        "post",
        (*STUDENT, "regrade"),
        "staff",
        body={"accept": False, "response": "O teste continua falhando."},
    ),
    Route(
        "review-conflict-resolve",
        "post",
        (*STUDENT, "conflict"),
        "staff",
        body={"use_automatic": False},
    ),
    Route("gradebook-spreadsheet", "get", A, "staff"),
    Route("reports-archive-request", "post", C, "admin", body={}),
    Route("reports-archive", "get", ("archive",), "admin"),
    Route("reports-archive-download", "get", ("archive",), "admin"),
]
CALLERS = ["nobody", "alice", "diego", "fernanda", "bruno", "carla", "expired", "no_scope"]


def _url(route: Route, world: World) -> str:
    values = {**world.args, "one": 1}
    url = reverse(f"api:{route.name}", args=[values[a] for a in route.args])
    return url + (f"?student={world.alice.pk}" if route.query else "")


def _body(route: Route, world: World) -> dict | None:
    if route.body is None:
        return None

    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return world.args.get(value, value) if value in ("manual", "words") else value

    return fill(route.body)


def _client(caller: str, route: Route, world: World) -> APIClient:
    if caller == "nobody":
        return APIClient()
    if caller in ("expired", "no_scope"):
        view = resolve(_url(route, world).split("?")[0]).func.cls
        needed = "read" if route.method == "get" else view.write_scope
        scopes = ["read", "submit", "manage"]
        if caller == "no_scope":
            scopes.remove(needed)
        created = tokens.api_token_create(
            user=world.bruno, name=caller, scopes=scopes, expires_days=1
        )
        if caller == "expired":
            created.token.expires_at = timezone.now() - dt.timedelta(seconds=1)
            created.token.save(update_fields=["expires_at"])
        return client_with(created.secret)
    created = tokens.api_token_create(
        user=getattr(world, caller), name="t", scopes=["read", "submit", "manage"], expires_days=1
    )
    return client_with(created.secret)


def _expected(route: Route, caller: str) -> int | None:
    """The refusal ``caller`` must get, or None when the route is for them."""
    if caller in ("nobody", "expired"):
        return 401
    if caller == "no_scope":
        return 403
    code = ACCESS[route.access][caller]
    return None if code == 200 else code


def _ids(route: Route) -> str:
    return f"{route.method.upper()} {route.name}"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES, ids=_ids)
def test_every_route_answers_each_caller_as_the_pages_would(route, caller, world):
    client = _client(caller, route, world)
    url = _url(route, world)
    body = _body(route, world)
    response = client.get(url) if route.method == "get" else client.post(url, body, format="json")
    refusal = _expected(route, caller)
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    content = raw.decode("utf-8", errors="replace")
    if refusal is None:
        assert response.status_code < 500, content
        assert response.status_code not in (401, 403, 404), (route, caller, content)
    else:
        assert response.status_code == refusal, (route, caller, content)
        error = response.json()["error"]
        assert set(error) <= {"id", "message", "fields"} and error["message"]
        if caller == "expired":
            assert error["id"] == "token.expired"
        if caller == "no_scope":
            assert error["id"] == "api.scope_missing"
    if caller not in ("alice", "bruno", "carla"):
        for secret in ("Alice Aluna", world.alice.email, ALICE_SHA):
            assert secret not in content, (route, caller, secret)


def test_every_route_is_in_the_matrix():
    from tests.api.test_schema import _routes

    mounted = set()
    for _path, pattern in _routes(v1):
        view = pattern.callback.cls
        mounted |= {(m, pattern.name) for m in ("get", "post", "put", "patch", "delete")
                    if hasattr(view, m)}  # fmt: skip
    assert mounted == {(r.method, r.name) for r in ROUTES}

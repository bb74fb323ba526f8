"""Attempts through the API: sending one, its status and grade, the graded notebook, regrade
requests. The pages' rules, with their message ids, and nothing written on a refusal.

Alice and Dora are students of the course, Bruno its instructor, Charlie an outsider. Grading
itself is the worker's (tests/grading): here an attempt stays queued, or is marked graded the
way the page tests do it (``tests.support.attempts.graded``).
"""

# The attempt fixtures are imported here (tests/api/conftest.py holds only the tokens): a
# test naming one as a parameter is not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.assessments.models import Assignment
from portal.grading.models import GradingRun
from portal.grading.services import attempt_submit
from portal.review.models import RegradeRequest
from portal.submissions.models import Submission
from tests.autograder.git_server import make_repo
from tests.factories import AssignmentFactory, SubmissionFactory
from tests.support.attempts import (  # noqa: F401 - fixtures
    HIDDEN_MARKER,
    answer_bytes,
    assignment,
    dora,
    git_server,
    graded,
    media,
    stored_files,
    upload,
)

STUDENTS_COPY = {"cells": [{"cell_type": "code", "source": "assert True"}], "nbformat": 4}
STAFF_COPY = {
    "cells": [{"cell_type": "code", "source": f"### {HIDDEN_MARKER}\nassert 1"}],
    "nbformat": 4,
}
REASON = "O teste falhou por arredondamento; minha resposta está certa."


def _attempts(assignment: Assignment) -> str:
    return reverse("api:attempt-list", args=[assignment.course.slug, assignment.slug])


def _attempt(assignment: Assignment, number: int = 1, name: str = "attempt-detail") -> str:
    return reverse(f"api:{name}", args=[assignment.course.slug, assignment.slug, number])


def _refused(response, status: int, message_id: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["id"] == message_id, error
    return error


@pytest.fixture
def alices(alice, assignment, media) -> Submission:
    return attempt_submit(assignment=assignment, student=alice, upload=upload())


@pytest.fixture
def manual_release(assignment) -> Assignment:
    assignment.release_mode = Assignment.ReleaseMode.MANUAL
    assignment.save(update_fields=["release_mode"])
    return assignment


def _release(assignment: Assignment) -> None:
    assignment.released_at = timezone.now() - dt.timedelta(seconds=1)
    assignment.save(update_fields=["released_at"])


# -- sending a notebook -------------------------------------------------------------------------


def test_a_notebook_becomes_attempt_1_queued_for_grading(bearer, alice, assignment, media):
    client = bearer(alice, "read", "submit")

    response = client.post(_attempts(assignment), {"file": upload()}, format="multipart")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["status"], body["late"]) == (1, "queued", False)
    assert response["Location"] == body["url"]
    assert body["url"].endswith(_attempt(assignment))
    submission = Submission.objects.get()
    assert (submission.student, submission.attempt) == (alice, 1)
    assert body["sha256"] == submission.sha256 and len(stored_files(media)) == 1
    assert submission.runs.get().status == GradingRun.Status.QUEUED
    status = client.get(body["url"]).json()
    assert (status["status"], status["final"], status["grade"]) == ("queued", False, None)


BAD_NOTEBOOKS = {
    "not JSON": ("texto.ipynb", b"isto nao e json", "upload.not_json"),
    "empty": ("vazio.ipynb", b"", "upload.empty"),
    "wrong extension": ("resposta.py", answer_bytes(), "upload.extension"),
}


@pytest.mark.parametrize("case", BAD_NOTEBOOKS.values(), ids=BAD_NOTEBOOKS.keys())
def test_a_bad_notebook_is_refused_with_the_pages_message_and_nothing_is_written(
    bearer, alice, assignment, media, case
):
    name, data, message_id = case

    response = bearer(alice).post(
        _attempts(assignment), {"file": upload(data, name)}, format="multipart"
    )

    error = _refused(response, 400, message_id)
    assert error["message"]  # the text, in Portuguese, as the page says it
    assert Submission.objects.count() == 0 and GradingRun.objects.count() == 0
    assert stored_files(media) == []


def test_a_notebook_over_the_cap_is_refused_as_too_big(bearer, alice, assignment, media):
    assignment.max_upload_bytes = 1000
    assignment.save(update_fields=["max_upload_bytes"])

    response = bearer(alice).post(_attempts(assignment), {"file": upload()}, format="multipart")

    error = _refused(response, 400, "upload.too_big")
    assert "1 KB" in error["message"]
    assert Submission.objects.count() == 0 and stored_files(media) == []


def test_without_a_file_the_field_says_what_is_missing(bearer, alice, assignment, media):
    for body, form in (({}, "multipart"), ({"file": "aquecimento.ipynb"}, "json")):
        response = bearer(alice).post(_attempts(assignment), body, format=form)

        error = _refused(response, 400, "api.invalid")
        assert [e["id"] for e in error["fields"]["file"]] == ["attempt.file_required"]
    assert Submission.objects.count() == 0


def test_a_token_without_submit_cannot_send_an_attempt(bearer, alice, assignment, media):
    response = bearer(alice, "read").post(
        _attempts(assignment), {"file": upload()}, format="multipart"
    )

    error = _refused(response, 403, "api.scope_missing")
    assert "submit" in error["message"]
    assert Submission.objects.count() == 0


def test_an_instructor_cannot_send_an_attempt_as_on_the_page(bearer, bruno, assignment, media):
    response = bearer(bruno).post(_attempts(assignment), {"file": upload()}, format="multipart")

    _refused(response, 400, "upload.not_student")
    assert Submission.objects.count() == 0


def test_an_outsider_cannot_even_learn_the_assignment_exists(bearer, charlie, assignment, media):
    response = bearer(charlie).post(_attempts(assignment), {"file": upload()}, format="multipart")

    _refused(response, 404, "api.not_found")
    assert Submission.objects.count() == 0


# -- sending a repository -----------------------------------------------------------------------


@pytest.fixture
def project(course, media) -> Assignment:
    return AssignmentFactory(
        course=course, slug="projeto-final", kind=Assignment.Kind.PROJECT, source_notebook=""
    )


def test_a_repository_is_pinned_to_its_commit(settings, bearer, alice, project, git_server):
    settings.AUTOGRADER_GIT_ALLOWED_URLS = [git_server.base_url]
    url, head = make_repo(git_server, "alice/churn", {"README.md": "# Churn\n"}, tags=["v1"])

    response = bearer(alice).post(_attempts(project), {"url": url, "ref": "v1"}, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["commit_sha"], response.json()["repo_ref"]) == (head, "v1")
    assert Submission.objects.get().commit_sha == head


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "https://gitlab.com/alice/churn", "git@github.com:a/b.git"]
)
def test_a_bad_repository_url_is_refused_and_nothing_is_written(bearer, alice, project, url):
    response = bearer(alice).post(_attempts(project), {"url": url}, format="json")

    error = _refused(response, 400, "repo.rejected")
    assert error["message"].startswith("Este repositório não pode ser entregue")
    assert Submission.objects.count() == 0 and GradingRun.objects.count() == 0


def test_a_project_without_a_url_says_what_is_missing(bearer, alice, project):
    error = _refused(bearer(alice).post(_attempts(project), {}, format="json"), 400, "api.invalid")

    assert [e["id"] for e in error["fields"]["url"]] == ["attempt.url_required"]
    assert Submission.objects.count() == 0


# -- who sees which attempt ---------------------------------------------------------------------


def test_another_students_attempt_is_a_404_everywhere(bearer, dora, alices):
    client = bearer(dora)
    assignment = alices.assignment
    query = f"?student={alices.student_id}"  # only managers may pick the student

    assert client.get(_attempts(assignment) + query).json()["results"] == []
    for url in (_attempt(assignment), _attempt(assignment, name="attempt-feedback")):
        _refused(client.get(url), 404, "api.not_found")
        _refused(client.get(url + query), 404, "api.not_found")
    response = client.post(
        _attempt(assignment, name="regrade-request-list"), {"criterion": 1, "reason": REASON}
    )
    _refused(response, 404, "api.not_found")


def test_instructors_pick_the_student_as_on_the_pages(bearer, bruno, carla, alices):
    assignment = alices.assignment
    for user in (bruno, carla):
        client = bearer(user, "read")
        rows = client.get(_attempts(assignment) + f"?student={alices.student_id}").json()
        assert [a["number"] for a in rows["results"]] == [1]
        assert rows["results"][0]["url"].endswith(f"?student={alices.student_id}")
        detail = client.get(rows["results"][0]["url"])
        assert detail.json()["student_id"] == alices.student_id
        _refused(client.get(_attempt(assignment) + "?student=abc"), 404, "api.not_found")


# -- the grade, once released -------------------------------------------------------------------


def test_an_unreleased_grade_is_never_shown_to_the_student(bearer, alice, alices, manual_release):
    graded(alices, notebook=STUDENTS_COPY)
    client = bearer(alice, "read")

    body = client.get(_attempt(alices.assignment)).json()

    assert (body["status"], body["final"], body["released"]) == ("graded", True, False)
    assert body["grade"] is None and body["feedback_url"] is None
    assert "teste_normaliza" not in json.dumps(body)
    _refused(client.get(_attempt(alices.assignment, name="attempt-feedback")), 404, "api.not_found")


def test_the_released_grade_has_each_criterion_and_its_justification(
    bearer, alice, alices, manual_release
):
    graded(alices, notebook=STUDENTS_COPY)
    _release(manual_release)

    body = bearer(alice, "read").get(_attempt(alices.assignment)).json()

    grade = body["grade"]
    assert (body["released"], grade["total"], grade["max_total"]) == (True, "2.00", "6.00")
    assert [(c["key"], c["points"], c["max_points"]) for c in grade["criteria"]] == [
        ("teste_normaliza", "2.00", "2.00")
    ]
    assert "passou" in grade["criteria"][0]["justification"]
    assert grade["regrade_requests"] == []
    assert body["feedback_url"].endswith(_attempt(alices.assignment, name="attempt-feedback"))


def test_instructors_see_the_grade_before_it_is_released(bearer, bruno, alices, manual_release):
    graded(alices, notebook=STUDENTS_COPY)
    url = _attempt(alices.assignment) + f"?student={alices.student_id}"

    body = bearer(bruno, "read").get(url).json()

    assert body["released"] is True and body["grade"]["total"] == "2.00"


def test_the_feedback_is_the_students_copy_for_her_and_the_staff_copy_for_instructors(
    bearer, alice, bruno, alices
):
    graded(alices, notebook=STUDENTS_COPY, staff_notebook=STAFF_COPY)
    url = _attempt(alices.assignment, name="attempt-feedback")

    mine = bearer(alice, "read").get(url).json()
    staff = bearer(bruno, "read").get(url + f"?student={alices.student_id}").json()

    assert (mine["copy"], mine["notebook"]) == ("student", STUDENTS_COPY)
    assert HIDDEN_MARKER not in json.dumps(mine)
    assert (staff["copy"], staff["notebook"]) == ("staff", STAFF_COPY)


def test_there_is_no_feedback_before_grading_nor_for_runs_graded_before_notebooks(
    bearer, alice, alices
):
    client = bearer(alice, "read")
    url = _attempt(alices.assignment, name="attempt-feedback")
    _refused(client.get(url), 404, "api.not_found")  # queued

    graded(alices)  # nbgrader's HTML only, as runs graded before had

    _refused(client.get(url), 404, "api.not_found")
    assert client.get(_attempt(alices.assignment)).json()["feedback_url"] is None


# -- regrade requests ---------------------------------------------------------------------------


def _regrade(client, submission: Submission, body: dict):
    return client.post(_attempt(submission.assignment, name="regrade-request-list"), body)


def test_a_regrade_request_is_filed_and_shown_with_the_grade(bearer, alice, alices):
    run = graded(alices)
    criterion = run.scores.get().criterion
    client = bearer(alice, "read", "submit")

    response = _regrade(client, alices, {"criterion": criterion.pk, "reason": REASON})

    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["criterion_id"]) == ("open", criterion.pk)
    request = RegradeRequest.objects.get()
    assert (request.run, request.student, request.reason) == (run, alice, REASON)
    shown = client.get(_attempt(alices.assignment)).json()["grade"]["regrade_requests"]
    assert [(r["id"], r["reason"], r["response"]) for r in shown] == [(request.pk, REASON, "")]


@pytest.mark.parametrize(
    ("body", "message_id"),
    [
        ({"criterion": 999999, "reason": REASON}, "regrade.unknown_criterion"),
        ({"criterion": "{criterion}", "reason": "curto"}, "regrade.reason_too_short"),
    ],
)
def test_a_bad_regrade_request_is_refused_with_the_services_id(
    bearer, alice, alices, body, message_id
):
    criterion = graded(alices).scores.get().criterion
    body = {k: (criterion.pk if v == "{criterion}" else v) for k, v in body.items()}

    _refused(_regrade(bearer(alice), alices, body), 400, message_id)
    assert RegradeRequest.objects.count() == 0


def test_a_regrade_request_without_a_criterion_says_what_is_missing(bearer, alice, alices):
    graded(alices)

    error = _refused(_regrade(bearer(alice), alices, {"reason": REASON}), 400, "api.invalid")

    assert [e["id"] for e in error["fields"]["criterion"]] == ["attempt.criterion_required"]
    assert RegradeRequest.objects.count() == 0


def test_no_regrade_request_before_the_grade_is_released(bearer, alice, alices, manual_release):
    criterion = graded(alices).scores.get().criterion

    response = _regrade(bearer(alice), alices, {"criterion": criterion.pk, "reason": REASON})

    _refused(response, 400, "regrade.not_released")
    assert RegradeRequest.objects.count() == 0


def test_a_regrade_request_needs_the_submit_scope(bearer, alice, alices):
    criterion = graded(alices).scores.get().criterion

    response = _regrade(
        bearer(alice, "read"), alices, {"criterion": criterion.pk, "reason": REASON}
    )

    _refused(response, 403, "api.scope_missing")
    assert RegradeRequest.objects.count() == 0


# -- the list ---------------------------------------------------------------------------------


def test_the_next_cursor_walks_every_attempt_newest_first(bearer, alice, dora, assignment):
    for number in range(1, 8):
        SubmissionFactory(assignment=assignment, student=alice, attempt=number)
    SubmissionFactory(assignment=assignment, student=dora, attempt=1)
    client = bearer(alice, "read")
    url, seen = _attempts(assignment) + "?page_size=3", []

    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 3
        seen += [a["number"] for a in body["results"]]
        url = body["next"]

    assert seen == [7, 6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize("many", [2, 30])
def test_the_list_takes_a_bounded_number_of_queries(
    bearer, alice, assignment, many, django_assert_max_num_queries
):
    for number in range(1, many + 1):
        SubmissionFactory(assignment=assignment, student=alice, attempt=number)
    client = bearer(alice, "read")

    # The token and its last use, the course and role, the assignment, the rows.
    with django_assert_max_num_queries(6):
        assert len(client.get(_attempts(assignment)).json()["results"]) == many

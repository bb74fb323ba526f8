"""The grading API: grade an assignment's attempts again (all, or one) and follow the
progress of the batch; who may call it."""

from __future__ import annotations

from django.urls import reverse

from portal.grading.models import GradingRun
from portal.submissions.models import Submission
from tests.factories import EnrollmentFactory, UserFactory
from tests.review.test_review import graded_run
from tests.support import graded_assignment

assignment, media_root = graded_assignment.assignment, graded_assignment.media_root

RERUN = reverse("api:grading-rerun", args=["mle", "semana-1"])
PROGRESS = reverse("api:grading-progress", args=["mle", "semana-1"])


def attempt_url(student, attempt: int) -> str:
    return reverse("api:grading-attempt-rerun", args=["mle", "semana-1", student.pk, attempt])


def test_rerunning_an_assignment_queues_every_students_latest_attempt(
    bearer, bruno, alice, assignment, django_capture_on_commit_callbacks
) -> None:
    dora = UserFactory(username="dora")
    EnrollmentFactory(course=assignment.course, user=dora, role="student")
    graded_run(assignment, alice, attempt=1)
    latest = graded_run(assignment, alice, attempt=2).submission
    graded_run(assignment, dora)

    with django_capture_on_commit_callbacks() as sent:
        response = bearer(bruno).post(RERUN)

    assert (response.status_code, response.json()) == (202, {"queued": 2})
    assert len(sent) == 2  # one grading task per queued run, once committed
    queued = GradingRun.objects.filter(status=GradingRun.Status.QUEUED)
    assert sorted(run.submission_id for run in queued) == sorted(
        [latest.pk, Submission.objects.get(student=dora).pk]
    )
    assert {run.requested_by_id for run in queued} == {bruno.pk}


def test_rerunning_one_attempt_queues_a_new_run_and_keeps_the_old_one(
    bearer, bruno, alice, assignment, django_capture_on_commit_callbacks
) -> None:
    first = graded_run(assignment, alice, attempt=1)
    graded_run(assignment, alice, attempt=2)

    with django_capture_on_commit_callbacks():
        response = bearer(bruno).post(attempt_url(alice, 1))

    assert response.status_code == 202
    body = response.json()
    assert (body["submission_id"], body["number"], body["status"]) == (
        first.submission_id,
        2,
        "queued",
    )
    assert list(first.submission.runs.order_by("number").values_list("status", flat=True)) == [
        "done",
        "queued",
    ]
    assert bearer(bruno).post(attempt_url(alice, 3)).status_code == 404


def test_progress_counts_the_latest_batch_until_nothing_is_pending(
    bearer, bruno, alice, assignment
) -> None:
    graded_run(assignment, alice)
    client = bearer(bruno, "read")

    done = client.get(PROGRESS).json()
    with_rerun = bearer(bruno).post(RERUN)
    pending = client.get(PROGRESS).json()

    assert (done["done"], done["total"], done["pending"], done["final"]) == (1, 1, 0, True)
    assert with_rerun.status_code == 202
    assert (pending["queued"], pending["done"], pending["pending"], pending["final"]) == (
        1,
        0,
        1,
        False,
    )


def test_students_get_403_outsiders_404_and_readers_cannot_rerun(
    bearer, bruno, alice, charlie, assignment
) -> None:
    graded_run(assignment, alice)
    endpoints = [("get", PROGRESS), ("post", RERUN), ("post", attempt_url(alice, 1))]
    for method, url in endpoints:
        assert getattr(bearer(alice), method)(url).status_code == 403, url
        assert getattr(bearer(charlie), method)(url).status_code == 404, url
    for _method, url in endpoints[1:]:
        refused = bearer(bruno, "read").post(url)
        assert (refused.status_code, refused.json()["error"]["id"]) == (
            403,
            "api.scope_missing",
        )
    assert GradingRun.objects.count() == 1


STUDENTS = reverse("api:grading-students", args=["mle", "semana-1"])


def test_the_class_status_lists_every_student_with_their_latest_attempt(
    bearer, bruno, alice, assignment, django_assert_max_num_queries
) -> None:
    for name in ("Dora", "Edu", "Fabi"):
        user = UserFactory(username=name.lower(), full_name=name)
        EnrollmentFactory(course=assignment.course, user=user, role="student", full_name=name)
    graded_run(assignment, alice, attempt=1)
    queued = graded_run(assignment, alice, attempt=2).submission
    queued.status = Submission.Status.QUEUED
    queued.save(update_fields=["status"])

    script = bearer(bruno, "read")
    with django_assert_max_num_queries(7):  # whatever the class size
        body = script.get(STUDENTS).json()

    rows = {row["name"]: row for row in body["results"]}
    assert set(rows) == {"Alice Aluna", "Dora", "Edu", "Fabi"}
    assert (rows["Alice Aluna"]["status"], rows["Alice Aluna"]["attempt"]) == ("queued", 2)
    assert rows["Alice Aluna"]["points"] == "5.00"  # the newest finished grade
    assert (rows["Dora"]["status"], rows["Dora"]["attempt"]) == ("not_sent", None)

    missing = bearer(bruno, "read").get(STUDENTS, {"status": "not_sent"}).json()["results"]
    assert [row["name"] for row in missing] == ["Dora", "Edu", "Fabi"]

    first = bearer(bruno, "read").get(STUDENTS, {"page_size": 3}).json()
    second = bearer(bruno, "read").get(first["next"]).json()
    names = [row["name"] for row in first["results"] + second["results"]]
    assert sorted(names) == sorted(rows) and second["next"] is None


def test_an_unknown_status_filter_is_a_field_error(bearer, bruno, assignment) -> None:
    response = bearer(bruno, "read").get(STUDENTS, {"status": "perdido"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["id"] == "api.invalid"
    assert error["fields"]["status"][0]["id"] == "field.invalid_choice"

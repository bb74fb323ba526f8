"""The API's whole loop with the real moving parts: a student's token uploads a notebook, a
real Celery worker grades it in a real container, the student reads the scores with their
justifications once released; the instructor's token changes one score with a reason, and
the history and the student's view show it.

The rows are committed (``transaction=True``): the worker reads them through its own
connection. Only HTTP calls made with tokens drive the loop, as a script would.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.assessments.models import Assignment
from portal.review.models import ScoreChange
from tests.autograder import notebooks as nb
from tests.grading.worker import *  # noqa: F403 - the worker fixtures
from tests.grading.worker import wait_for
from tests.support.graded_assignment import (  # noqa: F401 - fixtures
    assignment,
    criteria,
    docker_client,
    grader_image,
)

pytestmark = [pytest.mark.docker, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

GRADE_TIMEOUT_S = 120


def _poll(client, url: str) -> dict:
    def finished():
        body = client.get(url).json()
        return body if body["final"] else None

    return wait_for(finished, timeout=GRADE_TIMEOUT_S, what=f"{url} to be graded", interval=0.5)


def test_a_token_submits_a_worker_grades_and_an_instructor_token_adjusts(
    worker,
    assignment,  # noqa: F811 - the fixture imported above
    alice,
    bruno,
    bearer,
    release,
):
    assignment.release_mode = Assignment.ReleaseMode.MANUAL  # grades wait for the instructor
    assignment.save(update_fields=["release_mode"])
    student = bearer(alice, "read", "submit")
    instructor = bearer(bruno, "read", "manage")
    attempts = f"/api/v1/courses/{assignment.course.slug}/assignments/{assignment.slug}/attempts/"

    # 1. The student's script uploads the notebook (multipart) and polls its status.
    upload = SimpleUploadedFile("entrega.ipynb", json.dumps(nb.correct(release)).encode())
    created = student.post(attempts, {"file": upload}, format="multipart")
    assert created.status_code == 201, created.json()
    attempt = created.json()["number"]
    assert created.json()["status"] == "queued"
    detail_url = f"{attempts}{attempt}/"
    graded = _poll(student, detail_url)
    assert (graded["status"], graded["released"]) == ("graded", False)
    assert graded["grade"] is None  # graded, but not released: nothing shown yet

    # 2. The instructor releases; the student reads every criterion with its justification.
    review = f"/api/v1/courses/{assignment.course.slug}/assignments/{assignment.slug}/"
    released = instructor.post(review + "release/", {"released": True}, format="json")
    assert released.status_code == 200, released.json()
    shown = student.get(detail_url).json()
    scores = {s["key"]: s for s in shown["grade"]["criteria"]}
    assert Decimal(scores["teste_normaliza"]["points"]) == 2
    assert Decimal(scores["teste_conta_palavras"]["points"]) == 3
    assert "teste_conta_palavras` passou" in scores["teste_conta_palavras"]["justification"]
    assert scores["resposta_escala"]["points"] is None  # manual, waits for a person

    # 3. The instructor scores the manual criterion with a reason; the history records it.
    manual = next(c for c in assignment.criteria.all() if c.key == "resposta_escala")
    changed = instructor.post(
        f"{review}review/{alice.pk}/scores/",
        {
            "reason": "Correção da resposta aberta",
            "changes": [
                {
                    "criterion": manual.pk,
                    "points": "1",
                    "justification": "A escala foi explicada corretamente.",
                }
            ],
        },
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    history = instructor.get(f"{review}review/{alice.pk}/").json()["history"]
    assert any(
        h["reason"] == "Correção da resposta aberta" and h["by"]["username"] == "bruno"
        for h in history
    ), history
    change = ScoreChange.objects.get(score__criterion=manual)
    assert (change.points_after, change.changed_by) == (Decimal(1), bruno)

    # 4. The student sees the instructor's score and justification.
    grade = student.get(detail_url).json()["grade"]
    after = {s["key"]: s for s in grade["criteria"]}
    assert Decimal(after["resposta_escala"]["points"]) == 1
    assert after["resposta_escala"]["justification"] == "A escala foi explicada corretamente."
    assert after["resposta_escala"]["source"] == "manual"
    assert Decimal(grade["total"]) == 6

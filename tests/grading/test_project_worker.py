"""A final project submitted through the portal and graded by a real worker: the repository
is served by a git server on localhost, the worker clones the pinned commit, runs the project
in a container and stores every criterion of the real rubric with its justification."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from portal.assessments.models import Assignment
from portal.grading.models import GradingRun
from portal.submissions.models import Submission
from tests.autograder import projects
from tests.autograder.projects import serve
from tests.grading.project_assignment import project_assignment
from tests.grading.worker import *  # noqa: F403 - the worker fixtures
from tests.grading.worker import wait_for

pytestmark = [pytest.mark.docker, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RUBRIC = Path(__file__).resolve().parents[2] / "course_content" / "final_project" / "rubric.yaml"


@pytest.fixture(scope="module")
def worker_extra_env(served) -> dict[str, str]:
    return {"AUTOGRADER_GIT_ALLOWED_URLS": served.base_url}


@pytest.fixture
def project(course, media_root, settings, served) -> Assignment:
    settings.AUTOGRADER_GIT_ALLOWED_URLS = [served.base_url]
    return project_assignment(course)


def test_a_repository_submitted_in_the_portal_is_graded_by_the_worker(
    client, worker, project, alice, served
) -> None:
    url, sha = serve(served, "alice/churn", projects.strong)
    client.force_login(alice)
    page = reverse("classroom:assignment", args=["mle", "projeto-final"])
    response = client.post(page, {"url": url, "ref": ""}, follow=True)
    assert response.status_code == 200
    submission = Submission.objects.get(student=alice)
    assert submission.commit_sha == sha
    run = GradingRun.objects.get(submission=submission)
    wait_for(
        lambda: GradingRun.objects.get(pk=run.pk).status in ("done", "error"),
        timeout=600,
        what="the project to be graded",
    )
    run.refresh_from_db()
    assert (run.status, run.grade_status) == ("done", "graded"), run.error or run.message
    assert run.total == Decimal(90) and run.max_total == Decimal(100)
    scores = {s.criterion.key: s for s in run.scores.select_related("criterion")}
    assert scores["dados-features"].points is None
    assert scores["readme"].points == Decimal(10) and "Objetivo" in scores["readme"].justification
    assert scores["serving"].evidence and "/health" in scores["serving"].justification
    status = client.get(reverse("classroom:status", args=["mle", "projeto-final", 1]))
    text = status.content.decode()
    assert "Nota: 90 de 100" in text and "Evidências" in text

"""The install step through the portal: a final project whose tests need a package it
declares in a UTF-16 ``requirements.txt`` is submitted on the assignment page and graded by a
real worker configured with a package index (a local one, ``tests/autograder/package_index``);
the student's attempt page then shows the tests passing and the environment they ran in."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from portal.assessments.models import Assignment
from portal.grading.models import GradingRun
from portal.submissions.models import Submission
from tests.autograder import projects_deps
from tests.autograder.package_index import running_index
from tests.autograder.projects import serve
from tests.grading.project_assignment import project_assignment
from tests.grading.worker import *  # noqa: F403 - the worker fixtures
from tests.grading.worker import wait_for

pytestmark = [pytest.mark.docker, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RUBRIC = Path(__file__).resolve().parents[2] / "course_content" / "final_project" / "rubric.yaml"
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "project-install-status.html"


@pytest.fixture(scope="module")
def index_url(tmp_path_factory) -> Iterator[str]:
    with running_index(tmp_path_factory.mktemp("index")) as url:
        yield url


@pytest.fixture(scope="module")
def worker_extra_env(served, index_url, tmp_path_factory) -> dict[str, str]:
    return {
        "AUTOGRADER_GIT_ALLOWED_URLS": served.base_url,
        "AUTOGRADER_PACKAGE_INDEX_URL": index_url,
        "AUTOGRADER_CACHE_DIR": str(tmp_path_factory.mktemp("autograder-cache")),
    }


@pytest.fixture
def project(course, media_root, settings, served) -> Assignment:
    settings.AUTOGRADER_GIT_ALLOWED_URLS = [served.base_url]
    return project_assignment(course, keys=("testes",), memory_mb=1024, wall_timeout_seconds=300)


def test_the_worker_installs_what_the_project_declares_and_says_so(
    client, worker, project, alice, served
) -> None:
    url, _sha = serve(served, "alice/graficos", projects_deps.utf16_requirements)
    client.force_login(alice)
    page = reverse("classroom:assignment", args=["mle", "projeto-final"])
    assert client.post(page, {"url": url, "ref": ""}, follow=True).status_code == 200
    run = GradingRun.objects.get(submission=Submission.objects.get(student=alice))
    wait_for(
        lambda: GradingRun.objects.get(pk=run.pk).status in ("done", "error"),
        timeout=300,
        what="the project to be graded",
    )
    run.refresh_from_db()

    assert (run.status, run.grade_status) == ("done", "graded"), run.error or run.message
    score = run.scores.get(criterion__key="testes")
    assert score.points == Decimal(5), score.justification
    assert "2 pacotes instalados de requirements.txt (UTF-16)" in score.justification
    status = client.get(reverse("classroom:status", args=["mle", "projeto-final", 1]))
    text = status.content.decode()
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(text)
    assert "Nota: 5 de 5" in text
    assert "a versão mais próxima disponível na correção" in text

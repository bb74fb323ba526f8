"""Fixtures of the attempt tests (submissions, classroom, assessments): an assignment built from
the test-suite's nbgrader source, uploads made from it, and a throw-away MEDIA_ROOT to count
stored files in. Each of those test folders' conftest.py imports the fixtures.

``release_bytes`` is a stand-in for nbgrader's release made without Docker (solution and
hidden-test regions cut out); the real one is checked in ``test_assignment_create`` (docker).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import nbformat
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portal.assessments.models import Assignment
from portal.courses.models import Enrollment
from portal.grading.models import CriterionScore, GradingRun
from portal.grading.services import submission_status_refresh
from portal.submissions.models import Submission
from tests.autograder import notebooks
from tests.autograder.git_server import git_server  # noqa: F401 - a local git HTTP server
from tests.factories import AssignmentFactory, CriterionFactory, EnrollmentFactory, UserFactory

HIDDEN_MARKER = "BEGIN HIDDEN TESTS"
GRADE_IDS = ["teste_normaliza", "teste_conta_palavras", "resposta_escala"]


def _dumps(nb) -> bytes:
    return json.dumps(nb, ensure_ascii=False, indent=1).encode("utf-8")


def source_bytes() -> bytes:
    return _dumps(notebooks.source_notebook())


def release_bytes() -> bytes:
    release = notebooks.source_notebook()
    for cell in release.cells:
        cell.source = re.sub(
            r"### BEGIN (SOLUTION|HIDDEN TESTS).*?### END \1\n?", "", cell.source, flags=re.S
        )
    return _dumps(release)


def answer_bytes() -> bytes:
    """A student's notebook: the release with correct answers."""
    return _dumps(notebooks.correct(json.loads(release_bytes(), object_hook=nbformat.from_dict)))


def upload(data: bytes | None = None, name: str = "aquecimento.ipynb") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, answer_bytes() if data is None else data, content_type="application/x-ipynb+json"
    )


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return settings.MEDIA_ROOT


def stored_files(media: Path, folder: str = "submissions") -> list[Path]:
    return [p for p in (media / folder).rglob("*") if p.is_file()]


def post_upload(client, user, assignment: Assignment, data: bytes, name: str = "aquecimento.ipynb"):
    """``user`` uploads ``data`` on the assignment page, as the browser does."""
    client.force_login(user)
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])
    return client.post(url, {"file": upload(data, name)})


def assert_refused(response, message_id: str, text: str, media: Path) -> None:
    """The upload page says why (``message_id``, ``text``), and nothing was stored."""
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-message-id="{message_id}"' in page
    assert text in page
    assert Submission.objects.count() == 0
    assert GradingRun.objects.count() == 0
    assert stored_files(media) == []


@pytest.fixture
def assignment(course, media) -> Assignment:
    assignment = AssignmentFactory(
        course=course,
        slug="aquecimento",
        title="Semana 2 — Notebook de aquecimento",
        source_notebook="",
        grade_ids=GRADE_IDS,
        due_at=timezone.now() + dt.timedelta(days=3),
    )
    assignment.source_notebook.save(
        "aquecimento-fonte.ipynb", ContentFile(source_bytes()), save=False
    )
    assignment.release_notebook.save("aquecimento.ipynb", ContentFile(release_bytes()), save=False)
    assignment.save()
    return assignment


@pytest.fixture
def dora(course):
    """Another student of the course (alice must never see her work)."""
    user = UserFactory(username="dora", full_name="Dora Discente")
    EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
    return user


def graded(
    submission: Submission,
    *,
    feedback: str = "<p>notebook corrigido</p>",
    notebook: dict | None = None,
    staff_notebook: dict | None = None,
    cell_results: list | None = None,
    tampered: list | None = None,
) -> GradingRun:
    """Mark ``submission`` graded with a finished run and one score per criterion.

    With ``notebook`` the run has a graded notebook, as runs have now; without it, nbgrader's
    HTML ``feedback``, as runs graded before had."""
    now = timezone.now()
    run = GradingRun.objects.create(
        submission=submission,
        number=submission.runs.count() + 1,
        status=GradingRun.Status.DONE,
        queued_at=now,
        started_at=now,
        finished_at=now,
        total=2,
        max_total=6,
        feedback_html="" if notebook else feedback,
        feedback_notebook=notebook,
        staff_feedback_notebook=staff_notebook,
        cell_results=cell_results or [],
        tampered=tampered or [],
    )
    criterion = CriterionFactory(
        assignment=submission.assignment,
        key="teste_normaliza",
        title="Teste normaliza",
        max_points=2,
    )
    CriterionScore.objects.create(
        run=run,
        criterion=criterion,
        points=2,
        max_points=2,
        justification="o teste `teste_normaliza` passou (2 de 2)",
    )
    submission_status_refresh(submission.pk)
    submission.refresh_from_db()
    return run

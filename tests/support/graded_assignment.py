"""Fixtures of the grading tests (grading, review, gradebook, ranking, reports): the sample
nbgrader assignment (tests/autograder/notebooks.py) stored the way the portal stores it, with
one criterion per grade cell. Each of those test folders' conftest.py imports the fixtures."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from portal.assessments.models import Assignment, Criterion
from portal.submissions.models import Submission
from tests.autograder import notebooks as nb
from tests.autograder.conftest import docker_client, grader_image  # noqa: F401 - fixtures
from tests.factories import AssignmentFactory, CriterionFactory, SubmissionFactory


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def sample_assignment(course) -> Assignment:
    """The test suite's nbgrader sample as an assignment of ``course`` (source in storage)."""
    source = json.dumps(nb.source_notebook()).encode()
    name = default_storage.save("assignments/source/fonte.ipynb", ContentFile(source))
    assignment = AssignmentFactory(
        course=course,
        slug="semana-1",
        source_notebook=name,
        source_sha256=hashlib.sha256(source).hexdigest(),
        grade_ids=list(nb.POINTS),
        wall_timeout_seconds=120,
        cell_timeout_seconds=30,
    )
    for order, (grade_id, points) in enumerate(nb.POINTS.items()):
        CriterionFactory(
            assignment=assignment,
            key=grade_id,
            title=grade_id,
            max_points=Decimal(str(points)),
            grade_ids=[grade_id],
            manual=grade_id == "resposta_escala",
            order=order,
        )
    return assignment


@pytest.fixture
def assignment(course, media_root) -> Assignment:
    return sample_assignment(course)


@pytest.fixture
def criteria(assignment) -> list[Criterion]:
    return list(assignment.criteria.order_by("order"))


def stored_submission(assignment: Assignment, student, notebook: dict, **fields) -> Submission:
    """A Submission row whose file holds ``notebook`` (no run yet)."""
    data = json.dumps(notebook).encode()
    name = default_storage.save("submissions/entrega.ipynb", ContentFile(data))
    fields.setdefault("sha256", hashlib.sha256(data).hexdigest())
    return SubmissionFactory(
        assignment=assignment, student=student, file=name, size_bytes=len(data), **fields
    )

"""The final-project assignment the worker tests of projects submit to: the course rubric,
or some of its criteria (their git server is ``served``, in ``conftest.py``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.utils import timezone

from portal.assessments.content import read_rubric
from portal.assessments.models import Assignment
from portal.assessments.services import criteria_sync
from tests.factories import AssignmentFactory

RUBRIC = Path(__file__).resolve().parents[2] / "course_content" / "final_project" / "rubric.yaml"


def project_assignment(
    course, *, keys: tuple[str, ...] = (), memory_mb: int = 2048, wall_timeout_seconds: int = 600
) -> Assignment:
    """The open final-project assignment ``projeto-final`` of ``course``, with the rubric's
    criteria (only ``keys`` when given)."""
    assignment = AssignmentFactory(
        course=course,
        slug="projeto-final",
        title="Projeto final",
        kind=Assignment.Kind.PROJECT,
        source_notebook="",
        due_at=timezone.now() + dt.timedelta(days=3),
        memory_mb=memory_mb,
        wall_timeout_seconds=wall_timeout_seconds,
    )
    criteria = [c for c in read_rubric(RUBRIC) if not keys or c.key in keys]
    criteria_sync(assignment, criteria)
    return assignment

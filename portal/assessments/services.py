"""Writes for assessments: an assignment from an nbgrader source and its rubric.

Commands (``sync_course``, ``assignment_create``) call these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from autograder import validate as nbvalidate
from portal.assessments import content
from portal.assessments.content import CriterionSpec
from portal.assessments.models import Assignment, Criterion
from portal.courses.models import Course, Week

LIMIT_FIELDS = frozenset(
    {
        "hard_deadline_at",
        "late_grace_minutes",
        "late_penalty_percent_per_day",
        "late_penalty_max_percent",
        "release_mode",
        "memory_mb",
        "cpus",
        "cell_timeout_seconds",
        "wall_timeout_seconds",
        "max_upload_bytes",
        "min_seconds_between_attempts",
        "kind",
        "finalist_bonus",
        "holdout",
        "order",
    }
)


class AssignmentSourceError(ValueError):
    """The source notebook cannot be used; ``problems`` are pt-BR lines for the instructor."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_source(source_path: Path) -> tuple[bytes, dict[str, Any]]:
    try:
        data = nbvalidate.read_bytes(source_path)
        notebook = nbvalidate.parse_notebook(data)
    except nbvalidate.NotebookError as exc:
        raise AssignmentSourceError([str(exc)]) from exc
    problems = nbvalidate.errors(nbvalidate.validate_source(notebook))
    if problems:
        raise AssignmentSourceError([str(problem) for problem in problems])
    return data, notebook


def grading_available() -> str | None:
    """None when Docker answers and has the grading image; otherwise why not."""
    try:
        import docker

        client = docker.from_env()
        client.images.get(settings.AUTOGRADER_IMAGE)
    except Exception as exc:  # any failure means "not available": callers print a note
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


def build_release(source_path: Path) -> bytes:
    """The student version, made by nbgrader in the grading image (needs Docker)."""
    from autograder.notebooks import write_release  # imports docker; only needed here

    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "release.ipynb"
        write_release(source_path, output, image=settings.AUTOGRADER_IMAGE)
        return output.read_bytes()


def assignment_create(
    *,
    course: Course,
    slug: str,
    title: str,
    source_path: Path,
    due_at: dt.datetime,
    week: Week | None = None,
    release_builder: Callable[[Path], bytes] | None = build_release,
    criteria: list[CriterionSpec] | None = None,
    **limits: Any,
) -> tuple[Assignment, bool]:
    """Create or update the assignment ``slug`` of ``course`` from an nbgrader source.

    Idempotent: running it again with the same source changes nothing but the given fields;
    a changed source replaces the release notebook and the grade ids. The criteria are
    ``criteria`` when given (course.yaml), else one per grade cell of a changed source.
    ``release_builder=None`` leaves the release to :func:`release_build` (the assignment is
    saved at once and its page says the notebook is not available yet). Returns the
    assignment and whether its release was (or is still to be) made: a new or changed
    source, or a release still missing.
    """
    unknown = set(limits) - LIMIT_FIELDS
    if unknown:
        raise TypeError(f"unknown assignment fields: {', '.join(sorted(unknown))}")
    data, notebook = read_source(Path(source_path))
    sha256 = hashlib.sha256(data).hexdigest()
    existing = Assignment.objects.filter(course=course, slug=slug).first()
    source_changed = existing is None or existing.source_sha256 != sha256
    needs_release = source_changed or not existing.release_notebook
    # Docker work happens outside the transaction: it takes seconds.
    release = release_builder(Path(source_path)) if needs_release and release_builder else None
    with transaction.atomic():
        assignment, _created = Assignment.objects.select_for_update().update_or_create(
            course=course,
            slug=slug,
            defaults={"title": title, "due_at": due_at, "week": week, **limits},
        )
        if source_changed:
            # Unique names per version: an old release stays valid for whoever is downloading.
            assignment.source_notebook.save(
                f"{course.slug}-{slug}-{sha256[:12]}.ipynb", ContentFile(data), save=False
            )
            cells = content.grade_cells(notebook)
            assignment.source_sha256 = sha256
            assignment.grade_ids = list(cells)
            # The old release belongs to the old source: none until the new one is made.
            assignment.release_notebook, assignment.release_sha256 = "", ""
            assignment.save(
                update_fields=[
                    "source_notebook",
                    "source_sha256",
                    "grade_ids",
                    "release_notebook",
                    "release_sha256",
                ]
            )
            if criteria is None:
                criteria = content.criteria_per_cell(cells)
        if release is not None:
            _release_save(assignment, release)
        if criteria is not None:
            criteria_sync(assignment, criteria)
    return assignment, needs_release


def _release_save(assignment: Assignment, release: bytes) -> None:
    release_sha = hashlib.sha256(release).hexdigest()
    assignment.release_notebook.save(
        f"{assignment.course.slug}-{assignment.slug}-{release_sha[:12]}.ipynb",
        ContentFile(release),
        save=False,
    )
    assignment.release_sha256 = release_sha
    assignment.save(update_fields=["release_notebook", "release_sha256"])


def release_store(*, assignment: Assignment, source_sha256: str, release: bytes) -> bool:
    """Save ``release``, made from the source whose sha256 is ``source_sha256``, as the
    missing release of ``assignment``.

    Returns False, changing nothing, when it is no longer wanted: a release exists, or the
    source was replaced while this one was being made (the new source gets its own).
    """
    with transaction.atomic():
        current = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if current.release_notebook or current.source_sha256 != source_sha256:
            return False
        _release_save(current, release)
    return True


def criteria_sync(assignment: Assignment, criteria: list[CriterionSpec]) -> int:
    """Make the assignment's rubric ``criteria``; returns how many rows changed.

    Criteria that disappeared are removed unless already scored (scores are history).
    """
    changed = 0
    for order, spec in enumerate(criteria):
        values = {
            "title": spec.title,
            "max_points": spec.max_points,
            "grade_ids": list(spec.grade_ids),
            "manual": spec.manual,
            "order": order,
            "description": spec.description,
            "levels": list(spec.levels),
            "check_name": spec.check,
            "check_params": dict(spec.check_params),
        }
        criterion = Criterion.objects.filter(assignment=assignment, key=spec.key).first()
        if criterion is None:
            Criterion.objects.create(assignment=assignment, key=spec.key, **values)
            changed += 1
            continue
        different = [name for name, value in values.items() if getattr(criterion, name) != value]
        if different:
            for name in different:
                setattr(criterion, name, values[name])
            criterion.save(update_fields=different)
            changed += 1
    removed, _ = (
        Criterion.objects.filter(assignment=assignment, scores__isnull=True)
        .exclude(key__in=[spec.key for spec in criteria])
        .delete()
    )
    return changed + removed

"""Apply the assignments of ``course.yaml`` (``assessments.content``) to the database.

Runs after the course itself is synchronised. A notebook's release version is built in the
grading image only when its source changed or its release is missing
(``services.assignment_create``), so a second sync without changes does no Docker work and
reports nothing. Data files are stored
content-addressed; the held-out files go to the same storage but are never served (the
download views serve ``AssignmentFile.Role.DATA`` only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from portal.assessments.content import AssignmentSpec
from portal.assessments.models import Assignment, AssignmentFile
from portal.assessments.services import (
    LIMIT_FIELDS,
    assignment_create,
    build_release,
    criteria_sync,
)
from portal.courses.models import Course
from portal.courses.sync import SyncReport


def assignments_sync(
    *,
    course: Course,
    specs: list[AssignmentSpec],
    report: SyncReport,
    release_builder: Callable[[Path], bytes] | None = build_release,
    notebooks: bool = True,
) -> None:
    """Create or update every assignment of ``specs``. ``notebooks=False`` skips the notebook
    assignments (their release needs Docker); the final project never needs it.
    ``release_builder=None`` saves the notebook assignments without making their releases
    (``releases.releases_build`` makes them, several at a time)."""
    weeks = {week.number: week for week in course.weeks.all()}
    for spec in specs:
        week = weeks.get(spec.week) if spec.week else None
        fields = {
            "kind": spec.kind,
            "hard_deadline_at": spec.hard_deadline_at,
            "release_mode": spec.release_mode,
            "finalist_bonus": spec.finalist_bonus,
            "order": spec.order,
            **spec.late,
            **spec.limits,
        }
        if spec.kind == Assignment.Kind.PROJECT:
            fields["min_seconds_between_attempts"] = spec.min_seconds_between_attempts
            _project_sync(course, spec, week, fields, report)
            continue
        if not notebooks:
            continue
        before = Assignment.objects.filter(course=course, slug=spec.slug).first()
        rubric_before = _rubric(before)
        fields.update(
            min_seconds_between_attempts=spec.min_seconds_between_attempts,
            holdout=spec.holdout.as_json() if spec.holdout else {},
        )
        assignment, release_needed = assignment_create(
            course=course,
            slug=spec.slug,
            title=spec.title,
            source_path=spec.notebook,
            due_at=spec.due_at,
            week=week,
            release_builder=release_builder,
            criteria=list(spec.criteria),
            **fields,
        )
        files_changed = _files_sync(assignment, spec)
        label = f"assignment {spec.slug}"
        # The releases say themselves when they are made (sync_course, runportal).
        if before is None:
            report.add(f"created {label} ({len(spec.criteria)} criteria)")
        elif before.source_sha256 != assignment.source_sha256:
            report.add(f"updated {label}: new source")
        elif release_needed:
            report.add(f"updated {label}: its release is missing")
        elif _differs(before, assignment) or _rubric(assignment) != rubric_before:
            report.add(f"updated {label}: settings or rubric")
        if files_changed and before is not None:
            report.add(f"updated {label}: {files_changed} data file(s)")


# What a sync may change on an assignment: its title, dates and week, and every field
# ``assignment_create`` takes (but the kind, which never changes).
_COMPARED = ("title", "due_at", "week_id", *sorted(LIMIT_FIELDS - {"kind"}))


def _differs(before: Assignment, after: Assignment) -> bool:
    after.refresh_from_db()
    return any(getattr(before, name) != getattr(after, name) for name in _COMPARED)


def _rubric(assignment: Assignment | None) -> list[tuple]:
    if assignment is None:
        return []
    return list(
        assignment.criteria.order_by("order").values_list(
            "key", "title", "max_points", "grade_ids", "manual", "description"
        )
    )


@transaction.atomic
def _project_sync(
    course: Course, spec: AssignmentSpec, week, fields: dict, report: SyncReport
) -> None:
    before = Assignment.objects.filter(course=course, slug=spec.slug).first()
    assignment, created = Assignment.objects.update_or_create(
        course=course,
        slug=spec.slug,
        defaults={"title": spec.title, "due_at": spec.due_at, "week": week, **fields},
    )
    changed = criteria_sync(assignment, list(spec.criteria))
    if created:
        report.add(
            f"created assignment {spec.slug} (final project, "
            f"{len(spec.criteria)} criteria, {spec.max_points} points)"
        )
    elif changed or _differs(before, assignment):
        report.add(f"updated assignment {spec.slug}: rubric or settings")


@transaction.atomic
def _files_sync(assignment: Assignment, spec: AssignmentSpec) -> int:
    """The DATA and held-out files of ``spec``; returns how many rows changed."""
    wanted: dict[tuple[str, str], Path] = {
        (AssignmentFile.Role.DATA, path.name): path for path in spec.data
    }
    if spec.holdout is not None:
        wanted[(AssignmentFile.Role.HOLDOUT_FEATURES, spec.holdout.spec.features.name)] = (
            spec.holdout.spec.features
        )
        wanted[(AssignmentFile.Role.HOLDOUT_LABELS, spec.holdout.spec.labels.name)] = (
            spec.holdout.spec.labels
        )
    existing = {(f.role, f.name): f for f in assignment.files.all()}
    changed = 0
    for (role, name), path in wanted.items():
        data = path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        row = existing.pop((role, name), None)
        if row is not None and row.sha256 == sha256:
            continue
        storage_name = f"assignments/files/{sha256[:2]}/{sha256}/{name}"
        if not default_storage.exists(storage_name):
            storage_name = default_storage.save(storage_name, ContentFile(data))
        if row is None:
            row = AssignmentFile(assignment=assignment, role=role, name=name)
        row.file.name, row.sha256, row.size_bytes = storage_name, sha256, len(data)
        row.save()
        changed += 1
    for row in existing.values():
        row.delete()
        changed += 1
    return changed

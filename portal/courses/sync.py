"""Apply a validated ``CourseSpec`` to the database, changing only what differs.

One transaction: either every change of a sync lands or none does. The report
lists each change so that a second run can say "nothing changed".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction

from portal.courses.content import CourseSpec, MaterialSpec, WeekSpec
from portal.courses.models import ClassSession, Course, CoursePage, Material, Week


@dataclass
class SyncReport:
    course_slug: str
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def add(self, message: str) -> None:
        self.changes.append(message)


def _apply(instance: models.Model, values: dict) -> list[str]:
    """Set the fields that differ; return their names (empty when nothing changed)."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    return changed


def upsert(report: SyncReport, label: str, instance: models.Model, values: dict) -> None:
    if instance.pk is None:
        _apply(instance, values)
        instance.save()
        report.add(f"created {label}")
        return
    changed = _apply(instance, values)
    if changed:
        instance.save(update_fields=changed)
        report.add(f"updated {label}: {', '.join(changed)}")


@transaction.atomic
def course_sync(*, spec: CourseSpec) -> SyncReport:
    report = SyncReport(course_slug=spec.slug)
    course = Course.objects.select_for_update().filter(slug=spec.slug).first() or Course(
        slug=spec.slug
    )
    upsert(
        report,
        f"course {spec.slug}",
        course,
        {
            "title": spec.title,
            "summary": spec.summary,
            "timezone": spec.timezone,
            "start_date": spec.start_date,
            "teams_channel_url": spec.teams_channel_url,
            "attendance_present_percent": spec.attendance_present_percent,
            "certificate_min_attendance_percent": spec.certificate.min_attendance_percent,
            "certificate_min_grade_percent": spec.certificate.min_grade_percent,
            "certificate_hours": spec.certificate.hours,
        },
    )
    _sync_pages(report, course, spec)
    existing = {week.number: week for week in course.weeks.all()}
    for week_spec in spec.weeks:
        _sync_week(report, course, existing.pop(week_spec.number, None), week_spec)
    for number, week in sorted(existing.items()):
        week.delete()
        report.add(f"deleted week {number}")
    return report


def _sync_pages(report: SyncReport, course: Course, spec: CourseSpec) -> None:
    existing = {page.slug: page for page in course.pages.all()}
    for page_spec in spec.pages:
        page = existing.pop(page_spec.slug, None) or CoursePage(course=course, slug=page_spec.slug)
        upsert(
            report,
            f"page {page_spec.slug}",
            page,
            {
                "title": page_spec.title,
                "body_md": page_spec.body_md,
                "order": page_spec.order,
            },
        )
    for slug, page in existing.items():
        page.delete()
        report.add(f"deleted page {slug}")


def _sync_week(report: SyncReport, course: Course, week: Week | None, spec: WeekSpec) -> None:
    label = f"week {spec.number}"
    values = {
        "slug": spec.slug,
        "title": spec.title,
        "summary": spec.summary,
        "theory_md": spec.theory_md,
        "practice_md": spec.practice_md,
    }
    if week is None:
        week = Week(course=course, number=spec.number)
        values |= {"publish_at": spec.publish_at, "source_publish_at": spec.publish_at}
    elif week.source_publish_at != spec.publish_at:
        # The file's date changed: it wins over whatever the portal set since.
        values |= {"publish_at": spec.publish_at, "source_publish_at": spec.publish_at}
    # Otherwise publish_at belongs to the portal (instructors publish/unpublish there).
    upsert(report, label, week, values)
    _sync_sessions(report, week, spec, label)
    _sync_materials(report, week, spec, label)


def _sync_sessions(report: SyncReport, week: Week, spec: WeekSpec, label: str) -> None:
    existing = {
        kind: list(week.sessions.filter(kind=kind).order_by("starts_at", "pk"))
        for kind in ClassSession.Kind.values
    }
    for kind, sessions in existing.items():
        wanted = [s for s in spec.sessions if s.kind == kind]
        for index, session_spec in enumerate(wanted):
            session = (
                sessions[index] if index < len(sessions) else ClassSession(week=week, kind=kind)
            )
            fields = {
                "starts_at": session_spec.starts_at,
                "title": session_spec.title,
                "duration_minutes": session_spec.duration_minutes,
            }
            # A link set on the instructors' page stays until course.yaml names one itself.
            if session_spec.teams_url or session.pk is None:
                fields["teams_url"] = session_spec.teams_url
            upsert(report, f"{label} {kind} session {index + 1}", session, fields)
        for index, session in enumerate(sessions[len(wanted) :], start=len(wanted)):
            session.delete()
            report.add(f"deleted {label} {kind} session {index + 1}")


def _sync_materials(report: SyncReport, week: Week, spec: WeekSpec, label: str) -> None:
    existing = list(week.materials.order_by("order", "pk"))
    for index, material_spec in enumerate(spec.materials):
        material = existing[index] if index < len(existing) else Material(week=week)
        values = {
            "title": material_spec.title,
            "kind": material_spec.kind,
            "url": material_spec.url,
            "description": material_spec.description,
            "order": material_spec.order,
            "sha256": material_spec.sha256,
        }
        if material_spec.file_path and material.sha256 != material_spec.sha256:
            values["file"] = _store_material_file(material_spec)
        elif not material_spec.file_path:
            values["file"] = ""
        upsert(report, f"{label} material '{material_spec.title}'", material, values)
    for material in existing[len(spec.materials) :]:
        material.delete()
        report.add(f"deleted {label} material '{material.title}'")


def _store_material_file(spec: MaterialSpec) -> str:
    """Content-addressed: the same bytes are stored once, and a name never changes meaning."""
    assert spec.file_path is not None
    name = f"materials/{spec.sha256[:16]}/{PurePosixPath(spec.file_path.name)}"
    if not default_storage.exists(name):
        # Storage may write outside the transaction; an orphan file after a rollback is
        # harmless because the name is derived from the content.
        default_storage.save(name, ContentFile(spec.file_path.read_bytes()))
    return name

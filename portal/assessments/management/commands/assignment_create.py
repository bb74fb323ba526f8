"""Create or update a notebook assignment from an nbgrader source notebook.

    manage.py assignment_create mle semana-2-aquecimento \\
        --title "Semana 2 — Notebook de aquecimento" --source path/to/source.ipynb \\
        --due 2026-03-20T23:59 --week 2

Needs Docker and the grading image (the release notebook is made by nbgrader in it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from portal.assessments.services import AssignmentSourceError, assignment_create
from portal.courses.models import Course, Week


def _when(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise CommandError(f"--{name}: not an ISO date-time: {value!r}")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


class Command(BaseCommand):
    help = "Create or update a notebook assignment from an nbgrader source (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", help="course slug")
        parser.add_argument("slug", help="assignment slug (unique in the course)")
        parser.add_argument("--title", required=True)
        parser.add_argument(
            "--source", required=True, type=Path, help="the instructor's nbgrader source notebook"
        )
        parser.add_argument("--due", required=True, help="due date-time, ISO (local time)")
        parser.add_argument("--week", type=int, help="week number")
        parser.add_argument("--hard-deadline", help="no uploads after this, ISO date-time")
        parser.add_argument("--grace-minutes", type=int)
        parser.add_argument("--penalty-per-day", type=int)
        parser.add_argument("--min-seconds-between-attempts", type=int)
        parser.add_argument("--max-upload-bytes", type=int)
        parser.add_argument("--release-mode", choices=["auto", "manual"])

    def handle(
        self,
        *args,
        course: str,
        slug: str,
        title: str,
        source: Path,
        due: str,
        week: int | None,
        **options,
    ) -> None:
        target = Course.objects.filter(slug=course).first()
        if target is None:
            raise CommandError(f"no course {course!r}")
        week_obj = None
        if week is not None:
            week_obj = Week.objects.filter(course=target, number=week).first()
            if week_obj is None:
                raise CommandError(f"course {course!r} has no week {week}")
        limits = {
            "hard_deadline_at": _when(options["hard_deadline"], "hard-deadline"),
            "late_grace_minutes": options["grace_minutes"],
            "late_penalty_percent_per_day": options["penalty_per_day"],
            "min_seconds_between_attempts": options["min_seconds_between_attempts"],
            "max_upload_bytes": options["max_upload_bytes"],
            "release_mode": options["release_mode"],
        }
        try:
            assignment, changed = assignment_create(
                course=target,
                slug=slug,
                title=title,
                source_path=source,
                due_at=_when(due, "due"),
                week=week_obj,
                **{key: value for key, value in limits.items() if value is not None},
            )
        except AssignmentSourceError as exc:
            raise CommandError(
                "the source notebook cannot be used:\n  " + "\n  ".join(exc.problems)
            ) from exc
        verb = "created/updated (new source)" if changed else "updated (same source)"
        self.stdout.write(
            self.style.SUCCESS(
                f"{assignment.course.slug}/{assignment.slug} {verb}: "
                f"{len(assignment.grade_ids)} grade cells, {assignment.criteria.count()} criteria"
            )
        )

"""python manage.py import_attendance COURSE SESSION_DATE FILE [--kind theory|practice]

The same import as the session's page (a Teams attendance report, all or nothing), for the
class session of COURSE on SESSION_DATE (YYYY-MM-DD, the course's time zone)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.attendance import services
from portal.attendance.messages import AttendanceError
from portal.courses.models import ClassSession, Course


class Command(BaseCommand):
    help = "Import a Teams attendance report into one class session."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", help="the course's slug")
        parser.add_argument("session_date", help="the session's date, YYYY-MM-DD")
        parser.add_argument("file", type=Path, help="the attendance report downloaded from Teams")
        parser.add_argument("--kind", choices=ClassSession.Kind.values, help="when the day has two")

    def handle(self, *args: Any, **options: Any) -> None:
        course = Course.objects.filter(slug=options["course"]).first()
        if course is None:
            raise CommandError(f"no course {options['course']!r}")
        try:
            day = dt.date.fromisoformat(options["session_date"])
        except ValueError:
            raise CommandError(f"{options['session_date']!r} is not a date (YYYY-MM-DD)") from None
        tz = zoneinfo.ZoneInfo(course.timezone)
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        sessions = ClassSession.objects.filter(
            week__course=course, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1)
        ).select_related("week__course")
        if options["kind"]:
            sessions = sessions.filter(kind=options["kind"])
        found = list(sessions)
        try:
            if not found:
                raise AttendanceError("attendance.unknown_session", course=course.slug, date=day)
            if len(found) > 1:
                raise AttendanceError(
                    "attendance.ambiguous_session", course=course.slug, date=day, n=len(found)
                )
            data = options["file"].read_bytes()
            record = services.attendance_import(session=found[0], data=data, by=None)
        except AttendanceError as error:
            raise CommandError(error.message) from None
        except OSError as error:
            raise CommandError(f"{options['file']}: {error.strerror}") from None
        present = found[0].attendance.filter(present=True).count()
        total = found[0].attendance.count()
        self.stdout.write(
            f"{course.slug} {found[0].starts_at.astimezone(tz):%Y-%m-%d %H:%M} "
            f"({found[0].kind}): {present} of {total} students present; "
            f"{len(record.unmatched)} people not in the course"
        )

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.courses.content import ContentError, load_course
from portal.courses.sync import course_sync


class Command(BaseCommand):
    help = "Load course_content/ (course.yaml + weekly Markdown) into the database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", default=str(settings.COURSE_CONTENT_DIR),
                            help="folder that holds course.yaml (default: COURSE_CONTENT_DIR)")

    def handle(self, *args, path: str, **options) -> None:
        try:
            spec = load_course(Path(path))
        except ContentError as exc:
            raise CommandError(f"{exc}\nNothing was changed.") from None
        report = course_sync(spec=spec)
        if not report.changed:
            self.stdout.write(f"Course '{report.course_slug}' is up to date: nothing changed.")
            return
        for change in report.changes:
            self.stdout.write(f"  {change}")
        self.stdout.write(self.style.SUCCESS(
            f"Course '{report.course_slug}' synchronised: {len(report.changes)} change(s)."
        ))

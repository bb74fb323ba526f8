from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from autograder.errors import InfrastructureError
from autograder.notebooks import SourceNotebookError
from portal.assessments.content import load_course_content
from portal.assessments.services import AssignmentSourceError, build_release, grading_available
from portal.assessments.sync import assignments_sync
from portal.courses.content import ContentError
from portal.courses.models import Course
from portal.courses.sync import course_sync
from portal.surveys.sync import survey_sync


class Command(BaseCommand):
    help = (
        "Load course_content/ (course.yaml, weekly Markdown, assignments and the final "
        "project rubric) into the database. Notebook releases are built in the grading "
        "image, so notebook assignments need Docker."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "path",
            nargs="?",
            default=str(settings.COURSE_CONTENT_DIR),
            help="folder that holds course.yaml (default: COURSE_CONTENT_DIR)",
        )
        parser.add_argument(
            "--skip-notebooks",
            action="store_true",
            help="do not create or update notebook assignments (no Docker)",
        )

    def handle(self, *args, path: str, skip_notebooks: bool, **options) -> None:
        try:
            content = load_course_content(Path(path))
        except ContentError as exc:
            raise CommandError(f"{exc}\nNothing was changed.") from None
        spec = content.course
        report = course_sync(spec=spec)
        survey_sync(course=Course.objects.get(slug=spec.slug), spec=content.survey, report=report)
        notebooks = not skip_notebooks and any(a.kind == "notebook" for a in content.assignments)
        if notebooks and (missing := grading_available()):
            self.stdout.write(
                self.style.WARNING(
                    f"  notebook assignments not synchronised: Docker or the grading image "
                    f"{settings.AUTOGRADER_IMAGE} is not available ({missing}). Run "
                    "`make sandbox-image` and sync again."
                )
            )
            notebooks = False
        try:
            assignments_sync(
                course=Course.objects.get(slug=spec.slug),
                specs=content.assignments,
                report=report,
                release_builder=self._build_release,
                notebooks=notebooks,
            )
        except AssignmentSourceError as exc:
            raise CommandError(f"unusable notebook source:\n{exc}") from None
        except (SourceNotebookError, InfrastructureError) as exc:
            raise CommandError(f"could not build a release notebook: {exc}") from None
        if not report.changed:
            self.stdout.write(f"Course '{report.course_slug}' is up to date: nothing changed.")
            return
        for change in report.changes:
            self.stdout.write(f"  {change}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Course '{report.course_slug}' synchronised: {len(report.changes)} change(s)."
            )
        )

    def _build_release(self, source: Path) -> bytes:
        """build_release, said out loud: it runs a container for each changed notebook, which
        is the slow part of a first `make run`."""
        self.stdout.write(
            f"  notebook {source.stem}: building the student version with nbgrader in the "
            "grading image (~10 s)..."
        )
        self.stdout.flush()  # said before the container starts, also when piped
        started = time.monotonic()
        release = build_release(source)
        self.stdout.write(f"  notebook {source.stem}: done in {time.monotonic() - started:.0f} s")
        return release

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from autograder.errors import InfrastructureError
from autograder.notebooks import SourceNotebookError
from portal.assessments.content import load_course_content
from portal.assessments.models import Assignment
from portal.assessments.releases import PARALLEL_BUILDS, Built, releases_build
from portal.assessments.selectors import releases_pending
from portal.assessments.services import AssignmentSourceError, grading_available
from portal.assessments.sync import assignments_sync
from portal.courses.content import ContentError
from portal.courses.models import Course
from portal.courses.sync import course_sync
from portal.surveys.sync import survey_sync


class Command(BaseCommand):
    help = (
        "Load course_content/ (course.yaml, weekly Markdown, assignments and the final "
        "project rubric) into the database. Notebook releases are built in the grading "
        "image, several at a time, so notebook assignments need Docker."
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
        parser.add_argument(
            "--defer-releases",
            action="store_true",
            help="save notebook assignments without making their releases (runportal makes "
            "them in the background; their pages say the notebook is not available yet)",
        )

    def handle(
        self, *args, path: str, skip_notebooks: bool, defer_releases: bool, **options
    ) -> None:
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
                release_builder=None,  # made below, several at a time
                notebooks=notebooks,
            )
        except AssignmentSourceError as exc:
            raise CommandError(f"unusable notebook source:\n{exc}") from None
        if notebooks and not defer_releases:
            self._build_releases(Course.objects.get(slug=spec.slug))
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

    def _build_releases(self, course: Course) -> None:
        """The missing releases, said out loud: each runs a container, which is the slow part
        of a first sync."""
        lock = threading.Lock()  # builds start in their own threads

        def starting(assignment: Assignment) -> None:
            with lock:
                self.stdout.write(
                    f"  notebook {assignment.slug}: building the student version with nbgrader "
                    "in the grading image (~5 s)..."
                )
                self.stdout.flush()  # said before the container starts, also when piped

        def done(built: Built, count: int, total: int) -> None:
            if built.error is None:
                with lock:
                    self.stdout.write(
                        f"  notebook {built.assignment.slug}: done in {built.seconds:.0f} s "
                        f"({count}/{total})"
                    )

        results = releases_build(
            list(releases_pending(course)),
            parallel=PARALLEL_BUILDS,
            on_start=starting,
            on_done=done,
        )
        failed = [built for built in results if built.error is not None]
        if failed:
            lines = "\n".join(f"  {b.assignment.slug}: {_reason(b.error)}" for b in failed)
            raise CommandError(
                f"could not build {len(failed)} release notebook(s); their pages say the "
                f"notebook is not available yet and the next sync tries again:\n{lines}"
            )


def _reason(error: Exception | None) -> str:
    if isinstance(error, (SourceNotebookError, InfrastructureError)):
        return str(error)
    return f"{type(error).__name__}: {error}"

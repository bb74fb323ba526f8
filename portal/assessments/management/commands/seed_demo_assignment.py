"""The demo notebook assignment, so that a fresh clone shows a student something to submit.

Needs Docker and the grading image; without them it says so and changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portal.assessments.services import assignment_create, grading_available
from portal.courses.models import Course, Week

SOURCE = settings.BASE_DIR / "course_content" / "notebooks" / "aquecimento" / "aquecimento.ipynb"
SLUG = "semana-2-aquecimento"
TITLE = "Semana 2 — Notebook de aquecimento"


class Command(BaseCommand):
    help = "Create the demo assignment 'Semana 2 — Notebook de aquecimento' (needs Docker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", default="mle")
        parser.add_argument(
            "--defer-release",
            action="store_true",
            help="save the assignment without making its release (runportal makes it in the "
            "background)",
        )

    def handle(self, *args, course: str, defer_release: bool, **options) -> None:
        target = Course.objects.filter(slug=course).first()
        if target is None:
            raise CommandError(f"no course {course!r}: run sync_course first")
        missing = grading_available()
        if missing:
            self.stdout.write(
                self.style.WARNING(
                    f"  no demo assignment: Docker or the grading image "
                    f"{settings.AUTOGRADER_IMAGE} is not available ({missing}). Run "
                    "`make sandbox-image`, then "
                    "`manage.py seed_demo_assignment`."
                )
            )
            return
        # Due in a week from the first run; later runs keep the date already set.
        existing = target.assignments.filter(slug=SLUG).first()
        due_at = existing.due_at if existing else timezone.now() + dt.timedelta(days=7)
        assignment, changed = assignment_create(
            course=target,
            slug=SLUG,
            title=TITLE,
            source_path=SOURCE,
            due_at=due_at,
            week=Week.objects.filter(course=target, number=2).first(),
            late_grace_minutes=15,
            late_penalty_percent_per_day=10,
            min_seconds_between_attempts=30,
            **({"release_builder": None} if defer_release else {}),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"  demo assignment {assignment.slug} {'ready' if changed else 'unchanged'}"
            )
        )

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from portal.accounts.models import User
from portal.courses.models import Course, Enrollment

# username, full name, portal admin, role in the course (None: not enrolled)
DEMO_PEOPLE = [
    ("ana", "Ana Souza", False, Enrollment.Role.STUDENT),
    ("diego", "Diego Lima", False, Enrollment.Role.STUDENT),
    ("fernanda", "Fernanda Alves", False, Enrollment.Role.STUDENT),
    ("bruno", "Bruno Carvalho", False, Enrollment.Role.INSTRUCTOR),
    ("carla", "Carla Mendes", True, None),
]


class Command(BaseCommand):
    help = (
        "Create demo users (ana, diego, fernanda: students; bruno: instructor; carla: admin) "
        "for the dev sign-in, and publish the first weeks if none is published "
        "(`seed_demo_assignment` adds the demo notebook assignment). "
        "Refused unless DEBUG is on."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--course", default="mle", help="course slug (default: mle)")
        parser.add_argument(
            "--publish-weeks",
            type=int,
            default=2,
            help="weeks to publish when none is published yet (default: 2)",
        )

    @transaction.atomic
    def handle(self, *args, course: str, publish_weeks: int, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo only runs with DEBUG=true: demo users do not belong in production."
            )
        target = Course.objects.filter(slug=course).first()
        if target is None:
            raise CommandError(f"Course '{course}' not found: run sync_course first.")
        for username, name, admin, course_role in DEMO_PEOPLE:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "full_name": name,
                    "email": f"{username}@demo.mle.local",
                    "is_portal_admin": admin,
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            if course_role:
                Enrollment.objects.get_or_create(
                    course=target,
                    email=user.email,
                    defaults={"user": user, "full_name": name, "role": course_role},
                )
            what = "admin" if admin else course_role
            self.stdout.write(f"  {'created' if created else 'exists '} {username} ({what})")
        if not target.weeks.filter(publish_at__lte=timezone.now()).exists():
            now = timezone.now()
            count = target.weeks.filter(number__lte=publish_weeks).update(publish_at=now)
            self.stdout.write(f"  published weeks 1-{publish_weeks} ({count}) for the demo")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /accounts/signin/."))

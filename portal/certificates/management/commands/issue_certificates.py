"""python manage.py issue_certificates COURSE

Issue a certificate to every student of COURSE who qualifies and has none yet (the same as
the admins' page), and list who does not qualify and why."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.certificates import services
from portal.certificates.pdf import verification_url
from portal.courses.models import Course


class Command(BaseCommand):
    help = "Issue the certificates of a course to everyone who qualifies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", help="the course's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        course = Course.objects.filter(slug=options["course"]).first()
        if course is None:
            raise CommandError(f"no course {options['course']!r}")
        issued, left = services.certificates_issue(course=course, by=None)
        for certificate in issued:
            self.stdout.write(
                f"issued {certificate.code} {certificate.name}: {verification_url(certificate)}"
            )
        for standing in left:
            self.stdout.write(
                f"not qualified {standing.student.display_name}: {'; '.join(standing.reasons)}"
            )
        self.stdout.write(f"{len(issued)} issued, {len(left)} not qualified")

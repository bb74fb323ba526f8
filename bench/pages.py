"""Time the portal's main pages with the real course loaded.

Usage: ``python bench/pages.py [--requests 200] [--students 300]``

Uses a throwaway SQLite database (or ``DATABASE_URL`` if set, which must be a database
you can wipe), loads ``course_content/``, enrols N students and times server-side rendering
through Django's test client (no network): p50/p95/max per page and queries per request.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-pages-")
    os.environ.setdefault("PORTAL_VAR_DIR", workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("WHITENOISE_USE_FINDERS", "true")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from portal.accounts.models import User
    from portal.courses.models import Course, Enrollment

    call_command("migrate", verbosity=0)
    call_command("sync_course", str(settings.COURSE_CONTENT_DIR), verbosity=0)
    course = Course.objects.get(slug="mle")
    course.weeks.filter(number__lte=4).update(publish_at=timezone.now())
    student = User.objects.create(username="bench-student", email="s@bench.local")
    instructor = User.objects.create(username="bench-teacher", email="t@bench.local")
    Enrollment.objects.create(course=course, user=student, email=student.email)
    Enrollment.objects.create(
        course=course, user=instructor, email=instructor.email, role=Enrollment.Role.INSTRUCTOR
    )
    Enrollment.objects.bulk_create(
        Enrollment(course=course, email=f"aluno{i}@bench.local", full_name=f"Aluno {i}")
        for i in range(args.students)
    )

    pages = [
        ("dashboard (student)", student, "/"),
        ("week 3 page (student)", student, "/cursos/mle/semanas/3/"),
        ("rules page (student)", student, "/cursos/mle/paginas/avaliacao/"),
        (f"management, {args.students} enrolments", instructor, "/cursos/mle/gestao/"),
    ]
    storage = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    print(f"database: {connection.vendor}; {args.requests} requests per page")
    print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    with override_settings(
        DEBUG=True,
        ALLOWED_HOSTS=["testserver"],
        STATIC_ROOT=None,
        STORAGES={**settings.STORAGES, **storage},
    ):
        for label, user, url in pages:
            client = Client()
            client.force_login(user)
            assert client.get(url).status_code == 200, url  # warm-up
            timings = []
            for _ in range(args.requests):
                reset_queries()
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            queries = len(connection.queries)
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(
                f"{label:40} {statistics.median(timings):8.1f} {p95:8.1f} "
                f"{timings[-1]:8.1f} {queries:8d}"
            )


if __name__ == "__main__":
    main()

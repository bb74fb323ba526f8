"""Time the rubric spreadsheet export and the review pages at course scale.

Usage: ``python bench/export.py [--students 1000] [--criteria 10] [--repeat 3]
[--database-url postgres://user:pass@host:5432/portal]``

Seeds one course with N students, one assignment with C criteria and, per student, one graded
attempt with one finished run and C ``CriterionScore`` rows (``bulk_create``), in a scratch
database: a throw-away SQLite file by default, or with ``--database-url`` a PostgreSQL
database named ``<name>_bench`` that the script creates, and drops at the end (the database
named in the URL is only used to connect). ``DATABASE_URL`` from the environment is ignored
on purpose: a benchmark must never seed the real database.

Measures (median of ``--repeat``): the .xlsx export (``spreadsheet.assignment_workbook`` +
saving it), the review queue page (``review:queue``) through Django's test client as
an instructor, and the number of queries of one review page (``review:detail``) and of the
queue. On PostgreSQL the tables are ANALYZEd after seeding, as autovacuum would have done.
Figures only; nothing is asserted. The last line reads
``xlsx export s: X.XX; review queue ms: Y; review page queries: Z; review queue queries: Q``
(the queue's first page, 50 rows: the same count whatever the class size).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@contextmanager
def scratch_postgres(url: str):
    """Create ``<name>_bench`` next to the database of ``url``; yield its URL; drop it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    bench = f"{name}_bench"
    admin = psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True)
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(bench)))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(bench)))
    try:
        yield urlunsplit(parts._replace(path=f"/{bench}"))
    finally:
        from django.db import connections

        connections.close_all()
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(bench)))
        admin.close()


def seed(students: int, criteria: int):
    """The course, an instructor, N students and their graded attempts; returns
    (course, assignment, instructor, a student with open regrade requests)."""
    import datetime as dt

    from django.utils import timezone

    from portal.accounts.models import User
    from portal.assessments.models import Assignment, Criterion
    from portal.courses.models import Course, Enrollment
    from portal.grading.models import CriterionScore, GradingRun
    from portal.review.models import RegradeRequest
    from portal.submissions.models import Submission

    now = timezone.now()
    course = Course.objects.create(
        slug="mle", title="Machine Learning Engineering", start_date=now.date()
    )
    instructor = User.objects.create(
        username="bench-teacher", email="t@bench.local", full_name="Instrutor"
    )
    Enrollment.objects.create(
        course=course, user=instructor, email=instructor.email, role=Enrollment.Role.INSTRUCTOR
    )
    User.objects.bulk_create(
        User(
            username=f"aluno{i:04d}", email=f"aluno{i:04d}@bench.local", full_name=f"Aluno {i:04d}"
        )
        for i in range(students)
    )
    users = list(User.objects.filter(username__startswith="aluno").order_by("username"))
    Enrollment.objects.bulk_create(
        Enrollment(course=course, user=u, email=u.email, full_name=u.full_name) for u in users
    )
    assignment = Assignment.objects.create(
        course=course,
        slug="projeto-final",
        title="Projeto final",
        kind="project",
        due_at=now - dt.timedelta(days=2),
        late_penalty_percent_per_day=10,
    )
    rubric = Criterion.objects.bulk_create(
        Criterion(
            assignment=assignment,
            key=f"criterio-{k:02d}",
            title=f"Critério {k}",
            max_points=Decimal(10),
            manual=k >= criteria - 2,
            order=k,
            description="O que se avalia neste critério.",
            levels=[
                {"points": 10, "description": "completo"},
                {"points": 5, "description": "parcial"},
            ],
        )
        for k in range(criteria)
    )
    rubric = list(assignment.criteria.order_by("order"))
    Submission.objects.bulk_create(
        Submission(
            assignment=assignment,
            student=u,
            attempt=1,
            original_name="repo",
            repo_url="https://github.com/aluno/projeto",
            commit_sha=f"{i:040x}",
            size_bytes=0,
            sha256="0" * 64,
            status=Submission.Status.GRADED,
            # due two days ago: one student in ten submitted a day late
            submitted_at=now - dt.timedelta(days=3 if i % 10 else 1),
            status_changed_at=now,
        )
        for i, u in enumerate(users)
    )
    submissions = list(Submission.objects.filter(assignment=assignment).order_by("student_id"))

    def points(i: int, k: int) -> Decimal | None:
        if rubric[k].manual and i % 3 == 0:
            return None  # waits for an instructor: the queue puts it first
        return Decimal((i * 7 + k * 3) % 11)

    GradingRun.objects.bulk_create(
        GradingRun(
            submission=s,
            number=1,
            status=GradingRun.Status.DONE,
            queued_at=now,
            finished_at=now,
            max_total=Decimal(10 * criteria),
            total=sum((points(i, k) or 0 for k in range(criteria)), Decimal(0)),
        )
        for i, s in enumerate(submissions)
    )
    runs = list(
        GradingRun.objects.filter(submission__assignment=assignment).order_by(
            "submission__student_id"
        )
    )
    text = (
        "A verificação encontrou os arquivos esperados e rodou os testes; dois casos de "
        "borda falharam (entrada vazia e valores ausentes), o que tira parte dos pontos. "
    )
    CriterionScore.objects.bulk_create(
        (
            CriterionScore(
                run=run,
                criterion=c,
                points=points(i, k),
                max_points=c.max_points,
                justification=f"{c.title}: {text}",
            )
            for i, run in enumerate(runs)
            for k, c in enumerate(rubric)
        ),
        batch_size=2000,
    )
    target = runs[0]
    RegradeRequest.objects.bulk_create(
        RegradeRequest(
            run=run,
            criterion=rubric[0],
            student_id=run.submission.student_id,
            reason="Acho que o teste estava certo.",
        )
        for run in runs[:20]
    )
    return course, assignment, instructor, target.submission.student_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--criteria", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server to use (a <name>_bench database is created)",
    )
    args = parser.parse_args()
    os.environ.setdefault("WHITENOISE_USE_FINDERS", "true")
    in_scratch_database(run, args, prefix="bench-export-")


def in_scratch_database(run, args: argparse.Namespace, *, prefix: str) -> None:
    """``run(args)`` with the portal's var dir in a temporary folder and a scratch database
    (``--database-url``: a PostgreSQL ``<name>_bench``; otherwise a SQLite file there)."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    os.environ["PORTAL_VAR_DIR"] = workdir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if args.database_url:
        with scratch_postgres(args.database_url) as url:
            os.environ["DATABASE_URL"] = url
            run(args)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
        run(args)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import NoReverseMatch, reverse

    from portal.gradebook import export as spreadsheet
    from portal.gradebook import services as spreadsheet_import
    from portal.grading import selectors as gradebook

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    course, assignment, instructor, student_id = seed(args.students, args.criteria)
    if connection.vendor == "postgresql":
        # Table statistics, as autovacuum keeps them on a real database: just after a bulk
        # load the planner believes every table empty and picks nested scans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"database: {connection.vendor}; seeded {args.students} students x {args.criteria} "
        f"criteria in {time.perf_counter() - started:.1f} s"
    )

    exports = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        data = spreadsheet.workbook_bytes(spreadsheet.assignment_workbook(assignment))
        exports.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        spreadsheet.assignment_workbook(assignment)
    print(
        f"xlsx export: median {statistics.median(exports):.2f} s, {len(data) / 2**20:.1f} MB, "
        f"{len(captured.captured_queries)} queries"
    )
    started = time.perf_counter()
    check = spreadsheet_import.import_check(assignment=assignment, data=data)
    print(
        f"import check of that file: {time.perf_counter() - started:.2f} s, "
        f"{len(check.errors)} errors, {len(check.changes)} changes"
    )

    storage = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(
        ALLOWED_HOSTS=["testserver"], STATIC_ROOT=None, STORAGES={**settings.STORAGES, **storage}
    ):
        client = Client()
        client.force_login(instructor)
        try:
            queue_url = reverse("review:queue", args=[course.slug, assignment.slug])
            review_url = reverse("review:detail", args=[course.slug, assignment.slug, student_id])
        except NoReverseMatch:
            queue_url = review_url = None
        timings = []
        if queue_url:
            assert client.get(queue_url).status_code == 200, queue_url  # warm-up
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(queue_url)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            label = "review queue page"
            with CaptureQueriesContext(connection) as captured:
                client.get(queue_url)
            queue_queries = len(captured.captured_queries)
        else:  # the review views are not there: the gradebook read + the grading page
            for _ in range(args.repeat):
                started = time.perf_counter()
                gradebook.gradebook(assignment)
                render_to_string(
                    "grading/assignment.html",
                    {"course": course, "assignment": assignment, "rows": [], "errors": []},
                )
                timings.append((time.perf_counter() - started) * 1000)
            label = "FALLBACK gradebook() + grading/assignment.html"
            queue_queries = 0
        queue_ms = statistics.median(timings)
        print(f"{label}: median {queue_ms:.0f} ms over {len(timings)} requests")
        if review_url:
            client.get(review_url)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(review_url).status_code == 200, review_url
            review_queries = len(captured.captured_queries)
        else:
            with CaptureQueriesContext(connection) as captured:
                gradebook.gradebook(assignment)
            review_queries = len(captured.captured_queries)
            print("FALLBACK: review page queries are those of gradebook()")
    print(
        f"xlsx export s: {statistics.median(exports):.2f}; review queue ms: {queue_ms:.0f}; "
        f"review page queries: {review_queries}; review queue queries: {queue_queries}"
    )


if __name__ == "__main__":
    main()

"""A deadline burst against a real stack: uploads through gunicorn while Celery workers grade.

Usage: ``python bench/burst.py [--uploads 500] [--students 100] [--seconds 60] [--workers 2]
[--serial 5] [--saturated 20] [--source DIR]
[--database-url postgres://portal:portal@127.0.0.1:5432/portal]
[--redis-url redis://127.0.0.1:6379/9] [--profile]`` (``--uploads 0``: 1. and 2. only)

Starts, from the checkout ``--source`` (default: this one; a ``git worktree`` of an older
commit measures "before" with the same script): gunicorn (4 sync workers, DEBUG off),
``--workers`` Celery worker processes on the grading queue (one child each, as in
production) and the maintenance worker with beat (the sweeper), on a scratch PostgreSQL
database ``<name>_burst`` (created, dropped at the end) and the Redis database of
``--redis-url`` (flushed at the start). The sample nbgrader assignment of the test suite
(``tests/support/graded_assignment.py``) is the assignment; students and their sessions are
made directly in the database (no sign-in round-trips).

1. One at a time: ``--serial`` uploads, each waiting for its grade (after one warm-up that
   builds the release): the median claim-to-stored time of one grading.
2. The queue full: ``--saturated`` uploads from as many students sent at once, no other
   load: the workers' own gradings per minute (with a warm pool, unlike 1., this includes
   starting the next grading's container).
3. The burst: ``--uploads`` notebook uploads spread evenly over ``--seconds`` from
   ``--students`` students at once, through the real form (multipart POST with the CSRF
   token), each upload's latency measured; then it waits until every run is finished.

Only HTTP and the tables of submissions and grading runs are used, so an older checkout is
measured the same way. ``--profile`` also profiles every POST in the web workers (cProfile,
through gunicorn's hooks) and prints where upload time went; its latencies are inflated by
the profiler. Figures only; nothing is asserted. The last line reads ``burst uploads: N in
S s; p50 ms: A; p95 ms: B; lost: L; all graded after T s``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
WEB_WORKERS = 4
CSRF_TOKEN = "b" * 32  # Django accepts the unmasked secret as the form's token


@contextmanager
def scratch_postgres(url: str, suffix: str = "burst"):
    """Create ``<name>_<suffix>`` next to the database of ``url``; yield its URL; drop it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    scratch = f"{name}_{suffix}"
    admin = psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True)
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
    admin.execute(drop)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        yield urlunsplit(parts._replace(path=f"/{scratch}"))
    finally:
        admin.execute(drop)
        admin.close()


# -- inside the checkout under test (a subprocess with its code first on sys.path) ------------


def setup_stage(source: Path, out: Path, students: int) -> None:
    """Migrate, create the course, the assignment, the students and their sessions; write
    what the load generator needs to ``out`` (JSON) and the student's notebook next to it."""
    sys.path.insert(0, str(source))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    import datetime as dt
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.urls import reverse
    from django.utils import timezone

    from portal.accounts.models import User
    from portal.courses.models import Course, Enrollment
    from tests.autograder import notebooks as nb
    from tests.support.graded_assignment import sample_assignment

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest
    now = timezone.now()
    course = Course.objects.create(slug="mle", title="MLE", start_date=now.date())
    assignment = sample_assignment(course)
    type(assignment).objects.filter(pk=assignment.pk).update(
        min_seconds_between_attempts=0,
        hard_deadline_at=None,
        due_at=now + dt.timedelta(days=7),
    )
    notebook = nb.correct(
        _release(default_storage.path(assignment.source_notebook.name), out.parent)
    )
    nb.write(notebook, out.parent / "entrega.ipynb")

    User.objects.bulk_create(
        User(username=f"aluno{i:03d}", email=f"aluno{i:03d}@burst.local", full_name=f"Aluno {i}")
        for i in range(students + 1)  # the last one uploads one at a time
    )
    users = list(User.objects.filter(username__startswith="aluno").order_by("username"))
    Enrollment.objects.bulk_create(
        Enrollment(course=course, user=u, email=u.email, full_name=u.full_name, role="student")
        for u in users
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = []
    for user in users:
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    out.write_text(
        json.dumps(
            {
                "path": reverse("classroom:assignment", args=[course.slug, assignment.slug]),
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "csrf_cookie": settings.CSRF_COOKIE_NAME,
                "sessions": sessions,
            }
        )
    )


def _release(source: str, workdir: Path):
    """The student version of the sample (nbgrader's release, built in the grading image)."""
    from autograder.notebooks import prepare_source
    from tests.autograder import notebooks as nb

    prepared = prepare_source(
        Path(source), image=os.environ["AUTOGRADER_IMAGE"], cache_dir=workdir / "release-cache"
    )
    return nb.read(prepared.release_path)


# -- the stack --------------------------------------------------------------------------------


GUNICORN_PROFILE_HOOKS = """
import cProfile, os
_profile = cProfile.Profile()
def pre_request(worker, req):
    if req.method == "POST":
        _profile.enable()
def post_request(worker, req, environ, resp):
    _profile.disable()
def worker_exit(server, worker):
    _profile.dump_stats(os.path.join({folder!r}, f"web-{{os.getpid()}}.prof"))
"""


class Stack:
    def __init__(self, source: Path, env: dict[str, str], scratch: Path) -> None:
        self.source, self.env, self.scratch = source, env, scratch
        self.processes: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str]) -> None:
        log = (self.scratch / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            argv, cwd=self.source, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append((name, process))

    def stop(self) -> None:
        """Warm shutdown (running gradings finish) for up to 60 s, then SIGKILL."""
        for _, process in self.processes:
            process.terminate()
        deadline = time.monotonic() + 60
        for _, process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def check_alive(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                log = (self.scratch / f"{name}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"{name} exited ({process.returncode}):\n{log}")


def stack_env(database_url: str, redis_url: str, scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_COOKIES="false",  # plain HTTP on the loopback, no TLS proxy in front
        PORTAL_VAR_DIR=str(scratch / "var"),
        MEDIA_ROOT=str(scratch / "media"),
        AUTOGRADER_IMAGE=os.environ.get("AUTOGRADER_IMAGE", "mle-grader:latest"),
        # A burst from few students: each uploads several times, so neither the cap on
        # attempts awaiting their grade nor the refused-upload throttle may get in the way.
        SUBMISSIONS_MAX_PENDING="0",
        SUBMISSIONS_REJECTED_MAX="0",
        LOG_LEVEL="WARNING",
    )
    return env


def start_stack(
    stack: Stack,
    *,
    port: int,
    workers: int,
    profile_dir: Path | None,
    web_workers: int = WEB_WORKERS,
) -> None:
    python = sys.executable
    gunicorn = [python, "-m", "gunicorn", "portal.wsgi", "-w", str(web_workers), "-k", "sync"]
    gunicorn += ["-b", f"127.0.0.1:{port}", "--timeout", "120", "--graceful-timeout", "30"]
    if profile_dir is not None:
        hooks = stack.scratch / "gunicorn_profile.py"
        hooks.write_text(GUNICORN_PROFILE_HOOKS.format(folder=str(profile_dir)))
        gunicorn += ["-c", str(hooks)]
    stack.start("gunicorn", gunicorn)
    celery = [python, "-m", "celery", "-A", "portal", "worker", "--loglevel", "WARNING"]
    for i in range(workers):
        stack.start(f"grading{i}", [*celery, "-Q", "grading", "-n", f"grading{i}@%h", "-c", "1"])
    (stack.scratch / "var").mkdir(exist_ok=True)
    schedule = str(stack.scratch / "var" / "celerybeat-schedule")
    maintenance = ["-Q", "maintenance", "-n", "maintenance@%h", "-c", "1", "-B"]
    stack.start("maintenance", [*celery, *maintenance, "--schedule", schedule])


# -- load ---------------------------------------------------------------------------------------


class Uploader:
    def __init__(self, base: str, plan: dict, notebook: bytes) -> None:
        self.url = base + plan["path"]
        self.plan = plan
        self.notebook = notebook

    def session(self, key: str):
        import requests

        http = requests.Session()
        http.headers["Cookie"] = (
            f"{self.plan['session_cookie']}={key}; {self.plan['csrf_cookie']}={CSRF_TOKEN}"
        )
        return http

    def upload(self, http) -> tuple[float, int]:
        started = time.perf_counter()
        response = http.post(
            self.url,
            data={"csrfmiddlewaretoken": CSRF_TOKEN},
            files={"file": ("entrega.ipynb", self.notebook, "application/x-ipynb+json")},
            allow_redirects=False,
            timeout=120,
        )
        return (time.perf_counter() - started) * 1000, response.status_code


class Database:
    """The figures, read straight from the tables (so any version of the code is measured)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url, autocommit=True)

    def scalar(self, query: str, *params):
        return self.connection.execute(query, params).fetchone()[0]

    def finished_runs(self, since_id: int) -> int:
        return self.scalar(
            "SELECT count(*) FROM grading_gradingrun r JOIN submissions_submission s"
            " ON s.id = r.submission_id WHERE s.id > %s AND r.status IN ('done', 'error')",
            since_id,
        )

    def rows(self, query: str, *params) -> list[tuple]:
        return self.connection.execute(query, params).fetchall()


def wait_until(predicate, *, timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        stack.check_alive()
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.5)


def one_at_a_time(uploader: Uploader, db: Database, stack: Stack, count: int) -> float:
    """Median seconds from claim to stored grade of ``count`` gradings, one at a time."""
    http = uploader.session(uploader.plan["sessions"][-1])
    first = db.scalar("SELECT coalesce(max(id), 0) FROM submissions_submission")
    for done in range(1, count + 2):  # the first is a warm-up (it builds the release)
        _, status = uploader.upload(http)
        if status != 302:
            raise SystemExit(f"a single upload was refused: HTTP {status}")
        wait_until(
            lambda n=done: db.finished_runs(first) >= n, timeout=600, what="a grade", stack=stack
        )
    seconds = [
        row[0]
        for row in db.rows(
            "SELECT extract(epoch FROM r.finished_at - r.started_at) FROM grading_gradingrun r"
            " WHERE r.submission_id > %s ORDER BY r.submission_id OFFSET 1",
            first,
        )
    ]
    return statistics.median(float(s) for s in seconds)


def saturated(uploader: Uploader, db: Database, stack: Stack, count: int) -> float:
    """Gradings per minute with the queue full and nothing else to do: ``count`` uploads from
    as many students sent at once, from the first claim to the last stored grade. The
    workers' own throughput, whatever a grading does before its claim (a warm pool's start)."""
    from concurrent.futures import ThreadPoolExecutor

    first = db.scalar("SELECT coalesce(max(id), 0) FROM submissions_submission")
    keys = uploader.plan["sessions"][:count]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda key: uploader.upload(uploader.session(key))[1], keys))
    if set(statuses) != {302}:
        raise SystemExit(f"uploads refused while filling the queue: {sorted(set(statuses))}")
    wait_until(
        lambda: db.finished_runs(first) >= len(keys),
        timeout=120 + 15 * len(keys),
        what="the full queue's grades",
        stack=stack,
    )
    span = db.scalar(
        "SELECT extract(epoch FROM max(r.finished_at) - min(r.started_at))"
        " FROM grading_gradingrun r WHERE r.submission_id > %s",
        first,
    )
    return len(keys) / float(span) * 60


def burst(uploader: Uploader, *, uploads: int, students: int, seconds: float) -> tuple:
    """Upload i is sent at ``i * seconds / uploads`` by student ``i % students``; returns
    (wall-clock start, latencies in ms of the accepted uploads, refused statuses)."""
    latencies: list[float] = []
    refused: list[int] = []
    lock = threading.Lock()
    interval = seconds / uploads
    start = time.time() + 1.0

    def student(s: int) -> None:
        http = uploader.session(uploader.plan["sessions"][s])
        for i in range(s, uploads, students):
            delay = start + i * interval - time.time()
            if delay > 0:
                time.sleep(delay)
            millis, status = uploader.upload(http)
            with lock:
                (latencies if status == 302 else refused).append(
                    millis if status == 302 else status
                )

    threads = [threading.Thread(target=student, args=(s,)) for s in range(students)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return start, latencies, refused


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def print_profile(folder: Path) -> None:
    import pstats

    files = sorted(str(p) for p in folder.glob("web-*.prof"))
    if not files:
        print("no profile written (web workers killed?)")
        return
    stats = pstats.Stats(*files)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=500)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="grading worker processes")
    parser.add_argument("--serial", type=int, default=5, help="gradings one at a time")
    parser.add_argument(
        "--saturated", type=int, default=20, help="uploads sent at once to fill the queue"
    )
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout to run")
    parser.add_argument("--database-url", default="postgres://portal:portal@127.0.0.1:5432/portal")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--profile", action="store_true", help="cProfile the web workers")
    parser.add_argument("--setup-stage", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    source = args.source.resolve()
    # `kill` stops the bench like Ctrl-C: the stack is stopped and the scratch database dropped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if args.setup_stage:
        setup_stage(source, args.setup_stage, args.students)
        return

    import redis

    scratch = Path(tempfile.mkdtemp(prefix="bench-burst-"))
    profile_dir = scratch / "profile" if args.profile else None
    if profile_dir:
        profile_dir.mkdir()
    redis.Redis.from_url(args.redis_url).flushdb()
    try:
        with scratch_postgres(args.database_url) as database_url:
            env = stack_env(database_url, args.redis_url, scratch)
            plan_file = scratch / "plan.json"
            subprocess.run(  # noqa: S603 - fixed argv
                [
                    *(sys.executable, str(Path(__file__).resolve()), "--source", str(source)),
                    *("--students", str(args.students), "--setup-stage", str(plan_file)),
                ],
                cwd=source,
                env=env,
                check=True,
            )
            plan = json.loads(plan_file.read_text())
            notebook = (scratch / "entrega.ipynb").read_bytes()
            stack = Stack(source, env, scratch)
            try:
                start_stack(stack, port=args.port, workers=args.workers, profile_dir=profile_dir)
                run(args, stack, Uploader(f"http://127.0.0.1:{args.port}", plan, notebook))
            finally:
                stack.stop()
            if profile_dir:
                print_profile(profile_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace, stack: Stack, uploader: Uploader) -> None:
    import requests

    def answering() -> bool:
        with suppress(requests.ConnectionError, requests.Timeout):
            status = requests.get(uploader.url, timeout=30).status_code
            if status >= 500:
                raise SystemExit(f"the portal answers HTTP {status}: see the gunicorn log")
            return True
        return False

    wait_until(answering, timeout=120, what="gunicorn", stack=stack)
    db = Database(stack.env["DATABASE_URL"])
    single = one_at_a_time(uploader, db, stack, args.serial)
    print(f"one at a time: {single:.2f} s from claim to stored grade (median of {args.serial})")
    full = saturated(uploader, db, stack, args.saturated)
    print(f"queue full, no web load: {full:.1f} gradings/min ({args.saturated} sent at once)")
    if not args.uploads:
        return

    first = db.scalar("SELECT coalesce(max(id), 0) FROM submissions_submission")
    started, latencies, refused = burst(
        uploader, uploads=args.uploads, students=args.students, seconds=args.seconds
    )
    sent_in = time.time() - started
    accepted = len(latencies)
    wait_until(
        lambda: db.finished_runs(first) >= accepted,
        timeout=120 + 15 * accepted,
        what="the burst's grades",
        stack=stack,
    )
    graded_after = time.time() - started
    report(args, db, first, latencies, refused, sent_in, graded_after, single, full)


def report(args, db, first, latencies, refused, sent_in, graded_after, single, full) -> None:
    submissions = db.scalar("SELECT count(*) FROM submissions_submission WHERE id > %s", first)
    per_submission = db.rows(
        "SELECT s.id, count(r.id) FILTER (WHERE r.status IN ('done', 'error')),"
        " count(r.id), max(r.tries) FROM submissions_submission s"
        " LEFT JOIN grading_gradingrun r ON r.submission_id = s.id WHERE s.id > %s GROUP BY s.id",
        first,
    )
    finished_once = sum(1 for _, done, _, _ in per_submission if done == 1)
    twice = sum(1 for _, done, runs, _ in per_submission if done > 1 or runs > 1)
    retried = sum(1 for *_, tries in per_submission if (tries or 0) > 1)
    lost = len(latencies) - finished_once
    span, waits, errors = db.rows(
        "SELECT extract(epoch FROM max(r.finished_at) - min(r.started_at)),"
        " array_agg(extract(epoch FROM r.finished_at - r.queued_at)),"
        " count(*) FILTER (WHERE r.status = 'error')"
        " FROM grading_gradingrun r WHERE r.submission_id > %s",
        first,
    )[0]
    waits = sorted(float(w) for w in waits)
    during = len(waits) / float(span) * 60
    ideal = args.workers / single * 60
    print(f"refused: {len(refused)} {sorted(set(refused))}; submissions stored: {submissions}")
    print(f"graded twice: {twice}; retried: {retried}; grading errors: {errors}")
    print(
        f"students waited for their grade: median {statistics.median(waits):.0f} s, "
        f"max {waits[-1]:.0f} s"
    )
    print(
        f"workers throughput during burst: {during:.1f}/min; one at a time: {ideal:.1f}/min "
        f"({args.workers} x {single:.2f} s); during burst / one-at-a-time: {during / ideal:.0%}"
    )
    print(f"during burst / queue full without web load: {during / full:.0%}")
    print(
        f"p99 ms: {percentile(latencies, 99):.0f}; max ms: {max(latencies):.0f}; "
        f"mean ms: {statistics.fmean(latencies):.0f}"
    )
    print(
        f"burst uploads: {len(latencies)} in {sent_in:.1f} s; "
        f"p50 ms: {percentile(latencies, 50):.0f}; p95 ms: {percentile(latencies, 95):.0f}; "
        f"lost: {lost}; all graded after {graded_after:.0f} s"
    )


if __name__ == "__main__":
    main()

"""Run the whole portal on one machine: database set-up, course, demo users, web and workers.

This is the README's first command (``make run``). With no environment configured it
uses SQLite and Celery's filesystem transport, so it needs no other server.

Two Celery workers, as in production: one grades (the "grading" queue), the other runs the
sweeper with beat embedded (the "maintenance" queue), so a backlog of gradings never delays
the sweeper that rescues them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from kombu.utils.url import maybe_sanitize_url


class Command(BaseCommand):
    help = "Migrate, load the course, seed demo users (DEBUG only), then run web + Celery workers."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start the workers")

    def handle(self, *args, addrport: str, no_worker: bool, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready.")
        call_command("sync_course", str(settings.COURSE_CONTENT_DIR))
        if settings.DEBUG:
            call_command("seed_demo")
            call_command("seed_demo_assignment")
        # SIGTERM (e.g. `kill`, a process manager) must stop the worker too: turn it into
        # SystemExit so that the `finally` below runs, as it does for Ctrl-C.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        workers = [] if no_worker else [self._start(argv) for argv in worker_commands()]
        try:
            self.stdout.write(self.style.SUCCESS(f"Portal: http://{addrport}/"))
            call_command("runserver", addrport, use_reloader=False)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()

    def _start(self, command: list[str]) -> subprocess.Popen:
        broker = maybe_sanitize_url(settings.CELERY_BROKER_URL)
        self.stdout.write(f"Worker: {' '.join(command[1:])} (broker {broker})")
        return subprocess.Popen(command, env=os.environ.copy())  # noqa: S603 - fixed argv


def worker_commands() -> list[list[str]]:
    """The grading worker and the maintenance worker (with beat: one scheduler here)."""
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)  # beat's schedule file
    celery = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--loglevel", "INFO"]
    return [
        [*celery, "-Q", settings.GRADING_QUEUE, "-n", "grading@%h", "--concurrency", "1"],
        [
            *celery,
            "-Q",
            settings.MAINTENANCE_QUEUE,
            "-n",
            "maintenance@%h",
            "--concurrency",
            "1",
            "-B",
            "--schedule",
            str(settings.VAR_DIR / "celerybeat-schedule"),
        ],
    ]


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)

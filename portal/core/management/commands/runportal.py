"""Run the whole portal on one machine: database set-up, course, demo users, web and worker.

This is the README's first command (``make run``). With no environment configured it
uses SQLite and Celery's filesystem transport, so it needs no other server.
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
    help = "Migrate, load the course, seed demo users (DEBUG only), then run web + Celery worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start a worker")

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
        worker = None if no_worker else self._start_worker()
        try:
            self.stdout.write(self.style.SUCCESS(f"Portal: http://{addrport}/"))
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()

    def _start_worker(self) -> subprocess.Popen:
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)  # beat's schedule file
        # -B: embedded beat for the sweeper (one worker here, so one scheduler).
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-B",
            "--schedule",
            str(settings.VAR_DIR / "celerybeat-schedule"),
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
        ]
        broker = maybe_sanitize_url(settings.CELERY_BROKER_URL)
        self.stdout.write(f"Worker: {' '.join(command[1:])} (broker {broker})")
        return subprocess.Popen(command, env=os.environ.copy())  # noqa: S603 - fixed argv


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)

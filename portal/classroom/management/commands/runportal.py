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
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from kombu.utils.url import maybe_sanitize_url

from portal.assessments.releases import BackgroundReleases
from portal.assessments.selectors import releases_pending
from portal.assessments.services import grading_available


class Command(BaseCommand):
    help = "Migrate, load the course, seed demo users (DEBUG only), then run web + Celery workers."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start the workers")

    def handle(self, *args, addrport: str, no_worker: bool, **options) -> None:
        # Ctrl-C (SIGINT) and SIGTERM (`kill`, a process manager, an editor's stop button)
        # stop the portal the same way: KeyboardInterrupt, the workers stopped, exit status 0,
        # so that `make run` ends without "make: *** Error".
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            self._prepare()
            self._serve(addrport, no_worker=no_worker)
        except KeyboardInterrupt:
            pass  # stopped while preparing (runserver turns it into SystemExit(0) itself)
        finally:
            self.stdout.write("Portal stopped.")

    def _prepare(self) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready.")
        call_command("sync_course", str(settings.COURSE_CONTENT_DIR), defer_releases=True)
        if settings.DEBUG:
            call_command("seed_demo")
            call_command("seed_demo_assignment", defer_release=True)

    def _serve(self, addrport: str, *, no_worker: bool) -> None:
        workers = [] if no_worker else [self._start(argv) for argv in worker_commands()]
        releases = self._releases()
        try:
            self.stdout.write(self.style.SUCCESS(f"Portal: http://{addrport}/"))
            # On Ctrl-C runserver prints the message, then raises SystemExit(0).
            call_command(
                "runserver",
                addrport,
                use_reloader=False,
                shutdown_message="Stopping the workers...",
            )
        finally:
            if releases is not None:
                releases.stop()  # the running containers finish; the rest waits for a restart
            self._stop(workers)

    def _releases(self) -> BackgroundReleases | None:
        """Start making the missing releases (none on a restart)."""
        pending = list(releases_pending())
        if not pending or grading_available() is not None:
            return None  # sync_course already said why Docker cannot make them
        releases = BackgroundReleases(pending, write=self.stdout.write)
        releases.start()
        return releases

    def _stop(self, workers: list[subprocess.Popen]) -> None:
        """Warm shutdown (SIGTERM: running tasks finish) for up to 15 s, then SIGKILL; a
        second Ctrl-C kills at once."""
        for worker in workers:
            worker.terminate()
        deadline = time.monotonic() + 15
        try:
            for worker in workers:
                worker.wait(timeout=max(0.0, deadline - time.monotonic()))
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            for worker in workers:
                worker.kill()
            for worker in workers:
                worker.wait()

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

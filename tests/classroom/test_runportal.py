"""`make run` (``runportal``) stops cleanly: Ctrl-C or SIGTERM stops the Celery workers and
ends with exit status 0, so make reports no error.

Real processes, as on a laptop: the web server and two workers on SQLite and the filesystem
broker under a temporary folder. The grading image is named as absent, so the course syncs
without building its notebooks (no Docker work) and the start takes a few seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tests.autograder.git_server import free_port

pytestmark = pytest.mark.worker


@dataclass
class Portal:
    process: subprocess.Popen
    log: Path
    port: int

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def group_is_gone(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return True
        return False


def _start(argv: list[str], tmp_path: Path, port: int) -> Portal:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "MEDIA_ROOT"}
    }
    env.update(
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        AUTOGRADER_IMAGE="mle-grader-absent:test",
        PORTAL_ADDR=f"127.0.0.1:{port}",
    )
    log = tmp_path / "portal.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Its own process group with SIGINT not ignored: a job started from a terminal.
            process_group=0,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    portal = Portal(process, log, port)
    _wait_until_serving(portal)
    return portal


def _wait_until_serving(portal: Portal, timeout: float = 120) -> None:
    """/healthz answers and both workers said they are ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if portal.process.poll() is not None:
            pytest.fail(f"the portal exited early:\n{portal.output()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{portal.port}/healthz", timeout=2):
                serving = True
        except OSError:
            serving = False
        if serving and portal.output().count(" ready.") >= 2:
            return
        time.sleep(0.5)
    pytest.fail(f"the portal did not start:\n{portal.output()[-3000:]}")


@pytest.fixture
def stop_leftovers() -> Iterator[list[Portal]]:
    started: list[Portal] = []
    yield started
    for portal in started:
        if not portal.group_is_gone():
            os.killpg(portal.process.pid, signal.SIGKILL)


def test_ctrl_c_stops_make_run_with_its_workers_and_no_make_error(
    tmp_path: Path, stop_leftovers: list[Portal]
) -> None:
    port = free_port()
    portal = _start(
        ["make", "--no-print-directory", "run", f"PORTAL_ADDR=127.0.0.1:{port}"], tmp_path, port
    )
    stop_leftovers.append(portal)

    os.killpg(portal.process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C

    # make dies of the SIGINT itself after its child exited, as every make does (a shell
    # shows a plain new prompt); a child that failed or died of the signal would make it
    # print "make: *** [Makefile:..: run] Error 143" or "Interrupt" first.
    assert portal.process.wait(timeout=60) == -signal.SIGINT
    output = portal.output()
    assert "make: ***" not in output
    assert output.rstrip().endswith("Portal stopped.")
    assert portal.group_is_gone(), "a worker outlived make"


def test_sigterm_stops_runportal_and_its_workers_with_status_0(
    tmp_path: Path, stop_leftovers: list[Portal]
) -> None:
    port = free_port()
    argv = [sys.executable, "manage.py", "runportal", f"127.0.0.1:{port}"]
    portal = _start(argv, tmp_path, port)
    stop_leftovers.append(portal)

    portal.process.terminate()  # runportal alone, as a process manager would

    assert portal.process.wait(timeout=60) == 0, portal.output()[-3000:]
    assert "Stopping the workers..." in portal.output()
    deadline = time.monotonic() + 10
    while not portal.group_is_gone() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert portal.group_is_gone(), "a worker outlived runportal"

"""Time `make run` from a fresh clone until the portal answers, then a restart.

Usage: ``python bench/startup.py [REV ...] [--repo /work/main] [--venv /work/main/.venv]
[--warm-cache] [--timeout 300]``

For each revision (default ``HEAD``; give two to compare before and after in one run): clone
``--repo`` into a temporary directory, check the revision out, link the existing virtualenv
into it (nothing is installed: ``make -o .venv/.installed`` keeps make from reinstalling for a
pyproject.toml newer than the venv's stamp), then run ``make run`` on embedded defaults
(SQLite, filesystem broker: every server variable of the environment is removed) on a free
port, poll ``/healthz`` and print when each phase the portal reports ended. Then wait until
the notebook releases are ready (at once for revisions that build them before serving),
stop the portal with SIGTERM, start it again in the same clone and time the restart.

"Cold" means an empty ``var/`` (fresh SQLite, media, broker) *and* an empty autograder
release cache (``AUTOGRADER_CACHE_DIR`` points into the temporary directory): the cache is
keyed by the grading image and the runner's digest, so it is cold after every change of
either. ``--warm-cache`` keeps the user's cache (``~/.cache/mle-autograder``) instead.

``make run`` does not build the grading image (``make sandbox-image`` does, once): the image
must exist. Figures only; nothing is asserted. The last line reads
``cold start s: X.X; restart s: Y.Y`` (one pair per revision, ``rev=`` first when several).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Variables that would point make run at other servers or another state directory.
SERVER_VARS = (
    "DATABASE_URL",
    "DATABASE_URL_FILE",
    "REDIS_URL",
    "REDIS_URL_FILE",
    "CACHE_URL",
    "CACHE_URL_FILE",
    "CELERY_BROKER_URL",
    "PORTAL_VAR_DIR",
    "MEDIA_ROOT",
    "MLFLOW_TRACKING_URI",
    "GRADING_INPUTS_CACHE_DIR",
    "COURSE_CONTENT_DIR",
    "EMAIL_FILE_PATH",
)

# The phases runportal reports, old revisions and new: (label, pattern of the line that ends it).
PHASES = (
    ("migrate", re.compile(r"^Database ready\.")),
    ("sync_course", re.compile(r"^Course '.*' (synchronised|is up to date)")),
    ("seed_demo_assignment", re.compile(r"demo assignment \S+ (ready|unchanged)")),
    ("runserver started", re.compile(r"^Portal: http")),
)
NOTEBOOK_DONE = re.compile(r"notebook (\S+): done in (\d+) s")
NOTEBOOK_PREPARED = re.compile(r"^Preparing notebooks: \d+/\d+ \((\S+), (\d+) s\)")
# Printed by revisions that prepare the releases in the background.
RELEASES_READY = re.compile(r"^Notebooks (prontos|ready)")
RELEASES_BACKGROUND = re.compile(r"^Preparando notebooks|^Preparing notebooks")


@dataclass
class Run:
    """One start of the portal: its output lines with the second each arrived."""

    process: subprocess.Popen
    started: float
    lines: list[tuple[float, str]] = field(default_factory=list)
    reader: threading.Thread | None = None

    def read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.rstrip("\n")
            self.lines.append((time.monotonic() - self.started, line))

    def first(self, pattern: re.Pattern[str]) -> float | None:
        return next((t for t, line in list(self.lines) if pattern.search(line)), None)

    def tail(self, n: int = 30) -> str:
        return "\n".join(line for _, line in self.lines[-n:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(clone: Path, env: dict[str, str]) -> Run:
    process = subprocess.Popen(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "run"],  # noqa: S607
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,  # its own process group: stopped as one at the end
    )
    run = Run(process, time.monotonic())
    run.reader = threading.Thread(target=run.read, daemon=True)
    run.reader.start()
    return run


def wait_healthy(run: Run, url: str, timeout: float) -> float:
    while time.monotonic() - run.started < timeout:
        if run.process.poll() is not None:
            raise RuntimeError(f"make run exited with {run.process.returncode}:\n{run.tail()}")
        if healthy(url):
            return time.monotonic() - run.started
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} after {timeout:.0f} s:\n{run.tail()}")


def wait_releases(run: Run, timeout: float) -> float | None:
    """Seconds from the start until the releases were ready; None if never said."""
    if run.first(RELEASES_BACKGROUND) is None:
        return None  # built before serving (older revisions): ready when it answered
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.process.poll() is None:
        if (ready := run.first(RELEASES_READY)) is not None:
            return ready
        time.sleep(0.2)
    return None


def stop(run: Run) -> float:
    """SIGTERM to runportal (make execs it); the seconds it took to stop."""
    began = time.monotonic()
    run.process.send_signal(signal.SIGTERM)
    try:
        run.process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(run.process.pid, signal.SIGKILL)
        run.process.wait()
    with_leftovers(run.process.pid)
    if run.reader is not None:
        run.reader.join(timeout=5)
    return time.monotonic() - began


def with_leftovers(pgid: int) -> None:
    """Kill what is left of the group this script started (a worker that outlived it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def report(label: str, run: Run, healthy_at: float) -> None:
    print(f"  {label}:")
    for name, pattern in PHASES:
        at = run.first(pattern)
        if at is not None:
            print(f"    {name:<24} {at:6.1f} s")
    for at, line in run.lines:
        if match := NOTEBOOK_DONE.search(line) or NOTEBOOK_PREPARED.search(line):
            print(f"    notebook {match[1]:<15} {at:6.1f} s (built in {match[2]} s)")
    print(f"    {'/healthz answered':<24} {healthy_at:6.1f} s")


def measure(rev: str, args: argparse.Namespace) -> tuple[float, float, float | None]:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        clone = Path(tmp) / "portal"
        subprocess.run(["git", "clone", "-q", str(args.repo), str(clone)], check=True)  # noqa: S603,S607
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", rev], check=True)  # noqa: S603,S607
        sha = subprocess.run(  # noqa: S603
            ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        (clone / ".venv").symlink_to(args.venv)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in SERVER_VARS}
        env.update(PORTAL_ADDR=f"127.0.0.1:{port}", PYTHONUNBUFFERED="1")
        if not args.warm_cache:
            env["AUTOGRADER_CACHE_DIR"] = str(Path(tmp) / "autograder-cache")
        url = f"http://127.0.0.1:{port}/healthz"
        print(f"rev {rev} ({sha}) in {clone}, port {port}", flush=True)

        cold = start(clone, env)
        try:
            cold_s = wait_healthy(cold, url, args.timeout)
            ready_s = wait_releases(cold, args.timeout)
        finally:
            stopped_s = stop(cold)
        report("cold start", cold, cold_s)
        if ready_s is not None:
            print(f"    {'releases ready':<24} {ready_s:6.1f} s")
        print(f"    {'stopped (SIGTERM)':<24} {stopped_s:6.1f} s after the signal")

        again = start(clone, env)
        try:
            restart_s = wait_healthy(again, url, args.timeout)
            wait_releases(again, args.timeout)
        finally:
            stop(again)
        report("restart", again, restart_s)
        return cold_s, restart_s, ready_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="*", default=["HEAD"], help="revisions (default HEAD)")
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--warm-cache", action="store_true", help="keep the release cache")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    args.venv = args.venv.resolve()
    results = {rev: measure(rev, args) for rev in args.revs}
    summary = []
    for rev, (cold_s, restart_s, ready_s) in results.items():
        prefix = f"rev={rev} " if len(results) > 1 else ""
        ready = f" (releases ready {ready_s:.1f} s)" if ready_s is not None else ""
        summary.append(f"{prefix}cold start s: {cold_s:.1f}{ready}; restart s: {restart_s:.1f}")
    print(" | ".join(summary))


if __name__ == "__main__":
    sys.exit(main())

"""Running the final project's code as the student (standard library only).

Everything of the project (``tar -x`` of its copy, pytest, the app server) runs as uid 1001
through ``setpriv`` (``common.as_student``) with a clean environment, oom_score_adj 1000 (a
memory or fork bomb kills the student's processes, not the grader) and, for the long-running
ones, stdout/stderr on a pipe that root drains into a capped tail.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from autograder.container.common import (
    STUDENT_HOME,
    STUDENT_ROOT,
    STUDENT_TMP,
    as_student,
    clip,
    kill_student_processes,
)

PROJECT = STUDENT_ROOT / "projeto"  # the student's copy of the repository
# The project's own dependencies, installed by the install step (``project_install.py``) and
# mounted read-only here when it declared any: after the project on PYTHONPATH, so its pinned
# versions win over the grading image's, and its console scripts first on PATH.
DEPS = Path("/opt/mle-deps")


def student_command(argv: list[str], cwd: Path = STUDENT_ROOT) -> list[str]:
    """``argv`` as the student, with oom_score_adj 1000, started in ``cwd``.

    The student changes into ``cwd`` itself: root never enters the student's directories.
    """
    script = 'echo 1000 >/proc/self/oom_score_adj 2>/dev/null; cd "$0" && exec "$@"'
    return as_student(["/bin/sh", "-c", script, str(cwd), *argv])


def student_environment(pythonpath: list[str], threads: int = 1) -> dict[str, str]:
    scripts = f"{DEPS / 'bin'}:" if (DEPS / "bin").is_dir() else ""
    return {
        "PATH": scripts + os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": str(STUDENT_HOME),
        "TMPDIR": str(STUDENT_TMP),
        "LANG": "C.UTF-8",
        "PYTHONPATH": ":".join(pythonpath),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(STUDENT_HOME / ".config" / "matplotlib"),
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "MLFLOW_TRACKING_URI": f"file://{STUDENT_TMP / 'mlruns'}",
        # MLflow 3 refuses a file store unless told it is wanted; a project that installs
        # the newest MLflow must not fail its tests for the grader's choice of store.
        "MLFLOW_ALLOW_FILE_STORE": "true",
        "NO_PROXY": "*",
    }


class Tail(threading.Thread):
    """Drains a pipe, keeping only its last ``limit`` bytes (the student may print forever)."""

    def __init__(self, pipe: IO[bytes], limit: int) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe  # kept open while the thread reads its descriptor
        self.limit = limit
        self.data = bytearray()
        self.total = 0
        self.start()

    def run(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := os.read(self.pipe.fileno(), 65536):
                self.total += len(chunk)
                self.data += chunk
                if len(self.data) > 2 * self.limit:
                    del self.data[: len(self.data) - self.limit]

    def text(self) -> str:
        self.join(2.0)
        return clip(bytes(self.data[-self.limit :]).decode("utf-8", errors="replace"), self.limit)


class StudentProcess:
    """One command of the project, as the student, in its own session, output on a pipe."""

    def __init__(self, argv: list[str], *, env: dict[str, str], tail_bytes: int) -> None:
        self.began = time.monotonic()
        self.process = spawn(student_command(argv, PROJECT), env=env)
        assert self.process.stdout is not None
        self.output = Tail(self.process.stdout, tail_bytes)

    def wait(self, timeout: float) -> int | None:
        """Exit code, or None when it was killed at the time-out."""
        try:
            return self.process.wait(timeout=max(timeout, 0.1))
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        kill_student_processes()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    @property
    def seconds(self) -> float:
        return round(time.monotonic() - self.began, 3)


def spawn(argv: list[str], *, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Popen in PROJECT, retried briefly: a fork bomb that is being killed may hold the pids."""
    for attempt in range(20):
        try:
            return subprocess.Popen(  # noqa: S603 - fixed command, no shell
                argv,
                cwd="/",
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except BlockingIOError:
            kill_student_processes()
            time.sleep(0.1 * (attempt + 1))
    raise RuntimeError("não foi possível iniciar um processo (limite de processos)")

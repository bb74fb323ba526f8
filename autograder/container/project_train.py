"""The project's training step: the ``train`` command of its ``projeto.yaml``, as the student.

It runs before the tests and the API, in the student's copy of the repository, so a model
the API loads at import time (``models/model.joblib``, never committed) exists when they
start. Like every step it runs as uid 1001 with no network and a time limit; what it wrote
is listed *as the student* (``find`` never follows a symlink, and root never walks the
student's tree). Standard library only.
"""

from __future__ import annotations

import time
from typing import Any

from autograder.container.common import TIMINGS, captured, kill_student_processes
from autograder.container.project_tests import killed_by
from autograder.container.student_process import (
    PROJECT,
    StudentProcess,
    student_command,
    student_environment,
)

OUTPUT_TAIL_BYTES = 4 * 1024
MAX_NEW_FILES = 20
LISTING_MAX_BYTES = 2 * 1024 * 1024  # of find's output: a tree of a million files is cut
LISTING_TIMEOUT_S = 20
MIN_BUDGET_S = 5
# Not what the student trained: caches of the tools that run anyway.
IGNORED_DIRS = ("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")


def list_project_files() -> set[str] | None:
    """Regular files under the project copy (relative POSIX paths), listed as the student.

    None when the listing failed (``find`` missing, timed out, killed).
    """
    prune: list[str] = []
    for name in IGNORED_DIRS:
        prune += [*(["-o"] if prune else []), "-name", name]
    argv = ["find", ".", "-xdev", "-type", "d", "(", *prune, ")", "-prune", "-o"]
    argv += ["-type", "f", "-print0"]
    done = captured(student_command(argv, PROJECT), LISTING_TIMEOUT_S)
    if done is None:
        return None
    if done.returncode != 0 and not done.stdout:
        return None
    names = done.stdout[:LISTING_MAX_BYTES].split(b"\0")
    if len(done.stdout) > LISTING_MAX_BYTES:
        names = names[:-1]  # the last one may be cut
    return {name.decode("utf-8", errors="replace").removeprefix("./") for name in names if name}


def run_train(params: dict[str, Any], pythonpath: list[str], deadline: float) -> dict[str, Any]:
    """Run ``params["command"]`` (``/bin/sh -c``) as the student in the project copy.

    Time-limited by ``min(params["timeout_seconds"], deadline - now)``. The report::

        {"ran", "command", "exit_code", "timed_out", "seconds", "timeout_seconds",
         "output_tail", "reason", "new_files": [...], "new_files_total", "killed_processes"}

    ``exit_code`` is None when it was killed at the time-out; ``new_files`` are up to
    ``MAX_NEW_FILES`` paths the command created under the copy (``models/model.joblib``).
    """
    command = str(params.get("command") or "").strip()
    timeout = float(params.get("timeout_seconds") or 300)
    budget = min(timeout, deadline - time.monotonic())
    report: dict[str, Any] = {
        "ran": False,
        "command": command,
        "exit_code": None,
        "timed_out": False,
        "seconds": 0.0,
        "timeout_seconds": round(max(budget, 0.0), 1),
        "output_tail": "",
        "reason": "",
        "new_files": [],
        "new_files_total": 0,
        "killed_processes": 0,
    }
    if not command:
        report["reason"] = "nenhum comando de treino declarado"
        return report
    if budget < MIN_BUDGET_S:
        report["reason"] = "sem tempo para o treino dentro do limite do contêiner"
        return report
    before = list_project_files()
    student = StudentProcess(
        ["/bin/sh", "-c", command],
        env=student_environment(pythonpath),
        tail_bytes=OUTPUT_TAIL_BYTES,
    )
    returncode = student.wait(budget)
    report["seconds"] = TIMINGS["train"] = student.seconds
    # Daemons the training left behind (an MLflow server, a worker) would hold the tests'
    # ports and memory: ended here, as after every step.
    report["killed_processes"] = kill_student_processes()
    report.update(
        ran=True,
        exit_code=returncode,
        timed_out=returncode is None,
        output_tail=student.output.text(),
    )
    if returncode is None:
        report["reason"] = f"o treino passou do tempo limite de {budget:.0f} s e foi interrompido"
    elif returncode < 0:
        report["reason"] = killed_by(returncode, "o treino")
    elif returncode != 0:
        report["reason"] = f"o treino terminou com código {returncode}"
    after = list_project_files()
    if before is not None and after is not None:
        created = sorted(after - before)
        report["new_files"] = created[:MAX_NEW_FILES]
        report["new_files_total"] = len(created)
    return report

"""Run a final project's tests and API inside the grading container (checks tests, serving).

    report, sandbox = run_project(repo, params=params, image="mle-grader:latest", limits=limits)
    report["tests"]["passed"], report["serving"]["latency"]["p95_ms"]

The checkout is never executed on the host: it is bind-mounted read-only into a container
started like the notebook runner's (``autograder/grading_container.py``: uid 0 with only
:data:`~autograder.grading_container.GRADER_CAPS`, no network, read-only root, tmpfs
scratch, empty environment, every limit of :class:`~autograder.results.Limits`). Inside,
``autograder/container/project_runner.py`` copies it for the student's uid, runs pytest and
then the API as that uid, and writes one JSON result; its docstring has the layout.

What comes back is the runner's dict (shape in :func:`run_project`). Infrastructure faults
(Docker down, image missing, a runner that crashed or wrote no result while the container
exited normally) raise :class:`~autograder.sandbox.SandboxError` or :class:`ProjectRunError`,
both :class:`~autograder.errors.InfrastructureError`, and are retried by the caller; what
the student's code does (tests or app that hang, use all the memory or fork without end) is
part of the report, with a pt-BR ``reason``.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
from pathlib import Path
from typing import Any

import docker

from autograder import messages
from autograder.container.common import RESULT_FILE, RESULT_SCHEMA
from autograder.container.project_runner import PARAMS_FILE
from autograder.container.project_tree import REPO
from autograder.container.student_process import DEPS
from autograder.errors import InfrastructureError
from autograder.grading_container import io_dirs, make_readable, run_runner
from autograder.results import ExitReason, Limits, SandboxResult
from autograder.sandbox import Mount

logger = logging.getLogger(__name__)

REPO_TARGET = str(REPO)  # where the runner reads the checkout
RESULT_MAX_BYTES = 3 * 1024 * 1024
STEPS = ("train", "tests", "serving")

# pt-BR reasons for a container that ended before the runner wrote its result.
_REASONS = {
    ExitReason.TIMEOUT: "o projeto passou do tempo limite do contêiner ({seconds})",
    ExitReason.OOM: "o projeto esgotou a memória do contêiner ({memory} MB)",
    ExitReason.KILLED: "o contêiner do projeto foi encerrado por um sinal",
}


class ProjectRunError(InfrastructureError):
    """The project runner failed on our side (no or unreadable result): retry."""


def run_project(
    repo: Path,
    *,
    params: dict[str, dict[str, Any]],
    image: str,
    limits: Limits,
    name: str | None = None,
    client: docker.DockerClient | None = None,
    site: Path | None = None,
) -> tuple[dict[str, Any], SandboxResult]:
    """Run ``repo``'s tests and API in the sandbox; (report, how the container ended).

    ``params`` maps ``"tests"`` and ``"serving"`` to the rubric criteria's params
    (``timeout_seconds``; ``health_paths``, ``predict_paths``, ``requests``,
    ``startup_seconds``) merged with what projeto.yaml declares (``command``, ``port``), and
    ``"train"`` to its ``train`` command. ``site`` is the project's environment made by the
    install step (``autograder.dependencies``), mounted read-only at ``/opt/mle-deps``.
    ``limits.wall_seconds`` bounds the whole container and should
    leave room for both (the tests get what the API's start-up does not need).

    The report::

        {"schema": 1, "status": "ok" | "error" | "timeout" | "oom" | "killed",
         "train": {"ran", "command", "exit_code", "timed_out", "seconds", "output_tail",
                   "reason", "new_files": [...]},   # only with projeto.yaml's `train`
         "reason": str,                    # pt-BR, when status is not "ok"
         "error": str,                     # the runner's own failure (status "error")
         "project": {"files", "bytes", "symlinks", "skipped": [...], "pythonpath": [...]},
         "tests": {"ran", "exit_code", "timed_out", "timeout_seconds", "seconds",
                   "total", "passed", "failed", "errors", "skipped",
                   "failures": [{"name", "kind", "message"}],   # tests/x.py::test_y
                   "collection_errors": [{"name", "message"}],
                   "doctest_errors": [...],  # test*.txt files pytest read as doctests
                   "command", "source": "projeto.yaml" | "descoberta", "runner",
                   "missing_modules": [...], "unimportable_project_modules": [...],
                   "bad_options": [...], "no_tests", "test_files",
                   "junit": "ok" | "missing" | "invalid", "output_tail", "reason"},
         "serving": {"found", "app": {"file", "module", "attribute", "framework", "factory"},
                     "source", "command", "mode": "descoberta" | "declarado" | "comando",
                     "tried": {...}, "served_with", "port",
                     "candidates": [...], "started", "startup_seconds", "exit_code",
                     "health": {"path", "status", "body"} | None, "health_tried": [...],
                     "openapi", "predict": {"path", "method", "status", "body_sent",
                     "response", "from_schema"} | None,
                     "invalid": {"path", "status", "body_sent", "response"} | None,
                     "latency": {"method", "path", "requests", "failures", "p50_ms",
                                 "p95_ms", "max_ms"} | None,
                     "errors": [...], "log_tail", "reason"},
         "killed_processes", "runner_seconds", "timings": {...}}

    ``tests`` and ``serving`` are missing when the container ended before the runner
    reported (status timeout / oom / killed). Raises SandboxError or ProjectRunError for
    infrastructure faults only.
    """
    repo = Path(repo)
    if not repo.is_dir():
        raise ProjectRunError(f"repository directory not found: {repo}")
    run_name = name or f"project-{secrets.token_hex(6)}"
    wanted = {step: dict(params.get(step) or {}) for step in STEPS}
    with tempfile.TemporaryDirectory(prefix="mle-project-") as tmp:
        in_dir, out_dir = io_dirs(Path(tmp))
        (in_dir / PARAMS_FILE).write_text(json.dumps(wanted), encoding="utf-8")
        make_readable(in_dir)
        sandbox = run_runner(
            "project_runner",
            [f"--wall-seconds={limits.wall_seconds}"],
            in_dir=in_dir,
            out_dir=out_dir,
            limits=limits,
            image=image,
            name=run_name,
            client=client,
            mounts=[
                Mount(repo, REPO_TARGET, read_only=True),
                *([Mount(site, str(DEPS), read_only=True)] if site else []),
            ],
        )
        report = _report(out_dir / RESULT_FILE, sandbox, limits)
    logger.info("project %s: %s in %.1fs", run_name, report.get("status"), sandbox.resources.wall_s)
    return report, sandbox


def _report(path: Path, sandbox: SandboxResult, limits: Limits) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(RESULT_MAX_BYTES + 1)
    except FileNotFoundError:
        data = None
    if data is None:
        if sandbox.exit_reason in _REASONS:  # the student's code took the container down
            reason = _REASONS[sandbox.exit_reason].format(
                seconds=messages.duration(limits.wall_seconds), memory=limits.memory_mb
            )
            status = {ExitReason.TIMEOUT: "timeout", ExitReason.OOM: "oom"}.get(
                sandbox.exit_reason, "killed"
            )
            return {"schema": RESULT_SCHEMA, "status": status, "reason": reason}
        raise ProjectRunError(
            f"the project runner wrote no result ({sandbox.exit_reason}, exit "
            f"{sandbox.exit_code}): {sandbox.logs[-500:]}"
        )
    if len(data) > RESULT_MAX_BYTES:
        raise ProjectRunError(f"the project runner's result is over {RESULT_MAX_BYTES} bytes")
    try:
        report = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProjectRunError(f"the project runner's result is not JSON: {exc}") from exc
    if not isinstance(report, dict) or report.get("schema") != RESULT_SCHEMA:
        raise ProjectRunError("the project runner's result has an unknown schema")
    if report.get("status") == "error":
        raise ProjectRunError(f"the project runner failed: {report.get('error', '')}")
    return report

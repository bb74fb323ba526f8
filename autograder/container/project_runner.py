"""The project container's command: run a final project's tests and API, one result file out.

The checks ``tests`` and ``serving`` (``autograder/checks/``) grade what this script reports;
the host starts it with ``autograder/project_run.py``. The lockdown is the notebook runner's
(``runner.py``, ``autograder/grading_container.py``): this runs as uid 0 with every
capability dropped except SETUID + SETGID (``setpriv`` to the student's uid) and KILL (end
the student's processes, another uid); no DAC_OVERRIDE, so file permissions bind this root
too.

Layout (``/tmp`` and ``/aluno`` are separate size-capped tmpfs mounts; no network but ``lo``;
``common.build_layout`` makes the shared part):

    /tmp                 root 0711
    /tmp/grader          root 0700: nothing below is reachable by the student
      repo/               read-only bind mount: the checkout at the pinned commit
      in/params.json      read-only bind mount: the params of ``train``, ``tests``, ``serving``
      out/                bind mount: result.json leaves the container only through here
    /opt/mle-deps        read-only bind mount, when the project declared dependencies: what
                          the install step (``project_install``) made of them, on PYTHONPATH
    /aluno               root 1777: the student's scratch
      projeto/            the student's copy of the repository (uid 1001, writable)
      home, tmp, saida    root 1777: HOME, TMPDIR and pytest's JUnit report

The steps, one module each:

- ``project_tree``: root lists the read-only checkout and streams a copy to the student;
- ``project_train``: projeto.yaml's ``train`` command as the student, when it declares one
  (a model the API loads is trained here, with no network, before the tests and the API);
- ``project_tests``: pytest as the student, its JUnit report read back as the student;
- ``project_api`` and ``project_serving``: the app found by ``ast`` (never imported by root),
  served as the student and probed over loopback with time-outs and size caps.

Everything of the project runs as uid 1001 (``student_process``). Between the steps and at
the end every process of that uid is killed; ``result.json`` is created O_EXCL | O_NOFOLLOW
in ``out/``, which the student cannot reach (``common.write_result``).

    python -P -m autograder.container.project_runner --wall-seconds 600

Standard library only (and its sibling modules).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from typing import Any

from autograder.container.common import (
    IN,
    STUDENT_HOME,
    STUDENT_TMP,
    TIMINGS,
    build_layout,
    kill_student_processes,
    log,
    lower_own_oom_score,
    write_result,
)
from autograder.container.project_serving import run_serving
from autograder.container.project_tests import STUDENT_OUT, run_tests
from autograder.container.project_train import run_train
from autograder.container.project_tree import REPO, copy_project, list_tree, python_path
from autograder.container.student_process import PROJECT

PARAMS_FILE = "params.json"
RESULT_MAX_BYTES = 2 * 1024 * 1024  # the host refuses more than 3 MiB
RESERVE_S = 8.0  # what must fit after the last step: killing leftovers, writing the result

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "train": {"timeout_seconds": 300},  # runs only with projeto.yaml's `train` command
    "tests": {"timeout_seconds": 240},
    "serving": {
        "health_paths": ["/health", "/healthz", "/saude"],
        "predict_paths": ["/predict", "/prever", "/predicao"],
        "requests": 50,
        "startup_seconds": 60,
    },
}


def cut_tails(result: dict[str, Any]) -> None:
    """The cut of a result over the cap: the output tails of the tests and of the app."""
    for section in ("train", "tests", "serving"):
        part = result.get(section)
        if isinstance(part, dict):
            for key in ("output_tail", "log_tail"):
                if key in part:
                    part[key] = part[key][-1000:]


def load_params() -> dict[str, dict[str, Any]]:
    try:
        with open(IN / PARAMS_FILE, "rb") as handle:
            given = json.loads(handle.read(256 * 1024))
    except (OSError, ValueError):
        given = {}
    return {
        name: {**defaults, **(given.get(name) or {})} if isinstance(given, dict) else defaults
        for name, defaults in DEFAULT_PARAMS.items()
    }


def main(argv: list[str]) -> int:
    started = time.time()
    parser = argparse.ArgumentParser(prog="project_runner")
    parser.add_argument("--wall-seconds", type=float, default=600)
    parser.add_argument("--steps", default="tests,serving")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.wall_seconds - RESERVE_S
    steps = set(args.steps.split(","))

    build_layout(student_dirs=(STUDENT_HOME, STUDENT_TMP, STUDENT_OUT))
    lower_own_oom_score()
    result: dict[str, Any] = {"status": "ok"}
    try:
        params = load_params()
        files, links, summary = list_tree(REPO)
        began = time.monotonic()
        copy_project(files, links)
        TIMINGS["copy"] = round(time.monotonic() - began, 3)
        pythonpath = python_path(files)
        result["project"] = {
            **summary,
            "pythonpath": [p.replace(str(PROJECT), ".") for p in pythonpath],
        }
        # The API needs its share of the wall clock: training and tests get what is left.
        reserve = float(params["serving"]["startup_seconds"]) + 30 if "serving" in steps else 0
        if params["train"].get("command"):
            result["train"] = run_train(params["train"], pythonpath, deadline - reserve - 30)
            kill_student_processes()
        if "tests" in steps:
            result["tests"] = run_tests(params["tests"], files, pythonpath, deadline - reserve)
        if "serving" in steps:
            kill_student_processes()
            result["serving"] = run_serving(params["serving"], files, pythonpath, deadline)
    except Exception as exc:  # whatever broke, the host gets a reason, not a silent zero
        traceback.print_exc()
        result = {**result, "status": "error", "error": f"{type(exc).__name__}: {exc}"[:1000]}
    result["killed_processes"] = kill_student_processes()
    result["runner_seconds"] = round(time.time() - started, 3)
    result["timings"] = TIMINGS
    write_result(result, max_bytes=RESULT_MAX_BYTES, shrink=(cut_tails,))
    log(f"{result['status']} in {result['runner_seconds']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

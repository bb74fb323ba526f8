"""The grading container's command: nbgrader on one submission, one result file out.

Runs as uid 0 *inside* the container, with every capability dropped except the three the
design strictly needs (see ``autograder/grading_container.py``): SETUID and SETGID so
``setpriv`` can start the kernel as the student's uid, KILL so this root can interrupt
(nbclient's SIGINT on a cell time-out) and kill processes of that other uid. No DAC_OVERRIDE,
no CHOWN: file permissions bind this root too, which the layout below relies on.

Layout (``/tmp`` and ``/aluno`` are separate size-capped tmpfs mounts; the parts both
container commands share are made by ``common.build_layout``):

    /tmp                 root 0711: the student can traverse it but not list or create
    /tmp/grader          root 0700: nothing below is reachable by the student
      in/                 read-only bind mount: source, release, gradebook template, submission
      out/                bind mount: the result file (and, for ``prepare``, the release and
                          gradebook) leave the container only through here
      course/             the per-submission nbgrader course tree and its gradebook.db
      jupyter/ ...        kernel specs (JUPYTER_PATH), runtime dir, nbgrader's HOME and TMPDIR
    /tmp/kernel          root 0711: 0644 copies of the kernel connection files (by name only)
    /aluno/trabalho      root 1777: the kernel's working directory
      dados/              root 0755: the assignment's data files (0644), read-only for the kernel
      avaliacao/          root 0755: held-out *features* only; their labels stay in in/
    /aluno/home, tmp     root 1777: the kernel's HOME and TMPDIR

The student can fill /aluno, not /tmp, so a full disk cannot stop the grader from writing.
Nothing that runs as root ever opens a path under /aluno. The umask is 077: whatever nbgrader
writes (autograded notebook with the hidden tests, feedback) is 0600 or 0700.

    python -P -m autograder.container.runner prepare
    python -P -m autograder.container.runner autograde --cell-timeout 60 --wall-seconds 300
    python -P -m autograder.container.runner warm --threads 1 --idle-seconds 600

(with ``PYTHONPATH`` naming the directory the host mounts ``autograder/container`` under).
``warm`` is ``autograde`` started ahead, in a container of the warm pool (``autograder/pool.py``):
it builds the tree, starts nbgrader's process and the kernel, then waits on the FIFO in/go
for the run's arguments; the inputs are written to in/ before them. Its ``--threads`` is the
run's (the pool is keyed by the run's limits, so they agree).
Standard library only, and the sibling modules ``common`` and ``holdout_metrics``: nbgrader
runs in a process of its own (``nbgrader_process.py``, started first, so that its imports
overlap with the rest of the preparation); its post-convert hook
(``grader_ext.after_autograde``) ends the student's leftover processes, reads the scores with
nbgrader's API and writes the graded notebook (the feedback) in that same process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from autograder.container.common import (
    GRADER,
    IN,
    OUT,
    SCRATCH,
    STUDENT_GID,
    STUDENT_HOME,
    STUDENT_ROOT,
    STUDENT_TMP,
    STUDENT_UID,
    TIMINGS,
    build_layout,
    clip,
    kill_student_processes,
    log,
    lower_own_oom_score,
    mkdir,
    read_as_student,
    write_result,
)
from autograder.container.hidden_tests import HiddenTests
from autograder.container.holdout_metrics import score

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parents[1]  # on nbgrader's sys.path, for grader_ext
COURSE = GRADER / "course"
JUPYTER_PATH = GRADER / "jupyter"
RUNTIME = GRADER / "runtime"
JUPYTER_CONFIG = GRADER / "jupyter-config"
JUPYTER_DATA = GRADER / "jupyter-data"
GRADER_HOME = GRADER / "home"
GRADER_TMP = GRADER / "tmp"
LOGS = GRADER / "logs"
EVENTS = GRADER / "events.json"
SCORES = GRADER / "scores.json"
FEEDBACK = GRADER / "feedback.ipynb"  # the graded notebook, hidden tests out: students
STAFF_FEEDBACK = GRADER / "feedback-staff.ipynb"  # with the hidden tests: instructors only
CONN_DIR = SCRATCH / "kernel"
WORK = STUDENT_ROOT / "trabalho"

KERNEL_NAME = "mle-aluno"
COURSE_ID = "mle"
ASSIGNMENT = "tarefa"
NOTEBOOK = "notebook"
STUDENT = "aluno"
DB_URL = f"sqlite:///{COURSE / 'gradebook.db'}"

# Input and output file names (host side: autograder/notebooks.py)
SOURCE_FILE = "source.ipynb"
RELEASE_FILE = "release.ipynb"
GRADEBOOK_FILE = "gradebook.db"
SUBMISSION_FILE = "submission.ipynb"
DATA_DIRS = ("dados", "avaliacao")  # in/<name>/* -> WORK/<name>/*, readable by the kernel
HOLDOUT_LABELS_FILE = "holdout_labels.csv"
GO_FILE = "go"  # a warm container's FIFO: the host writes the run's arguments to it
PREDICTIONS_MAX_BYTES = 8 * 1024 * 1024

RESULT_MAX_BYTES = 4 * 1024 * 1024  # the host refuses more than 5 MiB
FEEDBACK_MAX_BYTES = 3 * 1024 * 1024
TRACEBACK_MAX_CHARS = 2000
STDERR_MAX_CHARS = 600
LOG_TAIL_BYTES = 16 * 1024
ERRORS_PER_CELL = 3

# What nbgrader's ClearSolutions leaves where a solution was: students read Portuguese.
CODE_STUB = "# SEU CÓDIGO AQUI\nraise NotImplementedError()"
TEXT_STUB = "SUA RESPOSTA AQUI"


# -- the scratch tree -----------------------------------------------------------------------------


def build_notebook_layout() -> None:
    build_layout(
        grader_dirs=(
            COURSE,
            JUPYTER_PATH,
            RUNTIME,
            JUPYTER_CONFIG,
            JUPYTER_DATA,
            GRADER_HOME,
            GRADER_TMP,
            LOGS,
        ),
        student_dirs=(WORK, STUDENT_HOME, STUDENT_TMP),
    )
    mkdir(CONN_DIR, 0o711)  # the student traverses /tmp to reach it by name


def copy_input(name: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(IN / name, target)


def install_data() -> None:
    """The assignment's files for the kernel: root-owned, so it can read but not change them."""
    for name in DATA_DIRS:
        source = IN / name
        if not source.is_dir():
            continue
        target = WORK / name
        mkdir(target, 0o755)
        for path in sorted(source.iterdir()):
            if path.is_file() and not path.is_symlink():
                shutil.copyfile(path, target / path.name)
                os.chmod(target / path.name, 0o644)


def score_holdout(args: argparse.Namespace) -> dict[str, Any]:
    """The held-out metric; the kernel wrote the predictions (maybe a symlink to the labels),
    so they are read with the student's uid."""
    data = read_as_student(WORK / args.holdout_predictions, PREDICTIONS_MAX_BYTES)
    text, problem = None, f"o notebook não gravou {args.holdout_predictions}"
    if data is not None and len(data) > PREDICTIONS_MAX_BYTES:
        data, problem = None, f"{args.holdout_predictions} passa de {PREDICTIONS_MAX_BYTES} bytes"
    if data is not None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            problem = f"{args.holdout_predictions} não está em UTF-8"
    labels = (IN / HOLDOUT_LABELS_FILE).read_text("utf-8")
    result = score(
        args.holdout_metric, labels, text, id_column=args.holdout_id_column, missing_problem=problem
    )
    return result.to_dict()


def course_notebook(directory: str, *, student: bool = False) -> Path:
    parts = [directory, STUDENT] if student else [directory]
    return COURSE.joinpath(*parts, ASSIGNMENT, f"{NOTEBOOK}.ipynb")


def write_config(*, deadline: float = 0.0) -> None:
    config = f"""\
# Written by the autograder's runner for one run; see grader_ext.py.
import sys
import functools
sys.path.insert(0, {str(PACKAGE_ROOT)!r})
from autograder.container.grader_ext import SandboxedExecute, after_autograde
from nbgrader.converters.autograde import Autograde

c = get_config()  # noqa: F821
c.CourseDirectory.root = {str(COURSE)!r}
c.CourseDirectory.course_id = {COURSE_ID!r}
# !a: the file stays ASCII whatever locale the container runs nbgrader with.
c.ClearSolutions.code_stub = {{"python": {CODE_STUB!a}}}
c.ClearSolutions.text_stub = {TEXT_STUB!a}
c.Autograde.autograde_preprocessors = [
    SandboxedExecute if pp.__name__ == "Execute" else pp
    for pp in Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
]
c.SandboxedExecute.work_dir = {str(WORK)!r}
c.SandboxedExecute.deadline = {deadline!r}
c.SandboxedExecute.events_file = {str(EVENTS)!r}
c.Autograde.post_convert_hook = functools.partial(
    after_autograde, db_url={DB_URL!r}, course_id={COURSE_ID!r}, notebook={NOTEBOOK!r},
    scores_path={str(SCORES)!r}, student_uid={STUDENT_UID!r}, course_root={str(COURSE)!r},
    feedback_path={str(FEEDBACK)!r}, staff_feedback_path={str(STAFF_FEEDBACK)!r},
)
"""
    (COURSE / "nbgrader_config.py").write_text(config)


def write_kernel_specs(threads: int) -> None:
    argv = [
        sys.executable,
        "-I",
        str(HERE / "kernel_launch.py"),
        f"--uid={STUDENT_UID}",
        f"--gid={STUDENT_GID}",
        f"--conn-dir={CONN_DIR}",
        f"--home={STUDENT_HOME}",
        f"--tmpdir={STUDENT_TMP}",
        f"--threads={threads}",
        "{connection_file}",
    ]
    spec = {
        "argv": argv,
        "display_name": "Python 3 (aluno)",
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {"debugger": False},
    }
    # The Execute preprocessor is told to use KERNEL_NAME; "python3" and "python" are shadowed
    # too (JUPYTER_PATH comes first), so no notebook metadata can pick the image's root kernel.
    for name in (KERNEL_NAME, "python3", "python"):
        directory = JUPYTER_PATH / "kernels" / name
        mkdir(directory, 0o700)
        (directory / "kernel.json").write_text(json.dumps(spec, indent=1))


def nbgrader_environment() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(GRADER_HOME),
        "TMPDIR": str(GRADER_TMP),
        "JUPYTER_PATH": str(JUPYTER_PATH),
        "JUPYTER_RUNTIME_DIR": str(RUNTIME),
        "JUPYTER_CONFIG_DIR": str(JUPYTER_CONFIG),
        "JUPYTER_DATA_DIR": str(JUPYTER_DATA),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "Agg",
    }


class Nbgrader:
    """nbgrader's process (``nbgrader_process.py``), its output in a log file.

    Started at once, so its imports overlap with staging the course tree (and, in a warm
    container, with waiting for the submission); :meth:`start` then gives it its command.
    """

    def __init__(self, *, kernel: bool) -> None:
        self.log_name = "nbgrader"
        self.began = time.monotonic()
        self.log_path = LOGS / "nbgrader.log"
        command = [sys.executable, "-P", str(HERE / "nbgrader_process.py")]
        if kernel:  # the student's kernel, started ahead (kernel specs already written)
            command += [f"--kernel={KERNEL_NAME}", f"--cwd={WORK}"]
        with open(self.log_path, "wb") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 - fixed command, no shell
                command,
                cwd=COURSE,
                env=nbgrader_environment(),
                stdin=subprocess.PIPE,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self, args: list[str], *, log_name: str) -> Nbgrader:
        log(f"nbgrader {' '.join(args)}")
        self.log_name = log_name
        self.began = time.monotonic()
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(args).encode() + b"\n")
            self.process.stdin.close()
        except BrokenPipeError:
            pass  # it died while importing: wait() reports its exit code and log
        return self

    def wait(self, *, until: float) -> tuple[int | None, str]:
        """(exit code, or None when killed at ``until`` (epoch seconds); log tail)."""
        try:
            returncode: int | None = self.process.wait(timeout=max(until - time.time(), 1.0))
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            returncode = None
        TIMINGS[self.log_name] = round(time.monotonic() - self.began, 3)
        return returncode, tail(self.log_path, LOG_TAIL_BYTES)


def tail(path: Path, limit: int) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


# -- reading what nbgrader produced ---------------------------------------------------------------


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def read_scores() -> list[dict[str, Any]] | None:
    """What grader_ext.save_scores read from the gradebook, or None."""
    try:
        grades = json.loads(SCORES.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return grades if isinstance(grades, list) and grades else None


def read_executed_cells() -> list[dict[str, Any]]:
    """Error excerpts of every nbgrader cell of the executed notebook, in notebook order.

    Students read them (the justifications quote the exception): the hidden tests are
    redacted from them first.
    """
    notebook = json.loads(course_notebook("autograded", student=True).read_text("utf-8"))
    HiddenTests.from_files(course_notebook("source"), course_notebook("release")).redact_outputs(
        notebook
    )
    cells = []
    for index, cell in enumerate(notebook.get("cells", [])):
        grade_id = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        errors: list[dict[str, str]] = []
        stderr = ""
        for output in cell.get("outputs", []) or []:
            kind = output.get("output_type")
            if kind == "error" and len(errors) < ERRORS_PER_CELL:
                errors.append(
                    {
                        "ename": clip(str(output.get("ename", "")), 200),
                        "evalue": clip(str(output.get("evalue", "")), 1000),
                        "traceback": clip(
                            "\n".join(map(str, output.get("traceback", []))), TRACEBACK_MAX_CHARS
                        ),
                    }
                )
            elif kind == "stream" and output.get("name") == "stderr":
                stderr = clip(stderr + _text(output.get("text")), STDERR_MAX_CHARS)
        if grade_id or errors:
            cells.append(
                {
                    "cell_index": index,
                    "grade_id": grade_id,
                    "cell_type": cell.get("cell_type"),
                    "errors": errors,
                    "stderr": stderr,
                }
            )
    return cells


def read_events() -> list[dict[str, Any]]:
    try:
        return list(json.loads(EVENTS.read_text("utf-8")).get("events", []))
    except (OSError, ValueError):
        return []


def read_feedback(path: Path) -> tuple[dict[str, Any] | None, bool]:
    """The graded notebook ``grader_ext.write_feedback`` wrote (None when it did not), and
    whether it was left out for its size."""
    try:
        size = path.stat().st_size
    except OSError:
        return None, False
    if size > FEEDBACK_MAX_BYTES:
        return None, True
    try:
        notebook = json.loads(path.read_text("utf-8"))
    except ValueError:
        return None, False
    return (notebook, False) if isinstance(notebook, dict) else (None, False)


def drop_staff_feedback(result: dict[str, Any]) -> None:
    """First cut of a result over the cap: the instructors' copy of the graded notebook."""
    result["staff_feedback_notebook"] = None


def drop_feedback(result: dict[str, Any]) -> None:
    """Second cut: the students' copy of the graded notebook (the grades stay)."""
    result["feedback_notebook"], result["feedback_truncated"] = None, True


def cut_logs(result: dict[str, Any]) -> None:
    """Third cut: the log tail and all but the end of every traceback."""
    result["log_tail"] = ""
    for cell in result.get("cells", []):
        for error in cell["errors"]:
            error["traceback"] = error["traceback"][-200:]


def publish(source: Path, name: str) -> None:
    """Copy a file out for the host (prepare), readable by a non-root host user."""
    target = OUT / name
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(target, flags, 0o644)
    with open(fd, "wb") as out, open(source, "rb") as src:
        os.fchmod(out.fileno(), 0o644)
        shutil.copyfileobj(src, out)


def versions() -> dict[str, str]:
    try:
        from importlib.metadata import version

        return {"nbgrader": version("nbgrader"), "python": sys.version.split()[0]}
    except Exception:  # metadata unreadable: the versions are informative only
        return {}


# -- the two commands -----------------------------------------------------------------------------


def prepare(args: argparse.Namespace, started: float, nbgrader: Nbgrader) -> dict[str, Any]:
    """Release version and gradebook template of one source notebook."""
    copy_input(SOURCE_FILE, course_notebook("source"))
    write_config()
    returncode, log_tail = nbgrader.start(
        ["generate_assignment", ASSIGNMENT, "--force"], log_name="generate_assignment"
    ).wait(until=started + args.wall_seconds - 3)
    if returncode != 0:
        status = "timeout" if returncode is None else "invalid-source"
        return {"status": status, "log_tail": log_tail, "versions": versions()}
    publish(course_notebook("release"), RELEASE_FILE)
    publish(COURSE / "gradebook.db", GRADEBOOK_FILE)
    return {"status": "ok", "log_tail": log_tail, "versions": versions()}


def autograde(args: argparse.Namespace, started: float, nbgrader: Nbgrader) -> dict[str, Any]:
    copy_input(SOURCE_FILE, course_notebook("source"))
    copy_input(RELEASE_FILE, course_notebook("release"))
    copy_input(SUBMISSION_FILE, course_notebook("submitted", student=True))
    shutil.copyfile(IN / GRADEBOOK_FILE, COURSE / "gradebook.db")
    install_data()
    # What must fit after the deadline: the interrupted cell's IOPub wait (up to 4 s),
    # SaveAutoGrades, the feedback notebook and this result.
    reserve = min(15.0, max(8.0, args.wall_seconds * 0.3), args.wall_seconds * 0.5)
    write_config(deadline=started + args.wall_seconds - reserve)
    returncode, log_tail = nbgrader.start(
        [
            "autograde",
            ASSIGNMENT,
            f"--student={STUDENT}",
            "--force",
            f"--Execute.timeout={args.cell_timeout}",
            "--Execute.raise_on_iopub_timeout=False",
            "--OverwriteCells.add_missing_cells=True",
            f"--Execute.kernel_name={KERNEL_NAME}",
            # No graceful shutdown (up to a few tenths of a second waiting for the kernel to
            # exit): the student's processes are all killed right after anyway.
            "--Execute.shutdown_kernel=immediate",
        ],
        log_name="autograde",
    ).wait(until=started + args.wall_seconds - 4)
    killed = kill_student_processes(STUDENT_UID)
    common = {
        "log_tail": log_tail,
        "killed_processes": killed,
        "versions": versions(),
        "events": read_events(),
    }
    if returncode is None:
        return {"status": "timeout", **common}
    if returncode != 0:
        return {"status": "error", "error": "nbgrader autograde falhou", **common}
    if not EVENTS.exists():
        # traitlets only logs a config file that fails to load: then the stock Execute ran,
        # without the deadline and dead-kernel handling this result would claim.
        return {"status": "error", "error": "o Execute do sandbox não foi usado", **common}

    grades = read_scores()
    if grades is None:
        return {"status": "error", "error": "as notas não foram lidas do gradebook", **common}
    cells = read_executed_cells()
    if args.holdout_predictions:
        common["holdout"] = score_holdout(args)
    feedback, feedback_truncated = read_feedback(FEEDBACK)
    staff_feedback, _too_big = read_feedback(STAFF_FEEDBACK)
    if feedback is None and not feedback_truncated:
        common["feedback_log_tail"] = log_tail
    return {
        "status": "ok",
        "grades": grades,
        "cells": cells,
        "feedback_notebook": feedback,
        "feedback_truncated": feedback_truncated,
        "staff_feedback_notebook": staff_feedback,
        **common,
    }


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="runner")
    parser.add_argument("command", choices=["prepare", "autograde", "warm"])
    parser.add_argument("--cell-timeout", type=int, default=60)
    parser.add_argument("--wall-seconds", type=float, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--holdout-predictions", default="")
    parser.add_argument("--holdout-metric", default="roc_auc")
    parser.add_argument("--holdout-id-column", default="customerID")
    parser.add_argument("--idle-seconds", type=int, default=600)
    return parser.parse_args(argv)


def wait_for_work(idle_seconds: int) -> argparse.Namespace | None:
    """A warm container's wait: the host writes the run's ``autograde`` arguments, one JSON
    line, to the FIFO in/GO_FILE (``autograder/pool.py``); None if it closes it without
    them. After ``idle_seconds`` with no work, SIGALRM ends the runner and so the container:
    its pool starts a new one."""
    signal.alarm(idle_seconds)
    with open(IN / GO_FILE, encoding="utf-8") as fifo:  # blocks until the host opens it
        line = fifo.readline()
    signal.alarm(0)
    try:
        work = json.loads(line) if line else None
    except ValueError:
        return None
    if not isinstance(work, list) or not work or work[0] != "autograde":
        return None
    return parse_arguments([str(argument) for argument in work])


def main(argv: list[str]) -> int:
    started = time.time()
    args = parse_arguments(argv)
    build_notebook_layout()
    lower_own_oom_score()
    grading = args.command != "prepare"
    if grading:
        write_kernel_specs(args.threads)
    # nbgrader imports, and the kernel starts, while the tree is staged or the work awaited.
    nbgrader = Nbgrader(kernel=grading)
    if args.command == "warm":
        work = wait_for_work(args.idle_seconds)
        if work is None:
            log("warm: closed without work")
            return 0
        started, args = time.time(), work  # the wall clock counts from the work's arrival
    try:
        command = prepare if args.command == "prepare" else autograde
        result = command(args, started, nbgrader)
    except Exception as exc:  # whatever broke, the host gets a reason, not a silent zero
        traceback.print_exc()
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    result["runner_seconds"] = round(time.time() - started, 3)
    result["timings"] = TIMINGS
    write_result(
        result, max_bytes=RESULT_MAX_BYTES, shrink=(drop_staff_feedback, drop_feedback, cut_logs)
    )
    log(f"{args.command}: {result['status']} in {result['runner_seconds']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

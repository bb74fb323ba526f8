"""nbgrader's Execute preprocessor, adapted to the grading sandbox (runs inside nbgrader).

The runner's ``nbgrader_config.py`` puts :class:`SandboxedExecute` in place of ``Execute`` in
``Autograde.autograde_preprocessors``; every ``Execute.*`` option (``--Execute.timeout``...)
still applies to it. What it changes, and why:

- The kernel runs in a student-writable directory of its own tmpfs (``work_dir``), not in
  nbgrader's ``autograded/`` directory: that one holds the notebook with the hidden tests
  restored, and root-run nbgrader code walks and chmods it afterwards (a student symlink
  there would be followed).
- A kernel that dies (OOM killer, ``os.kill(os.getpid(), 9)``) makes stock nbgrader drop the
  whole notebook (no grade at all). Here the cell that was running gets an error output,
  every later code cell gets a "not executed" error output (a code cell without outputs would
  score full marks), and nbgrader goes on to SaveAutoGrades.
- A cell that times out is interrupted (nbgrader's default); when the kernel still does not
  answer ``unresponsive_grace`` seconds later (it ignores SIGINT), it is killed and the rest
  is marked "not executed", instead of every later cell waiting out its own time-out.
- ``deadline`` (epoch seconds) bounds the whole execution: a cell's time-out never runs past
  it, and once it is reached the remaining cells are marked "not executed". The run then
  still ends with scores, well inside the container's wall-clock limit.
- The cgroup's OOM-kill and pids-limit counters are read around each cell, so the result can
  name the limit a cell ran into.

Everything observed goes to ``events_file`` (JSON, in the grader's root-only directory).
"""

from __future__ import annotations

import copy
import json
import math
import os
import signal
import time
from pathlib import Path
from queue import Empty
from typing import Any

import nbgrader.api
import sqlalchemy
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer, Unicode

from autograder.container.common import kill_student_processes
from autograder.container.hidden_tests import HiddenTests

# Error names of the outputs this module adds. The runner reports them with the events (the
# authority on what happened); a student raising an exception of the same name changes
# nothing but the text of a cell that scores 0 anyway.
NOT_EXECUTED = "AutograderNaoExecutada"
KERNEL_DIED = "AutograderKernelEncerrado"

_COUNTERS = {
    # cgroup v1 (one hierarchy per controller) and v2 (unified) locations inside a container
    "oom_kill": (
        ("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill"),
        ("/sys/fs/cgroup/memory.events", "oom_kill"),
    ),
    "pids_max": (
        ("/sys/fs/cgroup/pids/pids.events", "max"),
        ("/sys/fs/cgroup/pids.events", "max"),
    ),
}


def read_counter(name: str) -> int | None:
    for path, key in _COUNTERS[name]:
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            field, _, value = line.partition(" ")
            if field == key and value.strip().isdigit():
                return int(value)
    return None


def _grew(before: int | None, after: int | None) -> bool:
    return before is not None and after is not None and after > before


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


def after_autograde(
    *,
    assignment: str,
    student: str,
    db_url: str,
    course_id: str,
    notebook: str,
    scores_path: str,
    student_uid: int,
    course_root: str,
    feedback_path: str = "",
    staff_feedback_path: str = "",
    **_: Any,
) -> None:
    """Autograde's post-convert hook, in the nbgrader process, once the notebook is graded.

    1. End whatever the student left running (before root reads anything the run made);
    2. write the scores, read with nbgrader's API, to ``scores_path``;
    3. write the graded notebook for the portal to render (:func:`write_feedback`).

    nbgrader only logs a failing hook; the runner then finds no scores file (an error) or no
    feedback (a note).
    """
    kill_student_processes(student_uid)
    save_scores(
        assignment=assignment,
        student=student,
        db_url=db_url,
        course_id=course_id,
        notebook=notebook,
        path=scores_path,
    )
    if feedback_path:
        root = Path(course_root)
        write_feedback(
            autograded=root / "autograded" / student / assignment / f"{notebook}.ipynb",
            hidden=HiddenTests.from_files(
                root / "source" / assignment / f"{notebook}.ipynb",
                root / "release" / assignment / f"{notebook}.ipynb",
            ),
            path=feedback_path,
            staff_path=staff_feedback_path,
        )


def write_feedback(*, autograded: Path, hidden: HiddenTests, path: str, staff_path: str) -> None:
    """The graded notebook as JSON: the students' copy at ``path``, the instructors' copy
    (hidden tests included) at ``staff_path`` when it differs.

    Students' copy: hidden tests redacted from every output (``hidden_tests.py``), then
    cleared from the grade cells' sources (nbgrader's ClearHiddenTests). The portal renders
    the notebook itself, in Portuguese: nbgrader's GenerateFeedback (English HTML, about a
    second per run) is not used.
    """
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests
    from nbgrader.utils import is_grade

    class ClearHiddenTestsOfGradeCells(ClearHiddenTests):
        """Only grade cells hold hidden tests (restored from the source by OverwriteCells).
        A student's cell that merely contains the delimiter text is the student's own and
        must not make the feedback fail ("No end hidden tests statement found")."""

        def preprocess_cell(
            self, cell: NotebookNode, resources: Any, index: int
        ) -> tuple[NotebookNode, Any]:
            if not is_grade(cell):
                return cell, resources
            cleared: tuple[NotebookNode, Any] = super().preprocess_cell(cell, resources, index)
            return cleared

    staff = nbformat.read(autograded, as_version=nbformat.NO_CONVERT)
    students = copy.deepcopy(staff)
    hidden.redact_outputs(students)
    ClearHiddenTestsOfGradeCells().preprocess(students, {})
    _write_json(path, students)
    if staff_path and students != staff:
        _write_json(staff_path, staff)


def _write_json(path: str, notebook: NotebookNode) -> None:
    with open(f"{path}.tmp", "w", encoding="utf-8") as handle:
        json.dump(notebook, handle, ensure_ascii=False)
    os.replace(f"{path}.tmp", path)


def save_scores(
    *, assignment: str, student: str, db_url: str, course_id: str, notebook: str, path: str
) -> None:
    from nbgrader.api import Gradebook

    grades = []
    with Gradebook(db_url, course_id) as gradebook:
        submission = gradebook.find_submission_notebook(notebook, assignment, student)
        for grade in submission.grades:
            grades.append(
                {
                    "grade_id": grade.name,
                    "score": float(grade.score or 0.0),
                    "max_score": float(grade.max_score or 0.0),
                    "auto_score": None if grade.auto_score is None else float(grade.auto_score),
                    "manual_score": None
                    if grade.manual_score is None
                    else float(grade.manual_score),
                    "needs_manual_grade": bool(grade.needs_manual_grade),
                    "cell_type": grade.cell_type,
                }
            )
    with open(f"{path}.tmp", "w", encoding="utf-8") as handle:
        json.dump(grades, handle)
    os.replace(f"{path}.tmp", path)


def _size(output: NotebookNode) -> int:
    return len(json.dumps(output, ensure_ascii=False))


def _shrink(output: NotebookNode, limit: int) -> None:
    """Cut the text of an output that must stay (it decides the score) to ``limit`` chars."""
    if output.get("output_type") == "error":
        traceback = list(output.get("traceback", []))
        while traceback and _size(output) > limit:
            traceback.pop(0)
            output["traceback"] = ["[...]", *traceback]
    elif output.get("output_type") == "stream":
        text = output.get("text", "")
        text = "".join(text) if isinstance(text, list) else text
        output["text"] = "[...]\n" + text[-limit:]
    elif "data" in output:
        plain = output["data"].get("text/plain", "")
        plain = "".join(plain) if isinstance(plain, list) else plain
        output["data"] = {"text/plain": plain[:limit]}


def cap_outputs(cell: NotebookNode, limit: int) -> None:
    """Keep at most ``limit`` bytes of a cell's outputs, without changing its score.

    Errors, stderr and execute results decide what nbgrader gives a cell: they are kept
    (their text shortened if need be). Other outputs that do not fit are dropped, and a line
    says how much.
    """
    outputs = cell.get("outputs") or []
    if sum(_size(output) for output in outputs) <= limit:
        return
    budget, dropped, kept = limit, 0, []
    for output in outputs:
        kind = output.get("output_type")
        decisive = kind in ("error", "execute_result") or (
            kind == "stream" and output.get("name") == "stderr"
        )
        size = _size(output)
        if size > budget and decisive:
            _shrink(output, max(budget, 2000))
            size = _size(output)
        if size <= budget or decisive:
            kept.append(output)
            budget = max(0, budget - size)
        else:
            dropped += size
    if dropped:
        kept.append(
            NotebookNode(
                output_type="stream",
                name="stdout",
                text=(
                    f"[saída de {dropped} bytes removida pelo corretor: limite de {limit} bytes "
                    "por célula]\n"
                ),
            )
        )
    cell.outputs = kept


_ENGINES: dict[str, Any] = {}


def _shared_engine(url: str, **options: Any) -> Any:
    """nbgrader opens the gradebook about ten times per grading, each time with a new
    SQLAlchemy engine, so every query is compiled again (about 0.1 s per grading): one engine
    per URL in this process keeps SQLAlchemy's compiled-statement cache. (``Gradebook.close``
    disposes of the engine's connections; the engine itself stays usable.)"""
    if url not in _ENGINES:
        _ENGINES[url] = sqlalchemy.create_engine(url, **options)
    return _ENGINES[url]


nbgrader.api.create_engine = _shared_engine


# Kernels started ahead by nbgrader's process (``nbgrader_process.py``), by kernel name, with
# a client connected and ready: the kernel starts while the inputs are staged (or, in a warm
# container, before the submission arrives) instead of after nbgrader has read them. Each is
# used once.
PRESTARTED: dict[str, tuple[Any, Any]] = {}


class SandboxedExecute(Execute):
    work_dir = Unicode("", help="Working directory of the kernel (student-writable).").tag(
        config=True
    )
    deadline = Float(0.0, help="Epoch seconds after which no cell runs (0: none).").tag(config=True)
    events_file = Unicode("", help="Where to write what happened (JSON).").tag(config=True)
    unresponsive_grace = Float(
        2.0, help="Seconds a timed-out, interrupted kernel has to answer before it is killed."
    ).tag(config=True)
    max_output_bytes = Integer(
        1024 * 1024,
        help="Bytes of outputs kept per cell (nbgrader's LimitOutput only "
        "limits text streams; images and HTML would otherwise fill the grader's tmpfs).",
    ).tag(config=True)

    # -- the notebook ------------------------------------------------------------------------

    def create_kernel_manager(self) -> Any:
        """The kernel started ahead under this kernel name, with its client, if it still
        runs; else a new one. nbclient owns it either way (shuts it down at the end)."""
        prestarted = PRESTARTED.pop(self.kernel_name, None)
        if prestarted is not None and run_sync(prestarted[0].is_alive)():
            self.km, self.kc = prestarted
            return self.km
        return super().create_kernel_manager()

    def preprocess(self, nb: NotebookNode, resources: Any, km: Any = None) -> Any:
        self._events: list[dict[str, Any]] = []
        self._halt: dict[str, Any] | None = None
        self._cell_timed_out = False
        self._deadline_bound = False
        self._timeout_used: int | None = None
        original_metadata = (resources or {}).get("metadata", {})
        if self.work_dir:
            resources = dict(resources)
            resources["metadata"] = {**original_metadata, "path": self.work_dir}
        try:
            nb, resources = super().preprocess(nb, resources, km=km)
        finally:
            self._write_events()
        resources["metadata"] = original_metadata
        return nb, resources

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if self._halt is None and self.deadline and time.time() >= self.deadline:
            self._halt = self._event("deadline", index, grade_id, started=False)
        if self._halt is not None:
            self._mark_not_executed(cell, index, grade_id)
            return cell, resources

        oom_before, pids_before = read_counter("oom_kill"), read_counter("pids_max")
        self._cell_timed_out = self._deadline_bound = False
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._kernel_died(cell, index, grade_id, oom_before)
            cap_outputs(cell, self.max_output_bytes)
            return cell, resources
        cap_outputs(cell, self.max_output_bytes)
        if _grew(pids_before, read_counter("pids_max")):
            self._event("pids-limit", index, grade_id)
        if _grew(oom_before, read_counter("oom_kill")):
            self._event("oom", index, grade_id)  # a child of the kernel, the kernel survived
        if self._cell_timed_out:
            self._after_timeout(index, grade_id)
        return cell, resources

    # -- what can go wrong in a cell ---------------------------------------------------------

    def _kernel_died(
        self, cell: NotebookNode, index: int, grade_id: str | None, oom_before: int | None
    ) -> None:
        cause = "oom" if _grew(oom_before, read_counter("oom_kill")) else "killed"
        returncode = self._kernel_returncode()
        self._halt = self._event(
            "kernel-died",
            index,
            grade_id,
            cause=cause,
            signal=-returncode if returncode is not None and returncode < 0 else None,
        )
        cell.outputs.append(_error_output(KERNEL_DIED, "o kernel foi encerrado nesta célula"))

    def _after_timeout(self, index: int, grade_id: str | None) -> None:
        if self._deadline_bound:
            self._halt = self._event("deadline", index, grade_id, started=True)
            self._kill_kernel()
            return
        self._event("cell-timeout", index, grade_id, seconds=self._timeout_used)
        if not self._kernel_responds(self.unresponsive_grace):
            self._halt = self._event(
                "kernel-unresponsive", index, grade_id, seconds=self._timeout_used
            )
            self._kill_kernel()

    def _mark_not_executed(self, cell: NotebookNode, index: int, grade_id: str | None) -> None:
        assert self._halt is not None
        cell.outputs = [_error_output(NOT_EXECUTED, "a célula não foi executada")]
        cell.execution_count = None
        self._event("not-executed", index, grade_id, because=self._halt["kind"])

    # -- nbclient hooks ----------------------------------------------------------------------

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        timeout: int | None = super()._get_timeout(cell)
        if cell is None:
            return timeout
        self._deadline_bound = False
        if self.deadline:
            remaining = max(1, math.ceil(self.deadline - time.time()))
            if timeout is None or remaining < timeout:
                self._deadline_bound = True
                timeout = remaining
        self._timeout_used = timeout
        return timeout

    async def _async_handle_timeout(
        self, timeout: int, cell: NotebookNode | None = None
    ) -> dict[str, Any] | None:
        if cell is not None:
            self._cell_timed_out = True
        reply: dict[str, Any] | None = await super()._async_handle_timeout(timeout, cell)
        return reply

    # -- the kernel --------------------------------------------------------------------------

    async def _async_kernel_responds(self, grace: float) -> bool:
        """Whether the kernel answers a kernel_info request within ``grace`` seconds.

        Shell requests are served in order, so the answer comes only once the interrupted
        cell has really stopped.
        """
        assert self.kc is not None
        msg_id = self.kc.kernel_info()
        deadline = time.monotonic() + grace
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=remaining))
            except Empty:
                return False
            if msg["parent_header"].get("msg_id") == msg_id:
                return True
        return False

    _kernel_responds = run_sync(_async_kernel_responds)

    def _kill_kernel(self) -> None:
        # SIGKILL to the kernel's process group (jupyter_client starts it in a session of its
        # own); needs CAP_KILL because the kernel runs under another uid.
        try:
            run_sync(self.km.signal_kernel)(signal.SIGKILL)
        except Exception as exc:  # already gone: nothing to kill
            self.log.warning("could not kill the kernel: %r", exc)

    def _kernel_returncode(self) -> int | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is None:
            return None
        for _ in range(20):  # the zombie is reaped a moment after the death is noticed
            returncode: int | None = process.poll()
            if returncode is not None:
                return returncode
            time.sleep(0.05)
        return None

    # -- bookkeeping -------------------------------------------------------------------------

    def _event(self, kind: str, index: int, grade_id: str | None, **details: Any) -> dict[str, Any]:
        event = {"kind": kind, "cell_index": index, "grade_id": grade_id, **details}
        self._events.append(event)
        self.log.warning("autograder event: %s", json.dumps(event))
        return event

    def _write_events(self) -> None:
        if not self.events_file:
            return
        tmp = f"{self.events_file}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump({"events": self._events, "pid": os.getpid()}, handle)
        os.replace(tmp, self.events_file)

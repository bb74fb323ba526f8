"""From what the grading container reported to a :class:`NotebookResult`.

Pure functions, no Docker: the status (graded, timeout, oom, invalid), a pt-BR
justification per grade cell naming the test, the exception, the limit and its value, notes
for what happened in other cells, and the summary. ``autograder/notebooks.py`` calls them with
the sandbox's result and the runner's result file; the tests call them with made-up ones.
A run that ended without scores through a fault of ours raises :class:`NotebookRunError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autograder import holdout as holdout_mod
from autograder import messages
from autograder.errors import InfrastructureError
from autograder.messages import number
from autograder.results import (
    CellResult,
    ExitReason,
    GradeStatus,
    Limits,
    NotebookResult,
    Resources,
    SandboxResult,
    TamperFinding,
)
from autograder.validate import grade_id, is_grade, is_manual, points

# Error outputs the sandboxed Execute adds (autograder/container/grader_ext.py) or nbgrader's
# own time-out marker: the events say what happened, these are not the student's exceptions.
SYNTHETIC_ERRORS = {"AutograderNaoExecutada", "AutograderKernelEncerrado", "CellTimeoutError"}
HALTING_EVENTS = ("kernel-died", "kernel-unresponsive", "deadline")
LOGS_EXCERPT_CHARS = 4000
ERROR_EXCERPT_CHARS = 2000
EVALUE_CHARS = 300


class NotebookRunError(InfrastructureError):
    """The grading container ended without scores through a fault of ours: retry.

    No, an oversized or an unreadable result file, nbgrader or the runner failing inside the
    sandbox. ``message`` is the pt-BR reason with its id (``str()`` is its text); ``logs`` the
    tail of what the runner and the container printed, for instructors.
    """

    def __init__(self, message: messages.Message, logs: str = "") -> None:
        super().__init__(message.text)
        self.message = message
        self.logs = logs


class MalformedResult(NotebookRunError):
    """The runner's result file does not have the expected shape."""

    def __init__(self, detail: str) -> None:
        super().__init__(messages.message("error.result_malformed", detail=detail))


# -- inputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeCell:
    grade_id: str
    max_points: float
    manual: bool


@dataclass(frozen=True)
class SourceInfo:
    """The grade cells of the source notebook, in notebook order."""

    cells: tuple[GradeCell, ...]

    @classmethod
    def from_notebook(cls, notebook: dict[str, Any]) -> SourceInfo:
        cells = []
        for cell in notebook.get("cells", []):
            gid = grade_id(cell)
            if gid and is_grade(cell):
                cells.append(GradeCell(gid, points(cell), is_manual(cell)))
        return cls(tuple(cells))

    @property
    def max_total(self) -> float:
        return sum(cell.max_points for cell in self.cells)

    def with_cell(self, cell: GradeCell) -> SourceInfo:
        return SourceInfo((*self.cells, cell))

    def order(self, gid: str) -> int:
        for index, cell in enumerate(self.cells):
            if cell.grade_id == gid:
                return index
        return len(self.cells)

    def manual(self, gid: str) -> bool:
        return any(cell.manual for cell in self.cells if cell.grade_id == gid)


@dataclass
class Payload:
    """The runner's result file (autograder/container/runner.py), checked for shape."""

    status: str
    grades: list[dict[str, Any]] = field(default_factory=list)
    cells: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    feedback_notebook: dict[str, Any] | None = None
    staff_feedback_notebook: dict[str, Any] | None = None
    feedback_truncated: bool = False
    feedback_failed: bool = False
    error: str = ""
    log_tail: str = ""
    holdout: dict[str, Any] | None = None

    @classmethod
    def parse(cls, raw: Any) -> Payload:
        if not isinstance(raw, dict) or raw.get("schema") != 1:
            raise MalformedResult("esquema desconhecido")
        status = raw.get("status")
        if status not in ("ok", "error", "timeout", "invalid-source"):
            raise MalformedResult(f"status {status!r}")
        payload = cls(
            status=status,
            grades=_list_of_dicts(raw, "grades"),
            cells=_list_of_dicts(raw, "cells"),
            events=_list_of_dicts(raw, "events"),
            feedback_notebook=_field(raw, "feedback_notebook", dict | None),
            staff_feedback_notebook=_field(raw, "staff_feedback_notebook", dict | None),
            feedback_truncated=bool(raw.get("feedback_truncated")),
            feedback_failed="feedback_log_tail" in raw,
            error=_field(raw, "error", str, ""),
            log_tail=_field(raw, "log_tail", str, ""),
            holdout=raw.get("holdout") if isinstance(raw.get("holdout"), dict) else None,
        )
        for grade in payload.grades:
            if not isinstance(grade.get("grade_id"), str):
                raise MalformedResult("grade sem grade_id")
            for key in ("score", "max_score"):
                if not isinstance(grade.get(key), int | float):
                    raise MalformedResult(f"grade sem {key}")
        if status == "ok" and not payload.grades:
            raise MalformedResult("nenhuma nota no resultado")
        return payload


def _list_of_dicts(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise MalformedResult(f"{key} não é uma lista de objetos")
    return value


def _field(raw: dict[str, Any], key: str, kind: Any, default: Any = None) -> Any:
    value = raw.get(key, default)
    if not isinstance(value, kind):
        raise MalformedResult(f"{key} não é do tipo esperado")
    return value


@dataclass(frozen=True)
class Context:
    """What every result carries besides the scores."""

    limits: Limits
    source: SourceInfo
    tampered: tuple[TamperFinding, ...] = ()
    source_sha256: str = ""
    submission_sha256: str = ""
    holdout: holdout_mod.HoldoutSpec | None = None  # its cell is the last of ``source``


# -- results without scores -----------------------------------------------------------------------


def invalid_result(message: messages.Message, context: Context) -> NotebookResult:
    return _result(context, GradeStatus.INVALID, message, total=0.0)


def _result(
    context: Context,
    status: GradeStatus,
    summary: messages.Message,
    *,
    total: float,
    sandbox: SandboxResult | None = None,
) -> NotebookResult:
    return NotebookResult(
        status=status,
        total=total,
        max_total=context.source.max_total,
        tampered=list(context.tampered),
        resources=sandbox.resources if sandbox else Resources(),
        image=sandbox.image if sandbox else "",
        exit_reason=sandbox.exit_reason if sandbox else ExitReason.OK,
        message=summary.text,
        message_id=summary.id,
        limits=context.limits,
        logs_excerpt=_tail(sandbox.logs) if sandbox else "",
        source_sha256=context.source_sha256,
        submission_sha256=context.submission_sha256,
    )


def _tail(text: str) -> str:
    return text if len(text) <= LOGS_EXCERPT_CHARS else "…" + text[-LOGS_EXCERPT_CHARS:]


# -- the sandbox and the runner together ----------------------------------------------------------


def from_run(
    sandbox: SandboxResult,
    payload: Payload | None,
    problem: NotebookRunError | None,
    context: Context,
) -> NotebookResult:
    """Combine the container's fate, the result file (or why there is none) and the events.

    Raises :class:`NotebookRunError` when the run has no scores through our fault: no usable
    result file although the container was not stopped at the wall clock (``problem``), or a
    runner that reports a failure of nbgrader or of its own; not when the container ran out
    of memory, whichever process the OOM killer chose: that is a grade.
    """
    if payload is None:
        if sandbox.exit_reason is ExitReason.TIMEOUT:
            return _without_scores(sandbox, context, GradeStatus.TIMEOUT)
        if sandbox.oom_killed:
            return _without_scores(sandbox, context, GradeStatus.OOM)
        if problem is None:
            raise ValueError("from_run needs the payload or the problem that prevented it")
        problem.logs = problem.logs or _tail(sandbox.logs)
        raise problem
    if payload.status == "timeout":
        return _without_scores(sandbox, context, GradeStatus.TIMEOUT)
    if payload.status == "error" and sandbox.oom_killed:
        return _without_scores(sandbox, context, GradeStatus.OOM)
    if payload.status != "ok":
        detail = payload.error or payload.status
        last = _last_line(payload.log_tail)
        reason = messages.message("error.runner", detail=f"{detail}: {last}" if last else detail)
        raise NotebookRunError(
            reason, _tail("\n".join(filter(None, [payload.log_tail, sandbox.logs])))
        )
    return _graded(sandbox, payload, context)


def _without_scores(
    sandbox: SandboxResult, context: Context, status: GradeStatus
) -> NotebookResult:
    """Every grade cell at 0: the wall clock or the memory (the OOM killer ended nbgrader or
    the runner, not only the kernel) stopped the run before any score. A grade, no retry."""
    limits, timeout = context.limits, status is GradeStatus.TIMEOUT
    fields = {"seconds": limits.wall_seconds} if timeout else {"memory_mb": limits.memory_mb}
    summary_id = "summary.timeout_no_scores" if timeout else "summary.oom_no_scores"
    summary = messages.message(summary_id, max_total=number(context.source.max_total), **fields)
    result = _result(context, status, summary, total=0.0, sandbox=sandbox)
    if not timeout:  # also when the process killed was not the container's main one
        result.exit_reason = ExitReason.OOM
    for cell in context.source.cells:
        note_id = "cell.not_evaluated" if timeout else "cell.not_evaluated.oom"
        note = messages.message(note_id, grade_id=cell.grade_id, **fields)
        result.cells.append(
            CellResult(
                grade_id=cell.grade_id,
                points=0.0,
                max_points=cell.max_points,
                manual=cell.manual,
                passed=None if cell.manual else False,
                message=note.text,
                message_id=note.id,
            )
        )
    return result


def _graded(sandbox: SandboxResult, payload: Payload, context: Context) -> NotebookResult:
    report = _Report(payload, context)
    grades = sorted(payload.grades, key=lambda g: context.source.order(g["grade_id"]))
    cells = [report.cell(grade) for grade in grades]
    score = None
    if context.holdout is not None:
        score = holdout_mod.parse_score(payload.holdout)
        cells.append(holdout_mod.cell_result(context.holdout, score))
    total = round(sum(cell.points for cell in cells), 4)
    max_total = round(sum(cell.max_points for cell in cells), 4)
    status, summary = report.summary(cells, total, max_total)
    result = _result(context, status, summary, total=total, sandbox=sandbox)
    result.max_total = max_total
    result.cells = cells
    result.needs_manual_grade = [g["grade_id"] for g in grades if g.get("needs_manual_grade")]
    result.feedback_notebook = payload.feedback_notebook
    result.staff_feedback_notebook = payload.staff_feedback_notebook
    result.notes = report.notes(sandbox)
    result.holdout = score.to_dict() if score is not None else None
    return result


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


class _Report:
    """Messages for one graded run: per cell, notes, summary."""

    def __init__(self, payload: Payload, context: Context) -> None:
        self.payload = payload
        self.context = context
        self.limits = context.limits
        self.executed: dict[object, dict[str, Any]] = {}
        for cell in payload.cells:
            self.executed.setdefault(cell.get("grade_id"), cell)
        self.events: dict[int, dict[str, dict[str, Any]]] = {}
        for event in payload.events:
            index = event.get("cell_index")
            if isinstance(index, int) and isinstance(event.get("kind"), str):
                self.events.setdefault(index, {}).setdefault(event["kind"], event)
        self.halt = next((e for e in payload.events if e.get("kind") in HALTING_EVENTS), None)
        graded_ids = {grade["grade_id"] for grade in payload.grades}
        self.graded_indices = sorted(
            cell["cell_index"]
            for cell in payload.cells
            if cell.get("grade_id") in graded_ids and isinstance(cell.get("cell_index"), int)
        )

    # -- per cell -----------------------------------------------------------------------

    def cell(self, grade: dict[str, Any]) -> CellResult:
        gid = grade["grade_id"]
        score, max_points = float(grade["score"]), float(grade["max_score"])
        executed = self.executed.get(gid) or {}
        manual = self.context.source.manual(gid) or grade.get("cell_type") == "markdown"
        error = _first_error(executed)  # the student's exception, not our markers
        if manual:
            passed, message = self._manual(grade, gid, score, max_points)
        else:
            passed = grade.get("auto_score") is not None and score >= max_points - 1e-9
            message = self._automatic(gid, executed, passed, score, max_points, error)
        text = message.text + self._tamper_suffix(gid)
        return CellResult(
            grade_id=gid,
            points=score,
            max_points=max_points,
            manual=manual,
            passed=passed,
            message=text,
            error=_clip(error.get("traceback", "") if error else "", ERROR_EXCERPT_CHARS),
            message_id=message.id,
        )

    def _manual(
        self, grade: dict[str, Any], gid: str, score: float, max_points: float
    ) -> tuple[bool | None, messages.Message]:
        params = {
            "grade_id": gid,
            "max_points": messages.points(max_points),
            "points": number(score),
        }
        if grade.get("needs_manual_grade"):
            return None, messages.message("cell.manual_pending", **params)
        if grade.get("manual_score") is not None:
            return score >= max_points - 1e-9, messages.message("cell.manual_graded", **params)
        return False, messages.message("cell.manual_blank", **params)

    def _automatic(
        self,
        gid: str,
        executed: dict[str, Any],
        passed: bool,
        score: float,
        max_points: float,
        error: dict[str, Any] | None,
    ) -> messages.Message:
        params = {
            "grade_id": gid,
            "max_points": messages.points(max_points),
            "points": number(score),
        }
        events = self.events.get(executed.get("cell_index", -1), {})
        if passed:
            return messages.message("cell.passed", **params)
        if "kernel-died" in events:
            died = events["kernel-died"]
            if died.get("cause") == "oom":
                return messages.message("cell.oom", grade_id=gid, memory_mb=self.limits.memory_mb)
            return messages.message("cell.kernel_died", grade_id=gid, signal=_signal(died))
        if "deadline" in events:
            return messages.message("cell.deadline", grade_id=gid, seconds=self.limits.wall_seconds)
        if "kernel-unresponsive" in events:
            return messages.message(
                "cell.timeout_unresponsive", grade_id=gid, seconds=self.limits.cell_timeout_seconds
            )
        if "cell-timeout" in events:
            return messages.message(
                "cell.timeout", grade_id=gid, seconds=self.limits.cell_timeout_seconds
            )
        if "not-executed" in events and self.halt is not None:
            return self._not_run(gid)
        hints = []
        if "pids-limit" in events:
            hints.append(messages.text("cell.pids_hint", pids=self.limits.pids))
        hints += self._earlier_trouble(executed.get("cell_index"))
        hint = f" ({'; '.join(hints)})" if hints else ""
        if error:
            described = _describe(error)
            return messages.Message(
                "cell.failed", messages.text("cell.failed", grade_id=gid, error=described) + hint
            )
        if executed.get("stderr"):
            stderr = _one_line(executed["stderr"], EVALUE_CHARS)
            found = messages.message("cell.failed_stderr", grade_id=gid, stderr=stderr)
        elif score > 0:
            found = messages.message("cell.partial", **params)
        else:
            found = messages.message("cell.failed_unknown", **params)
        return messages.Message(found.id, found.text + hint)

    def _earlier_trouble(self, index: object) -> list[str]:
        """Limits hit by the cells between the previous graded cell and this one.

        A test usually fails because the student's cell before it did not finish (an infinite
        loop, a fork bomb): the justification says so, not only "NameError".
        """
        if not isinstance(index, int):
            return []
        previous = max((i for i in self.graded_indices if i < index), default=-1)
        found = []
        for event in self.payload.events:
            at = event.get("cell_index")
            if not isinstance(at, int) or not previous < at < index:
                continue
            where, kind = _where(event), event.get("kind")
            if kind == "pids-limit":
                found.append(messages.text("note.pids", where=where, pids=self.limits.pids))
            elif kind == "cell-timeout":
                found.append(
                    messages.text(
                        "note.cell_timeout", where=where, seconds=self.limits.cell_timeout_seconds
                    )
                )
            elif kind == "oom":
                found.append(
                    messages.text("note.child_oom", where=where, memory_mb=self.limits.memory_mb)
                )
        return found

    def _not_run(self, gid: str) -> messages.Message:
        assert self.halt is not None
        kind, where = self.halt["kind"], _where(self.halt)
        if kind == "deadline":
            return messages.message(
                "cell.not_run.deadline", grade_id=gid, seconds=self.limits.wall_seconds
            )
        if kind == "kernel-unresponsive":
            return messages.message(
                "cell.not_run.unresponsive",
                grade_id=gid,
                where=where,
                seconds=self.limits.cell_timeout_seconds,
            )
        if self.halt.get("cause") == "oom":
            return messages.message(
                "cell.not_run.oom", grade_id=gid, where=where, memory_mb=self.limits.memory_mb
            )
        return messages.message(
            "cell.not_run.kernel_died", grade_id=gid, where=where, signal=_signal(self.halt)
        )

    def _tamper_suffix(self, gid: str) -> str:
        found = [f.message for f in self.context.tampered if f.cell == gid and f.line is None]
        return "".join(f"; {text}" for text in found)

    # -- the notebook -------------------------------------------------------------------

    def notes(self, sandbox: SandboxResult) -> list[str]:
        graded_ids = {g["grade_id"] for g in self.payload.grades}
        notes = []
        for event in self.payload.events:
            kind, where = event.get("kind"), _where(event)
            on_test = event.get("grade_id") in graded_ids
            if kind == "kernel-died":
                if event.get("cause") == "oom":
                    notes.append(
                        messages.text("note.oom", where=where, memory_mb=self.limits.memory_mb)
                    )
                else:
                    notes.append(
                        messages.text("note.kernel_died", where=where, signal=_signal(event))
                    )
            elif kind == "kernel-unresponsive":
                notes.append(
                    messages.text(
                        "note.unresponsive", where=where, seconds=self.limits.cell_timeout_seconds
                    )
                )
            elif kind == "deadline":
                notes.append(
                    messages.text("note.deadline", where=where, seconds=self.limits.wall_seconds)
                )
            elif kind == "cell-timeout" and not on_test:
                notes.append(
                    messages.text(
                        "note.cell_timeout", where=where, seconds=self.limits.cell_timeout_seconds
                    )
                )
            elif kind == "pids-limit":
                notes.append(messages.text("note.pids", where=where, pids=self.limits.pids))
            elif kind == "oom":
                notes.append(
                    messages.text("note.child_oom", where=where, memory_mb=self.limits.memory_mb)
                )
        if self.payload.feedback_truncated:
            notes.append(messages.text("note.feedback_too_big", mb=3))
        elif self.payload.feedback_failed:
            notes.append(messages.text("note.feedback_failed"))
        if sandbox.logs_truncated:
            notes.append(messages.text("note.output_capped", limit=self.limits.output_bytes))
        return list(dict.fromkeys(notes))

    def summary(
        self, cells: list[CellResult], total: float, max_total: float
    ) -> tuple[GradeStatus, messages.Message]:
        scores = {"total": number(total), "max_total": number(max_total)}
        oom = any(
            (e.get("kind") == "kernel-died" and e.get("cause") == "oom") or e.get("kind") == "oom"
            for e in self.payload.events
        )
        if any(e.get("kind") == "deadline" for e in self.payload.events):
            status = GradeStatus.TIMEOUT
            main = messages.message("summary.timeout", seconds=self.limits.wall_seconds, **scores)
        elif oom:
            status = GradeStatus.OOM
            main = messages.message("summary.oom", memory_mb=self.limits.memory_mb, **scores)
        else:
            status = GradeStatus.GRADED
            failed = [c.grade_id for c in cells if not c.manual and not c.passed]
            if failed:
                ids = ", ".join(f"`{grade_id}`" for grade_id in failed)
                main = messages.counted("summary.failed", len(failed), ids=ids, **scores)
            else:
                main = messages.message("summary.all_passed", **scores)
        parts = [main.text]
        if status is GradeStatus.GRADED and self.halt is not None:
            parts.append(self._halt_note())
        pending = sum(1 for c in cells if c.manual and c.passed is None)
        if pending:
            parts.append(messages.counted("summary.manual", pending).text)
        # Tampering findings are not summed up here: students read this line, and the findings
        # (NotebookResult.tampered) are for the instructor.
        return status, messages.Message(main.id, "; ".join(parts))

    def _halt_note(self) -> str:
        assert self.halt is not None
        where = _where(self.halt)
        if self.halt["kind"] == "kernel-unresponsive":
            return messages.text(
                "note.unresponsive", where=where, seconds=self.limits.cell_timeout_seconds
            )
        return messages.text("note.kernel_died", where=where, signal=_signal(self.halt))


def _where(event: dict[str, Any]) -> str:
    gid = event.get("grade_id")
    if isinstance(gid, str) and gid:
        return f"`{gid}`"
    index = event.get("cell_index")
    return str(index + 1) if isinstance(index, int) else "?"


def _signal(event: dict[str, Any]) -> str:
    number_ = event.get("signal")
    return messages.text("note.signal", number=number_) if isinstance(number_, int) else ""


def _first_error(executed: dict[str, Any]) -> dict[str, Any] | None:
    errors = [e for e in executed.get("errors", []) if isinstance(e, dict)]
    real = [e for e in errors if e.get("ename") not in SYNTHETIC_ERRORS]
    return real[0] if real else None


def _describe(error: dict[str, Any]) -> str:
    ename = _one_line(str(error.get("ename", "")), 100) or "erro"
    evalue = _one_line(str(error.get("evalue", "")), EVALUE_CHARS)
    return f"{ename}: {evalue}" if evalue else ename


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]

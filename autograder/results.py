"""Plain, JSON-serialisable results shared by the sandbox, the notebook grader and the CLI.

A result is always an answer about the student's work: graded (time-outs and memory included)
or invalid input. Faults on our side are never results: they raise
:class:`~autograder.errors.InfrastructureError`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ExitReason(StrEnum):
    """Why a container stopped."""

    OK = "ok"  # the command exited by itself (any exit code)
    TIMEOUT = "timeout"  # our wall-clock limit killed it
    OOM = "out-of-memory"  # the kernel's OOM killer ended the main process
    KILLED = "killed"  # killed by a signal we did not send for a timeout (e.g. shutdown)


class GradeStatus(StrEnum):
    GRADED = "graded"  # scores were produced (student faults included)
    TIMEOUT = "timeout"  # the whole run hit the wall-clock limit; what ran is scored
    OOM = "oom"  # the run hit the memory limit; what ran is scored
    INVALID = "invalid"  # unusable input (not a notebook, wrong assignment...)


@dataclass(frozen=True)
class Limits:
    """Every limit of one sandboxed run. All of them are always applied."""

    memory_mb: int = 1024  # memory == memory+swap: no swap
    cpus: float = 1.0  # CPU quota, in cores
    pids: int = 256  # processes + threads
    wall_seconds: int = 300  # whole container, then killed
    cell_timeout_seconds: int = 60  # per notebook cell (nbgrader's Execute.timeout)
    tmpfs_mb: int = 256  # size of each writable scratch area
    output_bytes: int = 1024 * 1024  # logs kept; the rest is cut with a marker

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Resources:
    cpu_s: float = 0.0
    peak_mem_mb: float = 0.0
    wall_s: float = 0.0


@dataclass(frozen=True)
class SandboxResult:
    exit_reason: ExitReason
    exit_code: int | None
    logs: str  # stdout+stderr, capped at Limits.output_bytes
    logs_truncated: bool
    resources: Resources
    image: str  # image id (sha256:...) actually used
    container_name: str
    oom_killed: bool = False  # Docker's flag: an OOM happened *somewhere* in the container


@dataclass(frozen=True)
class CellResult:
    grade_id: str
    points: float
    max_points: float
    manual: bool  # an instructor grades this cell
    passed: bool | None  # None for manual cells not graded yet
    message: str  # pt-BR, what the student can act on
    error: str = ""  # excerpt of the traceback, when a test failed
    message_id: str = ""  # stable id of `message` (autograder/messages.py)


@dataclass(frozen=True)
class TamperFinding:
    kind: str  # "deleted-test-cell", "edited-locked-cell", "kernel-api", ...
    cell: str  # grade id or cell id
    line: int | None
    excerpt: str
    message: str  # pt-BR, for the instructor and the student
    message_id: str = ""  # stable id of `message` (autograder/messages.py)


@dataclass
class NotebookResult:
    status: GradeStatus
    total: float
    max_total: float
    cells: list[CellResult] = field(default_factory=list)
    needs_manual_grade: list[str] = field(default_factory=list)
    tampered: list[TamperFinding] = field(default_factory=list)
    # The graded notebook (nbformat JSON) the portal renders as feedback. For the student:
    # hidden tests cleared from the sources and redacted from the outputs; None when there is
    # none (too big, not written, or withheld because it would quote a hidden test).
    feedback_notebook: dict[str, Any] | None = None
    # The same with the hidden tests, for instructors; None when it is the student's copy.
    staff_feedback_notebook: dict[str, Any] | None = None
    resources: Resources = field(default_factory=Resources)
    image: str = ""
    exit_reason: ExitReason = ExitReason.OK
    message: str = ""  # pt-BR summary: the cause when the run was not clean
    limits: Limits = field(default_factory=Limits)
    logs_excerpt: str = ""
    message_id: str = ""  # stable id of `message` (autograder/messages.py)
    notes: list[str] = field(default_factory=list)  # pt-BR: what happened in which cell
    source_sha256: str = ""  # the inputs, so the grade can be reproduced
    submission_sha256: str = ""
    # The held-out set's metric (autograder/holdout.py): metric, value, expected, matched,
    # problem. None when the assignment has no held-out set or the run gave no scores.
    holdout: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CriterionOutcome:
    """One criterion of the final-project rubric, as a check (or nobody yet) filled it."""

    key: str
    points: float | None  # None: an instructor grades it
    max_points: float
    justification: str  # pt-BR, cites the evidence
    evidence: list[str] = field(default_factory=list)
    check: str = ""  # the check that filled it ("" for instructor criteria)


@dataclass
class ProjectResult:
    """A final-project repository graded at one commit."""

    status: GradeStatus
    url: str
    ref: str
    commit: str
    total: float
    max_total: float
    criteria: list[CriterionOutcome] = field(default_factory=list)
    message: str = ""  # pt-BR summary, or why there is no grade
    image: str = ""
    limits: Limits = field(default_factory=Limits)
    resources: Resources = field(default_factory=Resources)
    logs_excerpt: str = ""  # the project container's output, for instructors
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

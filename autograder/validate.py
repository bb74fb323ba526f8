"""Host-side checks of notebooks, by their JSON alone (nothing runs, no nbgrader needed).

- :func:`load_notebook` / :func:`parse_notebook`: size cap, JSON, nbformat 4 (schema-valid);
  anything else raises :class:`NotebookError` with a one-line pt-BR reason.
- :func:`validate_source`: is this a usable nbgrader *source* notebook (unique grade ids,
  points on every graded cell, at least one autograder test, balanced solution and hidden
  test regions that cannot leak into the student version...). ``python -m autograder
  validate`` prints these problems.
- :func:`check_submission`: is this submission a notebook *of this assignment* at all.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from autograder import messages

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MIB
# nbgrader itself only demands a non-empty id; these characters are safe in file names,
# database keys and the portal's URLs.
GRADE_ID = re.compile(r"[A-Za-z0-9_\-]+")

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

ERROR, WARNING = "erro", "aviso"
EXCERPT_CHARS = 160  # a quoted line of the student's code (tampering findings)


class NotebookError(ValueError):
    """The file is not a usable notebook; ``str()`` is the pt-BR reason."""

    def __init__(self, message: messages.Message) -> None:
        super().__init__(message.text)
        self.message_id = message.id


@dataclass(frozen=True)
class Problem:
    level: str  # ERROR or WARNING
    cell: str  # grade id, "célula N" or "" for the whole notebook
    message: str
    message_id: str

    def __str__(self) -> str:
        where = f"{self.cell}: " if self.cell else ""
        return f"{self.level}: {where}{self.message}"


# -- reading --------------------------------------------------------------------------------------


def read_bytes(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes; NotebookError when it is too big or cannot be read at all."""
    try:
        return read_capped(path, max_bytes=max_bytes)
    except OSError as exc:
        raise NotebookError(messages.message("invalid.unreadable", detail=exc.strerror)) from exc


def read_capped(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes; NotebookError when it is too big, OSError when it cannot be read.

    For callers that tell a file that is not there (storage) from one that is too big.
    """
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        size = Path(path).stat().st_size
        raise NotebookError(
            messages.message(
                "invalid.too_big",
                size_mb=messages.number(size / MIB),
                limit_mb=messages.number(max_bytes / MIB),
            )
        )
    return data


def parse_notebook(data: bytes) -> dict[str, Any]:
    """The notebook as plain JSON (dict), once it is known to be schema-valid nbformat 4."""
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotebookError(messages.message("invalid.not_json", detail=_first_line(exc))) from exc
    if not isinstance(notebook, dict):
        raise NotebookError(messages.message("invalid.not_json", detail="não é um objeto"))
    found = notebook.get("nbformat")
    if found != 4:
        raise NotebookError(messages.message("invalid.not_nbformat4", found=repr(found)))
    try:
        with warnings.catch_warnings():
            # e.g. MissingIDFieldWarning for nbformat 4.5 cells without ids: not our concern
            warnings.simplefilter("ignore")
            nbformat.validate(nbformat.from_dict(notebook))
    except nbformat.ValidationError as exc:
        raise NotebookError(messages.message("invalid.schema", detail=_first_line(exc))) from exc
    return notebook


def load_notebook(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    return parse_notebook(read_bytes(path, max_bytes=max_bytes))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


# -- nbgrader cells -------------------------------------------------------------------------------


def source_text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any] | None:
    meta = (cell.get("metadata") or {}).get("nbgrader")
    return meta if isinstance(meta, dict) else None


def grade_id(cell: dict[str, Any]) -> str | None:
    meta = nbgrader_meta(cell)
    value = meta.get("grade_id") if meta else None
    return value if isinstance(value, str) and value else None


def is_grade(cell: dict[str, Any]) -> bool:
    return bool((nbgrader_meta(cell) or {}).get("grade"))


def is_solution(cell: dict[str, Any]) -> bool:
    return bool((nbgrader_meta(cell) or {}).get("solution"))


def is_locked(cell: dict[str, Any]) -> bool:
    return bool((nbgrader_meta(cell) or {}).get("locked"))


def is_test(cell: dict[str, Any]) -> bool:
    """An autograder test: a graded code cell that is not the student's answer."""
    return cell.get("cell_type") == "code" and is_grade(cell) and not is_solution(cell)


def is_manual(cell: dict[str, Any]) -> bool:
    """Graded by a person: a graded answer cell (Markdown or code written by the student)."""
    return is_grade(cell) and (is_solution(cell) or cell.get("cell_type") != "code")


def is_nbgrader_cell(cell: dict[str, Any]) -> bool:
    meta = nbgrader_meta(cell) or {}
    return bool(meta.get("grade") or meta.get("solution") or meta.get("locked") or meta.get("task"))


def nbgrader_ids(notebook: dict[str, Any]) -> list[str]:
    return [
        gid
        for cell in notebook.get("cells", [])
        if (gid := grade_id(cell)) and is_nbgrader_cell(cell)
    ]


def normalized_source(text: str) -> str:
    """A cell's code as compared with the instructor's: line ends and trailing blanks aside."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()


def excerpt_line(line: str) -> str:
    """One line of a student's cell, stripped and cut to EXCERPT_CHARS, to quote it."""
    text = line.strip()
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def cell_label(cell: dict[str, Any], index: int) -> str:
    return grade_id(cell) or f"célula {index + 1}"


def points(cell: dict[str, Any]) -> float:
    try:
        return float((nbgrader_meta(cell) or {}).get("points", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


_Add = Callable[..., None]


# -- the source notebook --------------------------------------------------------------------------


def validate_source(notebook: dict[str, Any]) -> list[Problem]:
    """Every problem of an nbgrader source notebook; any ERROR makes it unusable."""
    problems: list[Problem] = []

    def add(level: str, cell: str, message_id: str, **params: object) -> None:
        problems.append(Problem(level, cell, messages.text(message_id, **params), message_id))

    ids: Counter[str] = Counter()
    tests = 0
    for index, cell in enumerate(notebook.get("cells", [])):
        label = cell_label(cell, index)
        meta = nbgrader_meta(cell)
        if (cell.get("metadata") or {}).get("nbgrader") is not None and meta is None:
            add(ERROR, label, "validate.metadata_type", detail="`nbgrader` não é um objeto")
            continue
        text = source_text(cell)
        if meta is not None and is_nbgrader_cell(cell):
            _check_grade_cell(cell, label, meta, ids, add)
            tests += is_test(cell)
        _check_regions(cell, label, text, add)

    for gid, count in ids.items():
        if count > 1:
            add(ERROR, gid, "validate.duplicate_grade_id", grade_id=gid, count=count)
    if tests == 0:
        add(ERROR, "", "validate.no_tests")
    language = ((notebook.get("metadata") or {}).get("kernelspec") or {}).get("language")
    if language and str(language).lower() != "python":
        add(WARNING, "", "validate.not_python", language=language)
    return problems


def _check_grade_cell(
    cell: dict[str, Any], label: str, meta: dict[str, Any], ids: Counter[str], add: _Add
) -> None:
    gid = meta.get("grade_id")
    if not isinstance(gid, str) or not gid:
        add(ERROR, label, "validate.no_grade_id")
    else:
        ids[gid] += 1
        if not GRADE_ID.fullmatch(gid):
            add(ERROR, label, "validate.bad_grade_id", grade_id=gid)
    if meta.get("grade"):
        if "points" not in meta:
            add(ERROR, label, "validate.no_points", grade_id=label)
        else:
            value = meta["points"]
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if isinstance(value, bool) or not math.isfinite(number) or number < 0:
                add(ERROR, label, "validate.bad_points", grade_id=label, points=value)
            elif number == 0:
                add(WARNING, label, "validate.zero_points", grade_id=label)
    if cell.get("cell_type") == "markdown" and not meta.get("task"):
        if meta.get("grade") and not meta.get("solution"):
            add(ERROR, label, "validate.markdown_grade_not_solution", grade_id=label)
        if meta.get("solution") and not meta.get("grade"):
            add(ERROR, label, "validate.markdown_solution_not_grade", grade_id=label)


def _check_regions(cell: dict[str, Any], label: str, text: str, add: _Add) -> None:
    lines = [line.strip() for line in text.splitlines()]
    has_solution = any(line.startswith(BEGIN_SOLUTION) for line in lines)
    has_hidden = any(line.startswith(BEGIN_HIDDEN) for line in lines)
    if has_solution and not is_solution(cell):
        add(ERROR, label, "validate.solution_outside")
    if has_hidden and not is_grade(cell):
        add(ERROR, label, "validate.hidden_outside")
    if not _balanced(lines, BEGIN_SOLUTION, END_SOLUTION):
        add(ERROR, label, "validate.unbalanced_solution")
    if not _balanced(lines, BEGIN_HIDDEN, END_HIDDEN):
        add(ERROR, label, "validate.unbalanced_hidden")
    if is_solution(cell) and cell.get("cell_type") == "code" and not has_solution:
        add(WARNING, label, "validate.no_solution_region")


def _balanced(lines: list[str], begin: str, end: str) -> bool:
    inside = False
    for line in lines:
        if line.startswith(begin):
            if inside:
                return False
            inside = True
        elif line.startswith(end):
            if not inside:
                return False
            inside = False
    return not inside


def errors(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.level == ERROR]


# -- a submission ---------------------------------------------------------------------------------


def check_submission(submission: dict[str, Any], source: dict[str, Any]) -> messages.Message | None:
    """Why the submission is not a notebook of this assignment, or None when it is."""
    expected = nbgrader_ids(source)
    found = {grade_id(cell) for cell in submission.get("cells", [])}
    if expected and not found.intersection(expected):
        shown = ", ".join(expected[:5]) + (", ..." if len(expected) > 5 else "")
        return messages.message("invalid.wrong_assignment", ids=shown)
    return None

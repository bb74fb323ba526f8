"""Checks of one upload before anything is stored.

Pure functions: they take the bytes, the file name and the facts the service looked up
(the assignment's grade cells, the student's last attempt, the time) and raise
``UploadRejected`` (``submissions/messages.py``: a stable id, a pt-BR text). The service
runs them all before writing a file or a row, so a rejected upload leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from dataclasses import dataclass
from typing import Any

import nbformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.core import formats
from portal.submissions.messages import UploadRejected


def duration(seconds: int) -> str:
    """How long to wait, rounded up to whole minutes past two minutes."""
    if seconds < 120:
        return ngettext("%(n)d segundo", "%(n)d segundos", seconds) % {"n": seconds}
    minutes = -(-seconds // 60)  # round up: never tell someone to wait too little
    return ngettext("%(n)d minuto", "%(n)d minutos", minutes) % {"n": minutes}


# -- who may submit, and when ----------------------------------------------------------------


def check_student(*, is_enrolled_student: bool) -> None:
    if not is_enrolled_student:
        raise UploadRejected("upload.not_student")


def check_deadline(*, hard_deadline_at: dt.datetime | None, now: dt.datetime) -> None:
    if hard_deadline_at is not None and now > hard_deadline_at:
        raise UploadRejected("upload.closed", when=formats.moment(hard_deadline_at))


def check_pending(*, pending: tuple[int, str] | None) -> None:
    """``pending``: the (attempt, status label) of the attempt that fills the student's cap."""
    if pending is not None:
        raise UploadRejected("upload.pending", attempt=pending[0], status=pending[1])


def check_rate_limit(
    *, last_submitted_at: dt.datetime | None, min_seconds: int, now: dt.datetime
) -> None:
    """``now`` and ``last_submitted_at`` are both when a request *arrived*: the time the
    server then took to read and check the upload is not the student's to wait for."""
    if not min_seconds or last_submitted_at is None:
        return
    elapsed = (now - last_submitted_at).total_seconds()
    if elapsed < min_seconds:
        wait = max(1, int(-(-(min_seconds - elapsed) // 1)))
        raise UploadRejected("upload.rate_limited", wait=duration(wait))


# -- the file ----------------------------------------------------------------------------


def check_name(name: str) -> None:
    if not name.lower().endswith(".ipynb"):
        raise UploadRejected("upload.extension", name=name[-80:] or "?")


def check_size(data: bytes, *, max_bytes: int) -> None:
    """``data`` is what was read with ``read(max_bytes + 1)``: longer means too big."""
    if not data:
        raise UploadRejected("upload.empty")
    if len(data) > max_bytes:
        raise UploadRejected("upload.too_big", limit=formats.size(max_bytes))


@dataclass(frozen=True)
class Bounds:
    """What a notebook may hold besides its size: nbgrader loads it whole, more than once,
    so tens of thousands of cells or megabytes of outputs exhaust the grader's memory, and
    deep nesting exhausts Python's stack (nbformat's validation recurses)."""

    max_bytes: int
    max_cells: int
    max_output_bytes: int
    max_depth: int


def parse_notebook(data: bytes, *, bounds: Bounds) -> dict[str, Any]:
    """The notebook, once it is UTF-8 JSON within ``bounds`` and schema-valid nbformat 4.

    Parsed once and validated once, as the plain dict ``json`` gives: ``nbformat.reads``
    would parse the text a second time, convert every dict to a ``NotebookNode`` and
    validate it on its own, tripling the cost of a large notebook on the upload's path.
    """
    try:
        raw = json.loads(data.decode("utf-8"))
    except RecursionError as exc:  # deeper than the interpreter's stack: nested too deep
        raise UploadRejected("upload.too_deep", limit=bounds.max_depth) from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise UploadRejected("upload.not_json", detail=_first_line(exc)) from exc
    if not isinstance(raw, dict):
        raise UploadRejected("upload.not_json", detail=str(_("não é um objeto JSON")))
    if raw.get("nbformat") != 4:
        raise UploadRejected("upload.not_nbformat4", detail=f"nbformat = {raw.get('nbformat')!r}")
    check_bounds(raw, bounds=bounds)  # before nbformat: cheaper, and nbformat would recurse
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. missing cell ids of nbformat 4.5
            nbformat.validate(raw)  # reads only: repairing is nbformat.normalize's, not ours
    except (nbformat.ValidationError, ValueError, KeyError, TypeError) as exc:
        raise UploadRejected("upload.not_nbformat4", detail=_first_line(exc)) from exc
    return raw


def check_bounds(raw: dict[str, Any], *, bounds: Bounds) -> None:
    """Cells, nesting, outputs: cheapest first, each walk bounded by the one before."""
    cells = raw.get("cells")
    cells = cells if isinstance(cells, list) else []
    if len(cells) > bounds.max_cells:
        raise UploadRejected("upload.too_many_cells", count=len(cells), limit=bounds.max_cells)
    if _deeper_than(raw, bounds.max_depth):
        raise UploadRejected("upload.too_deep", limit=bounds.max_depth)
    output_bytes = sum(
        len(json.dumps(cell["outputs"]))
        for cell in cells
        if isinstance(cell, dict) and isinstance(cell.get("outputs"), list)
    )
    if output_bytes > bounds.max_output_bytes:
        raise UploadRejected(
            "upload.outputs_too_big",
            size=formats.size(output_bytes),
            limit=formats.size(bounds.max_output_bytes),
        )


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON ``value`` nests more than ``limit`` objects/arrays; iterative, so any
    depth is measured without recursing."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def check_grade_cells(notebook: dict[str, Any], *, grade_ids: list[str]) -> None:
    """Every grade cell of the assignment must still be there (nbgrader grades by grade_id).

    Extra cells are fine: students add their own cells all the time.
    """
    found = set()
    for cell in notebook.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader")
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
            found.add(meta["grade_id"])
    missing = [gid for gid in grade_ids if gid not in found]
    if missing:
        shown = ", ".join(missing[:8]) + (", …" if len(missing) > 8 else "")
        raise UploadRejected("upload.missing_cells", ids=shown)


def check_file(*, name: str, data: bytes, bounds: Bounds, grade_ids: list[str]) -> dict[str, Any]:
    """All checks of the file, cheapest first."""
    check_name(name)
    check_size(data, max_bytes=bounds.max_bytes)
    notebook = parse_notebook(data, bounds=bounds)
    check_grade_cells(notebook, grade_ids=grade_ids)
    return notebook


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:160]

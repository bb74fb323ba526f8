"""The submission compared with the instructor's notebooks, cell by cell (by grade id).

nbgrader restores edited test and locked cells from the source and re-adds deleted test
cells: the grade is right either way, and these findings say what the student did.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from autograder import messages
from autograder.results import TamperFinding
from autograder.validate import (
    excerpt_line,
    grade_id,
    is_grade,
    is_locked,
    is_solution,
    is_test,
    nbgrader_meta,
    normalized_source,
    source_text,
)

_METADATA_FIELDS = ("grade", "solution", "locked", "points", "task")


def structural_findings(
    submission: dict[str, Any], *, source: dict[str, Any], release: dict[str, Any]
) -> list[TamperFinding]:
    """Deleted or edited test/locked cells, edited nbgrader metadata, odd grade ids."""
    findings: list[TamperFinding] = []

    def add(kind: str, cell: str, message_id: str, excerpt: str = "", **params: Any) -> None:
        findings.append(
            TamperFinding(
                kind=kind,
                cell=cell,
                line=None,
                excerpt=excerpt,
                message=messages.text(message_id, cell=cell, **params),
                message_id=message_id,
            )
        )

    released = {gid: cell for cell in release.get("cells", []) if (gid := grade_id(cell))}
    submitted: dict[str, list[dict[str, Any]]] = {}
    for cell in submission.get("cells", []):
        if (gid := grade_id(cell)) is not None:
            submitted.setdefault(gid, []).append(cell)

    source_ids = [gid for cell in source.get("cells", []) if (gid := grade_id(cell))]
    for gid, cells in submitted.items():
        if gid not in source_ids:
            add("unknown-grade-cell", gid, "tamper.unknown_cell")
        elif len(cells) > 1:
            add("duplicate-cell", gid, "tamper.duplicate", count=len(cells))

    for cell in source.get("cells", []):
        gid = grade_id(cell)
        if gid is None:
            continue
        test = is_test(cell)
        locked_only = is_locked(cell) and not is_grade(cell) and not is_solution(cell)
        answer = is_grade(cell) and is_solution(cell)
        copies = submitted.get(gid)
        if not copies:
            if test:
                add("deleted-test-cell", gid, "tamper.deleted_test")
            elif locked_only:
                add("deleted-locked-cell", gid, "tamper.deleted_locked")
            elif answer:
                add("deleted-answer-cell", gid, "tamper.deleted_answer")
            continue
        student, original = copies[0], released.get(gid, cell)
        if (test or locked_only) and (
            normalized_source(source_text(student)) != normalized_source(source_text(original))
            or student.get("cell_type") != original.get("cell_type")
        ):
            kind = "edited-test-cell" if test else "edited-locked-cell"
            add(
                kind,
                gid,
                "tamper.edited_test" if test else "tamper.edited_locked",
                excerpt=_first_difference(source_text(student), source_text(original)),
            )
        changed = _changed_metadata(student, original)
        if changed:
            add("edited-metadata", gid, "tamper.metadata", fields=", ".join(changed))
    return findings


def _changed_metadata(student: dict[str, Any], original: dict[str, Any]) -> list[str]:
    mine, theirs = nbgrader_meta(student) or {}, nbgrader_meta(original) or {}
    changed = []
    for name in _METADATA_FIELDS:
        a, b = mine.get(name), theirs.get(name)
        if name == "points":
            try:
                same = float(a or 0) == float(b or 0)
            except (TypeError, ValueError):
                same = False
        else:
            same = bool(a) == bool(b)
        if not same:
            changed.append(name)
    return changed


def _first_difference(student: str, original: str) -> str:
    theirs = Counter(line.rstrip() for line in original.splitlines())
    for line in student.splitlines():
        if theirs[line.rstrip()] == 0 and line.strip():
            return excerpt_line(line)
    return ""

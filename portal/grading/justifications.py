"""From a NotebookResult to rubric lines: points and a written pt-BR justification per criterion.

Pure functions (no database writes): ``services.grading_run_finish`` stores what they return.
The cell messages come from ``autograder/messages.py`` (pt-BR, stable ids); this module only
groups them by criterion and adds what the student needs to act on: the limit that stopped
the run, in the rows it cost points, unless it cost points in every row (the run's message,
shown above the table, says it once then). Tampering findings stay out of the rows: students
read them, and the findings are for the instructor (``GradingRun.tampered``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from autograder.results import (
    CellResult,
    GradeStatus,
    NotebookResult,
    ProjectResult,
    TamperFinding,
)
from portal.assessments.models import Criterion

MANUAL_PENDING = "aguarda correção do instrutor"
MISSING_CELL = "o teste `{grade_id}` não aparece no resultado da correção (0 pontos)"


@dataclass(frozen=True)
class ScoreLine:
    criterion: Criterion
    points: Decimal | None  # None: an instructor grades it
    max_points: Decimal
    justification: str
    evidence: list[str] = field(default_factory=list)


def score_lines(criteria: Iterable[Criterion], result: NotebookResult) -> list[ScoreLine]:
    """One line per criterion, in rubric order."""
    criteria = list(criteria)
    cells = {cell.grade_id: cell for cell in result.cells}
    limit = result.message if _limit_hit_some_but_not_all(criteria, cells, result) else ""
    return [_line(criterion, cells, limit) for criterion in criteria]


def _limit_hit_some_but_not_all(
    criteria: list[Criterion], cells: dict[str, CellResult], result: NotebookResult
) -> bool:
    if result.status not in (GradeStatus.TIMEOUT, GradeStatus.OOM):
        return False
    automatic = [c for c in criteria if not c.manual]
    return not all(
        not _all_passed([cells.get(grade_id) for grade_id in c.grade_ids]) for c in automatic
    )


def _line(criterion: Criterion, cells: dict[str, CellResult], limit: str) -> ScoreLine:
    """``limit``: the run's message naming the limit that stopped it, for the rows it cost
    points; empty when the limit concerns every row."""
    own = [cells.get(grade_id) for grade_id in criterion.grade_ids]
    sentences = [
        _cell_sentence(grade_id, cell)
        for grade_id, cell in zip(criterion.grade_ids, own, strict=True)
    ]
    if criterion.manual:
        return ScoreLine(criterion, None, criterion.max_points, _join([MANUAL_PENDING, *sentences]))
    if limit and not _all_passed(own):
        sentences.append(limit)  # names the limit that was hit and its value
    points = sum((_decimal(cell.points) for cell in own if cell is not None), Decimal(0))
    return ScoreLine(
        criterion, min(points, criterion.max_points), criterion.max_points, _join(sentences)
    )


def project_lines(criteria: Iterable[Criterion], result: ProjectResult) -> list[ScoreLine]:
    """One line per rubric criterion from the project checks, in rubric order."""
    outcomes = {outcome.key: outcome for outcome in result.criteria}
    lines = []
    for criterion in criteria:
        outcome = outcomes.get(criterion.key)
        if outcome is None:
            lines.append(ScoreLine(criterion, None, criterion.max_points, _join([MANUAL_PENDING])))
            continue
        points = (
            None if outcome.points is None else min(_decimal(outcome.points), criterion.max_points)
        )
        lines.append(
            ScoreLine(
                criterion,
                points,
                criterion.max_points,
                outcome.justification,
                list(outcome.evidence),
            )
        )
    return lines


def _cell_sentence(grade_id: str, cell: CellResult | None) -> str:
    if cell is None:
        return MISSING_CELL.format(grade_id=grade_id)
    # The message already names the test, the exception and its text. The traceback is
    # left out on purpose: students read this, and a failing hidden test's traceback
    # would show its code.
    return cell.message


def _all_passed(cells: list[CellResult | None]) -> bool:
    return all(cell is not None and cell.passed for cell in cells)


def _decimal(value: float) -> Decimal:
    return Decimal(str(round(float(value), 2)))


def _join(sentences: list[str]) -> str:
    lines = [s.strip() for s in sentences if s and s.strip()]
    return "\n".join(
        line[0].upper() + line[1:] + ("" if line.endswith(".") else ".") for line in lines
    )


def cell_results(result: NotebookResult) -> list[dict[str, object]]:
    """What GradingRun.cell_results stores: each grade cell's result, for its badge on the
    graded notebook (``notebook_view``)."""
    return [
        {
            "grade_id": cell.grade_id,
            "points": cell.points,
            "max_points": cell.max_points,
            "manual": cell.manual,
            "passed": cell.passed,
        }
        for cell in result.cells
    ]


def tampered_summary(findings: Iterable[TamperFinding]) -> list[dict[str, object]]:
    """What GradingRun.tampered stores: JSON, with the pt-BR message for the instructor."""
    return [
        {
            "kind": f.kind,
            "cell": f.cell,
            "line": f.line,
            "excerpt": f.excerpt,
            "message": f.message,
            "message_id": f.message_id,
        }
        for f in findings
    ]

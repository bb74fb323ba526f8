"""Import of an edited rubric spreadsheet (exported by ``portal.gradebook.export``).

All-or-nothing: :func:`import_check` reads the file once, within bounds set by the class
(``reading.py``), compares every cell with the *current* gradebook and reports every bad cell
by its address; only a clean file yields changes. Those changes, not the file, wait for the
confirmation (``pending.py``), and :func:`import_apply` applies them through
``review.services.score_set`` (audited, source IMPORT) in one transaction, refusing when the
gradebook changed since the check (the fingerprint covers everything the check compared, so
an unchanged fingerprint means the check still holds). Rows left out of the file change
nothing; rows cannot be added.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.db import transaction
from openpyxl.utils import get_column_letter

from portal.accounts.models import User
from portal.assessments.models import Assignment, Criterion
from portal.core import formats
from portal.core.messages import Message
from portal.gradebook.export import (
    EMAIL,
    FORMAT,
    GRADES_SHEET,
    JUSTIFICATION_SUFFIX,
    POINTS_SUFFIX,
    STUDENT_ID,
    Column,
    clean_text,
    columns,
    ranks,
    row_values,
    table,
)
from portal.gradebook.messages import MESSAGES
from portal.gradebook.reading import Limits, read_book
from portal.grading.models import CriterionScore
from portal.grading.scoring import CENT
from portal.grading.selectors import GradeRow, assignment_grades
from portal.review.messages import ScoreError
from portal.review.models import ScoreChange
from portal.review.services import score_set


class ImportRefused(Exception):
    """The file cannot be applied; ``errors`` are messages (``messages.py``), one per bad
    cell."""

    def __init__(self, errors: list[Message]):
        super().__init__("; ".join(errors))
        self.errors = errors


class StaleImport(ImportRefused):
    """The gradebook changed between the preview and the confirmation."""


# -- import: reading and checking ----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One criterion of one student that the file changes."""

    cell: str  # address of the points cell
    name: str
    email: str
    score_id: int
    criterion_key: str
    criterion_title: str
    points_before: Decimal | None
    points_after: Decimal | None
    justification_before: str
    justification_after: str

    @property
    def points_changed(self) -> bool:
        return self.points_before != self.points_after

    @property
    def justification_changed(self) -> bool:
        return clean_text(self.justification_before) != self.justification_after


@dataclass
class ImportCheck:
    errors: list[Message]
    changes: list[Change]
    fingerprint: str = ""


def gradebook_fingerprint(criteria: list[Criterion], rows: list[GradeRow]) -> str:
    """Changes whenever anything a check compares or an import changes does (a new run, a
    score set through the review page, a new late policy): the changes a check found are
    applied only for the same fingerprint, so they are never checked twice."""
    state: list[Any] = [[c.key, str(c.max_points)] for c in criteria]
    _cols, expected = table(criteria, rows)  # every cell the check compares, as exported
    for row, cells in zip(rows, expected, strict=True):
        state.append(
            [
                row.student.pk if row.student else row.email,
                row.run.pk if row.run else None,
                sorted(
                    [key, s.pk, str(s.points), s.justification] for key, s in row.scores.items()
                ),
                cells,
            ]
        )
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()


def _meta(rows: list[tuple[Any, ...]] | None) -> dict[str, Any] | None:
    if rows is None:
        return None
    meta: dict[str, Any] = {"criterio": []}
    for row in rows:
        row = (*row, None, None, None)
        if row[0] is None:
            continue
        if row[0] == "criterio":
            meta["criterio"].append((str(row[1]), str(row[2])))
        else:
            meta[str(row[0])] = row[1]
    return meta


def _check_meta(
    meta: dict | None, assignment: Assignment, criteria: list[Criterion]
) -> list[Message]:
    if meta is None or meta.get("formato") != FORMAT:
        return [MESSAGES("sheet.not_ours")]
    if meta.get("tipo") != "entrega":
        return [MESSAGES("sheet.course_workbook")]
    if (
        meta.get("curso") != assignment.course.slug
        or meta.get("entrega") != assignment.slug
        or str(meta.get("entrega_id")) != str(assignment.pk)
    ):
        return [
            MESSAGES(
                "sheet.other_assignment",
                other=meta.get("titulo") or meta.get("entrega"),
                course=meta.get("curso"),
                this=assignment.title,
            )
        ]
    expected = [(c.key, f"{c.max_points.normalize():f}") for c in criteria]
    if meta["criterio"] != expected:
        return [MESSAGES("sheet.rubric_changed")]
    return []


def _decimal(value: Any) -> Decimal | None:
    """A number cell or a typed text like "7,5"; None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            return None
    return number if number.is_finite() else None


def _shown(value: Any) -> str:
    if value is None or value == "":
        return MESSAGES.text("sheet.empty_value")
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, float | int | Decimal) and not isinstance(value, bool):
        return formats.number(value)
    return f"“{value}”"


def _same(kind: str, expected: Any, got: Any) -> bool:
    if expected is None or expected == "":
        return got is None or (isinstance(got, str) and not got.strip())
    if got is None:
        return False
    if kind == "datetime":
        return isinstance(got, dt.datetime) and abs((got - expected).total_seconds()) < 2
    if kind in ("int", "decimal"):
        number = _decimal(got)
        return number is not None and number.quantize(CENT) == Decimal(expected).quantize(CENT)
    return clean_text(got) == clean_text(expected)


class Cell(NamedTuple):
    value: Any
    coordinate: str


def _cell(values: tuple[Any, ...], column: int, row: int) -> Cell:
    """The cell at ``column`` (from 1) of a read row; past its end a row's cells are empty."""
    value = values[column - 1] if column <= len(values) else None
    return Cell(value, f"{get_column_letter(column)}{row}")


def _headers(
    header_row: tuple[Any, ...], cols: list[Column]
) -> tuple[dict[str, int], list[Message]]:
    """header -> column number, and the errors of the header row."""
    known = {c.header for c in cols}
    found: dict[str, int] = {}
    errors = []
    for column in range(1, len(header_row) + 1):
        cell = _cell(header_row, column, 1)
        header = clean_text(cell.value)
        if not header:
            continue
        if header in found:
            errors.append(MESSAGES("sheet.duplicate_column", cell=cell.coordinate, h=header))
        elif header not in known:
            if header.endswith((POINTS_SUFFIX, JUSTIFICATION_SUFFIX)):
                errors.append(MESSAGES("sheet.unknown_criterion", cell=cell.coordinate, h=header))
            else:
                errors.append(MESSAGES("sheet.unknown_column", cell=cell.coordinate, h=header))
        else:
            found[header] = column
    for col in cols:
        if col.header not in found:
            errors.append(MESSAGES("sheet.missing_column", h=col.header))
    return found, errors


def _find_row(
    values: dict[str, Any],
    address: dict[str, str],
    by_id: dict[int, GradeRow],
    by_email: dict[str, GradeRow],
) -> tuple[GradeRow | None, Message | None]:
    raw_id, raw_email = values.get(STUDENT_ID), values.get(EMAIL)
    if raw_id not in (None, ""):
        number = _decimal(raw_id)
        row = by_id.get(int(number)) if number is not None and number == int(number) else None
        if row is None:
            return None, MESSAGES(
                "sheet.unknown_student", cell=address[STUDENT_ID], id=_shown(raw_id)
            )
        return row, None
    row = by_email.get(clean_text(raw_email).lower())
    if row is None:
        return None, MESSAGES("sheet.unknown_email", cell=address[EMAIL], email=_shown(raw_email))
    return row, None


def _check_criterion(
    row: GradeRow, criterion: Criterion, points_cell: Cell, text_cell: Cell
) -> tuple[Change | None, list[Message]]:
    score = row.scores.get(criterion.key)
    title = criterion.title
    raw_points, text = points_cell.value, clean_text(text_cell.value)
    if score is None:
        if raw_points not in (None, "") or text:
            cell = points_cell if raw_points not in (None, "") else text_cell
            return None, [
                MESSAGES("sheet.not_graded", cell=cell.coordinate, name=row.name, title=title)
            ]
        return None, []
    errors = []
    points: Decimal | None = None
    if raw_points not in (None, "") and not (
        isinstance(raw_points, str) and not raw_points.strip()
    ):
        points = _decimal(raw_points)
        if points is None:
            errors.append(
                MESSAGES(
                    "sheet.not_a_number",
                    cell=points_cell.coordinate,
                    value=_shown(raw_points),
                    title=title,
                )
            )
        elif points < 0:
            errors.append(
                MESSAGES(
                    "sheet.negative",
                    cell=points_cell.coordinate,
                    value=formats.number(points),
                    title=title,
                )
            )
        elif points > criterion.max_points:
            errors.append(
                MESSAGES(
                    "sheet.above_max",
                    cell=points_cell.coordinate,
                    value=formats.number(points),
                    max=formats.number(criterion.max_points),
                    title=title,
                )
            )
        else:
            points = points.quantize(CENT)
    elif score.points is not None:
        errors.append(MESSAGES("sheet.points_erased", cell=points_cell.coordinate, title=title))
    before = clean_text(score.justification)
    if not text and (points is not None or before):
        errors.append(
            MESSAGES("sheet.justification_erased", cell=text_cell.coordinate, title=title)
        )
    if errors or (points == score.points and text == before):
        return None, errors
    return Change(
        cell=points_cell.coordinate,
        name=row.name,
        email=row.email,
        score_id=score.pk,
        criterion_key=criterion.key,
        criterion_title=criterion.title,
        points_before=score.points,
        points_after=points,
        justification_before=score.justification,
        justification_after=text,
    ), []


def check_workbook(
    data: bytes, assignment: Assignment, criteria: list[Criterion], rows: list[GradeRow]
) -> ImportCheck:
    """Every problem of the file against this gradebook, or the changes it makes."""
    cols = columns(criteria)
    book, errors = read_book(data, Limits(students=len(rows), columns=len(cols)))
    if book is None:
        return ImportCheck(errors, [])
    errors = _check_meta(_meta(book.meta), assignment, criteria)
    if not errors and book.grades is None:
        errors = [MESSAGES("sheet.no_grades_sheet", sheet=GRADES_SHEET)]
    if errors or book.grades is None:
        return ImportCheck(errors, [])
    positions, errors = _headers(book.grades[0] if book.grades else (), cols)
    if errors:
        return ImportCheck(errors, [])
    by_id = {r.student.pk: r for r in rows if r.student}
    by_email = {r.email.lower(): r for r in rows}
    ranked = ranks(rows)
    criteria_by_key = {c.key: c for c in criteria}
    changes: list[Change] = []
    seen: dict[int, int] = {}
    for number, read in enumerate(book.grades[1:], start=2):
        by_header = {col.header: _cell(read, positions[col.header], number) for col in cols}
        values = {header: cell.value for header, cell in by_header.items()}
        if all(
            value is None or (isinstance(value, str) and not value.strip())
            for value in values.values()
        ):
            continue
        address = {header: cell.coordinate for header, cell in by_header.items()}
        row, error = _find_row(values, address, by_id, by_email)
        if error:
            errors.append(error)
            continue
        if id(row) in seen:
            errors.append(
                MESSAGES("sheet.duplicate_row", n=number, name=row.name, first=seen[id(row)])
            )
            continue
        seen[id(row)] = number
        expected = row_values(row, cols, ranked.get(id(row)))
        for col, want in zip(cols, expected, strict=True):
            if col.locked and not _same(col.kind, want, values[col.header]):
                errors.append(
                    MESSAGES(
                        "sheet.locked_column",
                        cell=address[col.header],
                        h=col.header,
                        was=_shown(want),
                        now=_shown(values[col.header]),
                    )
                )
        for key, criterion in criteria_by_key.items():
            change, problems = _check_criterion(
                row,
                criterion,
                by_header[key + POINTS_SUFFIX],
                by_header[key + JUSTIFICATION_SUFFIX],
            )
            errors += problems
            if change:
                changes.append(change)
    return ImportCheck(errors, [] if errors else changes, gradebook_fingerprint(criteria, rows))


def import_check(*, assignment: Assignment, data: bytes) -> ImportCheck:
    criteria, rows = assignment_grades(assignment)
    return check_workbook(data, assignment, criteria, rows)


# -- import: applying ----------------------------------------------------------------------------


def import_is_current(*, assignment: Assignment, fingerprint: str) -> bool:
    """Whether the gradebook is still the one a check saw (then its changes still hold)."""
    criteria, rows = assignment_grades(assignment)
    return gradebook_fingerprint(criteria, rows) == fingerprint


def import_apply(
    *, assignment: Assignment, changes: list[Change], file_name: str, by: User, fingerprint: str
) -> list[ScoreChange]:
    """Apply the changes a check found, all or none, each audited as an import; the file is
    not read again. Raises :class:`StaleImport` when the gradebook is not the one the check
    saw and :class:`ImportRefused` when the review service refuses a change."""
    reason = MESSAGES.text("sheet.history_reason", name=file_name)
    with transaction.atomic():
        if not import_is_current(assignment=assignment, fingerprint=fingerprint):
            raise StaleImport([MESSAGES("sheet.stale")])
        # Lock the rows to change and make sure nobody changed them since the read above.
        locked = {
            s.pk: s
            for s in CriterionScore.objects.select_for_update().filter(
                pk__in=[c.score_id for c in changes]
            )
        }
        applied = []
        for change in changes:
            current = locked.get(change.score_id)
            if (
                current is None
                or current.points != change.points_before
                or current.justification != change.justification_before
            ):
                raise StaleImport([MESSAGES("sheet.stale")])
            try:
                record = score_set(
                    score=current,
                    points=change.points_after,
                    justification=change.justification_after,
                    by=by,
                    reason=reason,
                    source=ScoreChange.Source.IMPORT,
                )
            except ScoreError as error:
                raise ImportRefused(
                    [MESSAGES("sheet.cell_refused", cell=change.cell, error=error.message)]
                ) from error
            if record:
                applied.append(record)
        return applied

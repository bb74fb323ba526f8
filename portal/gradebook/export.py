"""The rubric spreadsheet ("planilha avaliativa com justificativas"): the table and its export.

Export: one row per student, built from :func:`portal.grading.selectors.assignment_grades` (a fixed
number of queries whatever the class size). Locked columns identify the row (name, e-mail,
student id, attempt, commit or sha256, submission time, late days); each criterion then has
its points and its justification; raw total, late penalty, total and rank close the row. A
"Rubrica" sheet carries the rubric and a very hidden "meta" sheet says which assignment and
rubric the file belongs to, so an import can refuse a file from elsewhere.

The import of an edited file is ``portal.gradebook.services``.

Header texts are the file format, parsed back on import, so they are fixed pt-BR constants
rather than translated strings: a file exported in one language imports in another.
"""

from __future__ import annotations

import datetime as dt
import io
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from portal.assessments.models import Assignment, Criterion
from portal.core.csv import csv_text
from portal.courses.models import Course
from portal.grading.selectors import GradeRow, assignment_grades, course_grades

FORMAT = "portal-mle-planilha/1"
GRADES_SHEET = "Notas"
RUBRIC_SHEET = "Rubrica"
SUMMARY_SHEET = "Resumo"
META_SHEET = "meta"

NAME, EMAIL, STUDENT_ID = "Aluno", "E-mail", "ID do aluno"
ATTEMPT, COMMIT, SUBMITTED, LATE_DAYS = (
    "Tentativa",
    "Commit / sha256",
    "Enviada em",
    "Dias de atraso",
)
RAW_TOTAL, PENALTY, TOTAL, RANK = "Total bruto", "Desconto por atraso (%)", "Total", "Posição"
POINTS_SUFFIX, JUSTIFICATION_SUFFIX = " · pontos", " · justificativa"

LOCKED_FILL = PatternFill("solid", fgColor="EEF1F5")
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


# -- the table (pure: no queries) ----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    kind: str  # text | int | decimal | datetime
    width: int
    locked: bool = True
    criterion: str = ""  # criterion key of a points / justification column
    part: str = ""  # points | justification


def columns(criteria: list[Criterion]) -> list[Column]:
    cols = [
        Column(NAME, "text", 28),
        Column(EMAIL, "text", 30),
        Column(STUDENT_ID, "int", 11),
        Column(ATTEMPT, "int", 10),
        Column(COMMIT, "text", 16),
        Column(SUBMITTED, "datetime", 17),
        Column(LATE_DAYS, "int", 10),
    ]
    for criterion in criteria:
        cols.append(
            Column(
                criterion.key + POINTS_SUFFIX,
                "decimal",
                12,
                locked=False,
                criterion=criterion.key,
                part="points",
            )
        )
        cols.append(
            Column(
                criterion.key + JUSTIFICATION_SUFFIX,
                "text",
                50,
                locked=False,
                criterion=criterion.key,
                part="justification",
            )
        )
    cols += [
        Column(RAW_TOTAL, "decimal", 11),
        Column(PENALTY, "decimal", 12),
        Column(TOTAL, "decimal", 11),
        Column(RANK, "int", 9),
    ]
    return cols


def ranks(rows: list[GradeRow]) -> dict[int, int]:
    """id(row) -> position by total after the late policy; ties share the best position
    ("1, 2, 2, 4"). Rows without a grade have no rank."""
    graded = sorted(
        (r for r in rows if r.grade and r.grade.total is not None),
        key=lambda r: r.grade.total,
        reverse=True,
    )
    positions, previous, position = {}, None, 0
    for index, row in enumerate(graded, start=1):
        if row.grade.total != previous:
            position, previous = index, row.grade.total
        positions[id(row)] = position
    return positions


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: the portal's local time, to the second."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def clean_text(text: str | None) -> str:
    """What a text cell can hold: no control characters (openpyxl refuses them), one kind of
    line break, no surrounding blanks. Used on both sides of every comparison."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(text or ""))
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def row_values(row: GradeRow, cols: list[Column], rank: int | None) -> list[Any]:
    submission, grade = row.submission, row.grade
    values: dict[str, Any] = {
        NAME: row.name,
        EMAIL: row.email,
        STUDENT_ID: row.student.pk if row.student else None,
        ATTEMPT: submission.attempt if submission else None,
        COMMIT: (submission.commit_sha or submission.sha256) if submission else "",
        SUBMITTED: _local(submission.submitted_at) if submission else None,
        LATE_DAYS: grade.late_days if grade else None,
        RAW_TOTAL: grade.raw_total if grade else None,
        PENALTY: grade.penalty_percent if grade else None,
        TOTAL: grade.total if grade else None,
        RANK: rank,
    }
    out = []
    for col in cols:
        if col.criterion:
            score = row.scores.get(col.criterion)
            if score is None:
                out.append(None if col.part == "points" else "")
            else:
                out.append(
                    score.points if col.part == "points" else clean_text(score.justification)
                )
        else:
            out.append(values[col.header])
    return out


def table(criteria: list[Criterion], rows: list[GradeRow]) -> tuple[list[Column], list[list[Any]]]:
    cols, positions = columns(criteria), ranks(rows)
    return cols, [row_values(row, cols, positions.get(id(row))) for row in rows]


# -- export --------------------------------------------------------------------------------------


def _set(cell, value: Any) -> None:
    cell.value = value
    if cell.data_type == "f":  # "=..." typed by a student is text, never a formula
        cell.data_type = "s"


def _write_grades(ws: Worksheet, criteria: list[Criterion], rows: list[GradeRow]) -> None:
    cols, data = table(criteria, rows)
    for index, col in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=index, value=col.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = col.width
    # Styling a cell through openpyxl's descriptors hashes every style object (most of the
    # export's time at 1,000 students): style one cell per column, copy its style array.
    prototypes = []
    for col in cols:
        proto = ws.cell(row=2, column=len(prototypes) + 1)
        if col.kind == "decimal":
            proto.number_format = "0.00"
        elif col.kind == "datetime":
            proto.number_format = "dd/mm/yyyy hh:mm"
        proto.alignment = WRAP_TOP if col.part == "justification" else TOP
        if col.locked:
            proto.fill = LOCKED_FILL
        prototypes.append(proto._style)
    for r, values in enumerate(data, start=2):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            _set(cell, value)
            cell._style = copy(prototypes[c - 1])
    ws.freeze_panes = "C2"
    ws.row_dimensions[1].height = 32
    last = max(len(data) + 1, 2)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{last}"
    maxima = {c.key: c.max_points for c in criteria}
    for index, col in enumerate(cols, start=1):
        if col.part != "points":
            continue
        top = f"{maxima[col.criterion].normalize():f}"
        rule = DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2=top,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=_("Pontos fora da faixa"),
            error=_("Os pontos vão de 0 a %(max)s.") % {"max": top},
        )
        letter = get_column_letter(index)
        rule.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(rule)


def _levels_text(levels: list) -> str:
    lines = []
    for level in levels or []:
        if isinstance(level, dict):
            lines.append(f"{level.get('points', '')}: {level.get('description', '')}")
        else:
            lines.append(str(level))
    return "\n".join(lines)


def _write_rubric(
    ws: Worksheet, criteria_by_assignment: list[tuple[Assignment, list[Criterion]]]
) -> None:
    headers = [
        ("Entrega", 18),
        ("Chave", 18),
        ("Critério", 30),
        ("Pontos máximos", 10),
        ("Correção", 12),
        ("Descrição", 60),
        ("Níveis", 60),
    ]
    for index, (header, width) in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=index, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[get_column_letter(index)].width = width
    r = 2
    for assignment, criteria in criteria_by_assignment:
        for criterion in criteria:
            values = [
                assignment.slug,
                criterion.key,
                criterion.title,
                criterion.max_points,
                _("Manual") if criterion.manual else _("Automática"),
                clean_text(criterion.description),
                clean_text(_levels_text(criterion.levels)),
            ]
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=c)
                _set(cell, value)
                cell.alignment = WRAP_TOP
            ws.cell(row=r, column=4).number_format = "0.00"
            r += 1
    ws.freeze_panes = "A2"


def _write_meta(wb: Workbook, entries: list[tuple[Any, ...]]) -> None:
    ws = wb.create_sheet(META_SHEET)
    for r, entry in enumerate(entries, start=1):
        for c, value in enumerate(entry, start=1):
            _set(ws.cell(row=r, column=c), value)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


def _rubric_meta(criteria: list[Criterion]) -> list[tuple[Any, ...]]:
    return [("criterio", c.key, f"{c.max_points.normalize():f}") for c in criteria]


def assignment_workbook(assignment: Assignment, *, now: dt.datetime | None = None) -> Workbook:
    criteria, rows = assignment_grades(assignment)
    wb = Workbook()
    ws = wb.active
    ws.title = GRADES_SHEET
    _write_grades(ws, criteria, rows)
    _write_rubric(wb.create_sheet(RUBRIC_SHEET), [(assignment, criteria)])
    _write_meta(
        wb,
        [
            ("formato", FORMAT),
            ("tipo", "entrega"),
            ("curso", assignment.course.slug),
            ("entrega", assignment.slug),
            ("entrega_id", assignment.pk),
            ("titulo", assignment.title),
            ("exportada_em", (now or timezone.now()).isoformat()),
            *_rubric_meta(criteria),
        ],
    )
    return wb


def _sheet_title(slug: str, used: set[str]) -> str:
    base = slug[:31]
    title, n = base, 2
    while title.lower() in used:
        suffix = f"-{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def course_workbook(course: Course, *, now: dt.datetime | None = None) -> Workbook:
    """A summary sheet (each assignment's total per student, their sum and rank), one sheet
    per assignment as in :func:`assignment_workbook`, and the rubric of every assignment.
    It is for reading: imports take one assignment's file."""
    books = course_grades(course)
    wb = Workbook()
    summary = wb.active
    summary.title = SUMMARY_SHEET
    used = {SUMMARY_SHEET.lower(), RUBRIC_SHEET.lower(), META_SHEET.lower()}
    meta = [
        ("formato", FORMAT),
        ("tipo", "curso"),
        ("curso", course.slug),
        ("exportada_em", (now or timezone.now()).isoformat()),
    ]
    for assignment, (criteria, rows) in books.items():
        title = _sheet_title(assignment.slug, used)
        _write_grades(wb.create_sheet(title), criteria, rows)
        meta.append(("aba", title, assignment.slug))
    _write_summary(summary, books)
    _write_rubric(
        wb.create_sheet(RUBRIC_SHEET),
        [(assignment, criteria) for assignment, (criteria, _r) in books.items()],
    )
    _write_meta(wb, meta)
    return wb


def _write_summary(ws: Worksheet, books: dict) -> None:
    people: dict[Any, dict[str, Any]] = {}
    for assignment, (_criteria, rows) in books.items():
        for row in rows:
            key = row.student.pk if row.student else row.email.lower()
            person = people.setdefault(
                key,
                {
                    "name": row.name,
                    "email": row.email,
                    "id": row.student.pk if row.student else None,
                    "totals": {},
                },
            )
            if row.grade and row.grade.total is not None:
                person["totals"][assignment.pk] = row.grade.total
    headers = [(NAME, 28), (EMAIL, 30), (STUDENT_ID, 11)]
    for assignment in books:
        maximum = sum((c.max_points for c in books[assignment][0]), Decimal(0))
        headers.append((f"{assignment.slug} · total (de {maximum.normalize():f})", 14))
    headers += [("Soma", 11), (RANK, 9)]
    for index, (header, width) in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=index, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = width
    ordered = sorted(people.values(), key=lambda p: (p["name"].lower(), p["email"].lower()))
    sums = [sum(p["totals"].values(), Decimal(0)) if p["totals"] else None for p in ordered]
    ranked = sorted({s for s in sums if s is not None}, reverse=True)
    positions = {s: 1 + sum(1 for other in sums if other is not None and other > s) for s in ranked}
    for r, (person, total) in enumerate(zip(ordered, sums, strict=True), start=2):
        values = [
            person["name"],
            person["email"],
            person["id"],
            *[person["totals"].get(a.pk) for a in books],
            total,
            positions.get(total) if total is not None else None,
        ]
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            _set(cell, value)
            if 3 < c < len(values):
                cell.number_format = "0.00"
    ws.freeze_panes = "C2"
    ws.row_dimensions[1].height = 32


def workbook_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def assignment_csv(assignment: Assignment) -> str:
    """The grades sheet as CSV (``portal.core.csv``: the one writer, with its formula guard)."""
    criteria, rows = assignment_grades(assignment)
    cols, data = table(criteria, rows)
    return csv_text(
        [c.header for c in cols], data, int_columns=[c.header for c in cols if c.kind == "int"]
    )

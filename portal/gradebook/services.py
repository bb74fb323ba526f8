"""Import of an edited rubric spreadsheet (exported by ``portal.gradebook.export``).

All-or-nothing: :func:`import_check` compares every cell with the *current* gradebook and
reports every bad cell by its address; only a clean file yields changes, and
:func:`import_apply` applies them through ``review.services.score_set`` (audited, source IMPORT) in
one transaction, refusing when the gradebook changed since the preview (the fingerprint).
Rows left out of the file change nothing; rows cannot be added. Between the preview and the
confirmation the uploaded bytes wait server-side under a random token (``pending_*``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import secrets
import time
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from portal.accounts.models import User
from portal.assessments.models import Assignment, Criterion
from portal.core import formats
from portal.core.messages import Message
from portal.gradebook.export import (
    EMAIL,
    FORMAT,
    GRADES_SHEET,
    JUSTIFICATION_SUFFIX,
    META_SHEET,
    POINTS_SUFFIX,
    STUDENT_ID,
    Column,
    clean_text,
    columns,
    ranks,
    row_values,
)
from portal.gradebook.messages import MESSAGES
from portal.grading.models import CriterionScore
from portal.grading.scoring import CENT
from portal.grading.selectors import GradeRow, assignment_grades
from portal.review.messages import ScoreError
from portal.review.models import ScoreChange
from portal.review.services import score_set

MAX_IMPORT_BYTES = 5 * 1024 * 1024
# A 5 MB zip can inflate to gigabytes; a real export of 1,000 students is a few MB inflated.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024


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
    score: CriterionScore
    criterion: Criterion
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
    """Changes whenever anything an import compares or changes does (a new run, a score set
    through the review page): the preview is only valid for the same fingerprint."""
    state = [[c.key, str(c.max_points)] for c in criteria]
    for row in rows:
        state.append(
            [
                row.student.pk if row.student else row.email,
                row.name,
                row.run.pk if row.run else None,
                str(row.run.total) if row.run else None,
                sorted(
                    [key, s.pk, str(s.points), s.justification] for key, s in row.scores.items()
                ),
            ]
        )
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()


def _open(data: bytes) -> tuple[Any, list[Message]]:
    not_xlsx = MESSAGES("sheet.not_xlsx")
    if len(data) > MAX_IMPORT_BYTES:
        return None, [MESSAGES("sheet.too_big", mb=MAX_IMPORT_BYTES // 2**20)]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                return None, [not_xlsx]
        return load_workbook(io.BytesIO(data), data_only=True), []
    except Exception:  # zipfile, openpyxl and the XML parsers raise many types
        return None, [not_xlsx]


def _meta(wb: Any) -> dict[str, Any] | None:
    if META_SHEET not in wb.sheetnames:
        return None
    meta: dict[str, Any] = {"criterio": []}
    for row in wb[META_SHEET].iter_rows(values_only=True):
        if not row or row[0] is None:
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


def _headers(ws: Worksheet, cols: list[Column]) -> tuple[dict[str, int], list[Message]]:
    """header -> column number, and the errors of the header row."""
    known = {c.header for c in cols}
    found: dict[str, int] = {}
    errors = []
    for cell in ws[1]:
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
            found[header] = cell.column
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
    row: GradeRow, criterion: Criterion, points_cell: Any, text_cell: Any
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
        score=score,
        criterion=criterion,
        points_before=score.points,
        points_after=points,
        justification_before=score.justification,
        justification_after=text,
    ), []


def check_workbook(
    data: bytes, assignment: Assignment, criteria: list[Criterion], rows: list[GradeRow]
) -> ImportCheck:
    """Every problem of the file against this gradebook, or the changes it makes."""
    wb, errors = _open(data)
    if errors:
        return ImportCheck(errors, [])
    errors = _check_meta(_meta(wb), assignment, criteria)
    if not errors and GRADES_SHEET not in wb.sheetnames:
        errors = [MESSAGES("sheet.no_grades_sheet", sheet=GRADES_SHEET)]
    if errors:
        return ImportCheck(errors, [])
    ws = wb[GRADES_SHEET]
    cols = columns(criteria)
    positions, errors = _headers(ws, cols)
    if errors:
        return ImportCheck(errors, [])
    by_id = {r.student.pk: r for r in rows if r.student}
    by_email = {r.email.lower(): r for r in rows}
    ranked = ranks(rows)
    criteria_by_key = {c.key: c for c in criteria}
    changes: list[Change] = []
    seen: dict[int, int] = {}
    for number in range(2, ws.max_row + 1):
        by_header = {col.header: ws.cell(row=number, column=positions[col.header]) for col in cols}
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


def import_apply(
    *, assignment: Assignment, data: bytes, file_name: str, by: User, fingerprint: str
) -> list[ScoreChange]:
    """Apply the file's changes, all or none, each audited as an import. Raises
    :class:`StaleImport` when the gradebook is not the one the preview showed and
    :class:`ImportRefused` when the file no longer passes."""
    reason = MESSAGES.text("sheet.history_reason", name=file_name)
    with transaction.atomic():
        criteria, rows = assignment_grades(assignment)
        if gradebook_fingerprint(criteria, rows) != fingerprint:
            raise StaleImport([MESSAGES("sheet.stale")])
        check = check_workbook(data, assignment, criteria, rows)
        if check.errors:
            raise ImportRefused(check.errors)
        # Lock the rows to change and make sure nobody changed them since the read above.
        locked = {
            s.pk: s
            for s in CriterionScore.objects.select_for_update().filter(
                pk__in=[c.score.pk for c in check.changes]
            )
        }
        applied = []
        for change in check.changes:
            current = locked.get(change.score.pk)
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


# -- the pending import between preview and confirmation ------------------------------------------

SESSION_KEY = "grading_spreadsheet_imports"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PENDING_MAX_AGE = 24 * 3600
PENDING_PER_SESSION = 10


@dataclass(frozen=True)
class Pending:
    token: str
    name: str
    data: bytes
    fingerprint: str


def _pending_dir() -> Path:
    path = Path(
        getattr(settings, "SPREADSHEET_IMPORT_DIR", Path(settings.VAR_DIR) / "spreadsheet-imports")
    )
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def pending_save(
    *, session: Any, user: User, assignment: Assignment, name: str, data: bytes, fingerprint: str
) -> str:
    """Keep the uploaded bytes server-side under a random token; the session remembers whose
    and which assignment. The confirmation re-reads these bytes, never what a client posts."""
    folder = _pending_dir()
    cutoff = time.time() - PENDING_MAX_AGE
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.xlsx").write_bytes(data)
    # A few previews may be open in several tabs; older ones just stop confirming.
    pending = dict(list(session.get(SESSION_KEY, {}).items())[-(PENDING_PER_SESSION - 1) :])
    pending[token] = {
        "user": user.pk,
        "assignment": assignment.pk,
        "name": name[:200],
        "sha256": hashlib.sha256(data).hexdigest(),
        "fingerprint": fingerprint,
    }
    session[SESSION_KEY] = pending
    return token


def pending_load(*, session: Any, token: str, user: User, assignment: Assignment) -> Pending | None:
    entry = session.get(SESSION_KEY, {}).get(token) if TOKEN_RE.match(token or "") else None
    if not entry or entry["user"] != user.pk or entry["assignment"] != assignment.pk:
        return None
    path = _pending_dir() / f"{token}.xlsx"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return None
    return Pending(token=token, name=entry["name"], data=data, fingerprint=entry["fingerprint"])


def pending_discard(*, session: Any, token: str) -> None:
    pending = dict(session.get(SESSION_KEY, {}))
    if pending.pop(token, None) is not None:
        session[SESSION_KEY] = pending
    if TOKEN_RE.match(token or ""):
        (_pending_dir() / f"{token}.xlsx").unlink(missing_ok=True)

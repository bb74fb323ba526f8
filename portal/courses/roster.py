"""Enrolment roster import from CSV: validate every row first, then apply all or nothing.

Accepted files: UTF-8 (with or without BOM) or Windows-1252, comma- or
semicolon-separated (Excel in pt-BR writes semicolons), with a header row naming
the columns in Portuguese or English: ``email``/``e-mail``, ``nome``/``name``,
``papel``/``role`` (``aluno``/``student`` or ``instrutor``/``instructor``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.courses.models import Course, Enrollment

MAX_ROWS = 5000
_HEADERS = {
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "nome": "name",
    "name": "name",
    "nome completo": "name",
    "full name": "name",
    "papel": "role",
    "role": "role",
    "função": "role",
    "funcao": "role",
}
_ROLES = {
    "": Enrollment.Role.STUDENT,
    "aluno": Enrollment.Role.STUDENT,
    "aluna": Enrollment.Role.STUDENT,
    "student": Enrollment.Role.STUDENT,
    "estudante": Enrollment.Role.STUDENT,
    "instrutor": Enrollment.Role.INSTRUCTOR,
    "instrutora": Enrollment.Role.INSTRUCTOR,
    "professor": Enrollment.Role.INSTRUCTOR,
    "professora": Enrollment.Role.INSTRUCTOR,
    "instructor": Enrollment.Role.INSTRUCTOR,
}


@dataclass(frozen=True)
class RosterRow:
    line: int
    email: str
    name: str
    role: str


@dataclass
class RosterParse:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class RosterReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def roster_parse(data: bytes, *, max_bytes: int) -> RosterParse:
    """Every problem is reported with its line, so a person can fix the file in one pass."""
    result = RosterParse()
    if len(data) > max_bytes:
        result.errors.append(
            _("O arquivo passa do limite de %(limit)d KB; divida-o em partes.")
            % {"limit": max_bytes // 1024}
        )
        return result
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        result.errors.append(_("O arquivo não é um CSV de texto (UTF-8 ou Windows-1252)."))
        return result
    if "\x00" in text:
        result.errors.append(_("O arquivo não é um CSV de texto (UTF-8 ou Windows-1252)."))
        return result
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        result.errors.append(
            _("O arquivo está vazio: a primeira linha deve ser o cabeçalho (email;nome;papel).")
        )
        return result
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader)]
    columns = {_HEADERS[name]: index for index, name in enumerate(header) if name in _HEADERS}
    unknown = [name for name in header if name and name not in _HEADERS]
    if "email" not in columns:
        result.errors.append(
            _("Linha 1: falta a coluna de e-mail (cabeçalho esperado: email;nome;papel).")
        )
        return result
    if unknown:
        result.errors.append(
            _("Linha 1: coluna desconhecida '%(name)s' (use email, nome, papel).")
            % {"name": unknown[0]}
        )
        return result

    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(result.rows) + len(result.errors) >= MAX_ROWS:
            result.errors.append(
                _("O arquivo tem mais de %(max)d linhas; divida-o.") % {"max": MAX_ROWS}
            )
            break
        _parse_row(result, seen, line, row, columns)
    if not result.rows and not result.errors:
        result.errors.append(_("O arquivo não tem nenhuma linha de aluno depois do cabeçalho."))
    return result


def _parse_row(
    result: RosterParse, seen: dict[str, int], line: int, row: list[str], columns: dict[str, int]
) -> None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    email = cell("email").lower()
    try:
        validate_email(email)
    except ValidationError:
        result.errors.append(
            _("Linha %(line)d: e-mail inválido '%(email)s'.") % {"line": line, "email": email}
        )
        return
    if email in seen:
        result.errors.append(
            _("Linha %(line)d: e-mail %(email)s repetido (já está na linha %(first)d).")
            % {"line": line, "email": email, "first": seen[email]}
        )
        return
    seen[email] = line
    raw_role = cell("role").lower()
    if raw_role not in _ROLES:
        result.errors.append(
            _("Linha %(line)d: papel desconhecido '%(role)s' (use aluno ou instrutor).")
            % {"line": line, "role": raw_role}
        )
        return
    name = cell("name")
    if len(name) > 200:
        result.errors.append(_("Linha %(line)d: nome com mais de 200 caracteres.") % {"line": line})
        return
    result.rows.append(RosterRow(line=line, email=email, name=name, role=_ROLES[raw_role]))


@transaction.atomic
def roster_import(*, course: Course, rows: list[RosterRow]) -> RosterReport:
    """Create or update one enrolment per row. People absent from the file are kept."""
    report = RosterReport()
    existing = {e.email.lower(): e for e in course.enrollments.select_for_update()}
    users = {
        u.email_lower: u
        for u in User.objects.annotate(email_lower=Lower("email")).filter(
            email_lower__in=[row.email for row in rows]
        )
    }
    linked_users = {e.user_id for e in existing.values() if e.user_id}
    for row in rows:
        enrollment = existing.get(row.email)
        if enrollment is None:
            user = users.get(row.email)
            Enrollment.objects.create(
                course=course,
                email=row.email,
                full_name=row.name,
                role=row.role,
                user=user if user and user.pk not in linked_users else None,
            )
            report.created += 1
            continue
        changed = [
            name
            for name, value in (("full_name", row.name or enrollment.full_name), ("role", row.role))
            if getattr(enrollment, name) != value
        ]
        if changed:
            enrollment.full_name = row.name or enrollment.full_name
            enrollment.role = row.role
            enrollment.save(update_fields=changed)
            report.updated += 1
        else:
            report.unchanged += 1
    return report

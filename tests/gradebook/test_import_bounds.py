"""Spreadsheets that cost far more to open than their size says, and the import that reads an
upload once: hostile files are built from a real export by editing its XML inside the zip,
and every refusal comes through the real import view (``bench/import_bounds.py`` measures
how long and how much memory they take)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import PatternFill

from portal.gradebook import services as spreadsheet_import
from portal.review.models import ScoreChange
from tests.gradebook.conftest import waiting_imports
from tests.gradebook.hostile import (
    GRADES_XML,
    LAST_ROW,
    both,
    cell_at,
    declared,
    rewritten,
    with_shared_strings,
)
from tests.gradebook.sheets import as_bytes, exported, graded, student, upload, url

pytestmark = pytest.mark.django_db


def refusal_ids(response) -> list[str]:
    assert response.status_code == 400
    return [error.id for error in response.context["errors"]]


def nothing_kept() -> bool:
    return not ScoreChange.objects.exists() and not waiting_imports()


# -- far larger than the course -------------------------------------------------------------------


HOSTILE_SHEETS = {
    # The 9 KB file of the report: one cell at Excel's last row, the dimension saying so.
    "last-row-declared": (
        both(cell_at(f"A{LAST_ROW}"), declared(f"A1:XFD{LAST_ROW}")),
        "sheet.too_many_rows",
    ),
    # The same cell behind the export's own dimension: found while streaming the rows.
    "last-row-undeclared": (cell_at(f"A{LAST_ROW}"), "sheet.too_many_rows"),
    "last-column-declared": (both(cell_at("XFD2"), declared("A1:XFD2")), "sheet.too_many_columns"),
    "last-column-undeclared": (cell_at("XFD2"), "sheet.too_many_columns"),
}


@pytest.mark.parametrize(("edit", "message_id"), HOSTILE_SHEETS.values(), ids=HOSTILE_SHEETS)
def test_a_sheet_far_larger_than_the_class_is_refused_with_a_message(
    instructor, assignment, alice_run, edit, message_id
):
    data = rewritten(as_bytes(exported(instructor, assignment)), {GRADES_XML: edit})
    assert len(data) < 20_000

    response = upload(instructor, assignment, data)

    assert refusal_ids(response) == [message_id]
    assert "muito mais do que" in response.content.decode()
    assert nothing_kept()


def test_shared_strings_that_unpack_to_95_mb_are_refused_before_they_are_read(
    instructor, assignment, alice_run
):
    data = with_shared_strings(as_bytes(exported(instructor, assignment)), 95 * 2**20)
    assert len(data) < 500_000  # a small upload

    response = upload(instructor, assignment, data)

    assert refusal_ids(response) == ["sheet.unzipped_too_big"]
    assert nothing_kept()


def test_a_part_that_expands_hundreds_of_times_is_refused(instructor, assignment, alice_run):
    data = with_shared_strings(as_bytes(exported(instructor, assignment)), 3 * 2**20)

    response = upload(instructor, assignment, data)

    assert refusal_ids(response) == ["sheet.compressed_too_much"]
    assert nothing_kept()


def test_formatted_empty_rows_below_the_class_are_not_a_reason_to_refuse(
    instructor, course, assignment, alice_run
):
    graded(assignment, student(course, "bia", "Bia"))
    wb = exported(instructor, assignment)
    ws = wb["Notas"]
    for row in range(4, 40):  # someone painted the rows below the class
        ws.cell(row=row, column=1).fill = PatternFill("solid", fgColor="FFFF00")
    ws["H3"] = 0

    response = upload(instructor, assignment, as_bytes(wb))

    assert response.status_code == 302
    preview = instructor.get(response["Location"])
    assert [(c.cell, c.points_after) for c in preview.context["changes"]] == [
        ("H3", Decimal("0.00"))
    ]


# -- parsed once ----------------------------------------------------------------------------------


def test_the_preview_and_the_confirmation_apply_what_the_upload_parsed_once(
    instructor, assignment, alice_run, monkeypatch
):
    wb = exported(instructor, assignment)
    wb["Notas"]["H2"] = 1.25
    wb["Notas"]["I2"] = "Normaliza, mas esquece os acentos."
    data = as_bytes(wb)
    reads = []
    real_read = ExcelReader.read

    def counted(reader):
        reads.append(reader)
        return real_read(reader)

    monkeypatch.setattr(ExcelReader, "read", counted)

    preview = instructor.get(upload(instructor, assignment, data)["Location"])
    assert preview.status_code == 200
    token = preview.context["pending"].token
    assert instructor.post(url("confirm", assignment, token)).status_code == 302

    assert len(reads) == 1
    score = alice_run.scores.get(criterion__key="teste_normaliza")
    assert (score.points, score.justification) == (
        Decimal("1.25"),
        "Normaliza, mas esquece os acentos.",
    )
    assert not waiting_imports()  # spent


def test_a_confirmation_that_fails_midway_writes_nothing(
    instructor, assignment, alice_run, monkeypatch
):
    wb = exported(instructor, assignment)
    wb["Notas"]["H2"] = 1
    wb["Notas"]["J2"] = 1
    preview = instructor.get(upload(instructor, assignment, as_bytes(wb))["Location"])
    token = preview.context["pending"].token
    # A rule of the review service the preview could not know: the criterion's maximum
    # dropped below the imported points after the preview (real ScoreError, second change).
    alice_run.scores.filter(criterion__key="teste_conta_palavras").update(
        max_points=Decimal("0.50")
    )
    real_score_set = spreadsheet_import.score_set
    calls = []

    def counted(**kwargs):  # a spy: the real service decides
        calls.append(kwargs["score"].pk)
        return real_score_set(**kwargs)

    monkeypatch.setattr(spreadsheet_import, "score_set", counted)

    response = instructor.post(url("confirm", assignment, token), follow=True)

    assert len(calls) == 2
    assert "Nada foi importado." in response.content.decode()
    assert not ScoreChange.objects.exists()
    points = dict(alice_run.scores.values_list("criterion__key", "points"))
    assert points["teste_normaliza"] == Decimal("2.00")
    assert points["teste_conta_palavras"] == Decimal("1.50")


def test_a_deadline_moved_after_the_preview_stops_the_confirmation(
    instructor, assignment, alice_run
):
    wb = exported(instructor, assignment)
    wb["Notas"]["H2"] = 1
    token = (
        instructor.get(upload(instructor, assignment, as_bytes(wb))["Location"])
        .context["pending"]
        .token
    )
    # The file's locked "Dias de atraso" no longer holds: the check it passed is out of date.
    assignment.due_at = alice_run.submission.submitted_at - dt.timedelta(days=2)
    assignment.late_penalty_percent_per_day = 10
    assignment.save()

    response = instructor.post(url("confirm", assignment, token), follow=True)

    page = response.content.decode()
    assert "mudaram depois da prévia" in page and "Nada foi importado." in page
    assert not ScoreChange.objects.exists()

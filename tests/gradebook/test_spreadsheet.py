"""The rubric spreadsheet: export (.xlsx, .csv, whole course), the import's checks cell by
cell, the preview and the confirmation, against real openpyxl files and the database.

Columns of an exported "Notas" sheet for the sample assignment (three criteria):
A name, B e-mail, C student id, D attempt, E commit/sha, F submitted at, G late days,
H/I teste_normaliza points/justification, J/K teste_conta_palavras, L/M resposta_escala,
N raw total, O late penalty %, P total, Q rank.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.courses.models import Enrollment
from portal.gradebook import reading
from portal.grading.models import CriterionScore
from portal.review import services as review_services
from portal.review.models import ScoreChange
from tests.factories import (
    AssignmentFactory,
    CriterionFactory,
    EnrollmentFactory,
    UserFactory,
)
from tests.gradebook.conftest import waiting_imports
from tests.gradebook.sheets import POINTS, as_bytes, exported, graded, student, upload, url

pytestmark = pytest.mark.django_db

# -- export --------------------------------------------------------------------------------------


def test_the_export_has_locked_columns_then_points_and_justification_then_totals_and_rank(
    instructor, assignment, alice_run
):
    wb = exported(instructor, assignment)
    assert wb.sheetnames == ["Notas", "Rubrica", "meta"]
    ws = wb["Notas"]
    headers = [cell.value for cell in ws[1]]
    assert headers == [
        "Aluno",
        "E-mail",
        "ID do aluno",
        "Tentativa",
        "Commit / sha256",
        "Enviada em",
        "Dias de atraso",
        "teste_normaliza · pontos",
        "teste_normaliza · justificativa",
        "teste_conta_palavras · pontos",
        "teste_conta_palavras · justificativa",
        "resposta_escala · pontos",
        "resposta_escala · justificativa",
        "Total bruto",
        "Desconto por atraso (%)",
        "Total",
        "Posição",
    ]
    row = [cell.value for cell in ws[2]]
    assert row[:5] == [
        "Alice Aluna",
        alice_run.submission.student.email,
        alice_run.submission.student_id,
        1,
        "ab" * 32,
    ]
    assert isinstance(row[5], dt.datetime) and row[6] == 0
    assert row[7:13] == [
        2,
        "teste_normaliza: justificativa automática",
        1.5,
        "teste_conta_palavras: justificativa automática",
        None,
        "resposta_escala: justificativa automática",
    ]
    assert row[13:] == [3.5, 0, 3.5, 1]
    assert ws.freeze_panes == "C2"
    assert ws["H2"].number_format == "0.00" and ws["P2"].number_format == "0.00"
    assert ws["I2"].alignment.wrap_text
    assert ws.column_dimensions["I"].width == 50
    rules = {str(v.sqref): (v.formula1, v.formula2) for v in ws.data_validations.dataValidation}
    assert rules["H2"] == ("0", "2") and rules["J2"] == ("0", "3")
    rubric = [[c.value for c in r] for r in wb["Rubrica"].iter_rows(min_row=2)]
    assert [r[1] for r in rubric] == ["teste_normaliza", "teste_conta_palavras", "resposta_escala"]
    assert rubric[2][4] == "Manual" and rubric[0][4] == "Automática"
    assert wb["meta"].sheet_state == "veryHidden"


def test_ties_share_a_rank_and_students_without_a_grade_have_none(
    instructor, course, assignment, alice_run
):
    graded(assignment, student(course, "bia", "Bia"), POINTS)
    graded(assignment, student(course, "caio", "Caio"), {**POINTS, "teste_normaliza": "0"})
    student(course, "dora", "Dora")
    ws = exported(instructor, assignment)["Notas"]
    ranks = {row[0].value: row[16].value for row in ws.iter_rows(min_row=2)}
    assert ranks == {"Alice Aluna": 1, "Bia": 1, "Caio": 3, "Dora": None}


def test_a_late_attempt_shows_its_days_and_penalty(instructor, assignment, alice):
    assignment.late_penalty_percent_per_day = 10
    assignment.save()
    graded(assignment, alice, submitted_at=assignment.due_at + dt.timedelta(days=1, hours=2))
    row = [c.value for c in exported(instructor, assignment)["Notas"][2]]
    assert row[6] == 2 and row[13:16] == [3.5, 20, 2.8]


def test_a_justification_that_looks_like_a_formula_stays_text(instructor, assignment, alice_run):
    score = alice_run.scores.get(criterion__key="teste_normaliza")
    score.justification = '=HYPERLINK("http://evil","x")\x1b[31m'
    score.save()
    ws = exported(instructor, assignment)["Notas"]
    assert ws["I2"].data_type == "s"
    assert ws["I2"].value == '=HYPERLINK("http://evil","x")[31m'


def test_the_csv_has_the_same_columns_through_pandas(instructor, assignment, alice_run):
    response = instructor.get(url("csv", assignment))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    frame = pd.read_csv(io.StringIO(response.content.decode("utf-8-sig")))
    sheet = exported(instructor, assignment)["Notas"]
    assert list(frame.columns) == [cell.value for cell in sheet[1]]
    assert frame.loc[0, "teste_conta_palavras · pontos"] == 1.5
    assert frame.loc[0, "Total"] == 3.5 and frame.loc[0, "Posição"] == 1


def test_the_course_export_has_a_summary_and_a_sheet_per_assignment(
    instructor, course, assignment, alice_run
):
    other = AssignmentFactory(course=course, slug="projeto-final", title="Projeto final")
    CriterionFactory(assignment=other, key="readme", title="README", max_points=10)
    graded(other, alice_run.submission.student, {"readme": "7"})
    response = instructor.get(reverse("gradebook:course_xlsx", args=[course.slug]))
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Resumo", "semana-1", "projeto-final", "Rubrica", "meta"]
    summary = [[c.value for c in row] for row in wb["Resumo"].iter_rows()]
    assert summary[0][3:] == [
        "semana-1 · total (de 6)",
        "projeto-final · total (de 10)",
        "Soma",
        "Posição",
    ]
    assert summary[1][3:] == [3.5, 7, 10.5, 1]
    assert wb["projeto-final"]["H1"].value == "readme · pontos"


def test_the_export_makes_the_same_number_of_queries_for_60_students_as_for_5(
    instructor, course, assignment
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            exported(instructor, assignment)
        return len(captured.captured_queries)

    for i in range(5):
        graded(assignment, student(course, f"s{i}", f"Aluno {i:02d}"))
    few = queries()
    for i in range(5, 60):
        graded(assignment, student(course, f"s{i}", f"Aluno {i:02d}"))
    assert queries() == few
    assert few <= 20


# -- import: the round trip ----------------------------------------------------------------------


def test_an_edited_cell_is_previewed_then_applied_and_audited_on_confirmation(
    instructor, bruno, assignment, alice_run
):
    wb = exported(instructor, assignment)
    ws = wb["Notas"]
    ws["H2"] = 1.25
    ws["I2"] = "Normaliza, mas esquece os acentos."
    ws["L2"] = 1  # the manual criterion, still waiting
    ws["M2"] = "Explica bem a escala."
    response = upload(instructor, assignment, as_bytes(wb), name="notas-revisadas.xlsx")
    assert response.status_code == 302
    preview = instructor.get(response["Location"])
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "teste_normaliza" in page and "Normaliza, mas esquece os acentos." in page
    assert [c.criterion_key for c in preview.context["changes"]] == [
        "teste_normaliza",
        "resposta_escala",
    ]
    first = preview.context["changes"][0]
    assert (first.cell, first.points_before, first.points_after) == (
        "H2",
        Decimal("2.00"),
        Decimal("1.25"),
    )
    assert not ScoreChange.objects.exists()  # the preview writes nothing

    token = preview.context["pending"].token
    done = instructor.post(url("confirm", assignment, token))
    assert done.status_code == 302
    score = alice_run.scores.get(criterion__key="teste_normaliza")
    assert score.points == Decimal("1.25")
    assert score.justification == "Normaliza, mas esquece os acentos."
    assert score.source == CriterionScore.Source.MANUAL
    changes = ScoreChange.objects.order_by("pk")
    assert [(c.points_before, c.points_after) for c in changes] == [
        (Decimal("2.00"), Decimal("1.25")),
        (None, Decimal("1.00")),
    ]
    assert {c.source for c in changes} == {ScoreChange.Source.IMPORT}
    assert {c.reason for c in changes} == {"Importação da planilha: notas-revisadas.xlsx"}
    assert {c.changed_by for c in changes} == {bruno}
    alice_run.refresh_from_db()
    assert alice_run.total == Decimal("3.75")
    # The token is spent: confirming again finds nothing.
    assert instructor.post(url("confirm", assignment, token)).status_code == 404


def test_an_unchanged_file_imports_nothing(instructor, assignment, alice_run):
    response = upload(instructor, assignment, as_bytes(exported(instructor, assignment)))
    assert response.status_code == 302
    assert response["Location"] == url("assignment", assignment)
    assert not ScoreChange.objects.exists()


def test_cancelling_a_preview_applies_nothing(instructor, assignment, alice_run):
    wb = exported(instructor, assignment)
    wb["Notas"]["H2"] = 0
    preview = instructor.get(upload(instructor, assignment, as_bytes(wb))["Location"])
    token = preview.context["pending"].token
    instructor.post(url("cancel", assignment, token))
    assert instructor.post(url("confirm", assignment, token)).status_code == 404
    assert not ScoreChange.objects.exists()


def test_a_stale_preview_is_refused(instructor, bruno, assignment, alice_run):
    wb = exported(instructor, assignment)
    wb["Notas"]["H2"] = 0
    preview = instructor.get(upload(instructor, assignment, as_bytes(wb))["Location"])
    token = preview.context["pending"].token
    # Someone reviews another criterion on the review page meanwhile.
    review_services.score_set(
        score=alice_run.scores.get(criterion__key="teste_conta_palavras"),
        points=Decimal(3),
        justification="Revisto.",
        by=bruno,
        reason="revisão",
    )
    response = instructor.post(url("confirm", assignment, token), follow=True)
    assert "mudaram depois da prévia" in response.content.decode()
    assert alice_run.scores.get(criterion__key="teste_normaliza").points == Decimal("2.00")
    assert ScoreChange.objects.filter(source=ScoreChange.Source.IMPORT).count() == 0


def test_someone_elses_pending_import_is_a_404(client, instructor, course, assignment, alice_run):
    wb = exported(instructor, assignment)
    wb["Notas"]["H2"] = 0
    token = (
        instructor.get(upload(instructor, assignment, as_bytes(wb))["Location"])
        .context["pending"]
        .token
    )
    other = UserFactory(username="ines")
    EnrollmentFactory(course=course, user=other, role=Enrollment.Role.INSTRUCTOR)
    from django.test import Client

    stranger = Client()
    stranger.force_login(other)
    assert stranger.get(url("preview", assignment, token)).status_code == 404
    assert stranger.post(url("confirm", assignment, token)).status_code == 404
    assert not ScoreChange.objects.exists()


# -- import: every bad cell ----------------------------------------------------------------------


def _set(cell: str, value):
    def edit(wb, assignment):
        wb["Notas"][cell] = value

    return edit


def _add_column(wb, assignment):
    wb["Notas"]["R1"] = "inexistente · pontos"
    wb["Notas"]["R2"] = 1


BAD_CELLS = [
    (_set("H2", 12), "H2: 12 passa do máximo de 2 de “teste_normaliza”"),
    (_set("J2", -1), "J2: -1 é negativo (pontos de “teste_conta_palavras”)"),
    (_set("H2", "dois"), "H2: “dois” não é um número (pontos de “teste_normaliza”)"),
    (_set("C2", 999999), "C2: o aluno 999999 não está nesta turma"),
    (_add_column, "R1: “inexistente · pontos” não é um critério desta entrega"),
    (_set("A2", "Outra Pessoa"), "A2: a coluna “Aluno” não pode ser alterada"),
    (_set("B2", "outra@example.edu"), "B2: a coluna “E-mail” não pode ser alterada"),
    (_set("D2", 2), "D2: a coluna “Tentativa” não pode ser alterada"),
    (_set("E2", "cafe"), "E2: a coluna “Commit / sha256” não pode ser alterada"),
    (_set("F2", dt.datetime(2020, 1, 1, 12, 0)), "F2: a coluna “Enviada em” não pode ser alterada"),
    (_set("G2", 3), "G2: a coluna “Dias de atraso” não pode ser alterada"),
    (_set("N2", 6), "N2: a coluna “Total bruto” não pode ser alterada"),
    (_set("P2", 6), "P2: a coluna “Total” não pode ser alterada"),
    (_set("Q2", 9), "Q2: a coluna “Posição” não pode ser alterada"),
    (_set("I2", None), "I2: a justificativa de “teste_normaliza” ficou vazia"),
    (_set("H2", None), "H2: os pontos de “teste_normaliza” foram apagados"),
]


@pytest.mark.parametrize(
    ("edit", "message"),
    BAD_CELLS,
    ids=[m.split(":")[0] + "-" + m.split(" ")[1] for _e, m in BAD_CELLS],
)
def test_a_bad_cell_is_reported_by_its_address_and_nothing_is_applied(
    instructor, assignment, alice_run, edit, message
):
    wb = exported(instructor, assignment)
    wb["Notas"]["K2"] = "Uma alteração válida que não deve ser aplicada."
    edit(wb, assignment)
    response = upload(instructor, assignment, as_bytes(wb))
    assert response.status_code == 400
    errors = response.context["errors"]
    assert any(message in error for error in errors), errors
    assert message in response.content.decode().replace("&quot;", '"')
    assert not ScoreChange.objects.exists()
    assert not waiting_imports()


def test_every_bad_cell_is_reported_at_once(instructor, course, assignment, alice_run):
    graded(assignment, student(course, "bia", "Bia"))
    wb = exported(instructor, assignment)
    ws = wb["Notas"]
    assert ws["A3"].value == "Bia"
    ws["H2"], ws["J3"], ws["A3"] = 12, 7, "Outra"
    errors = upload(instructor, assignment, as_bytes(wb)).context["errors"]
    assert [e.split(":")[0] for e in errors] == ["H2", "A3", "J3"]


def test_points_for_a_student_without_a_graded_attempt_are_refused(
    instructor, course, assignment, alice_run
):
    student(course, "dora", "Dora")
    wb = exported(instructor, assignment)
    assert wb["Notas"]["A3"].value == "Dora"
    wb["Notas"]["H3"] = 1
    response = upload(instructor, assignment, as_bytes(wb))
    errors = response.context["errors"]
    assert errors == ["H3: Dora não tem nota corrigida em “teste_normaliza” para alterar"]
    assert [error.id for error in errors] == ["sheet.not_graded"]
    assert 'data-message-id="sheet.not_graded"' in response.content.decode()


def test_an_unknown_email_without_an_id_is_reported(instructor, assignment, alice_run):
    wb = exported(instructor, assignment)
    wb["Notas"]["A3"], wb["Notas"]["B3"], wb["Notas"]["H3"] = "X", "ninguem@example.edu", 1
    errors = upload(instructor, assignment, as_bytes(wb)).context["errors"]
    assert errors == ["B3: o e-mail “ninguem@example.edu” não está nesta turma"]


def test_a_file_that_is_not_an_xlsx_is_refused(instructor, assignment, alice_run):
    response = upload(
        instructor, assignment, b"email;nota\nalice@example.edu;10\n", name="notas.xlsx"
    )
    assert response.status_code == 400
    assert "não é uma planilha .xlsx" in response.context["errors"][0]


def test_a_file_of_another_assignment_is_refused(instructor, course, assignment, alice_run):
    other = AssignmentFactory(course=course, slug="semana-2", title="Semana 2")
    CriterionFactory(assignment=other, key="teste_normaliza", title="x", max_points=2)
    wb = exported(instructor, other)
    response = upload(instructor, assignment, as_bytes(wb))
    assert response.status_code == 400
    assert "é de outra entrega (“Semana 2”" in response.context["errors"][0]


def test_the_course_workbook_cannot_be_imported(instructor, course, assignment, alice_run):
    data = instructor.get(reverse("gradebook:course_xlsx", args=[course.slug])).content
    errors = upload(instructor, assignment, data).context["errors"]
    assert "planilha do curso inteiro" in errors[0]


def test_a_changed_rubric_invalidates_old_files(instructor, assignment, alice_run):
    data = as_bytes(exported(instructor, assignment))
    assignment.criteria.filter(key="teste_normaliza").update(max_points=4)
    errors = upload(instructor, assignment, data).context["errors"]
    assert "a rubrica desta entrega mudou" in errors[0]


def test_a_file_over_the_size_cap_is_refused_without_reading_it_all(
    instructor, assignment, alice_run
):
    data = b"PK\x03\x04" + b"0" * reading.MAX_IMPORT_BYTES
    response = upload(instructor, assignment, data)
    assert response.status_code == 400
    assert response.context["errors"] == ["o arquivo passa de 5 MB"]


# -- who gets in ---------------------------------------------------------------------------------


def _all_urls(assignment) -> list[tuple[str, str]]:
    token = "x" * 32
    return [
        ("get", url("assignment", assignment)),
        ("get", url("xlsx", assignment)),
        ("get", url("csv", assignment)),
        ("get", reverse("gradebook:course_xlsx", args=[assignment.course.slug])),
        ("post", url("import", assignment)),
        ("get", url("preview", assignment, token)),
        ("post", url("confirm", assignment, token)),
        ("post", url("cancel", assignment, token)),
    ]


def test_a_student_of_the_course_gets_a_403_everywhere(client, alice, assignment, alice_run):
    client.force_login(alice)
    for method, address in _all_urls(assignment):
        assert getattr(client, method)(address).status_code == 403, address


def test_an_outsider_gets_a_404_everywhere(client, charlie, assignment, alice_run):
    client.force_login(charlie)
    for method, address in _all_urls(assignment):
        assert getattr(client, method)(address).status_code == 404, address


def test_an_admin_and_the_instructor_get_the_page_with_its_buttons(
    client, carla, bruno, assignment
):
    for user in (carla, bruno):
        client.force_login(user)
        page = client.get(url("assignment", assignment)).content.decode()
        assert url("xlsx", assignment) in page
        assert url("csv", assignment) in page
        assert reverse("gradebook:course_xlsx", args=[assignment.course.slug]) in page
        assert 'enctype="multipart/form-data"' in page

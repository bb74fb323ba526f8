"""Admins' feedback reports: what a student's report says, the PDF, the course zip, the
charts, who may get them, and a query count that does not grow with the class."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.db import reset_queries
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from portal.assessments.models import Assignment, Criterion
from portal.courses.models import Enrollment
from portal.grading.models import CriterionScore, GradingRun
from portal.ranking.models import Finalist
from portal.reports import charts as report_charts
from portal.reports import pdf as report_pdf
from portal.reports import selectors as reports
from portal.reports import services, tasks
from portal.reports.models import ReportArchive
from portal.review.models import RegradeRequest
from portal.review.services import recompute_total, score_set
from portal.submissions.models import Submission
from tests.factories import AssignmentFactory, EnrollmentFactory, SubmissionFactory, UserFactory
from tests.reports import zips
from tests.reports.zips import built_zip

pytestmark = pytest.mark.django_db

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- a seeded course ------------------------------------------------------------------------------


def criterion(assignment, key, title, max_points, order, **fields) -> Criterion:
    return Criterion.objects.create(
        assignment=assignment,
        key=key,
        title=title,
        max_points=Decimal(max_points),
        order=order,
        **fields,
    )


def graded(
    assignment,
    student,
    points: dict[str, tuple[str | None, str]],
    *,
    submitted_at=None,
    attempt: int = 1,
) -> GradingRun:
    """A graded attempt: one DONE run with the given points and justifications by key."""
    submitted_at = submitted_at or timezone.now()
    submission = SubmissionFactory(
        assignment=assignment,
        student=student,
        attempt=attempt,
        submitted_at=submitted_at,
        status=Submission.Status.GRADED,
    )
    criteria = {c.key: c for c in assignment.criteria.all()}
    run = GradingRun.objects.create(
        submission=submission,
        number=1,
        status=GradingRun.Status.DONE,
        queued_at=submitted_at,
        finished_at=submitted_at,
        max_total=sum(c.max_points for c in criteria.values()),
    )
    for key, (value, justification) in points.items():
        CriterionScore.objects.create(
            run=run,
            criterion=criteria[key],
            max_points=criteria[key].max_points,
            points=None if value is None else Decimal(value),
            justification=justification,
        )
    recompute_total(run.pk)
    run.refresh_from_db()
    return run


def enrolled(course, username: str, full_name: str):
    user = UserFactory(username=username, full_name=full_name)
    EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
    return user


@pytest.fixture
def notebook(course) -> Assignment:
    """Due three days ago, 10% per started day late (cap 50%), grades released on grading."""
    assignment = AssignmentFactory(
        course=course,
        slug="semana-1",
        title="Notebook da semana 1",
        order=1,
        due_at=timezone.now() - dt.timedelta(days=3),
        late_penalty_percent_per_day=10,
        late_penalty_max_percent=50,
    )
    criterion(assignment, "pipeline", "Pipeline de dados", "4", 0)
    criterion(assignment, "testes", "Testes automatizados", "2", 1)
    criterion(assignment, "resposta", "Resposta escrita", "4", 2, manual=True)
    return assignment


@pytest.fixture
def project(course) -> Assignment:
    """The final project: grades released by hand, not yet."""
    assignment = AssignmentFactory(
        course=course,
        slug="projeto-final",
        title="Projeto final",
        order=2,
        kind=Assignment.Kind.PROJECT,
        release_mode=Assignment.ReleaseMode.MANUAL,
        due_at=timezone.now() - dt.timedelta(days=1),
    )
    criterion(assignment, "api", "API de inferência", "10", 0)
    return assignment


@pytest.fixture
def seeded(course, alice, bruno, notebook, project):
    """Alice: the notebook two days late, one instructor change, one answered regrade
    request; the final project graded (unreleased); she is the winning finalist."""
    run = graded(
        notebook,
        alice,
        {
            "pipeline": ("4", "Todas as etapas do pipeline rodaram."),
            "testes": ("0.5", "Dois testes falharam: test_split e test_scaler."),
            "resposta": ("1", "Resposta incompleta."),
        },
        submitted_at=notebook.due_at + dt.timedelta(days=1, hours=2),
    )
    score = run.scores.get(criterion__key="resposta")
    score_set(
        score=score,
        points=Decimal("2.5"),
        justification="A explicação está correta, mas falta o exemplo.",
        by=bruno,
        reason="Reli a resposta com calma.",
    )
    RegradeRequest.objects.create(
        run=run,
        criterion=notebook.criteria.get(key="testes"),
        student=alice,
        reason="Meu test_split passa localmente.",
        status=RegradeRequest.Status.REJECTED,
        response="O teste oculto usa outra semente; o erro é do código.",
        responded_by=bruno,
        responded_at=timezone.now(),
    )
    graded(project, alice, {"api": ("9", "A API respondeu a todas as rotas.")})
    Finalist.objects.create(
        course=project.course,
        student=alice,
        position=1,
        project_score=Decimal(9),
        notebook_bonus=Decimal(1),
        selection_score=Decimal(10),
        confirmed_by=bruno,
        is_winner=True,
    )
    return run


def url(name: str, course, *args) -> str:
    return reverse(f"reports:{name}", args=[course.slug, *args])


# -- what the report says ----------------------------------------------------------------------


def test_a_students_report_has_each_grade_after_the_late_policy_with_its_penalty_line(
    course, alice, seeded
):
    report = reports.student_report(course, alice.pk)
    notebook_line, project_line = report.assignments
    assert notebook_line.title == "Notebook da semana 1"
    assert notebook_line.status == reports.Status.GRADED
    # 4 + 0.5 + 2.5 = 7 of 10; two started days late at 10% a day: -1.4.
    assert notebook_line.grade.raw_total == Decimal("7")
    assert notebook_line.grade.total == Decimal("5.6")
    assert "2 dias depois do prazo" in notebook_line.grade.penalty_line
    assert "-20%" in notebook_line.grade.penalty_line
    assert notebook_line.released
    assert project_line.grade.total == Decimal("9")
    assert not project_line.released


def test_a_students_report_has_each_criterion_with_its_justification(course, alice, seeded):
    line = reports.student_report(course, alice.pk).assignments[0]
    by_key = {c.key: c for c in line.criteria}
    assert [c.title for c in line.criteria] == [
        "Pipeline de dados",
        "Testes automatizados",
        "Resposta escrita",
    ]
    assert by_key["testes"].points == Decimal("0.5")
    assert by_key["testes"].max_points == Decimal("2")
    assert by_key["testes"].justification == "Dois testes falharam: test_split e test_scaler."
    assert by_key["resposta"].manual and not by_key["pipeline"].manual


def test_instructor_comments_and_regrade_requests_say_who_and_when(course, alice, bruno, seeded):
    report = reports.student_report(course, alice.pk)
    [comment] = report.comments
    assert comment.reason == "Reli a resposta com calma."
    assert comment.by == "Bruno Instrutor"
    assert (comment.points_before, comment.points_after) == (Decimal("1"), Decimal("2.5"))
    assert comment.criterion == "Resposta escrita"
    [regrade] = report.regrades
    assert regrade.status_label == "Recusado"
    assert regrade.response.startswith("O teste oculto usa outra semente")
    assert regrade.responded_by == "Bruno Instrutor"


def test_strengths_are_criteria_from_80_percent_and_points_to_improve_below_50(
    course, alice, seeded
):
    report = reports.student_report(course, alice.pk)
    assert [(h.assignment, h.criterion) for h in report.strengths] == [
        ("Notebook da semana 1", "Pipeline de dados"),
        ("Projeto final", "API de inferência"),
    ]
    # "Resposta escrita" (62.5%) is neither.
    assert [(h.criterion, h.justification) for h in report.improvements] == [
        ("Testes automatizados", "Dois testes falharam: test_split e test_scaler.")
    ]


def test_the_final_project_shows_the_finalist_and_winner(course, alice, seeded):
    final = reports.student_report(course, alice.pk).final_project
    assert final.position == 1 and final.is_winner
    assert final.outcome == "Projeto vencedor (finalista na posição 1)."


def test_a_student_outside_the_finalists_is_told_so(course, seeded, project):
    diego = enrolled(course, "diego", "Diego Dias")
    graded(project, diego, {"api": ("3", "Só a rota /health respondeu.")})
    final = reports.student_report(course, diego.pk).final_project
    assert final.position is None
    assert final.outcome == "Não ficou entre os três finalistas."


def test_a_student_without_submissions_gets_a_report_of_missing_deliveries(
    client, carla, course, seeded
):
    diego = enrolled(course, "diego", "Diego Dias")
    report = reports.student_report(course, diego.pk)
    assert [line.status for line in report.assignments] == [reports.Status.MISSING] * 2
    assert report.strengths == [] and report.improvements == []
    client.force_login(carla)
    html = client.get(url("student", course, diego.pk)).content.decode()
    assert "Sem entrega" in html
    assert "Nenhum critério com 80% ou mais dos pontos ainda." in html
    assert "Diego Dias" in pdf_text(report_pdf.student_pdf(report))


def test_an_attempt_still_being_graded_is_shown_as_waiting(course, seeded, notebook):
    diego = enrolled(course, "diego", "Diego Dias")
    SubmissionFactory(
        assignment=notebook,
        student=diego,
        attempt=1,
        submitted_at=notebook.due_at + dt.timedelta(hours=1),
        status=Submission.Status.QUEUED,
    )
    line = reports.student_report(course, diego.pk).assignments[0]
    assert (line.status, line.attempt, line.grade) == (reports.Status.IN_PROGRESS, 1, None)
    assert line.status_label == "Entregue, aguardando correção"
    summary = reports.course_report(course).summaries[0]
    assert (summary.submitted, summary.graded, summary.pending, summary.late) == (2, 1, 1, 2)


def test_the_course_summary_counts_and_averages(course, alice, seeded, notebook):
    diego = enrolled(course, "diego", "Diego Dias")
    graded(
        notebook,
        diego,
        {
            "pipeline": ("2", "Metade."),
            "testes": ("2", "Tudo passou."),
            "resposta": (None, "Aguarda o instrutor."),
        },
        submitted_at=notebook.due_at - dt.timedelta(hours=1),
    )
    enrolled(course, "fernanda", "Fernanda Faria")  # never submitted
    summary = reports.course_report(course).summaries[0]
    assert (summary.students, summary.submitted, summary.graded) == (3, 2, 2)
    assert (summary.needs_review, summary.late) == (1, 1)
    averages = {c.title: c for c in summary.criteria}
    assert averages["Pipeline de dados"].average_percent == Decimal("75.0")  # (4 + 2) / 2 / 4
    assert averages["Resposta escrita"].count == 1  # None left out
    assert sorted(summary.percents) == [40.0, 56.0]


# -- the pages ----------------------------------------------------------------------------------


def test_the_student_page_shows_the_whole_report(client, carla, course, alice, seeded):
    client.force_login(carla)
    response = client.get(url("student", course, alice.pk))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Alice Aluna",
        "Pipeline de dados",
        "Dois testes falharam",
        "Reli a resposta com calma.",
        "O teste oculto usa outra semente",
        "não liberada ao aluno",
        "ainda não registrada",
        "Projeto vencedor",
        "2 dias depois do prazo",
    ):
        assert text in html, text
    assert "style=" not in html and "<style" not in html


def test_the_course_page_shows_one_section_at_a_time_with_charts_by_url(
    client, carla, course, seeded
):
    client.force_login(carla)
    response = client.get(url("course", course))
    assert response.status_code == 200
    html = response.content.decode()
    assert url("chart_counts", course) in html and url("chart_distribution", course) in html
    assert "data-report-students" not in html and "report-criteria" not in html
    assert "data:image" not in html  # charts are served by URL, within img-src 'self'
    for section in ("turma", "criterios", "alunos"):
        assert f'href="?secao={section}"' in html

    criteria = client.get(url("course", course), {"secao": "criterios"}).content.decode()
    assert url("chart_criteria", course, "semana-1") in criteria
    assert url("chart_counts", course) not in criteria
    one = client.get(url("course", course), {"secao": "criterios", "entrega": "semana-1"})
    title = seeded.submission.assignment.title
    assert f'aria-current="page">{title}' in re.sub(r"\s+", " ", one.content.decode())

    students = client.get(url("course", course), {"secao": "alunos"}).content.decode()
    assert url("student", course, seeded.submission.student_id) in students
    assert url("chart_counts", course) not in students
    # An unknown section is the first one, never an error.
    assert (
        url("chart_counts", course)
        in client.get(url("course", course), {"secao": "nonsense"}).content.decode()
    )


# -- PDF, zip, charts ------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_student_pdf_holds_the_name_a_criterion_and_a_justification(
    client, carla, course, alice, seeded
):
    client.force_login(carla)
    response = client.get(url("student_pdf", course, alice.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"alice-aluna-{alice.pk}.pdf" in response["Content-Disposition"]
    text = " ".join(pdf_text(response.content).split())
    for expected in (
        "Alice Aluna",
        "Testes automatizados",
        "Dois testes falharam: test_split e test_scaler.",
        "Reli a resposta com calma.",
        "Nota não liberada ao aluno.",
        "Frequência ainda não registrada",
        "Página 1 de",
    ):
        assert expected in text, expected


def test_the_summary_pdf_embeds_the_charts(client, carla, course, seeded):
    client.force_login(carla)
    response = client.get(url("course_pdf", course))
    reader = PdfReader(io.BytesIO(response.content))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) >= 3  # counts, distribution, one per assignment's criteria
    assert "Resumo da turma" in pdf_text(response.content)


def test_the_zip_holds_one_pdf_per_student_the_summary_and_an_index(
    client, carla, course, alice, seeded
):
    diego = enrolled(course, "diego", "Diego Dias")
    EnrollmentFactory(
        course=course,
        user=None,
        email="nunca@example.edu",
        full_name="Nunca Entrou",
        role=Enrollment.Role.STUDENT,
    )
    client.force_login(carla)
    archive = zipfile.ZipFile(io.BytesIO(built_zip(client, course)))
    names = sorted(archive.namelist())
    assert names == sorted(
        [
            f"alunos/alice-aluna-{alice.pk}.pdf",
            f"alunos/diego-dias-{diego.pk}.pdf",
            "resumo-da-turma.pdf",
            "index.csv",
        ]
    )
    assert "Diego Dias" in pdf_text(archive.read(f"alunos/diego-dias-{diego.pk}.pdf"))
    index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    by_name = {row["nome"]: row for row in index}
    assert by_name["Alice Aluna"]["arquivo"] == f"alunos/alice-aluna-{alice.pk}.pdf"
    assert by_name["Alice Aluna"]["semana-1"] == "5.6"
    assert by_name["Alice Aluna"]["vencedor"] == "sim"
    assert by_name["Nunca Entrou"]["arquivo"] == ""  # on the roster, never signed in


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_charts_are_pngs_of_the_expected_width_and_the_same_for_the_same_data(course, seeded):
    summaries = reports.course_report(course).summaries
    first = report_charts.score_distribution_png(report_charts.distribution_series(summaries))
    again = report_charts.score_distribution_png(report_charts.distribution_series(summaries))
    assert first == again
    width, height = png_size(first)
    assert width == 800 and 200 <= height <= 2000
    assert png_size(report_charts.counts_png(summaries))[0] == 800
    bars = report_charts.criterion_bars(summaries[0])
    assert [title for title, _value in bars] == [
        "Pipeline de dados",
        "Testes automatizados",
        "Resposta escrita",
    ]
    assert png_size(report_charts.criterion_averages_png("Notebook", bars))[0] == 800


def test_a_chart_without_grades_still_draws(course, notebook):
    summaries = reports.course_report(course).summaries
    png_size(report_charts.score_distribution_png(report_charts.distribution_series(summaries)))
    png_size(
        report_charts.criterion_averages_png(
            "Sem notas", report_charts.criterion_bars(summaries[0])
        )
    )


def test_chart_urls_serve_pngs(client, carla, course, seeded):
    client.force_login(carla)
    for response in (
        client.get(url("chart_counts", course)),
        client.get(url("chart_distribution", course)),
        client.get(url("chart_criteria", course, "semana-1")),
    ):
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        png_size(response.content)
    assert client.get(url("chart_criteria", course, "nao-existe")).status_code == 404


def test_pdf_text_is_escaped_not_read_as_markup(course, alice, notebook):
    graded(
        notebook,
        alice,
        {
            "pipeline": ("1", "<b>negrito?</b> & <para> quebrado"),
            "testes": ("2", "ok"),
            "resposta": ("4", "ok"),
        },
    )
    data = report_pdf.student_pdf(reports.student_report(course, alice.pk))
    assert "<b>negrito?</b> & <para> quebrado" in pdf_text(data)


# -- who may see them -------------------------------------------------------------------------


def every_url(course, student) -> list[str]:
    return [
        url("course", course),
        url("course_pdf", course),
        url("zip", course),
        url("archive_status", course),
        url("chart_counts", course),
        url("chart_distribution", course),
        url("chart_criteria", course, "semana-1"),
        url("student", course, student.pk),
        url("student_pdf", course, student.pk),
    ]


def test_the_courses_instructor_is_refused_with_a_403(client, bruno, course, alice, seeded):
    client.force_login(bruno)
    for address in every_url(course, alice):
        assert client.get(address).status_code == 403, address


def test_a_student_gets_a_404_even_for_their_own_report(client, alice, course, seeded):
    client.force_login(alice)
    for address in every_url(course, alice):
        assert client.get(address).status_code == 404, address


def test_an_outsider_gets_a_404(client, charlie, course, alice, seeded):
    client.force_login(charlie)
    for address in every_url(course, alice):
        assert client.get(address).status_code == 404, address


def test_signed_out_people_are_sent_to_sign_in(client, course, alice, seeded):
    response = client.get(url("course", course))
    assert response.status_code == 302


def test_someone_who_is_not_a_student_of_the_course_has_no_report(
    client, carla, course, charlie, seeded
):
    client.force_login(carla)
    assert client.get(url("student", course, charlie.pk)).status_code == 404
    assert client.get(url("student_pdf", course, charlie.pk)).status_code == 404


# -- bounded queries ----------------------------------------------------------------------------


def many_students(course, notebook, project, start: int, count: int, bruno) -> None:
    for n in range(start, start + count):
        student = enrolled(course, f"aluno{n}", f"Aluno {n:02d}")
        run = graded(
            notebook,
            student,
            {
                "pipeline": (str(n % 5), "Etapas do pipeline."),
                "testes": ("1", "Um falhou."),
                "resposta": ("3", "Boa resposta."),
            },
        )
        score_set(
            score=run.scores.get(criterion__key="testes"),
            points=Decimal(2),
            justification="Revisto.",
            by=bruno,
            reason="O teste estava errado.",
        )
        RegradeRequest.objects.create(
            run=run,
            criterion=run.scores.first().criterion,
            student=student,
            reason="Revisem, por favor.",
        )
        graded(project, student, {"api": (str(n % 10), "Rotas.")})


def test_the_course_zip_and_page_take_the_same_queries_for_5_and_30_students(
    client,
    carla,
    course,
    bruno,
    notebook,
    project,
    django_assert_max_num_queries,
    monkeypatch,
):
    # Progress is written by count here, not by the clock: the same writes on any machine.
    monkeypatch.setattr(services, "PROGRESS_EVERY_SECONDS", 3600.0)
    monkeypatch.setattr(services, "PROGRESS_EVERY_STUDENTS", 1000)
    many_students(course, notebook, project, 0, 5, bruno)
    client.force_login(carla)
    assert tasks.build_archive(zips.ask(client, course).pk) == "done"  # one zip to replace
    # About 10 per assignment (its gradebook) plus a few for the course: 2 assignments here.
    archive = zips.ask(client, course)
    reset_queries()  # the log is a deque of 9,000: once full, a count in it reads 0
    with django_assert_max_num_queries(30) as few:
        assert tasks.build_archive(archive.pk) == "done"
    few_queries = len(few)  # now: the next reset_queries() empties what it reads
    reset_queries()
    with django_assert_max_num_queries(30) as page:
        assert client.get(url("course", course)).status_code == 200
    page_queries = len(page)

    many_students(course, notebook, project, 5, 25, bruno)
    archive = zips.ask(client, course)
    reset_queries()
    with django_assert_max_num_queries(few_queries):
        assert tasks.build_archive(archive.pk) == "done"
    data = b"".join(zips.download(client, ReportArchive.objects.first()).streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert len([n for n in archive.namelist() if n.startswith("alunos/")]) == 30
    reset_queries()
    with django_assert_max_num_queries(page_queries):
        assert client.get(url("course", course)).status_code == 200

"""Importing a Teams report into a class session: matched by e-mail, present from the
course's threshold, unmatched people listed, preview then confirm (all or nothing), a report
of another day refused, corrections by hand audited and kept; the command does the same; the
student, the reports and the ranking page show it."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.assessments.models import Assignment
from portal.attendance import services
from portal.attendance.messages import AttendanceError
from portal.attendance.models import Attendance, AttendanceCorrection, AttendanceImport
from portal.reports.selectors import course_report
from tests.attendance.conftest import at
from tests.attendance.reports import PORTUGUESE, Join, br_date, teams_report
from tests.factories import AssignmentFactory, ClassSessionFactory
from tests.ranking.test_ranking import graded as graded_project

BRUNO_IN_MEETING = Join("Bruno Instrutor", "bruno@example.edu", at(0), at(105), role="Organizer")


def report(*joins: Join, **options) -> bytes:
    options.setdefault("start", at(0))
    options.setdefault("end", at(105))
    return teams_report(list(joins), **options)


@pytest.fixture
def class_report(alice, dora, eva) -> bytes:
    return report(
        Join("Alice Aluna", "alice@example.edu", at(0), at(105)),
        Join("Dora Discente", "dora@example.edu", at(0), at(30)),
        Join("Dora Discente", "dora@example.edu", at(60), at(100)),  # 70 min: below 79
        Join("Eva E.", "eva.estudante@example.edu", at(5), at(100)),  # the enrolment's e-mail
        Join("Visitante", "", at(10), at(50)),
        BRUNO_IN_MEETING,
    )


def records(session) -> dict[str, tuple[int, bool]]:
    return {
        a.student.username: (a.minutes, a.present)
        for a in Attendance.objects.filter(session=session).select_related("student")
    }


def test_students_are_matched_by_email_and_present_from_the_threshold(
    session, class_report, charlie
) -> None:
    services.attendance_import(session=session, data=class_report, by=None)
    assert records(session) == {
        "alice": (105, True),
        "dora": (70, False),
        "eva": (95, True),
    }
    [done] = AttendanceImport.objects.all()
    assert sorted(p["name"] for p in done.unmatched) == ["Bruno Instrutor", "Visitante"]


def test_a_student_missing_from_the_report_is_absent(session, alice, dora) -> None:
    services.attendance_import(
        session=session,
        data=report(Join("Alice Aluna", "alice@example.edu", at(0), at(90))),
        by=None,
    )
    assert records(session) == {"alice": (90, True), "dora": (0, False)}


def test_a_portuguese_report_imports_the_same(session, alice, dora, eva, class_report) -> None:
    portuguese = teams_report(
        [
            Join("Alice Aluna", "alice@example.edu", at(0), at(105)),
            Join("Dora Discente", "dora@example.edu", at(0), at(30)),
            Join("Dora Discente", "dora@example.edu", at(60), at(100)),
            Join("Eva E.", "eva.estudante@example.edu", at(5), at(100)),
        ],
        start=at(0),
        end=at(105),
        words=PORTUGUESE,
        date=br_date,
    )
    services.attendance_import(session=session, data=portuguese, by=None)
    assert records(session) == {"alice": (105, True), "dora": (70, False), "eva": (95, True)}


def test_a_report_of_another_day_is_refused_and_nothing_is_written(session, alice) -> None:
    other_day = report(
        Join("Alice Aluna", "alice@example.edu", at(60 * 24 * 2), at(60 * 24 * 2 + 100)),
        start=at(60 * 24 * 2),
        end=at(60 * 24 * 2 + 100),
    )
    with pytest.raises(AttendanceError) as refused:
        services.attendance_import(session=session, data=other_day, by=None)
    assert refused.value.message_id == "attendance.other_date"
    assert "04/03/2027" in refused.value.message and "02/03/2027" in refused.value.message
    assert not Attendance.objects.exists() and not AttendanceImport.objects.exists()


def test_a_correction_is_audited_and_survives_a_new_import(session, bruno, dora, class_report):
    services.attendance_import(session=session, data=class_report, by=bruno)
    services.attendance_correct(
        session=session,
        student=dora,
        present=True,
        reason="Caiu a conexão; avisou no chat.",
        by=bruno,
    )
    services.attendance_import(session=session, data=class_report, by=bruno)
    assert records(session)["dora"] == (70, True)
    [correction] = AttendanceCorrection.objects.all()
    assert (correction.present_before, correction.present_after, correction.by) == (
        False,
        True,
        bruno,
    )


def test_a_correction_needs_a_reason(session, bruno, dora) -> None:
    with pytest.raises(AttendanceError) as refused:
        services.attendance_correct(
            session=session, student=dora, present=True, reason="  ", by=bruno
        )
    assert refused.value.message_id == "attendance.reason_required"
    assert not AttendanceCorrection.objects.exists()


# -- the pages -------------------------------------------------------------------------------------


def page(course, session) -> str:
    return reverse("attendance:session", args=[course.slug, session.pk])


def upload(client, course, session, data: bytes, name: str = "presenca.csv"):
    return client.post(
        page(course, session),
        {"acao": "previa", "arquivo": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def test_the_preview_shows_everyone_and_writes_nothing_until_confirmed(
    client, bruno, course, session, class_report
) -> None:
    client.force_login(bruno)
    response = upload(client, course, session, class_report)
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 de 3 alunos presentes" in html
    assert "Visitante · convidado, sem e-mail" in html
    assert not Attendance.objects.exists()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    client.post(page(course, session), {"acao": "confirmar", "token": token})
    assert records(session)["alice"] == (105, True)
    again = client.post(page(course, session), {"acao": "confirmar", "token": token})
    assert 'data-message-id="attendance.expired"' in again.content.decode()


def test_a_token_of_another_session_applies_nothing(
    client, bruno, course, session, published, class_report
) -> None:
    other = ClassSessionFactory(week=published, kind="practice", starts_at=at(60 * 24 * 2))
    client.force_login(bruno)
    html = upload(client, course, session, class_report).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    response = client.post(page(course, other), {"acao": "confirmar", "token": token})
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_a_bad_file_on_the_page_says_why(client, bruno, course, session) -> None:
    client.force_login(bruno)
    response = upload(client, course, session, b"Nome;Nota\n")
    assert response.status_code == 400
    assert 'data-message-id="attendance.not_a_report"' in response.content.decode()


def test_a_correction_from_the_page(client, bruno, course, session, dora) -> None:
    client.force_login(bruno)
    client.post(
        page(course, session),
        {"acao": "corrigir", "aluno": dora.pk, "presente": "sim", "motivo": "Estava na sala."},
    )
    html = client.get(page(course, session)).content.decode()
    assert "corrigida por um instrutor" in html and "Estava na sala." in html


def test_only_the_course_instructors_reach_attendance(client, alice, charlie, course, session):
    for url in (reverse("attendance:course", args=[course.slug]), page(course, session)):
        client.force_login(alice)
        assert client.get(url).status_code == 403
        client.force_login(charlie)
        assert client.get(url).status_code == 404


def test_another_course_s_student_cannot_be_corrected_here(client, bruno, course, session, charlie):
    client.force_login(bruno)
    response = client.post(
        page(course, session),
        {"acao": "corrigir", "aluno": charlie.pk, "presente": "sim", "motivo": "x"},
    )
    assert response.status_code == 404
    assert not AttendanceCorrection.objects.exists()


# -- the command --------------------------------------------------------------------------------


def test_the_command_imports_the_session_of_that_date(
    tmp_path, course, session, class_report, capsys
):
    path = tmp_path / "presenca.csv"
    path.write_bytes(class_report)
    call_command("import_attendance", course.slug, "2027-03-02", str(path))
    assert "2 of 3 students present; 2 people not in the course" in capsys.readouterr().out
    assert records(session)["alice"] == (105, True)


@pytest.mark.parametrize(
    ("day", "message"),
    [("2027-03-05", "nenhuma aula do curso mle em 2027-03-05"), ("ontem", "is not a date")],
)
def test_the_command_names_what_is_wrong(tmp_path, course, session, class_report, day, message):
    path = tmp_path / "presenca.csv"
    path.write_bytes(class_report)
    with pytest.raises(CommandError, match=message):
        call_command("import_attendance", course.slug, day, str(path))


# -- who reads it ----------------------------------------------------------------------------------


def test_the_student_reads_her_attendance_on_her_grades_page(client, alice, session, class_report):
    services.attendance_import(session=session, data=class_report, by=None)
    client.force_login(alice)
    html = client.get(reverse("classroom:grades")).content.decode()
    assert "Presente em 1 de 1 aula registrada (100%)." in html


def test_the_reports_and_the_ranking_show_attendance(
    client, bruno, course, session, alice, dora, class_report
) -> None:
    services.attendance_import(session=session, data=class_report, by=None)
    project = AssignmentFactory(
        course=course, slug="projeto-final", kind=Assignment.Kind.PROJECT, due_at=at(0)
    )
    graded_project(project, alice, 90)
    assert course_report(course).attendance == (
        "Frequência: 1 aula registrada; presença média de 67%."  # alice, eva in; dora out
    )
    client.force_login(bruno)
    html = client.get(reverse("ranking:page", args=[course.slug])).content.decode()
    assert re.search(r'data-student="alice@example.edu".*?data-attendance>1 de 1<', html, re.S)


def test_before_any_import_the_student_is_told_nothing_is_recorded(client, alice, course):
    client.force_login(alice)
    html = client.get(reverse("classroom:grades")).content.decode()
    assert "Frequência ainda não registrada." in html

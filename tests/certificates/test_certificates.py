"""Certificates: who qualifies and why not (course.yaml's rule), issue in bulk or by command,
a pt-BR PDF with a verification code and QR code, a public page that says valid or revoked and
shows only what the certificate shows, revocation audited."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from portal.assessments.models import Assignment
from portal.attendance.models import Attendance
from portal.certificates import services
from portal.certificates.messages import CertificateError
from portal.certificates.models import Certificate
from portal.certificates.selectors import course_hours, course_standings
from portal.courses.models import Enrollment
from portal.ranking.models import Finalist
from tests.factories import AssignmentFactory, ClassSessionFactory, EnrollmentFactory, UserFactory
from tests.ranking.test_ranking import graded as graded_project


def student(course, username: str, name: str):
    user = UserFactory(username=username, full_name=name)
    EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
    return user


@pytest.fixture
def cast(course, published, alice):
    """alice qualifies; dora attended half; eva's project is below 60 %; fabio sent none."""
    sessions = [
        ClassSessionFactory(week=published, kind=kind, duration_minutes=105)
        for kind in ("theory", "practice")
    ]
    project = AssignmentFactory(
        course=course,
        slug="projeto-final",
        kind=Assignment.Kind.PROJECT,
        due_at=dt.datetime(2027, 4, 30, tzinfo=dt.UTC),
    )
    people = {
        "alice": alice,
        "dora": student(course, "dora", "Dora Discente"),
        "eva": student(course, "eva", "Eva Estudante"),
        "fabio": student(course, "fabio", "Fábio Faltoso"),
    }
    present = {
        "alice": (True, True),
        "dora": (True, False),
        "eva": (True, True),
        "fabio": (True, True),
    }
    for name, marks in present.items():
        for session, mark in zip(sessions, marks, strict=True):
            Attendance.objects.create(
                session=session, student=people[name], present=mark, minutes=90, source="report"
            )
    graded_project(project, people["alice"], 90)
    graded_project(project, people["dora"], 95)
    graded_project(project, people["eva"], 50)
    return people


def reasons(course) -> dict[str, list[str]]:
    return {s.student.username: s.reasons for s in course_standings(course)}


def test_each_student_who_does_not_qualify_is_told_why(course, cast) -> None:
    assert reasons(course) == {
        "alice": [],
        "dora": ["frequência de 50% (mínimo 75%)"],
        "eva": ["nota do projeto final de 50% (mínimo 60%)"],
        "fabio": ["projeto final sem nota liberada"],
    }


def test_unreleased_project_grades_count_for_nobody(course, cast) -> None:
    Assignment.objects.filter(slug="projeto-final").update(
        release_mode=Assignment.ReleaseMode.MANUAL, released_at=None
    )
    assert all("projeto final sem nota liberada" in r for r in reasons(course).values())


def test_bulk_issue_gives_one_certificate_to_each_who_qualifies_once(course, carla, cast) -> None:
    issued, left = services.certificates_issue(course=course, by=carla)
    assert [c.name for c in issued] == ["Alice Aluna"]
    assert sorted(s.student.username for s in left) == ["dora", "eva", "fabio"]
    certificate = issued[0]
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}", certificate.code)
    assert (certificate.hours, certificate.band, certificate.issued_by) == (4, "passed", carla)
    again, _left = services.certificates_issue(course=course, by=carla)
    assert again == []


def test_finalists_and_the_winner_get_a_distinction(course, cast) -> None:
    Finalist.objects.create(
        course=course,
        student=cast["alice"],
        position=1,
        project_score=90,
        notebook_bonus=0,
        selection_score=90,
        is_winner=True,
    )
    [certificate], _left = services.certificates_issue(course=course, by=None)
    assert certificate.get_band_display() == "Aprovado com distinção: projeto vencedor"


def test_hours_come_from_the_sessions_unless_course_yaml_says(course, cast) -> None:
    assert course_hours(course) == 4  # two sessions of 105 minutes
    course.certificate_hours = 32
    course.save()
    assert course_hours(course) == 32


def test_issuing_one_who_does_not_qualify_says_why(course, carla, cast) -> None:
    with pytest.raises(CertificateError) as refused:
        services.certificates_issue(course=course, by=carla, only=cast["eva"])
    assert "Eva Estudante não se qualifica: nota do projeto final de 50%" in refused.value.message
    assert not Certificate.objects.exists()


# -- the public page, the PDF, revocation --------------------------------------------------------


@pytest.fixture
def certificate(course, carla, cast) -> Certificate:
    [issued], _left = services.certificates_issue(course=course, by=carla)
    return issued


def test_the_public_page_says_valid_and_shows_only_what_the_certificate_shows(client, certificate):
    response = client.get(reverse("certificates:verify", args=[certificate.code.lower()]))
    html = response.content.decode()
    assert response.status_code == 200 and 'data-valid="1"' in html
    assert "Certificado válido." in html
    for shown in (
        "Alice Aluna",
        "Machine Learning Engineering",
        "4 horas",
        "Aprovado",
        certificate.code,
    ):
        assert shown in html
    assert "alice@example.edu" not in html and "90" not in html  # no e-mail, no grade


def test_an_unknown_code_finds_nothing_and_says_so(client, certificate) -> None:
    for code in ("AAAA-BBBB-CCCC-DDDD", "x" * 300):
        response = client.get(reverse("certificates:verify", args=[code]))
        assert response.status_code == 404
        assert "Nenhum certificado tem o código" in response.content.decode()


def test_a_revoked_certificate_says_so_and_the_revocation_is_recorded(client, carla, certificate):
    with pytest.raises(CertificateError):
        services.certificate_revoke(certificate=certificate, by=carla, reason=" ")
    services.certificate_revoke(certificate=certificate, by=carla, reason="Plágio comprovado.")
    certificate.refresh_from_db()
    assert (certificate.revoked_by, certificate.revoke_reason) == (carla, "Plágio comprovado.")
    html = client.get(reverse("certificates:verify", args=[certificate.code])).content.decode()
    assert 'data-valid="0"' in html and "revogado" in html
    assert "Plágio" not in html  # the reason is for the admins
    [new], _left = services.certificates_issue(course=certificate.course, by=carla)
    assert new.code != certificate.code


def test_the_holder_downloads_a_pdf_with_the_code_and_the_verification_address(
    client, certificate, cast
) -> None:
    client.force_login(cast["alice"])
    response = client.get(reverse("certificates:download", args=[certificate.code]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for shown in (
        "Certificado",
        "Alice Aluna",
        "Machine Learning Engineering",
        "4 horas",
        certificate.code,
    ):
        assert shown in text
    assert f"/certificados/{certificate.code}/" in text


def test_nobody_else_downloads_someone_s_certificate(client, certificate, cast, bruno, carla):
    url = reverse("certificates:download", args=[certificate.code])
    client.force_login(cast["dora"])
    assert client.get(url).status_code == 404
    for staff in (bruno, carla):
        client.force_login(staff)
        assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_only_admins_reach_the_certificates_page(client, course, alice, bruno, carla, cast):
    url = reverse("certificates:course", args=[course.slug])
    for person in (alice, bruno):
        client.force_login(person)
        assert client.get(url).status_code == 403
    client.force_login(carla)
    html = client.get(url).content.decode()
    assert "frequência de 50% (mínimo 75%)" in html
    assert "Emitir 1 certificado" in html


def test_an_admin_issues_and_revokes_from_the_page(client, course, carla, cast) -> None:
    client.force_login(carla)
    url = reverse("certificates:course", args=[course.slug])
    client.post(url, {"acao": "emitir"})
    certificate = Certificate.objects.get()
    response = client.post(url, {"acao": "revogar", "certificado": certificate.pk, "motivo": ""})
    assert response.status_code == 400
    assert 'data-message-id="certificate.reason_required"' in response.content.decode()
    client.post(
        url, {"acao": "revogar", "certificado": certificate.pk, "motivo": "Erro de emissão"}
    )
    assert Certificate.objects.get().revoked_at is not None


def test_the_student_finds_her_certificate_on_her_grades_page(client, certificate, cast) -> None:
    client.force_login(cast["alice"])
    html = client.get(reverse("classroom:grades")).content.decode()
    assert reverse("certificates:download", args=[certificate.code]) in html


def test_the_command_issues_and_lists_who_does_not_qualify(course, cast, capsys) -> None:
    call_command("issue_certificates", course.slug)
    out = capsys.readouterr().out
    assert "issued " in out and "Alice Aluna" in out
    assert "not qualified Dora Discente: frequência de 50% (mínimo 75%)" in out
    assert out.strip().endswith("1 issued, 3 not qualified")


def test_a_long_name_and_course_still_fit_the_page(client, certificate, cast) -> None:
    Certificate.objects.filter(pk=certificate.pk).update(
        name="Maria " * 12 + "da Silva", course_title="Engenharia de Aprendizado de Máquina " * 3
    )
    client.force_login(cast["alice"])
    pdf = client.get(reverse("certificates:download", args=[certificate.code])).content
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    width = float(page.mediabox.width)
    widths: list[float] = []
    page.extract_text(
        visitor_text=lambda text, cm, tm, font, size: widths.append(tm[4]) if text.strip() else None
    )
    assert widths and min(widths) >= 0 and max(widths) < width


def test_the_page_says_nobody_qualifies_yet_rather_than_that_everyone_has_one(
    client, course, carla, alice
) -> None:
    client.force_login(carla)
    html = client.get(reverse("certificates:course", args=[course.slug])).content.decode()
    assert "data-nobody-qualifies" in html and "data-nobody-left" not in html

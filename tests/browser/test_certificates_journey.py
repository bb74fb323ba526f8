"""Carla, an admin, sees who qualifies for a certificate and why not, issues them, and the
public verification page (anyone, signed in or not) says the certificate is valid."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal.assessments.models import Assignment
from portal.attendance.models import Attendance
from tests.browser.conftest import ADMIN_ROLES
from tests.factories import AssignmentFactory, ClassSessionFactory, EnrollmentFactory, UserFactory
from tests.ranking.test_ranking import graded as graded_project

pytestmark = pytest.mark.browser

CARLA = {
    "oid": "c3000000-0000-4000-8000-0000000000f7",
    "name": "Carla Admin",
    "email": "carla@example.edu",
}


def test_carla_issues_certificates_and_the_public_page_says_valid(
    new_page, sign_in, live_server, course, published
) -> None:
    session = ClassSessionFactory(week=published, kind="theory", duration_minutes=120)
    project = AssignmentFactory(course=course, slug="projeto-final", kind=Assignment.Kind.PROJECT)
    for username, name, present, points in (
        ("ana", "Ana Pereira", True, 88),
        ("diego", "Diego Souza", False, 92),
    ):
        student = UserFactory(username=username, full_name=name)
        EnrollmentFactory(course=course, user=student, role="student")
        Attendance.objects.create(
            session=session, student=student, present=present, minutes=100, source="report"
        )
        graded_project(project, student, points)

    page = new_page("carla")
    sign_in(page, roles=ADMIN_ROLES, **CARLA)
    page.goto(live_server.url + reverse("courses:manage", args=[course.slug]))
    page.get_by_role("link", name="Certificados: quem se qualifica, emissão e revogação").click()
    standings = page.locator("[data-standings]")
    expect(standings.locator("tr", has_text="Diego Souza")).to_contain_text(
        "frequência de 0% (mínimo 75%)"
    )
    page.once("dialog", lambda dialog: dialog.accept())  # "Emitir 1 certificado?"
    page.get_by_role("button", name="Emitir 1 certificado").click()
    expect(page.locator(".messages")).to_contain_text("1 certificado emitido.")
    ana = standings.locator("tr", has_text="Ana Pereira")
    expect(ana).to_contain_text("emitido")
    code = ana.get_by_role("link").first.inner_text()

    visitor = new_page("visitor")  # not signed in: whoever reads the QR code
    visitor.goto(live_server.url + reverse("certificates:verify", args=[code]))
    expect(visitor.get_by_text("Certificado válido.")).to_be_visible()
    facts = visitor.locator("[data-certificate]")
    expect(facts).to_contain_text("Ana Pereira")
    expect(facts).to_contain_text("2 horas")
    expect(facts).to_contain_text(code)

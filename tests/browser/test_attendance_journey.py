"""Bruno imports the Teams attendance report of Tuesday's class; Alice finds her attendance
on "Minhas notas"."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal.courses.models import Enrollment
from tests.attendance.conftest import CLASS_START, at
from tests.attendance.reports import PORTUGUESE, Join, br_date, teams_report
from tests.factories import ClassSessionFactory, EnrollmentFactory

pytestmark = pytest.mark.browser

ALICE = {
    "oid": "a1000000-0000-4000-8000-0000000000e5",
    "name": "Alice Aluna",
    "email": "alice@example.edu",
}
BRUNO = {
    "oid": "b2000000-0000-4000-8000-0000000000e6",
    "name": "Bruno Instrutor",
    "email": "bruno@example.edu",
}


def test_bruno_imports_the_teams_report_and_alice_sees_her_attendance(
    new_page, sign_in, live_server, course, published
) -> None:
    for person, role in ((ALICE, Enrollment.Role.STUDENT), (BRUNO, Enrollment.Role.INSTRUCTOR)):
        EnrollmentFactory(
            course=course, user=None, email=person["email"], full_name=person["name"], role=role
        )
    ClassSessionFactory(week=published, kind="theory", starts_at=CLASS_START, duration_minutes=105)
    alice_page = new_page("alice")
    sign_in(alice_page, **ALICE)  # her account exists once she has signed in
    report = teams_report(
        [
            Join("Alice Aluna", ALICE["email"], at(0), at(50)),
            Join("Alice Aluna", ALICE["email"], at(52), at(105)),
            Join("Bruno Instrutor", BRUNO["email"], at(0), at(105), role="Organizador"),
            Join("Convidado Externo", "", at(30), at(60)),
        ],
        start=at(0),
        end=at(105),
        words=PORTUGUESE,
        date=br_date,
    )

    page = new_page("bruno")
    sign_in(page, **BRUNO)
    page.goto(live_server.url + reverse("courses:manage", args=[course.slug]))
    page.get_by_role("link", name="Frequência: importar os relatórios de presença do Teams").click()
    page.get_by_role("link", name="Importar relatório").click()
    page.get_by_label("Relatório de presença (.csv)").set_input_files(
        {"name": "presenca.csv", "mimeType": "text/csv", "buffer": report}
    )
    page.get_by_role("button", name="Ver prévia").click()
    preview = page.locator("[data-attendance-preview]")
    expect(preview).to_contain_text("1 de 1 alunos presentes")
    expect(preview.locator("[data-unmatched]")).to_contain_text(
        "Convidado Externo · convidado, sem e-mail"
    )
    page.get_by_role("button", name="Confirmar e registrar").click()
    expect(page.locator(".messages")).to_contain_text("Frequência importada.")
    row = page.locator("[data-attendance-records] tr", has_text="Alice Aluna")
    expect(row).to_contain_text("103")
    expect(row).to_contain_text("presente")

    alice_page.goto(live_server.url + reverse("classroom:grades"))
    expect(alice_page.locator("[data-attendance]")).to_have_text(
        "Presente em 1 de 1 aula registrada (100%)."
    )

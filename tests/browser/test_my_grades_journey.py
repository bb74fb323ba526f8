"""Alice finds her grades: from the menu ("Minhas notas") and from the dashboard, on a laptop
and on a phone, with only what the instructors released."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal.accounts.models import User
from portal.assessments.models import Assignment
from portal.courses.models import Enrollment
from tests.browser.conftest import SCREENSHOTS
from tests.factories import AssignmentFactory, CriterionFactory, EnrollmentFactory
from tests.gradebook.sheets import graded

pytestmark = pytest.mark.browser

ALICE = {
    "oid": "a1000000-0000-4000-8000-000000000001",
    "name": "Alice Aluna",
    "email": "alice@example.edu",
}


def _notebook(course, slug: str, title: str, **fields) -> Assignment:
    assignment = AssignmentFactory(course=course, slug=slug, title=title, **fields)
    CriterionFactory(assignment=assignment, key="codigo", max_points=4, order=0)
    CriterionFactory(assignment=assignment, key="escrita", max_points=2, order=1)
    return assignment


def test_alice_finds_her_grade_from_the_menu_and_from_the_dashboard(
    new_page, sign_in, live_server, course
) -> None:
    EnrollmentFactory(
        course=course,
        user=None,
        email=ALICE["email"],
        full_name=ALICE["name"],
        role=Enrollment.Role.STUDENT,
    )
    released = _notebook(
        course,
        "semana-2",
        "Semana 2 — Dados",
        finalist_bonus=Decimal(2),
        release_mode=Assignment.ReleaseMode.AUTO,
    )
    hidden = _notebook(
        course,
        "semana-3",
        "Semana 3 — Modelos",
        finalist_bonus=Decimal(2),
        release_mode=Assignment.ReleaseMode.MANUAL,
    )
    _notebook(course, "semana-4", "Semana 4 — Deploy")
    page = new_page("laptop")
    sign_in(page, **ALICE)
    alice = User.objects.get(email=ALICE["email"])
    graded(released, alice, {"codigo": "4", "escrita": "1.5"})
    graded(hidden, alice, {"codigo": "3", "escrita": "2"})

    # From the dashboard: her assignments and their state, then the link to all her grades.
    page.goto(reverse("classroom:dashboard"))
    mine = page.locator("[data-my-assignments]")
    expect(mine.locator('[data-assignment="semana-2"]')).to_contain_text("5,5 de 6")
    expect(mine.locator('[data-assignment="semana-4"]')).to_contain_text("Não enviada")
    mine.get_by_role("link", name="Ver minhas notas").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Minhas notas")

    # From the menu, on any page.
    page.goto(reverse("classroom:assignment", args=[course.slug, "semana-4"]))
    page.get_by_role("navigation", name="Navegação principal").get_by_role(
        "link", name="Minhas notas"
    ).click()
    row = page.locator('tr[data-assignment="semana-2"]')
    expect(row).to_contain_text("Corrigida")
    expect(row).to_contain_text("5,5 de 6")
    expect(row).to_contain_text("1,83 de 2 pontos de seleção")
    expect(page.locator('tr[data-assignment="semana-3"]')).to_contain_text(
        "Corrigida: nota ainda não liberada"
    )
    expect(page.locator('tr[data-assignment="semana-3"] [data-grade]')).to_have_text("—")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "my_grades-laptop.png"), full_page=True)
    row.get_by_role("link", name="Ver a tentativa 1").click()
    expect(page).to_have_url(
        live_server.url + reverse("classroom:submission", args=[course.slug, "semana-2", 1])
    )

    # On a phone the table scrolls inside its frame: the page itself never gets wider.
    phone = new_page("phone")
    phone.set_viewport_size({"width": 390, "height": 844})
    sign_in(phone, **ALICE)
    phone.goto(reverse("classroom:grades"))
    expect(phone.locator('tr[data-assignment="semana-2"]')).to_be_attached()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

"""The course portal in a real browser: Microsoft sign-in, weeks, publication, access, language.

People sign in through the (fake) Microsoft provider and are found on the course roster by
e-mail, as in production: their Enrollment rows exist before their users do.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal.courses.models import Enrollment, Week
from tests.factories import EnrollmentFactory, WeekFactory

pytestmark = pytest.mark.browser

# The shared cast, as Microsoft knows them.
ALICE = {
    "oid": "0a11ce00-0000-4000-8000-000000000001",
    "name": "Alice Aluna",
    "email": "alice@example.edu",
}
BRUNO = {
    "oid": "b2000000-0000-4000-8000-000000000002",
    "name": "Bruno Instrutor",
    "email": "bruno@example.edu",
}

PUBLISHED_TITLE = "Rastreamento de experimentos"
PUBLISHED_TEXT = "O MLflow registra parâmetros, métricas e artefatos de cada execução."
DRAFT_TITLE = "Feature stores em produção"
DRAFT_TEXT = "Rascunho: exemplos com Feast ainda em revisão."


@pytest.fixture
def roster(course) -> None:
    """Alice and Bruno are on the roster by e-mail and have never signed in."""
    for person, role in ((ALICE, Enrollment.Role.STUDENT), (BRUNO, Enrollment.Role.INSTRUCTOR)):
        EnrollmentFactory(
            course=course, user=None, email=person["email"], full_name=person["name"], role=role
        )


@pytest.fixture
def weeks(course) -> None:
    """Week 1 is published; week 2 is a draft that students must not see."""
    WeekFactory(
        course=course,
        number=1,
        title=PUBLISHED_TITLE,
        theory_md=f"## MLflow\n\n{PUBLISHED_TEXT}",
        publish_at=timezone.now() - timezone.timedelta(days=1),
    )
    WeekFactory(
        course=course,
        number=2,
        title=DRAFT_TITLE,
        theory_md=f"## Feast\n\n{DRAFT_TEXT}",
        publish_at=None,
    )


def week_path(number: int) -> str:
    return reverse("classroom:week", kwargs={"course_slug": "mle", "number": number})


def week_card(page: Page, title: str):
    return page.get_by_role("link", name=re.compile(re.escape(title)))


def assert_nowhere_on_the_page(page: Page, *texts: str) -> None:
    # The whole HTML, not only what is visible: <title>, hidden elements, attributes.
    html = page.content()
    for text in texts:
        assert text not in html, f"{text!r} leaked into {page.url}"


def test_a_student_signs_in_with_microsoft_and_reads_only_the_published_weeks(
    page, sign_in, roster, weeks, live_server
):
    sign_in(page, **ALICE)

    expect(page.locator(".greeting")).to_have_text("Olá, Alice Aluna!")
    expect(page.locator(".user-chip__name")).to_have_text("Alice Aluna")
    expect(week_card(page, PUBLISHED_TITLE)).to_be_visible()
    expect(page.locator(".week-card--locked")).to_contain_text("Semana 2")
    assert_nowhere_on_the_page(page, DRAFT_TITLE)

    week_card(page, PUBLISHED_TITLE).click()

    expect(page).to_have_url(live_server.url + week_path(1))
    expect(page.get_by_role("heading", level=1)).to_have_text(PUBLISHED_TITLE)
    expect(page.locator("#teoria")).to_contain_text(PUBLISHED_TEXT)

    response = page.goto(week_path(2))

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Página não encontrada")
    assert_nowhere_on_the_page(page, DRAFT_TITLE, DRAFT_TEXT)


def test_an_instructor_publishes_a_draft_week_and_the_student_can_then_open_it(
    new_page, sign_in, roster, weeks, live_server
):
    instructor = new_page("instructor")
    sign_in(instructor, **BRUNO)
    instructor.get_by_role("link", name="Gestão do curso").click()
    expect(instructor.get_by_role("heading", level=1)).to_have_text("Gestão do curso")
    draft_row = instructor.locator("#week-2")
    expect(draft_row).to_contain_text(DRAFT_TITLE)
    expect(draft_row).to_contain_text("Rascunho")

    draft_row.get_by_role("button", name="Publicar agora").click()

    expect(instructor.locator(".message--success")).to_have_text(
        "Semana 2 publicada: os alunos já podem vê-la."
    )
    expect(instructor.locator("#week-2")).to_contain_text("Publicada")
    assert Week.objects.get(course__slug="mle", number=2).is_published()

    student = new_page("student")
    sign_in(student, **ALICE)
    week_card(student, DRAFT_TITLE).click()

    expect(student).to_have_url(live_server.url + week_path(2))
    expect(student.get_by_role("heading", level=1)).to_have_text(DRAFT_TITLE)
    expect(student.locator("#teoria")).to_contain_text(DRAFT_TEXT)


def test_the_language_switch_turns_the_pages_to_english_and_it_sticks(
    page, sign_in, roster, weeks, live_server
):
    sign_in(page, **ALICE)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "pt-br")
    # portal.js hides the "Mudar" button and submits on change; without it nothing happens.
    # After "load" the deferred script has run: no need to wait any longer.
    page.wait_for_load_state("load")
    assert page.get_by_role("button", name="Mudar").is_hidden(), "portal.js did not run"

    page.locator("#lang-select").select_option("en")  # submits itself (portal.js)

    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(live_server.url + reverse("classroom:dashboard"))
    page.goto(week_path(1))
    expect(html).to_have_attribute("lang", "en")


def test_a_student_who_opens_the_management_page_gets_access_denied(page, sign_in, roster, weeks):
    sign_in(page, **ALICE)
    expect(page.get_by_role("link", name="Gestão do curso")).to_have_count(0)

    response = page.goto(reverse("courses:manage", kwargs={"course_slug": "mle"}))

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Acesso negado")
    expect(page.get_by_role("button", name="Publicar agora")).to_have_count(0)
    assert_nowhere_on_the_page(page, DRAFT_TITLE, BRUNO["email"])


def test_pages_load_the_portal_stylesheet_and_script(page, provider):
    with (
        page.expect_response(re.compile(r"/static/portal/portal\.css$")) as stylesheet,
        page.expect_response(re.compile(r"/static/portal/portal\.js$")) as script,
    ):
        page.goto(reverse("accounts:signin"))

    assert stylesheet.value.status == 200, f"{stylesheet.value.url}: {stylesheet.value.status}"
    assert script.value.status == 200, f"{script.value.url}: {script.value.status}"
    # The rules were applied (not an error page served as CSS), and the script ran.
    assert page.evaluate(
        """() => [...document.styleSheets].some(
            (sheet) => sheet.href?.endsWith("/portal.css") && sheet.cssRules.length > 0)"""
    )
    expect(page.get_by_role("button", name="Mudar")).to_be_hidden()

"""Alice answers the course survey from her dashboard on a phone; a missing answer is named
next to its question and what she wrote stays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portal.courses.models import Enrollment
from portal.surveys.models import Participation, Question, Response, Survey
from tests.browser.conftest import SCREENSHOTS
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.browser

ALICE = {
    "oid": "a1000000-0000-4000-8000-0000000000a8",
    "name": "Alice Aluna",
    "email": "alice@example.edu",
}


def test_alice_answers_the_course_survey_on_her_phone(new_page, sign_in, course) -> None:
    EnrollmentFactory(
        course=course,
        user=None,
        email=ALICE["email"],
        full_name=ALICE["name"],
        role=Enrollment.Role.STUDENT,
    )
    survey = Survey.objects.create(
        course=course,
        title="Avaliação do curso",
        intro="Semana 6: conte como o curso está sendo para você.",
        opens_at=timezone.now() - dt.timedelta(hours=1),
        closes_at=timezone.now() + dt.timedelta(days=7),
    )
    Question.objects.create(
        survey=survey, key="geral", kind="scale", text="Como você avalia o curso?", order=0
    )
    Question.objects.create(
        survey=survey,
        key="ritmo",
        kind="choice",
        text="O ritmo está...",
        choices=["Lento", "Adequado", "Rápido"],
        order=1,
    )
    Question.objects.create(
        survey=survey, key="melhorar", kind="text", text="O que melhorar?", required=False, order=2
    )

    page = new_page("phone")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, **ALICE)
    page.locator("[data-survey-invite]").get_by_role("link", name="Responder").click()
    page.get_by_label("Adequado").check()
    page.get_by_label("O que melhorar?").fill("Mais tempo para o projeto final.")
    page.get_by_role("button", name="Enviar respostas").click()
    expect(page.locator('[data-question="geral"] .field__error')).to_have_text(
        "responda esta pergunta"
    )
    expect(page.get_by_label("O que melhorar?")).to_have_value("Mais tempo para o projeto final.")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(SCREENSHOTS / "survey-form-390.png"), full_page=True)
    page.locator('[data-question="geral"]').get_by_label("4").check()
    page.get_by_role("button", name="Enviar respostas").click()
    expect(page.locator(".messages")).to_contain_text("Resposta registrada")
    assert Participation.objects.count() == 1 and Response.objects.count() == 1

"""Bruno connects the class's Teams channel: he pastes the Workflows webhook, sends a test
card, and reads in the delivery log that Teams accepted it; the URL is never shown back."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal.celery import app
from portal.courses.models import Enrollment
from tests.factories import EnrollmentFactory
from tests.support.teams_receiver import TeamsReceiver

pytestmark = pytest.mark.browser

BRUNO = {
    "oid": "b2000000-0000-4000-8000-0000000000c3",
    "name": "Bruno Instrutor",
    "email": "bruno@example.edu",
}


@pytest.fixture
def receiver(settings):
    with TeamsReceiver() as server:
        settings.TEAMS_WEBHOOK_HOSTS = ["localhost"]
        settings.TEAMS_CA_BUNDLE = server.ca_path
        yield server


@pytest.fixture
def eager():
    """The card is posted in the web request's own after-commit (no worker in this test)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_bruno_connects_the_teams_channel_and_sees_the_test_card_accepted(
    new_page, sign_in, live_server, course, receiver, eager
) -> None:
    EnrollmentFactory(
        course=course,
        user=None,
        email=BRUNO["email"],
        full_name=BRUNO["name"],
        role=Enrollment.Role.INSTRUCTOR,
    )
    page = new_page()
    sign_in(page, **BRUNO)
    page.goto(live_server.url + reverse("courses:manage", args=[course.slug]))
    page.get_by_role("link", name="Canal do Teams: avisos do curso e registro de envios").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Canal do Teams")

    page.get_by_label("Endereço do webhook").fill(receiver.url.replace("https://", "http://"))
    page.get_by_role("button", name="Salvar webhook").click()
    expect(page.locator(".field__error")).to_have_text(
        "o endereço do webhook precisa começar com https://"
    )

    page.get_by_label("Endereço do webhook").fill(receiver.url)
    page.get_by_role("button", name="Salvar webhook").click()
    expect(page.locator(".messages")).to_contain_text("Webhook do Teams salvo")
    expect(page.locator("[data-teams-webhook]")).to_contain_text("https://localhost/…1234")
    assert "SEGREDO1234" not in page.content()

    page.get_by_role("button", name="Enviar cartão de teste").click()
    row = page.locator("[data-teams-log] tbody tr").first
    expect(row).to_contain_text("Cartão de teste do Portal MLE")
    expect(row).to_contain_text("Enviada")
    expect(row).to_contain_text("HTTP 202")
    assert len(receiver.bodies) == 1

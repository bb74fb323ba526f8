"""Carla (admin) opens the operations page from the footer's status page and finds a queued
and a failed run, with the failure's reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal.grading.models import GradingRun
from tests.browser.conftest import ADMIN_ROLES
from tests.factories import AssignmentFactory, SubmissionFactory

pytestmark = pytest.mark.browser

CARLA = {
    "oid": "c3000000-0000-4000-8000-000000000003",
    "name": "Carla Admin",
    "email": "carla@example.edu",
    "roles": ADMIN_ROLES,
}


def test_an_admin_sees_a_queued_and_a_failed_run_on_the_operations_page(
    page, sign_in, course, alice
) -> None:
    from django.utils import timezone

    notebook = AssignmentFactory(course=course, slug="semana-2", title="Semana 2 — Dados")
    now = timezone.now()
    for status, error in (("queued", ""), ("error", "Docker indisponível: connection refused")):
        GradingRun.objects.create(
            submission=SubmissionFactory(assignment=notebook, student=alice),
            number=1,
            status=status,
            queued_at=now - dt.timedelta(minutes=5),
            tries=3 if error else 0,
            error=error,
        )
    sign_in(page, **CARLA)

    page.get_by_role("contentinfo").get_by_role("link", name="status").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Status do portal")
    page.get_by_role("link", name="Operação da correção").click()

    expect(page).to_have_url(page.url.split("/operacao/")[0] + reverse("grading:operations"))
    expect(page.locator("[data-queued]")).to_have_text("1")
    expect(page.locator("[data-oldest]")).to_contain_text("há 5 min")
    expect(page.locator("[data-failures]")).to_contain_text(
        "Docker indisponível: connection refused"
    )
    expect(page.locator("[data-workers]")).to_contain_text("Nenhum worker respondeu")

"""Alice adds the course to her calendar from the dashboard: the page gives her a personal
subscription address that a calendar app reads without signing in, and a download."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import requests
from icalendar import Calendar
from playwright.sync_api import expect

from portal.courses.models import Enrollment
from tests.factories import ClassSessionFactory, EnrollmentFactory

pytestmark = pytest.mark.browser

SP = zoneinfo.ZoneInfo("America/Sao_Paulo")
ALICE = {
    "oid": "a1000000-0000-4000-8000-0000000000d4",
    "name": "Alice Aluna",
    "email": "alice@example.edu",
}


def test_alice_subscribes_to_the_course_calendar_from_the_dashboard(
    new_page, sign_in, live_server, course, published
) -> None:
    EnrollmentFactory(
        course=course,
        user=None,
        email=ALICE["email"],
        full_name=ALICE["name"],
        role=Enrollment.Role.STUDENT,
    )
    ClassSessionFactory(
        week=published,
        kind="theory",
        starts_at=dt.datetime(2027, 3, 2, 19, 0, tzinfo=SP),
        teams_url="https://teams.microsoft.com/l/meetup-join/aula-1",
    )
    page = new_page()
    sign_in(page, **ALICE)
    page.locator("[data-add-to-calendar]").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adicionar ao calendário")
    address = page.locator("#feed-url").input_value()
    assert address.startswith(live_server.url + "/calendario/")
    expect(page.get_by_role("link", name="Abrir no aplicativo de calendário")).to_have_attribute(
        "href", address.replace("http://", "webcal://")
    )

    # A calendar app: no cookie, only the address.
    response = requests.get(address, timeout=10)
    assert response.status_code == 200
    [session] = Calendar.from_ical(response.content).walk("VEVENT")
    assert session["url"] == "https://teams.microsoft.com/l/meetup-join/aula-1"

    with page.expect_download() as download:
        page.get_by_role("link", name="Baixar calendário (.ics)").click()
    assert download.value.suggested_filename == "mle.ics"

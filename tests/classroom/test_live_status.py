"""Ana's step 3 in a real browser: the attempt page updates itself through htmx, under the
site's CSP, and stops polling once the grade is there. The worker is played by the test
(it moves the submission along); tests/grading runs the real one."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect, sync_playwright

from portal.grading.services import attempt_submit
from portal.submissions.models import Submission
from tests.support.attempts import graded, upload

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture
def chromium_page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing (run scripts/services.sh)", pytrace=False)
    # Playwright's sync API runs an asyncio loop in this thread: let the ORM run beside it
    # for as long as the browser is up (see tests/browser/conftest.py).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            yield browser.new_page(viewport={"width": 1280, "height": 900})
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def test_the_attempt_page_follows_the_grading_live_and_then_stops_polling(
    transactional_db, live_server, chromium_page, alice, assignment, media
):
    submission = attempt_submit(assignment=assignment, student=alice, upload=upload())
    client = Client()
    client.force_login(alice)
    page = chromium_page
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/status/" in r.url else None)
    status = page.locator("#submission-status")

    page.goto(
        live_server.url
        + reverse("classroom:submission", args=[assignment.course.slug, assignment.slug, 1])
    )
    expect(status).to_contain_text("Na fila")

    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.RUNNING)
    expect(status).to_contain_text("Corrigindo", timeout=6000)

    graded(submission)
    expect(status).to_contain_text("Nota: 2 de 6", timeout=6000)
    expect(status.locator("td code")).to_have_text("teste_normaliza")
    expect(page.locator("iframe.feedback-frame[sandbox]")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "submission-live-status-graded.png"), full_page=True)

    seen = len(polls)
    time.sleep(4.5)  # two polling periods
    assert len(polls) == seen, "polling goes on after the final status"
    assert problems == []  # no CSP violation (htmx injects no inline style) nor script error

"""Ana's step 3 in a real browser: the attempt page updates itself through htmx, under the
site's CSP, and stops polling once the grade is there. The worker is played by the test
(it moves the submission along); tests/grading runs the real one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect

from portal.grading.services import attempt_submit
from portal.submissions.models import Submission
from tests.support.attempts import graded, upload
from tests.support.chromium import chromium, signed_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_the_attempt_page_follows_the_grading_live_and_then_stops_polling(
    transactional_db, live_server, browser, alice, assignment, media
):
    submission = attempt_submit(assignment=assignment, student=alice, upload=upload())
    page = signed_in(browser, live_server, alice)
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

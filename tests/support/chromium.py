"""Debian's Chromium through Playwright, for every test that opens a real browser.

``chromium()`` starts it (a missing browser fails the test, never skips it: CI must not go
green without one) and allows Django's ORM beside Playwright's event loop for exactly as
long as it runs. ``signed_in(browser, live_server, user)`` opens a page whose session is
``user``'s, made with Django's test client instead of going through sign-in.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(apt-get install chromium, or run scripts/services.sh).",
            pytrace=False,
        )
    # Playwright's sync API keeps an asyncio loop running in this thread while it is
    # started, and Django then refuses ORM calls from test code and fixtures
    # (SynchronousOnlyOperation). Nothing here is really async; allow it for exactly as
    # long as Playwright runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def signed_in(browser: Browser, live_server, user, *, width: int = 1280) -> Page:
    """A page of ``live_server`` signed in as ``user``, ``width`` pixels wide."""
    client = Client()
    client.force_login(user)
    page = browser.new_page(viewport={"width": width, "height": 900})
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )
    return page

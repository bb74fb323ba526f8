"""The browser harness: Debian's Chromium driven by Playwright (sync API) against ``live_server``.

- ``browser``: one headless Chromium for the whole browser suite (package scope, see the
  fixture for why not session). A missing ``/usr/bin/chromium`` fails the tests (it
  never skips them): CI must not go green without a browser.
- ``new_page``: opens a page in a fresh browser context (its own cookies, so its own
  person); a test that needs two people opens two. ``page`` is the first one.
- ``provider``: the fake Microsoft (tests.support.fake_oidc), started once per session,
  with the portal's settings pointing at it and its redirect URI on the live server.
- ``sign_in``: the real journey: the sign-in page, the "Entrar com a Microsoft" button,
  the provider's answer, the dashboard.

Every page is saved as a full-page PNG in ``test-artifacts/screenshots/`` when its test
ends; when a test fails, at the moment it fails (before any teardown), with the paths
added to the failure report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from portal.accounts import oidc
from tests.support.chromium import chromium
from tests.support.fake_oidc import FakeOIDCProvider

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
# Generous for a CI machine under load, yet a broken page fails in seconds, not minutes.
TIMEOUT_MS = 10_000

ADMIN_ROLES = ["Portal.Admin"]

PAGES_KEY = pytest.StashKey[list[tuple[str, Page]]]()


# --- Screenshots --------------------------------------------------------------------------


def _screenshot_path(item: pytest.Item, label: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
    return SCREENSHOTS / (f"{name}-{label}.png" if label else f"{name}.png")


def _save_screenshots(item: pytest.Item) -> list[str]:
    """Save every open page of the test; returns what happened to each, for the report."""
    saved = []
    for label, page in item.stash.get(PAGES_KEY, []):
        if page.is_closed():
            continue
        path = _screenshot_path(item, label)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(path), full_page=True)
        except PlaywrightError as exc:  # a crashed page must not hide the test's own failure
            saved.append(f"{path}: not saved ({exc.message.splitlines()[0]})")
        else:
            saved.append(str(path))
    return saved


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.when == "call" and report.failed and item.stash.get(PAGES_KEY, None):
        # The page as the test saw it when it failed, before teardown navigates anywhere.
        report.sections.append(("screenshots", "\n".join(_save_screenshots(item))))
    return report


# --- Browser ------------------------------------------------------------------------------


# Package scope, not session: while Playwright runs, DJANGO_ALLOW_ASYNC_UNSAFE must be set
# (below), and every subprocess inherits it; `manage.py check --deploy` in tests/core then
# reports async.E001. Stopping Playwright when this package is done keeps the rest clean.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest, browser: Browser, live_server, transactional_db, settings
) -> Iterator[Callable[..., Page]]:
    """``new_page(label="")`` opens a page in a new context: a second person, say."""
    # live_server speaks plain http: a Secure cookie (session, CSRF) would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    contexts: list[BrowserContext] = []
    pages = request.node.stash.setdefault(PAGES_KEY, [])

    def open_page(label: str = "") -> Page:
        context = browser.new_context(
            # The fake provider's certificate is self-signed.
            ignore_https_errors=True,
            viewport={"width": 1280, "height": 900},
            locale="pt-BR",
            base_url=live_server.url,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append((label, page))
        return page

    yield open_page

    call_report = getattr(request.node, "rep_call", None)
    try:
        if call_report is not None and call_report.passed:
            _save_screenshots(request.node)  # a failure was already saved by the hook
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    expect.set_options(timeout=TIMEOUT_MS)


# --- The fake Microsoft ------------------------------------------------------------------


@pytest.fixture(scope="session")
def fake_provider() -> Iterator[FakeOIDCProvider]:
    with FakeOIDCProvider() as provider:
        yield provider


@pytest.fixture
def provider(fake_provider: FakeOIDCProvider, settings, live_server) -> Iterator[FakeOIDCProvider]:
    """The fake provider, well-behaved, with the portal (on ``live_server``) pointing at it."""
    fake_provider.reset()
    oidc.clear_caches()
    for name, value in fake_provider.django_settings().items():
        setattr(settings, name, value)
    settings.SITE_URL = live_server.url
    settings.ENTRA_REDIRECT_URI = live_server.url + reverse("accounts:microsoft_callback")
    settings.ENTRA_ALLOWED_TENANTS = [fake_provider.tenant_id]
    settings.ENTRA_ADMIN_ROLES = list(ADMIN_ROLES)
    settings.ENTRA_SCOPES = ["User.Read"]
    yield fake_provider
    fake_provider.reset()
    oidc.clear_caches()


@pytest.fixture
def sign_in(provider: FakeOIDCProvider, live_server) -> Callable[..., None]:
    """``sign_in(page, oid=..., name=..., email=..., roles=[...])``: through the sign-in page."""

    def run(page: Page, **identity) -> None:
        provider.sign_in_as(tid=provider.tenant_id, **identity)
        page.goto(reverse("accounts:signin"))
        page.get_by_role("link", name="Entrar com a Microsoft").click()
        # Portal -> provider's authorize (no login form) -> callback -> dashboard.
        expect(page).to_have_url(live_server.url + reverse("classroom:dashboard"))

    return run

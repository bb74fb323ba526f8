"""Fixtures for the sign-in tests: one fake Microsoft per test session, reset per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from portal.accounts import oidc
from tests.support.fake_oidc import FakeOIDCProvider

ADMIN_ROLES = ["Portal.Admin"]


@pytest.fixture(scope="session")
def fake_provider() -> Iterator[FakeOIDCProvider]:
    with FakeOIDCProvider() as provider:
        yield provider


@pytest.fixture
def provider(fake_provider: FakeOIDCProvider, settings, db) -> Iterator[FakeOIDCProvider]:
    """The fake provider, well-behaved, with the portal's settings pointing at it."""
    fake_provider.reset()
    oidc.clear_caches()
    for name, value in fake_provider.django_settings().items():
        setattr(settings, name, value)
    settings.ENTRA_ALLOWED_TENANTS = [fake_provider.tenant_id]
    settings.ENTRA_REDIRECT_URI = ""
    settings.ENTRA_ADMIN_ROLES = list(ADMIN_ROLES)
    settings.ENTRA_SCOPES = ["User.Read"]
    yield fake_provider
    fake_provider.reset()
    oidc.clear_caches()


@dataclass
class SignInAttempt:
    start: HttpResponse  # the portal's redirect to the provider
    callback_url: str  # where the provider sent the browser back (code + state)
    response: HttpResponse  # the portal's answer to that callback

    def replay(self, client: Client) -> HttpResponse:
        """Send the same callback (same code, same state) again."""
        return _callback(client, self.callback_url)


@pytest.fixture
def microsoft_sign_in(provider: FakeOIDCProvider) -> Callable[..., SignInAttempt]:
    """Run the whole flow: the portal's start view, the provider's authorize, the callback."""

    def run(client: Client, *, next_url: str | None = None) -> SignInAttempt:
        start = client.get(
            reverse("accounts:microsoft_start"), {"next": next_url} if next_url else {}
        )
        assert start.status_code == 302, start
        callback_url = provider.follow_authorize(start["Location"])
        return SignInAttempt(start, callback_url, _callback(client, callback_url))

    return run


def _callback(client: Client, callback_url: str) -> HttpResponse:
    parts = urlsplit(callback_url)
    return client.get(parts.path, dict(parse_qsl(parts.query)))

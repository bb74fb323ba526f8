"""Calling the API as a script would: an APIClient with a personal token in its header.

``bearer(user, "read", "submit")`` makes a real token (portal/accounts/tokens.py) and returns
a client that sends it; ``api`` is a client with no credential at all.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from portal.accounts import tokens
from portal.accounts.models import User

ALL_SCOPES = ("read", "submit", "manage")


def client_with(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def bearer(db) -> Callable[..., APIClient]:
    def make(user: User, *scopes: str, expires_days: int | None = None) -> APIClient:
        created = tokens.api_token_create(
            user=user, name="tests", scopes=scopes or ALL_SCOPES, expires_days=expires_days
        )
        return client_with(created.secret)

    return make

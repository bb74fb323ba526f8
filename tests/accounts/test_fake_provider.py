"""The fake provider is strict where Microsoft is, or the sign-in tests would prove nothing."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

REDIRECT_URI = "http://localhost:8000/accounts/signin/microsoft/callback/"


@pytest.fixture
def fresh(fake_provider):
    fake_provider.reset()
    yield fake_provider
    fake_provider.reset()


def authorize(provider, verifier: str, **overrides) -> requests.Response:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    params = {
        "client_id": provider.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
        **overrides,
    }
    return requests.get(
        f"{provider.authority}/oauth2/v2.0/authorize?{urlencode(params)}",
        verify=provider.ca_pem_path,
        allow_redirects=False,
        timeout=5,
    )


def redeem(provider, code: str, verifier: str, **overrides) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        **overrides,
    }
    return requests.post(
        f"{provider.authority}/oauth2/v2.0/token", data=form, verify=provider.ca_pem_path, timeout=5
    )


def code_from(response: requests.Response) -> str:
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def test_the_fake_provider_redeems_a_good_code_once(fresh):
    verifier = secrets.token_urlsafe(48)
    code = code_from(authorize(fresh, verifier))

    first = redeem(fresh, code, verifier)
    second = redeem(fresh, code, verifier)

    assert first.status_code == 200
    assert "id_token" in first.json()
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("override", "status", "error"),
    [
        ({"code_verifier": "wrong-verifier-wrong-verifier-wrong-verifier"}, 400, "invalid_grant"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "someone-else"}, 401, "invalid_client"),
        ({"redirect_uri": "http://localhost:8000/elsewhere/"}, 400, "invalid_grant"),
    ],
)
def test_the_fake_provider_refuses_a_bad_token_request(fresh, override, status, error):
    verifier = secrets.token_urlsafe(48)
    code = code_from(authorize(fresh, verifier))

    response = redeem(fresh, code, verifier, **override)

    assert response.status_code == status
    assert response.json()["error"] == error


def test_the_fake_provider_requires_pkce_s256(fresh):
    response = authorize(fresh, "v" * 43, code_challenge_method="plain")

    assert response.status_code == 400


def test_the_fake_provider_sends_a_browser_back_at_once_with_code_and_state(fresh):
    location = authorize(fresh, "v" * 43).headers["Location"]

    assert location.startswith(REDIRECT_URI + "?")
    assert set(parse_qs(urlsplit(location).query)) == {"code", "state"}

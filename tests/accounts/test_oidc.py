"""The id-token checks on their own, with tokens minted by the fake provider's real keys."""

from __future__ import annotations

import time

import jwt
import pytest

from portal.accounts import oidc
from portal.accounts.messages import SignInError
from portal.accounts.oidc import EntraConfig, SignInFailure

NONCE = "the-flow-nonce"


@pytest.fixture
def config(provider) -> EntraConfig:
    return EntraConfig.from_settings(default_redirect_uri="http://localhost:8000/cb/")


@pytest.fixture
def check(provider, config):
    session = oidc.provider_session(config)
    metadata = oidc.provider_metadata(config, session)

    def run(token: str, *, nonce: str = NONCE) -> dict:
        return oidc.validate_id_token(
            token,
            config=config,
            metadata=metadata,
            expected_nonce=oidc.nonce_hash(nonce),
        )

    return run


def good_claims(provider, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": provider.issuer_for(provider.tenant_id),
        "aud": provider.client_id,
        "sub": "sub",
        "tid": provider.tenant_id,
        "oid": "0a0a0a0a-0000-4000-8000-000000000001",
        "email": "ana@example.edu",
        "nonce": oidc.nonce_hash(NONCE),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def refusal(check, token: str) -> SignInError:
    with pytest.raises(SignInFailure) as caught:
        check(token)
    return caught.value.error


def test_it_accepts_a_well_formed_token_and_substitutes_the_tenant_in_the_issuer(provider, check):
    assert "{tenantid}" in provider.issuer

    claims = check(provider.mint_id_token(**good_claims(provider)))

    assert claims["oid"] == "0a0a0a0a-0000-4000-8000-000000000001"


def test_it_checks_the_nonce_itself_not_only_through_msal(provider, check):
    token = provider.mint_id_token(**good_claims(provider, nonce=oidc.nonce_hash("another")))

    assert refusal(check, token) == SignInError.INVALID_NONCE


def test_it_refuses_a_token_without_a_nonce(provider, check):
    token = provider.mint_id_token(**good_claims(provider, nonce=None))

    assert refusal(check, token) == SignInError.INVALID_TOKEN


def test_it_refuses_a_token_issued_in_the_future(provider, check):
    later = int(time.time()) + 3600
    token = provider.mint_id_token(**good_claims(provider, iat=later, nbf=later, exp=later + 600))

    assert refusal(check, token) == SignInError.INVALID_TOKEN


def test_it_tolerates_a_small_clock_skew(provider, check):
    soon = int(time.time()) + 30
    token = provider.mint_id_token(**good_claims(provider, iat=soon, nbf=soon))

    assert check(token)["iat"] == soon


def test_it_refuses_an_audience_list_even_if_it_contains_the_client_id(provider, check):
    token = provider.mint_id_token(**good_claims(provider, aud=[provider.client_id, "other"]))

    assert refusal(check, token) == SignInError.INVALID_AUDIENCE


def test_it_refuses_an_unsigned_token(provider, check):
    token = jwt.encode(good_claims(provider), None, algorithm="none", headers={"kid": provider.kid})

    assert refusal(check, token) == SignInError.INVALID_SIGNATURE


def test_it_refuses_a_key_id_that_is_not_in_the_jwks(provider, check):
    token = provider.mint_id_token(kid="rotated-away", **good_claims(provider))

    assert refusal(check, token) == SignInError.INVALID_SIGNATURE


def test_a_rotated_key_is_fetched_when_its_first_token_arrives(provider, check, monkeypatch):
    monkeypatch.setattr(oidc, "JWKS_MIN_REFRESH_SECONDS", 0)
    oidc.clear_caches()
    assert check(provider.mint_id_token(**good_claims(provider)))
    fetches = provider.jwks_requests

    new_kid = provider.rotate_key()

    assert check(provider.mint_id_token(**good_claims(provider)))["oid"]
    assert provider.kid == new_kid
    assert provider.jwks_requests == fetches + 1  # refreshed once for the unknown kid


def test_the_key_set_is_cached_between_sign_ins(provider, check):
    oidc.clear_caches()
    for _ in range(3):
        assert check(provider.mint_id_token(**good_claims(provider)))

    assert provider.jwks_requests == 1


def test_forged_key_ids_refresh_the_key_set_at_most_once_per_cooldown(provider, check):
    oidc.clear_caches()
    assert check(provider.mint_id_token(**good_claims(provider)))  # fetched: cooldown starts

    for n in range(5):
        token = provider.mint_id_token(kid=f"forged-{n}", **good_claims(provider))
        assert refusal(check, token) == SignInError.INVALID_SIGNATURE

    assert provider.jwks_requests == 1


def test_an_hmac_key_in_the_key_set_never_verifies_a_token(provider, check):
    provider.extra_jwks.append(
        {
            "kty": "oct",
            "kid": "shared-secret",
            "use": "sig",
            "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA",
        }
    )
    oidc.clear_caches()
    token = provider.mint_id_token(kid="shared-secret", **good_claims(provider))

    assert refusal(check, token) == SignInError.INVALID_SIGNATURE


def test_it_refuses_garbage(check):
    assert refusal(check, "not.a.token") == SignInError.INVALID_TOKEN


@pytest.mark.parametrize(
    ("oidc_authority", "authority", "expected"),
    [
        (
            "",
            "https://login.microsoftonline.com/organizations/",
            "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration",
        ),
        (
            "https://idp.example/realms/x/",
            "https://login.microsoftonline.com/organizations",
            "https://idp.example/realms/x/.well-known/openid-configuration",
        ),
    ],
)
def test_the_discovery_url_is_the_one_msal_reads(settings, oidc_authority, authority, expected):
    settings.ENTRA_OIDC_AUTHORITY = oidc_authority
    settings.ENTRA_AUTHORITY = authority

    config = EntraConfig.from_settings(default_redirect_uri="http://localhost/cb/")

    assert config.discovery_url == expected


@pytest.mark.parametrize(
    ("claims", "email"),
    [
        ({"email": "Ana@Example.edu", "preferred_username": "x@y.example"}, "Ana@Example.edu"),
        ({"email": "", "preferred_username": "ana@contoso.example"}, "ana@contoso.example"),
        (
            {"email": "not an address", "preferred_username": "ana@contoso.example"},
            "ana@contoso.example",
        ),
    ],
)
def test_the_email_comes_from_email_then_preferred_username(config, claims, email):
    identity = oidc.identity_from_claims(
        {"tid": config_tenant(config), "oid": "OID-1", **claims}, config=config
    )

    assert identity.email == email
    assert identity.object_id == "oid-1"


def test_a_preferred_username_that_is_not_an_email_is_no_email(config):
    with pytest.raises(SignInFailure) as caught:
        oidc.identity_from_claims(
            {"tid": config_tenant(config), "oid": "o", "preferred_username": "+5511999990000"},
            config=config,
        )

    assert caught.value.error == SignInError.MISSING_EMAIL


def config_tenant(config: EntraConfig) -> str:
    [tenant] = config.allowed_tenants
    return tenant

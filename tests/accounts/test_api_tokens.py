"""Personal access tokens: made on the profile page or by the command, kept only as a hash,
scoped, expiring, revocable, their last use shown."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from portal.accounts import tokens
from portal.accounts.messages import TokenRefused
from portal.accounts.models import ApiToken
from tests.factories import UserFactory


def test_a_token_is_stored_only_as_its_hash(alice):
    created = tokens.api_token_create(
        user=alice, name="casa", scopes=["read", "submit"], expires_days=30
    )
    row = ApiToken.objects.get()
    assert created.secret.startswith("mle_") and len(created.secret) > 30
    assert row.digest == hashlib.sha256(created.secret.encode()).hexdigest()
    assert created.secret not in {row.digest, row.prefix, row.name}
    assert created.secret.startswith(row.prefix)
    assert row.scopes == ["read", "submit"]
    assert (
        dt.timedelta(days=29, hours=23) < row.expires_at - timezone.now() <= dt.timedelta(days=30)
    )


@pytest.mark.parametrize(
    ("name", "scopes", "days", "message_id"),
    [
        ("  ", ["read"], 30, "token.name_required"),
        ("x" * 81, ["read"], 30, "token.name_too_long"),
        ("ok", [], 30, "token.scope_required"),
        ("ok", ["read", "admin"], 30, "token.scope_unknown"),
        ("ok", ["read"], 0, "token.expiry_range"),
        ("ok", ["read"], 367, "token.expiry_range"),
    ],
)
def test_bad_token_requests_are_refused_and_nothing_stored(alice, name, scopes, days, message_id):
    with pytest.raises(TokenRefused) as refused:
        tokens.api_token_create(user=alice, name=name, scopes=scopes, expires_days=days)
    assert refused.value.message_id == message_id
    assert not ApiToken.objects.exists()


def test_authentication_refuses_unknown_revoked_expired_and_inactive(alice):
    now = timezone.now()
    live = tokens.api_token_create(user=alice, name="a", scopes=["read"], expires_days=1)
    assert tokens.api_token_authenticate(live.secret, now=now).user == alice

    for raw in ("mle_nothing", "Bearer", "", live.secret[:-1]):
        with pytest.raises(TokenRefused) as refused:
            tokens.api_token_authenticate(raw, now=now)
        assert refused.value.message_id == "token.invalid"

    with pytest.raises(TokenRefused) as refused:
        tokens.api_token_authenticate(live.secret, now=now + dt.timedelta(days=1, seconds=1))
    assert refused.value.message_id == "token.expired"

    alice.is_active = False
    alice.save(update_fields=["is_active"])
    with pytest.raises(TokenRefused) as refused:
        tokens.api_token_authenticate(live.secret, now=now)
    assert refused.value.message_id == "token.invalid"


def test_revoking_is_only_for_the_owner(alice, bruno):
    created = tokens.api_token_create(user=alice, name="a", scopes=["read"], expires_days=1)
    assert not tokens.api_token_revoke(user=bruno, token_id=created.token.pk)
    tokens.api_token_authenticate(created.secret)
    assert tokens.api_token_revoke(user=alice, token_id=created.token.pk)
    assert not tokens.api_token_revoke(user=alice, token_id=created.token.pk)
    with pytest.raises(TokenRefused):
        tokens.api_token_authenticate(created.secret)


def test_last_use_is_written_at_most_once_a_minute(alice, django_assert_num_queries):
    created = tokens.api_token_create(user=alice, name="a", scopes=["read"], expires_days=1)
    start = timezone.now()
    with django_assert_num_queries(2):  # find + record the use
        tokens.api_token_authenticate(created.secret, now=start)
    with django_assert_num_queries(1):  # find only
        tokens.api_token_authenticate(created.secret, now=start + dt.timedelta(seconds=30))
    tokens.api_token_authenticate(created.secret, now=start + dt.timedelta(seconds=61))
    created.token.refresh_from_db()
    assert created.token.last_used_at == start + dt.timedelta(seconds=61)


# -- the profile page ---------------------------------------------------------------------------


def test_the_profile_page_creates_a_token_and_shows_it_once(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("accounts:profile"),
        {"name": "notebook de casa", "scopes": ["read", "submit"], "expires_days": "30"},
    )
    assert response.status_code == 302
    page = client.get(reverse("accounts:profile")).content.decode()
    token = ApiToken.objects.get(user=alice)
    secret = page.split('id="new-token-value"')[1].split('value="')[1].split('"')[0]
    assert tokens.api_token_authenticate(secret).pk == token.pk
    assert "notebook de casa" in page and "nunca usado" in page
    again = client.get(reverse("accounts:profile")).content.decode()
    assert secret not in again and "notebook de casa" in again


def test_the_profile_page_says_what_is_wrong_with_a_bad_token_request(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("accounts:profile"), {"name": "sem permissão", "expires_days": "30"}
    )
    assert response.status_code == 400
    assert "Escolha pelo menos uma permissão" in response.content.decode()
    response = client.post(
        reverse("accounts:profile"),
        {"name": "x", "scopes": ["read"], "expires_days": "9999"},
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_the_profile_page_lists_only_my_live_tokens_and_revokes(client, alice, bruno):
    mine = tokens.api_token_create(user=alice, name="meu", scopes=["read"], expires_days=7)
    theirs = tokens.api_token_create(user=bruno, name="do bruno", scopes=["read"], expires_days=7)
    client.force_login(alice)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "meu" in page and "do bruno" not in page

    response = client.post(reverse("accounts:token_revoke", args=[theirs.token.pk]), follow=True)
    assert "não existe ou já foi revogado" in response.content.decode()
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_at is None

    client.post(reverse("accounts:token_revoke", args=[mine.token.pk]))
    mine.token.refresh_from_db()
    assert mine.token.revoked_at is not None
    assert "meu" not in client.get(reverse("accounts:profile")).content.decode().split("<tbody>")[1]


def test_the_profile_page_needs_a_sign_in(client, db):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and "signin" in response["Location"]


# -- the command --------------------------------------------------------------------------------


def test_the_command_prints_the_token_once_and_keeps_its_hash(db):
    UserFactory(username="ana")
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token", "ana", "--name", "ci", "--scopes", "read,submit",
        "--expires-days", "10", stdout=out, stderr=err,
    )  # fmt: skip
    secret = out.getvalue().strip()
    token = tokens.api_token_authenticate(secret)
    assert token.name == "ci" and token.scopes == ["read", "submit"]
    assert "expires" in err.getvalue() and secret not in err.getvalue()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nobody"], "no active user"),
        (["ana", "--scopes", "write"], "Permissão desconhecida"),
        (["ana", "--expires-days", "0"], "validade"),
    ],
)
def test_the_command_refuses_clearly(db, args, says):
    UserFactory(username="ana")
    with pytest.raises(CommandError, match=says):
        call_command("create_api_token", *args, stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()

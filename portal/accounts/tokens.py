"""Personal access tokens: create, revoke, and find the live token behind a bearer string.

A token reads ``mle_<32 url-safe characters>``; the ``mle_`` prefix lets secret scanners
recognise one that leaked into a repository. Only its SHA-256 is stored (models.ApiToken).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from portal.accounts.messages import TokenRefused
from portal.accounts.models import ApiToken, User

TOKEN_PREFIX = "mle_"  # noqa: S105 - the public marker of a token, not a secret
MAX_EXPIRY_DAYS = 366
# last_used_at is written at most this often per token: one UPDATE per request would make
# every API call a write.
LAST_USE_RESOLUTION = dt.timedelta(minutes=1)
SCOPES = tuple(ApiToken.Scope.values)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    token: ApiToken
    secret: str  # shown once, never stored


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_days: int | None,
    now: dt.datetime | None = None,
) -> Created:
    """A new token for ``user``; raises :class:`TokenRefused` on a bad name, scope or expiry."""
    now = now or timezone.now()
    name = " ".join(name.split())
    chosen = sorted(set(scopes))
    if not name:
        raise TokenRefused("token.name_required")
    if len(name) > 80:
        raise TokenRefused("token.name_too_long", limit=80)
    if not chosen:
        raise TokenRefused("token.scope_required")
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise TokenRefused("token.scope_unknown", scope=unknown[0], known=", ".join(SCOPES))
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise TokenRefused("token.expiry_range", limit=MAX_EXPIRY_DAYS)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(24)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(secret),
        scopes=chosen,
        expires_at=now + dt.timedelta(days=expires_days) if expires_days else None,
    )
    return Created(token=token, secret=secret)


def api_token_revoke(*, user: User, token_id: int, now: dt.datetime | None = None) -> bool:
    """Revoke one of ``user``'s own tokens; False when there is no such live token."""
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=now or timezone.now()
        )
    )


def tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))


def api_token_authenticate(raw: str, *, now: dt.datetime | None = None) -> ApiToken:
    """The live token ``raw`` names, its use recorded; :class:`TokenRefused` otherwise.

    Unknown, revoked and inactive-user tokens get the same answer: nothing tells an
    attacker which of them a string was. Expiry has its own, so the owner knows to renew.
    """
    now = now or timezone.now()
    token = (
        ApiToken.objects.select_related("user").filter(digest=token_digest(raw)).first()
        if raw.startswith(TOKEN_PREFIX)
        else None
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        raise TokenRefused("token.invalid")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused("token.expired")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

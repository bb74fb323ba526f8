"""Writes for accounts. Views call these; they never talk to Microsoft themselves."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from portal.accounts.messages import SignInError
from portal.accounts.models import User
from portal.accounts.oidc import EntraIdentity, SignInFailure

logger = logging.getLogger(__name__)


def is_admin_from_app_roles(app_roles: Iterable[str], admin_roles: Iterable[str]) -> bool:
    """Whether any of the token's app roles is one of ``admin_roles`` (exact, case-sensitive,
    as Entra compares app role values)."""
    return not set(app_roles).isdisjoint(admin_roles)


def entra_username(identity: EntraIdentity) -> str:
    # Object ids are unique within a tenant; the pair is unique everywhere, and both
    # are GUIDs, so the username fits Django's 150 characters and its character set.
    return f"entra-{identity.object_id}-{identity.tenant_id}"


@transaction.atomic
def user_upsert_from_entra(
    *, identity: EntraIdentity, admin_roles: Iterable[str] | None = None
) -> User:
    """Create or update the user of a validated Microsoft identity, keyed on (tid, oid).

    Name and e-mail follow the id token on every sign-in, and so does being a portal
    admin: an app role listed in ``settings.ENTRA_ADMIN_ROLES`` makes one, losing it
    undoes it. Rights in a course come from its roster (``courses.Enrollment``), whose
    rows are linked to this user when they sign in (``courses`` listens to
    ``user_logged_in``).

    E-mail never identifies anybody here: a second Microsoft account (another
    oid) with an e-mail that an existing user already has gets a user of its own,
    and the roster rows already linked to the first user stay with the first user.
    """
    admin_roles = settings.ENTRA_ADMIN_ROLES if admin_roles is None else admin_roles
    # get_or_create survives two first sign-ins racing: the loser's INSERT hits the
    # unique (tenant, oid) constraint and it reads the winner's row instead.
    user, created = User.objects.select_for_update().get_or_create(
        entra_tenant_id=identity.tenant_id,
        entra_object_id=identity.object_id,
        defaults={"username": entra_username(identity), "password": make_password(None)},
    )
    if not user.is_active:
        raise SignInFailure(
            SignInError.ACCOUNT_DISABLED, f"user {user.pk} is inactive (oid {identity.object_id})"
        )
    if created and User.objects.filter(email__iexact=identity.email).exclude(pk=user.pk).exists():
        logger.warning(
            "New Microsoft identity (tid %s, oid %s) shares its e-mail with another user; "
            "it gets a user of its own (user %s)",
            identity.tenant_id,
            identity.object_id,
            user.pk,
        )
    user.full_name = identity.name
    user.email = identity.email
    user.is_portal_admin = is_admin_from_app_roles(identity.app_roles, admin_roles)
    user.save(update_fields=["full_name", "email", "is_portal_admin"])
    return user

"""Writes for accounts. Views call these; they never talk to Microsoft themselves."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from portal.accounts.messages import SignInError
from portal.accounts.models import Role, User
from portal.accounts.oidc import EntraIdentity, SignInFailure
from portal.courses.selectors import user_is_instructor_anywhere
from portal.courses.services import enrollment_link_user

logger = logging.getLogger(__name__)

# Highest first: a person with several app roles gets the strongest one.
ROLE_PRECEDENCE: tuple[Role, ...] = (Role.ADMIN, Role.INSTRUCTOR, Role.STUDENT)


def role_from_app_roles(app_roles: Iterable[str], role_map: Mapping[str, str]) -> Role | None:
    """The highest portal role that ``role_map`` gives to any of ``app_roles``, or None."""
    mapped = {role_map[name] for name in app_roles if name in role_map}
    return next((role for role in ROLE_PRECEDENCE if role.value in mapped), None)


def entra_username(identity: EntraIdentity) -> str:
    # Object ids are unique within a tenant; the pair is unique everywhere, and both
    # are GUIDs, so the username fits Django's 150 characters and its character set.
    return f"entra-{identity.object_id}-{identity.tenant_id}"


@transaction.atomic
def user_upsert_from_entra(
    *, identity: EntraIdentity, role_map: Mapping[str, str] | None = None
) -> User:
    """Create or update the user of a validated Microsoft identity, keyed on (tid, oid).

    Name and e-mail follow the id token on every sign-in. The role comes from the
    token's app roles through ``settings.ENTRA_ROLE_MAP`` (highest wins); with no
    mapped role it falls back to the course rosters: instructor if an Enrollment
    linked to this person says instructor, else student.

    E-mail never identifies anybody here: a second Microsoft account (another
    oid) with an e-mail that an existing user already has gets a user of its own,
    and the roster rows already linked to the first user stay with the first user.
    """
    role_map = settings.ENTRA_ROLE_MAP if role_map is None else role_map
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
    user.save(update_fields=["full_name", "email"])
    enrollment_link_user(user=user)

    role = role_from_app_roles(identity.app_roles, role_map)
    if role is None:
        role = Role.INSTRUCTOR if user_is_instructor_anywhere(user) else Role.STUDENT
    if user.role != role:
        user.role = role
        user.save(update_fields=["role"])
    return user

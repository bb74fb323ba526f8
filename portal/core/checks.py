"""Deployment checks that Django's own ``check --deploy`` does not know about."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_portal_deploy(app_configs, **kwargs) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.SECRET_KEY == settings.INSECURE_DEFAULT_SECRET_KEY:
        errors.append(
            Error(
                "SECRET_KEY is the built-in development key.",
                hint="Set SECRET_KEY (or SECRET_KEY_FILE) to a long random value.",
                id="portal.E001",
            )
        )
    if not (settings.ENTRA_CLIENT_ID and settings.ENTRA_CLIENT_SECRET):
        errors.append(
            Error(
                "Microsoft sign-in is not configured.",
                hint="Set ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET (see README, 'Entra app').",
                id="portal.E002",
            )
        )
    if settings.DEV_SIGNIN_ENABLED:
        errors.append(
            Error(
                "The demo sign-in is enabled.", hint="Unset DEV_SIGNIN_ENABLED.", id="portal.E003"
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(
            Error(
                "The database is SQLite.",
                hint="Set DATABASE_URL to a PostgreSQL database for production.",
                id="portal.E004",
            )
        )
    if not settings.ENTRA_ALLOWED_TENANTS:
        # Roster rows are linked by the e-mail claim, which a tenant's own admins can set:
        # with every tenant allowed, a foreign tenant could claim an unlinked seat.
        errors.append(
            Warning(
                "Any Microsoft tenant may sign in (ENTRA_ALLOWED_TENANTS is empty).",
                hint="Set ENTRA_ALLOWED_TENANTS to your institution's tenant id(s).",
                id="portal.W001",
            )
        )
    return errors

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, object]:
    return {
        "DEV_SIGNIN_ENABLED": settings.DEBUG and settings.DEV_SIGNIN_ENABLED,
        "MICROSOFT_SIGNIN_CONFIGURED": bool(
            settings.ENTRA_CLIENT_ID and settings.ENTRA_CLIENT_SECRET
        ),
    }

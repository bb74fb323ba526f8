from __future__ import annotations

from django.http import HttpRequest

from portal.notifications import selectors


def bell(request: HttpRequest) -> dict[str, object]:
    """The unread count the top bar's bell shows (one COUNT per page, signed-in only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": selectors.unread_count(user)}

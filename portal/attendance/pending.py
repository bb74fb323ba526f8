"""A Teams report between its preview and its confirmation.

The upload waits in the media storage under a random token (``attendance-imports/``, shared
by every web host); the person's session remembers which tokens are theirs, for which class
session and with which sha256, so a confirmation applies exactly the file its preview showed
and nobody else's."""

from __future__ import annotations

import hashlib
import re
import secrets

from django.contrib.sessions.backends.base import SessionBase
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

SESSION_KEY = "attendance_imports"
FOLDER = "attendance-imports"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PER_SESSION = 10


def keep(session: SessionBase, *, class_session_id: int, data: bytes) -> str:
    token = secrets.token_urlsafe(24)
    default_storage.save(f"{FOLDER}/{token}.txt", ContentFile(data))
    waiting = dict(session.get(SESSION_KEY, {}))
    for old in list(waiting)[: max(0, len(waiting) - PER_SESSION + 1)]:
        forget(session, old)
        waiting.pop(old, None)
    waiting[token] = {"session": class_session_id, "sha256": hashlib.sha256(data).hexdigest()}
    session[SESSION_KEY] = waiting
    return token


def take(session: SessionBase, token: str, *, class_session_id: int) -> bytes | None:
    """The bytes kept under ``token`` for this class session and person, or None."""
    entry = session.get(SESSION_KEY, {}).get(token) if TOKEN_RE.match(token or "") else None
    if not entry or entry["session"] != class_session_id:
        return None
    try:
        with default_storage.open(f"{FOLDER}/{token}.txt", "rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == entry["sha256"] else None


def forget(session: SessionBase, token: str) -> None:
    waiting = dict(session.get(SESSION_KEY, {}))
    if waiting.pop(token, None) is not None:
        session[SESSION_KEY] = waiting
    if TOKEN_RE.match(token or ""):
        default_storage.delete(f"{FOLDER}/{token}.txt")

"""An import between its preview and its confirmation: the changes the check found, kept.

The upload is read and checked once (``services.import_check``); what waits for the
confirmation is that check's result (the changes and the gradebook's fingerprint), as JSON in
a server-side file under a random token, never the spreadsheet. The session remembers whose
it is, for which assignment, and the file's sha256, so a confirmation applies exactly what
its preview showed, and a token from another session or assignment finds nothing.

The JSON lives in the media storage under ``spreadsheet-imports/`` (private, like every
object there), so a confirmation served by another web host finds what the preview kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from portal.accounts.models import User
from portal.assessments.models import Assignment
from portal.gradebook.services import Change

SESSION_KEY = "grading_spreadsheet_imports"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PENDING_MAX_AGE = 24 * 3600
PENDING_PER_SESSION = 10
DECIMALS = ("points_before", "points_after")


@dataclass(frozen=True)
class Pending:
    token: str
    name: str
    changes: list[Change]
    fingerprint: str


FOLDER = "spreadsheet-imports"


def _name(token: str) -> str:
    return f"{FOLDER}/{token}.json"


def _forget_old() -> None:
    """Remove what waited longer than a day: previews nobody confirmed."""
    cutoff = timezone.now() - timedelta(seconds=PENDING_MAX_AGE)
    try:
        _folders, names = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return
    for name in names:
        if default_storage.get_modified_time(f"{FOLDER}/{name}") < cutoff:
            default_storage.delete(f"{FOLDER}/{name}")


def _dumps(changes: list[Change], fingerprint: str) -> bytes:
    rows = []
    for change in changes:
        row = dataclasses.asdict(change)
        for name in DECIMALS:
            row[name] = None if row[name] is None else str(row[name])
        rows.append(row)
    return json.dumps({"fingerprint": fingerprint, "changes": rows}).encode()


def _loads(data: bytes) -> tuple[list[Change], str]:
    content = json.loads(data)
    changes = []
    for row in content["changes"]:
        for name in DECIMALS:
            row[name] = None if row[name] is None else Decimal(row[name])
        changes.append(Change(**row))
    return changes, content["fingerprint"]


def pending_save(
    *,
    session: Any,
    user: User,
    assignment: Assignment,
    name: str,
    changes: list[Change],
    fingerprint: str,
) -> str:
    """Keep the checked changes under a random token; the session remembers whose and which
    assignment. The object appears whole or not at all (one write of a new name)."""
    _forget_old()
    token = secrets.token_urlsafe(24)
    data = _dumps(changes, fingerprint)
    default_storage.save(_name(token), ContentFile(data))
    # A few previews may be open in several tabs; older ones just stop confirming.
    pending = dict(list(session.get(SESSION_KEY, {}).items())[-(PENDING_PER_SESSION - 1) :])
    pending[token] = {
        "user": user.pk,
        "assignment": assignment.pk,
        "name": name[:200],
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    session[SESSION_KEY] = pending
    return token


def pending_load(*, session: Any, token: str, user: User, assignment: Assignment) -> Pending | None:
    entry = session.get(SESSION_KEY, {}).get(token) if TOKEN_RE.match(token or "") else None
    if not entry or entry["user"] != user.pk or entry["assignment"] != assignment.pk:
        return None
    try:
        with default_storage.open(_name(token), "rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        return None
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        return None
    changes, fingerprint = _loads(data)
    return Pending(token=token, name=entry["name"], changes=changes, fingerprint=fingerprint)


def pending_discard(*, session: Any, token: str) -> None:
    pending = dict(session.get(SESSION_KEY, {}))
    if pending.pop(token, None) is not None:
        session[SESSION_KEY] = pending
    if TOKEN_RE.match(token or ""):
        default_storage.delete(_name(token))

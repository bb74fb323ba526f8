"""An import between its preview and its confirmation: the changes the check found, kept.

The upload is read and checked once (``services.import_check``); what waits for the
confirmation is that check's result (the changes and the gradebook's fingerprint), as JSON in
a server-side file under a random token, never the spreadsheet. The session remembers whose
it is, for which assignment, and the file's sha256, so a confirmation applies exactly what
its preview showed, and a token from another session or assignment finds nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

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


def pending_dir() -> Path:
    path = Path(
        getattr(settings, "SPREADSHEET_IMPORT_DIR", Path(settings.VAR_DIR) / "spreadsheet-imports")
    )
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _path(token: str) -> Path:
    return pending_dir() / f"{token}.json"


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
    assignment. The file appears whole or not at all (written aside, then renamed)."""
    folder = pending_dir()
    cutoff = time.time() - PENDING_MAX_AGE
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    data = _dumps(changes, fingerprint)
    partial = folder / f".{token}.partial"
    partial.write_bytes(data)
    os.replace(partial, _path(token))
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
        data = _path(token).read_bytes()
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
        _path(token).unlink(missing_ok=True)

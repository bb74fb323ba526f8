"""Refused attempts, throttled per student: after ``SUBMISSIONS_REJECTED_MAX`` refusals in
``SUBMISSIONS_REJECTED_WINDOW_SECONDS``, the next attempt is refused before its file is read.

A refused upload still costs the server its checks (a 5 MB notebook parsed and validated);
a script or an impatient student retrying a bad file should not cost it again and again.
The recent refusals live in the Django cache (Redis in production, shared by every web
process) as a short list of times: a sliding window, so "wait" is exact. Two refusals of the
same student at the same instant may count as one (read, then write): a throttle, not a lock.

The cache is a safeguard, not a dependency: if it cannot be reached, attempts go on unthrottled.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache

from portal.submissions.messages import OURS, UploadRejected
from portal.submissions.validation import duration

logger = logging.getLogger(__name__)


def _key(student_id: int) -> str:
    return f"submissions:refused:{student_id}"


def _recent(student_id: int, now: dt.datetime, window: int) -> list[float]:
    try:
        stored = cache.get(_key(student_id)) or []
    except Exception as exc:  # see the module docstring: never a reason to refuse or fail
        logger.warning("refused-upload throttle unavailable: %r", exc)
        return []
    start = now.timestamp() - window
    return sorted(when for when in stored if when > start)


def check(*, student_id: int, now: dt.datetime) -> None:
    """Refuse with ``upload.throttled`` while the student has too many recent refusals."""
    limit, window = settings.SUBMISSIONS_REJECTED_MAX, settings.SUBMISSIONS_REJECTED_WINDOW_SECONDS
    if not limit:
        return
    recent = _recent(student_id, now, window)
    if len(recent) >= limit:
        # Free again when the oldest refusal that still counts leaves the window.
        wait = math.ceil(recent[-limit] + window - now.timestamp())
        raise UploadRejected(
            "upload.throttled", n=len(recent), window=duration(window), wait=duration(max(1, wait))
        )


def record(*, student_id: int, now: dt.datetime) -> None:
    limit, window = settings.SUBMISSIONS_REJECTED_MAX, settings.SUBMISSIONS_REJECTED_WINDOW_SECONDS
    if not limit:
        return
    recent = [*_recent(student_id, now, window), now.timestamp()][-limit:]
    try:
        cache.set(_key(student_id), recent, timeout=window)
    except Exception as exc:  # see the module docstring
        logger.warning("refused-upload throttle unavailable: %r", exc)


@contextlib.contextmanager
def refusals_counted(*, student_id: int, now: dt.datetime) -> Iterator[None]:
    """Check the throttle first (no database, no file), then count a refusal of the block.

    The throttle's own refusal is not counted: waiting it out is enough; nor is a refusal
    for a service of ours that did not answer (``messages.OURS``): not the student's doing.
    """
    check(student_id=student_id, now=now)
    try:
        yield
    except UploadRejected as exc:
        if exc.message_id not in OURS:
            record(student_id=student_id, now=now)
        raise

"""Writes for courses: publishing, enrolment. Views and commands call these."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from portal.accounts.models import User
from portal.courses.messages import (
    LINK_MAX_CHARS,
    TEAMS_MEETING_HOSTS,
    SessionLinkError,
)
from portal.courses.models import ClassSession, Course, Enrollment, Week

logger = logging.getLogger(__name__)


@transaction.atomic
def enrollment_link_user(*, user: User) -> list[Enrollment]:
    """Attach roster rows imported by e-mail to the user who just signed in with it."""
    if not user.email:
        return []
    pending = list(
        Enrollment.objects.select_for_update()
        .filter(user__isnull=True, email__iexact=user.email)
        .exclude(course__enrollments__user=user)
    )
    for enrollment in pending:
        enrollment.user = user
        enrollment.save(update_fields=["user"])
    return pending


def enrollment_link_on_sign_in(sender: object, *, user: User, **kwargs: object) -> None:
    """``user_logged_in`` receiver: the roster seats of the address this person signed in
    with become theirs (Microsoft and the demo sign-in alike)."""
    enrollment_link_user(user=user)


@transaction.atomic
def week_set_publication(*, week: Week, actor: User, publish_at: dt.datetime | None) -> Week:
    """Publish now, schedule (a future ``publish_at``) or unpublish (``None``)."""
    if publish_at is not None and timezone.is_naive(publish_at):
        raise ValueError("publish_at must be timezone-aware")
    week.publish_at = publish_at
    week.save(update_fields=["publish_at"])
    logger.info(
        "week %s/%s publish_at=%s by user %s",
        week.course.slug,
        week.number,
        publish_at.isoformat() if publish_at else None,
        actor.pk,
    )
    return week


# -- Teams links of the class sessions ----------------------------------------------------------


def session_link_clean(raw: str) -> str:
    """A Teams meeting link as stored ("" clears it), or SessionLinkError."""
    link = (raw or "").strip()
    if not link:
        return ""
    if len(link) > LINK_MAX_CHARS:
        raise SessionLinkError("sessions.link_too_long", max=LINK_MAX_CHARS)
    try:
        parts = urlsplit(link)
        host = (parts.hostname or "").lower()
    except ValueError:
        host, parts = "", None
    if parts is None or parts.scheme != "https" or not host or parts.username:
        raise SessionLinkError("sessions.link_not_https")
    if not any(host == h or host.endswith("." + h) for h in TEAMS_MEETING_HOSTS):
        raise SessionLinkError("sessions.link_host", host=host)
    return link


@transaction.atomic
def session_links_set(
    *, course: Course, links: dict[int, str], actor: User
) -> tuple[int, dict[int, SessionLinkError]]:
    """Set the Teams link of several sessions of ``course``: all or nothing.

    Returns how many changed, and the refusals by session id (then nothing changed).
    """
    sessions = {s.pk: s for s in ClassSession.objects.filter(week__course=course, pk__in=links)}
    cleaned, errors = {}, {}
    for pk, raw in links.items():
        if pk not in sessions:
            continue
        try:
            cleaned[pk] = session_link_clean(raw)
        except SessionLinkError as error:
            errors[pk] = error
    if errors:
        return 0, errors
    changed = [s for pk, s in sessions.items() if s.teams_url != cleaned[pk]]
    for session in changed:
        session.teams_url = cleaned[session.pk]
        session.save(update_fields=["teams_url"])
    logger.info(
        "session links course=%s by=%s changed=%s", course.slug, actor.pk, [s.pk for s in changed]
    )
    return len(changed), {}


# -- calendar subscriptions -----------------------------------------------------------------


def enrollment_calendar_key(*, enrollment: Enrollment, renew: bool = False) -> str:
    """The secret of ``enrollment``'s calendar URL, made on first use; ``renew`` revokes the
    URL given out before."""
    if renew or not enrollment.calendar_key:
        enrollment.calendar_key = secrets.token_urlsafe(32)
        enrollment.save(update_fields=["calendar_key"])
        logger.info("calendar key %s enrollment=%s", "renewed" if renew else "made", enrollment.pk)
    return enrollment.calendar_key

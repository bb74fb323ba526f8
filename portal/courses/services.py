"""Writes for courses: publishing, enrolment. Views and commands call these."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from portal.accounts.models import User
from portal.courses.models import Enrollment, Week

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

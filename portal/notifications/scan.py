"""The events nobody's action sends: a week's publication time arriving (and with it its
assignments opening), a release set for later, the 48 and 24 hours before a deadline. Run
periodically by beat (``tasks.scan``); each event's key keeps a second look from announcing
it twice.

Only what happened within ``LOOKBACK`` is announced: a portal that starts (or a scan that
was down for a while) does not send news of last month.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from portal.assessments.models import Assignment
from portal.courses.models import Week
from portal.notifications import events, services

LOOKBACK = dt.timedelta(days=2)
REMINDER_AHEAD = dt.timedelta(hours=24)  # people who sent nothing
CARD_AHEAD = dt.timedelta(hours=48)  # the class's Teams channel


def scan(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    weeks = list(
        Week.objects.filter(publish_at__gt=now - LOOKBACK, publish_at__lte=now).select_related(
            "course"
        )
    )
    for week in weeks:
        events.week_published(week)
    opened = list(
        Assignment.objects.filter(
            week__publish_at__gt=now - LOOKBACK, week__publish_at__lte=now
        ).select_related("course", "week")
    )
    for assignment in opened:
        events.assignment_open(assignment)
    releases = list(
        Assignment.objects.filter(
            release_mode=Assignment.ReleaseMode.MANUAL,
            released_at__gt=now - LOOKBACK,
            released_at__lte=now,
        ).select_related("course")
    )
    for assignment in releases:
        events.grades_released(assignment)
    # Due within two days, and open to students: no week, or a week already published.
    due = list(
        Assignment.objects.filter(due_at__gt=now, due_at__lte=now + CARD_AHEAD)
        .filter(Q(week__isnull=True) | Q(week__publish_at__lte=now))
        .select_related("course")
    )
    for assignment in due:
        if assignment.due_at <= now + REMINDER_AHEAD:
            events.deadline_soon(assignment)
        events.deadline_48h(assignment)
    rescued = services.deliveries_rescue(now=now)
    return {
        "weeks": len(weeks),
        "opened": len(opened),
        "releases": len(releases),
        "deadlines": len(due),
        **rescued,
    }

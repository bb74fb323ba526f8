"""Reads for notifications: who gets what on which channel, and what the bell shows."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from portal.accounts.models import User
from portal.courses.models import Course, Enrollment
from portal.notifications.kinds import EMAIL, EVERYONE, KINDS, NOBODY, PORTAL
from portal.notifications.models import Notification, Preference

CHANNEL_ORDER = (PORTAL, EMAIL)


def channels_on(people: Sequence[User], kind: str) -> dict[int, set[str]]:
    """The channels each person gets ``kind`` on: the kind's defaults, then their choices."""
    defaults = set(KINDS[kind].channels)
    on = {person.pk: set(defaults) for person in people}
    for user_id, channel, enabled in Preference.objects.filter(
        user__in=[person.pk for person in people], kind=kind
    ).values_list("user_id", "channel", "enabled"):
        (on[user_id].add if enabled else on[user_id].discard)(channel)
    return on


def course_students(course: Course) -> list[int]:
    return list(
        Enrollment.objects.filter(
            course=course, role=Enrollment.Role.STUDENT, user__isnull=False
        ).values_list("user_id", flat=True)
    )


def course_members(course: Course) -> list[int]:
    return list(
        Enrollment.objects.filter(course=course, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )


def offered(user: User) -> list[tuple[str, str]]:
    """The (kind, channel) pairs the preferences page offers ``user``: every channel of the
    kinds that can reach them (a kind for students only to people who study a course)."""
    roles = set(Enrollment.objects.filter(user=user).values_list("role", flat=True).distinct())
    if not roles:
        return []
    studies = Enrollment.Role.STUDENT in roles
    return [
        (kind.key, channel)
        for kind in KINDS.values()
        if kind.audience != NOBODY and (studies or kind.audience == EVERYONE)
        for channel in CHANNEL_ORDER
    ]


def chosen(user: User) -> set[tuple[str, str]]:
    """The (kind, channel) pairs on for ``user`` among those offered."""
    stored = {
        (kind, channel): enabled
        for kind, channel, enabled in Preference.objects.filter(user=user).values_list(
            "kind", "channel", "enabled"
        )
    }
    return {
        (kind, channel)
        for kind, channel in offered(user)
        if stored.get((kind, channel), channel in KINDS[kind].channels)
    }


def bell(user: User) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user, in_bell=True)
        .select_related("event")
        .order_by("-created_at", "-pk")
    )


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, in_bell=True, read_at=None).count()

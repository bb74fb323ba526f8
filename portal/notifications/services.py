"""Writes for notifications: an event fanned out to its people, deliveries, reading, choices.

The contract:

- :func:`event_notify` is idempotent by the event's key: the first call records the event
  and, in the same transaction, one notification per person with at least one channel on
  and one delivery per channel other than the bell; the deliveries are sent after commit.
  Any later call with that key does nothing, so the signal and the periodic scan (or a
  retried task) can both announce one event.
  An event of a kind that is ``posted`` also makes one ``CoursePost`` when its course has a
  Teams webhook.
- :func:`delivery_send` and :func:`course_post_send` claim a pending sending with a
  conditional UPDATE (pending → sending): it is sent by one worker at a time and never again
  once sent. A fault worth another try puts it back to pending with its error, up to
  ``NOTIFICATIONS_MAX_ATTEMPTS``; one a worker lost mid-send is marked failed by the scan
  rather than sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation

from portal.accounts.models import User
from portal.courses.models import Course
from portal.notifications import selectors
from portal.notifications.channels import CHANNELS, DeliveryFailed, DeliveryRefused
from portal.notifications.kinds import KINDS, PORTAL, TEAMS
from portal.notifications.messages import TeamsError
from portal.notifications.models import (
    CoursePost,
    Delivery,
    Event,
    Notification,
    Preference,
    Sending,
    TeamsWebhook,
)
from portal.notifications.teams import COURSE_CHANNELS, webhook_url_clean

log = logging.getLogger(__name__)

ERROR_MAX_CHARS = 1000
S = TypeVar("S", bound=Sending)


@transaction.atomic
def event_notify(
    *,
    kind: str,
    key: str,
    recipients: Iterable[int],
    course: Course | None = None,
    params: dict[str, Any] | None = None,
    url: str = "",
    variants: dict[int, str] | None = None,
) -> Event | None:
    """Record the event ``key`` and notify ``recipients`` (user ids) on their channels.

    ``variants`` maps a user id to the text they read instead of the event's own. Returns
    the new event, or None when ``key`` was announced before.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    event, created = Event.objects.get_or_create(
        key=key[:200], defaults={"kind": kind, "course": course, "params": params or {}, "url": url}
    )
    if not created:
        return None
    variants = variants or {}
    people = list(User.objects.filter(pk__in=set(recipients), is_active=True))
    channels = selectors.channels_on(people, kind)
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                event=event,
                recipient=person,
                variant=variants.get(person.pk, ""),
                in_bell=PORTAL in channels[person.pk],
            )
            for person in people
            if channels[person.pk]
        ]
    )
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(notification=notification, channel=key)
            for notification in notifications
            for key in sorted(channels[notification.recipient_id] - {PORTAL})
            if CHANNELS[key].can_reach(notification)
        ]
    )
    posts = _course_posts(event)
    _send_after_commit(
        [("deliver", d.pk) for d in deliveries] + [("post_to_course", p.pk) for p in posts]
    )
    log.info(
        "notification event=%s people=%d deliveries=%d posts=%d",
        key,
        len(notifications),
        len(deliveries),
        len(posts),
    )
    return event


def _course_posts(event: Event) -> list[CoursePost]:
    """One post per course-wide channel the event's course has (its Teams webhook)."""
    if not KINDS[event.kind].posted or event.course is None:
        return []
    if not TeamsWebhook.objects.filter(course=event.course).exists():
        return []
    return [CoursePost.objects.create(event=event, channel=TEAMS)]


def _send_after_commit(jobs: Sequence[tuple[str, int]]) -> None:
    if not jobs:
        return
    from portal.notifications import tasks  # the tasks module imports this one

    def send() -> None:
        for task, pk in jobs:
            getattr(tasks, task).delay(pk)

    transaction.on_commit(send)


# -- sending ---------------------------------------------------------------------------------------


def retry_countdown(attempts: int) -> int:
    """30 s, 2 min, 8 min, ... capped at an hour."""
    return int(min(3600, 30 * 4 ** max(0, attempts - 1)))


def delivery_send(*, delivery_id: int) -> int | None:
    """Send one delivery (e-mail) if it is still pending; see :func:`_send`."""
    return _send(
        Delivery.objects.select_related("notification__event", "notification__recipient"),
        delivery_id,
        lambda delivery: CHANNELS[delivery.channel].send(delivery.notification),
    )


def course_post_send(*, post_id: int) -> int | None:
    """Post one event to its course's channel (Teams) if still pending; see :func:`_send`."""
    return _send(
        CoursePost.objects.select_related("event__course__teams_webhook"),
        post_id,
        lambda post: COURSE_CHANNELS[post.channel].send(post),
    )


def _send(queryset: QuerySet[S], pk: int, send: Callable[[S], int | None]) -> int | None:
    """Claim one pending sending (pending → sending, one worker only) and send it.

    Returns the seconds until the next try when it should be tried again, else None (sent,
    refused, out of tries, or not ours to send).
    """
    model = queryset.model
    claimed = model.objects.filter(pk=pk, status=Sending.Status.PENDING).update(
        status=Sending.Status.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if not claimed:
        return None
    sending = queryset.get(pk=pk)
    try:
        # The reader's language is the portal's default: people choose theirs per session.
        with translation.override(settings.LANGUAGE_CODE):
            http_status = send(sending)
    except DeliveryRefused as error:
        _end(sending, Sending.Status.FAILED, str(error), error.http_status)
        return None
    except DeliveryFailed as error:
        if sending.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            _end(sending, Sending.Status.FAILED, str(error), error.http_status)
            return None
        _end(sending, Sending.Status.PENDING, str(error), error.http_status)
        return max(retry_countdown(sending.attempts), error.retry_after or 0)
    except Exception as error:
        # A bug of ours, not the channel's: recorded (never retried), raised for the logs.
        _end(sending, Sending.Status.FAILED, f"{type(error).__name__}: {error}", None)
        raise
    _end(sending, Sending.Status.SENT, "", http_status, sent_at=timezone.now())
    return None


def _end(
    sending: Sending,
    status: str,
    error: str,
    http_status: int | None,
    sent_at: dt.datetime | None = None,
) -> None:
    if status != Sending.Status.SENT:
        log.warning(
            "%s %s (%s) try %s: %s: %s",
            type(sending).__name__,
            sending.pk,
            sending.channel,
            sending.attempts,
            status,
            error,
        )
    changes: dict[str, Any] = {
        "status": status,
        "error": error[:ERROR_MAX_CHARS],
        "updated_at": timezone.now(),
    }
    if sent_at is not None:
        changes["sent_at"] = sent_at
    if isinstance(sending, CoursePost):
        changes["http_status"] = http_status
    type(sending).objects.filter(pk=sending.pk).update(**changes)


def deliveries_rescue(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Sendings whose task was lost: pending and untouched for longer than the longest wait
    between tries are sent again; one left "sending" by a worker that died is marked failed
    (it may have gone out: better missing than twice)."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=retry_countdown(settings.NOTIFICATIONS_MAX_ATTEMPTS) + 60)
    counts = {"resent": 0, "interrupted": 0}
    for model, task in ((Delivery, "deliver"), (CoursePost, "post_to_course")):
        lost = list(
            model.objects.filter(status=Sending.Status.PENDING, updated_at__lt=stale).values_list(
                "pk", flat=True
            )[:500]
        )
        counts["interrupted"] += model.objects.filter(
            status=Sending.Status.SENDING, updated_at__lt=now - dt.timedelta(minutes=15)
        ).update(status=Sending.Status.FAILED, error="interrompido: o envio pode não ter saído")
        with transaction.atomic():
            model.objects.filter(pk__in=lost).update(updated_at=now)
            _send_after_commit([(task, pk) for pk in lost])
        counts["resent"] += len(lost)
    return counts


# -- reading and choosing ------------------------------------------------------------------------


def notification_read(*, notification: Notification, now: dt.datetime | None = None) -> None:
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_read_all(*, user: User, now: dt.datetime | None = None) -> int:
    return Notification.objects.filter(recipient=user, in_bell=True, read_at=None).update(
        read_at=now or timezone.now()
    )


@transaction.atomic
def preferences_set(*, user: User, chosen: set[tuple[str, str]]) -> None:
    """``chosen``: the (kind, channel) pairs the person left on, among those offered to them.
    Only the choices that differ from a kind's defaults are stored."""
    Preference.objects.filter(user=user).delete()
    Preference.objects.bulk_create(
        [
            Preference(user=user, kind=kind, channel=channel, enabled=on)
            for kind, channel in selectors.offered(user)
            if (on := (kind, channel) in chosen) != (channel in KINDS[kind].channels)
        ]
    )


# -- the course's Teams channel ------------------------------------------------------------------


@transaction.atomic
def teams_webhook_set(*, course: Course, url: str, by: User) -> TeamsWebhook:
    """Store the course's webhook (TeamsError says what is wrong with ``url``)."""
    clean = webhook_url_clean(url)
    webhook, _created = TeamsWebhook.objects.update_or_create(
        course=course, defaults={"url": clean, "set_by": by}
    )
    log.info("teams webhook set course=%s by=%s", course.slug, by.pk)
    return webhook


def teams_webhook_remove(*, course: Course, by: User) -> None:
    TeamsWebhook.objects.filter(course=course).delete()
    log.info("teams webhook removed course=%s by=%s", course.slug, by.pk)


def teams_test_send(*, course: Course, by: User, now: dt.datetime | None = None) -> Event:
    """A test card to the course's channel, logged like any other post."""
    if not TeamsWebhook.objects.filter(course=course).exists():
        raise TeamsError("teams.no_webhook")
    now = now or timezone.now()
    event = event_notify(
        kind="teams_test",
        key=f"teams_test:{course.pk}:{now.timestamp():.6f}",
        course=course,
        recipients=[],
        params={"course": course.title},
        url=f"/cursos/{course.slug}/",
    )
    assert event is not None  # a new key every time
    return event

"""Writes for notifications: an event fanned out to its people, deliveries, reading, choices.

The contract:

- :func:`event_notify` is idempotent by the event's key: the first call records the event
  and, in the same transaction, one notification per person with at least one channel on
  and one delivery per channel other than the bell; the deliveries are sent after commit.
  Any later call with that key does nothing, so the signal and the periodic scan (or a
  retried task) can both announce one event.
- :func:`delivery_send` claims a pending delivery with a conditional UPDATE (pending →
  sending): a delivery is sent by one worker at a time and never again once sent. A fault
  worth another try puts it back to pending with its error, up to
  ``NOTIFICATIONS_MAX_ATTEMPTS``; a delivery a worker lost mid-send is marked failed by the
  scan rather than sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from portal.accounts.models import User
from portal.courses.models import Course
from portal.notifications import selectors
from portal.notifications.channels import CHANNELS, DeliveryFailed, DeliveryRefused
from portal.notifications.kinds import KINDS, PORTAL
from portal.notifications.models import Delivery, Event, Notification, Preference

log = logging.getLogger(__name__)

ERROR_MAX_CHARS = 1000


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
    _send_after_commit([delivery.pk for delivery in deliveries])
    log.info(
        "notification event=%s people=%d deliveries=%d", key, len(notifications), len(deliveries)
    )
    return event


def _send_after_commit(delivery_ids: Sequence[int]) -> None:
    if not delivery_ids:
        return
    from portal.notifications import tasks  # the tasks module imports this one

    transaction.on_commit(
        lambda: [tasks.deliver.delay(delivery_id) for delivery_id in delivery_ids]
    )


# -- delivering ------------------------------------------------------------------------------------


def retry_countdown(attempts: int) -> int:
    """30 s, 2 min, 8 min, ... capped at an hour."""
    return int(min(3600, 30 * 4 ** max(0, attempts - 1)))


def delivery_send(*, delivery_id: int) -> int | None:
    """Send one delivery if it is still pending. Returns the seconds until the next try
    when it should be tried again, else None (sent, refused, out of tries, not ours)."""
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related(
        "notification__event", "notification__recipient"
    ).get(pk=delivery_id)
    try:
        # The reader's language is the portal's default: people choose theirs per session.
        with translation.override(settings.LANGUAGE_CODE):
            CHANNELS[delivery.channel].send(delivery.notification)
    except DeliveryRefused as error:
        _delivery_end(delivery, Delivery.Status.FAILED, str(error))
        return None
    except DeliveryFailed as error:
        if delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            _delivery_end(delivery, Delivery.Status.FAILED, str(error))
            return None
        _delivery_end(delivery, Delivery.Status.PENDING, str(error))
        return retry_countdown(delivery.attempts)
    except Exception as error:
        # A bug of ours, not the channel's: recorded on the delivery (never retried), raised
        # for the logs.
        _delivery_end(delivery, Delivery.Status.FAILED, f"{type(error).__name__}: {error}")
        raise
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), error="", updated_at=timezone.now()
    )
    return None


def _delivery_end(delivery: Delivery, status: str, error: str) -> None:
    log.warning(
        "delivery %s (%s) try %s: %s: %s",
        delivery.pk,
        delivery.channel,
        delivery.attempts,
        status,
        error,
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, error=error[:ERROR_MAX_CHARS], updated_at=timezone.now()
    )


def deliveries_rescue(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Deliveries whose task was lost: pending and untouched for longer than the longest
    wait between tries are sent again; one left "sending" by a worker that died is marked
    failed (it may have gone out: better missing than twice)."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=retry_countdown(settings.NOTIFICATIONS_MAX_ATTEMPTS) + 60)
    lost = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, updated_at__lt=stale).values_list(
            "pk", flat=True
        )[:500]
    )
    interrupted = Delivery.objects.filter(
        status=Delivery.Status.SENDING, updated_at__lt=now - dt.timedelta(minutes=15)
    ).update(status=Delivery.Status.FAILED, error="interrompido: o envio pode não ter saído")
    with transaction.atomic():
        Delivery.objects.filter(pk__in=lost).update(updated_at=now)
        _send_after_commit(lost)
    return {"resent": len(lost), "interrupted": interrupted}


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

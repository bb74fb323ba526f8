"""The channels a notification goes out on, besides the portal's bell.

A channel is a small class with a ``key``, a ``label`` and ``send(notification)``, listed in
:data:`CHANNELS`; ``portal/notifications/tasks.py`` calls it with retries. ``send`` raises
:class:`DeliveryFailed` for a fault worth another try (the server did not answer) and
:class:`DeliveryRefused` for one that will not change (the address was refused). Adding a
channel (a course's Teams cards, next) is one class here, its label in ``kinds.py`` and its
defaults per kind; see docs/notifications.md.
"""

from __future__ import annotations

import smtplib
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from portal.notifications.kinds import EMAIL, KINDS
from portal.notifications.models import Notification


class ChannelError(Exception):
    def __init__(
        self, detail: str, *, http_status: int | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(detail)
        self.http_status = http_status
        self.retry_after = retry_after  # seconds the other side asked us to wait


class DeliveryFailed(ChannelError):
    """Try again later."""


class DeliveryRefused(ChannelError):
    """Will never work: do not try again."""


class Channel(Protocol):
    key: ClassVar[str]

    def can_reach(self, notification: Notification) -> bool: ...

    def send(self, notification: Notification) -> None: ...


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


class EmailChannel:
    """Django's e-mail backend (EMAIL_BACKEND and EMAIL_* from the environment)."""

    key: ClassVar[str] = EMAIL

    def can_reach(self, notification: Notification) -> bool:
        return bool(notification.recipient.email)

    def send(self, notification: Notification) -> None:
        event = notification.event
        kind = KINDS[event.kind]
        context = {
            "title": kind.title(event.params),
            "body": kind.body(event.params, notification.variant),
            "url": absolute(event.url) if event.url else "",
            "preferences_url": absolute(reverse("notifications:preferences")),
            "recipient": notification.recipient,
        }
        message = EmailMultiAlternatives(
            subject=f"{settings.EMAIL_SUBJECT_PREFIX}{context['title']}",
            body=render_to_string("notifications/email.txt", context),
            to=[notification.recipient.email],
        )
        message.attach_alternative(
            render_to_string("notifications/email.html", context), "text/html"
        )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryRefused(f"endereço recusado: {error.recipients}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error


CHANNELS: dict[str, Channel] = {channel.key: channel for channel in (EmailChannel(),)}

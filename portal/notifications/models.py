"""Events, the notifications they make for each person, and their deliveries per channel.

- :class:`Event`: something that happened, once: its ``key`` is the idempotency key
  (``grades_released:42``), so an event sent twice (a signal and the scan, a retried task)
  notifies nobody the second time.
- :class:`Notification`: one person's copy of an event: the bell lists those ``in_bell``.
- :class:`Delivery`: the same notification sent through another channel (e-mail), with its
  state, tries and last error, claimed by conditional UPDATE so it is never sent twice.
- :class:`CoursePost`: an event posted once to a course-wide channel (its Teams channel,
  through the :class:`TeamsWebhook` an instructor set), with the same states.
- :class:`Preference`: a person's choice for one kind of event on one channel, stored
  only where it differs from the kind's default (``portal/notifications/kinds.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.courses.models import Course


class Event(models.Model):
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=200, unique=True)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, null=True, related_name="+")
    # What the texts need (titles, numbers, dates as ISO), rendered when read: the bell
    # speaks the reader's language, not the one active when the event happened.
    params = models.JSONField(default=dict)
    url = models.CharField(max_length=500, blank=True)  # a path in the portal
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key


class Notification(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # Which text of the event this person reads ("" the event's own; e.g. "finalist" for
    # the finalists themselves).
    variant = models.CharField(max_length=20, blank=True)
    in_bell = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient"], name="one_notification_per_event_and_person"
            )
        ]
        indexes = [models.Index(fields=["recipient", "in_bell", "read_at"])]

    def __str__(self) -> str:
        return f"{self.event.key} → {self.recipient_id}"


class Sending(models.Model):
    """What one message on one channel went through: claimed pending → sending, then sent,
    back to pending with its error for another try, or failed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Na fila")
        SENDING = "sending", _("Enviando")
        SENT = "sent", _("Enviada")
        FAILED = "failed", _("Falhou")

    channel = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Delivery(Sending):
    """A person's notification on a personal channel (e-mail)."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="one_delivery_per_channel"
            )
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.channel}: {self.notification} ({self.status})"


class CoursePost(Sending):
    """An event posted once to a course-wide channel (the course's Teams channel): the
    delivery log instructors read."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="posts")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "channel"], name="one_post_per_channel")
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="coursepost_status_idx")]

    def __str__(self) -> str:
        return f"{self.channel}: {self.event.key} ({self.status})"


class TeamsWebhook(models.Model):
    """A course's Teams Workflows webhook ("Post to a channel when a webhook request is
    received"). Its URL carries the workflow's signature: it is a secret, never shown back in
    full."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="teams_webhook")
    url = models.TextField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Teams: {self.course}"


class Preference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=20)
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="one_preference_per_kind_and_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}/{self.channel}: {self.enabled}"

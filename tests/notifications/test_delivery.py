"""Deliveries go out once, through Django's real SMTP backend to a local server: a server
that does not answer means "try again later", a refused address means "never", a delivery
already sent is never sent again, and the scan rescues what a lost task left behind."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.utils import timezone

from portal.notifications import scan, services
from portal.notifications.models import Delivery, Notification
from tests.support.smtp import SMTPServer


@pytest.fixture
def smtp(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = 5
    with SMTPServer() as server:
        settings.EMAIL_PORT = server.port
        yield server


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: "the e-mail server is down"."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def delivery(alice, course) -> Delivery:
    event = services.event_notify(
        kind="week_published",
        key="week_published:test",
        course=course,
        recipients=[alice.pk],
        params={"number": 3, "week": "Docker e APIs", "course": course.title},
        url="/cursos/mle/semanas/3/",
    )
    assert event is not None
    return Delivery.objects.get(notification__event=event)


def test_an_email_goes_out_once_through_smtp_with_the_reader_language_and_link(
    smtp, delivery, alice
) -> None:
    assert services.delivery_send(delivery_id=delivery.pk) is None
    assert services.delivery_send(delivery_id=delivery.pk) is None  # a redelivered task
    [message] = smtp.messages
    assert message["To"] == alice.email
    assert message["Subject"] == "[Portal MLE] Semana 3 publicada: Docker e APIs"
    text = message.get_payload()[0].get_payload(decode=True).decode()
    assert "http://localhost:8000/cursos/mle/semanas/3/" in text
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 1, "")
    assert delivery.sent_at is not None


def test_a_server_that_does_not_answer_is_tried_again_later_then_given_up(
    settings, closed_port, delivery
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    assert services.delivery_send(delivery_id=delivery.pk) == 30
    delivery.refresh_from_db()
    assert delivery.status == "pending" and "ConnectionRefusedError" in delivery.error
    assert services.delivery_send(delivery_id=delivery.pk) == 120
    assert services.delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)


def test_a_server_back_up_delivers_the_waiting_email_once(
    settings, closed_port, smtp, delivery
) -> None:
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = closed_port
    assert services.delivery_send(delivery_id=delivery.pk) == 30
    settings.EMAIL_PORT = port
    assert services.delivery_send(delivery_id=delivery.pk) is None
    assert len(smtp.messages) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, "")


def test_a_refused_address_is_not_tried_again(smtp, delivery) -> None:
    smtp.refuse_recipients = True
    assert services.delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "recusado" in delivery.error
    assert smtp.messages == []


def test_the_scan_resends_a_lost_pending_delivery_and_fails_one_a_dead_worker_held(
    delivery, alice, course, django_capture_on_commit_callbacks
) -> None:
    long_ago = timezone.now() - dt.timedelta(days=1)
    Delivery.objects.filter(pk=delivery.pk).update(updated_at=long_ago)
    other = services.event_notify(
        kind="week_published", key="week_published:other", course=course, recipients=[alice.pk]
    )
    held = Delivery.objects.get(notification__event=other)
    Delivery.objects.filter(pk=held.pk).update(status="sending", updated_at=long_ago)
    with django_capture_on_commit_callbacks() as callbacks:
        counts = scan.scan()
    assert (counts["resent"], counts["interrupted"]) == (1, 1)
    assert len(callbacks) == 1  # the lost one, sent again
    held.refresh_from_db()
    assert held.status == "failed" and "interrompido" in held.error


def test_a_person_without_an_email_address_gets_the_bell_only(course, alice) -> None:
    alice.email = ""
    alice.save(update_fields=["email"])
    services.event_notify(
        kind="week_published", key="week_published:x", course=course, recipients=[alice.pk]
    )
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert not Delivery.objects.exists()

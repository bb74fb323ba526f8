"""An attempt's time is when its request arrived, not when the server finished reading and
checking it: a slow upload (or a busy server) must not make the student's next attempt
"too soon", nor push an attempt past a deadline it arrived before.

Real HTTP against the live server: the headers go first and the body seconds later, as
a 5 MB notebook over a slow link does.
"""

from __future__ import annotations

import datetime as dt
import http.client
import secrets
import time
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.submissions.models import Submission
from tests.support.attempts import answer_bytes

BODY_DELAY_S = 2.5
MIN_SECONDS = 4


def _multipart(data: bytes, csrf: str) -> tuple[str, bytes]:
    boundary = secrets.token_hex(12)
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{csrf}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="aquecimento.ipynb"\r\n'
            "Content-Type: application/x-ipynb+json\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


def _upload(server_url: str, path: str, session: str, *, body_after_s: float) -> int:
    """POST the notebook; the body follows the headers ``body_after_s`` seconds later."""
    csrf = secrets.token_hex(16)  # a 32-character secret: cookie and field must match
    content_type, body = _multipart(answer_bytes(), csrf)
    conn = http.client.HTTPConnection(urlsplit(server_url).netloc, timeout=30)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", content_type)
        conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Cookie", f"sessionid={session}; csrftoken={csrf}")
        conn.endheaders()
        time.sleep(body_after_s)
        conn.send(body)
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_the_rate_limit_counts_from_when_each_attempt_arrived(
    live_server, settings, alice, assignment, media
):
    settings.SUBMISSIONS_MAX_PENDING = 0  # only the rate limit is under test here
    assignment.min_seconds_between_attempts = MIN_SECONDS
    assignment.save(update_fields=["min_seconds_between_attempts"])
    client = Client()
    client.force_login(alice)
    session = client.cookies["sessionid"].value
    path = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])

    first_sent = timezone.now()
    assert _upload(live_server.url, path, session, body_after_s=BODY_DELAY_S) == 302
    first = Submission.objects.get(student=alice, attempt=1)
    # Its time is its arrival, before the body had even been sent.
    assert first_sent <= first.submitted_at < first_sent + dt.timedelta(seconds=BODY_DELAY_S)

    # The next one leaves MIN_SECONDS + 0.5 s after the first did, though only ~2 s after
    # the server was done with the first.
    time.sleep(max(0.0, MIN_SECONDS + 0.5 - (timezone.now() - first_sent).total_seconds()))
    assert _upload(live_server.url, path, session, body_after_s=0) == 302

    assert list(Submission.objects.filter(student=alice).values_list("attempt", flat=True)) == [
        2,
        1,
    ]

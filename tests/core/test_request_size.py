"""A request body over MAX_REQUEST_BYTES is refused by its Content-Length with a 413 page,
before a byte of it is read; a notebook at the upload cap still gets through."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.support.attempts import upload


@pytest.mark.django_db(transaction=True)
def test_a_body_over_the_limit_is_refused_with_413_without_waiting_for_it(live_server, settings):
    settings.MAX_REQUEST_BYTES = 1024 * 1024
    conn = http.client.HTTPConnection(urlsplit(live_server.url).netloc, timeout=10)
    try:
        conn.putrequest("POST", "/")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(50 * 1024 * 1024))
        conn.endheaders()  # and no body at all: reading it would wait until the time-out
        response = conn.getresponse()
        page = response.read().decode()
    finally:
        conn.close()

    assert response.status == 413
    assert 'data-message-id="request.too_big"' in page
    assert "O que você enviou tem 50 MB; o limite de um envio é 1 MB" in page
    assert "Nada foi guardado" in page


def test_the_413_page_is_in_the_language_of_the_request(client, settings):
    settings.MAX_REQUEST_BYTES = 10

    response = client.post("/", {"campo": "x" * 100})

    assert response.status_code == 413
    assert '<html lang="pt-br">' in response.content.decode()


def test_a_notebook_at_the_upload_cap_passes_the_request_limit(client, alice, assignment, media):
    client.force_login(alice)
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])
    cap = assignment.max_upload_bytes or 5 * 1024 * 1024
    at_cap = b"{" + b" " * (cap - 2) + b"}"

    response = client.post(url, {"file": upload(at_cap)})

    assert response.status_code == 400  # reached the upload checks: not a notebook
    assert 'data-message-id="upload.not_nbformat4"' in response.content.decode()

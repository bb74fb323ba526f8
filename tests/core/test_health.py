from __future__ import annotations

import os

import pytest
from django.urls import reverse

from portal.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the real Redis of `make test`")
def test_health_reports_database_and_redis_broker_ok(client):
    assert celery_app.conf.broker_url.startswith("redis://")

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_health_reports_an_unreachable_broker_as_degraded(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["broker"].startswith("error: ")
    assert response.json()["database"] == "ok"

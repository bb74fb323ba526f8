from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from portal.celery import app as celery_app

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_liveness_answers_ok_without_consulting_any_dependency(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the real Redis of `make test`")
def test_readiness_reports_database_broker_and_storage_ok(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == body["broker"] == body["storage"] == "ok"
    assert body["docker"] == "ok" or body["docker"].startswith("error: ")
    assert body["status"] == ("ok" if body["docker"] == "ok" else "degraded")
    assert "no-cache" in response["Cache-Control"]
    assert list(tmp_path.rglob("*.txt")) == []  # the storage probe deleted its object


def test_readiness_stays_200_but_degraded_while_the_broker_is_down(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"].startswith("error: ")
    assert response.json()["database"] == "ok"


def test_health_endpoints_need_no_sign_in_and_refuse_post(client):
    assert client.get(reverse("readyz")).status_code in (200, 503)
    assert client.post(reverse("healthz")).status_code == 405
    assert client.post(reverse("readyz")).status_code == 405


def test_readiness_is_503_while_the_database_is_unreachable_and_liveness_still_200(tmp_path):
    # A process of its own whose DATABASE_URL names a closed port: the real connection error.
    script = (
        "import json, django\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='localhost')\n"
        "ready, live = client.get('/readyz'), client.get('/healthz')\n"
        "print(json.dumps([ready.status_code, ready.json(), live.status_code, live.json()]))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": "postgres://portal:portal@127.0.0.1:1/portal",
        "MEDIA_ROOT": str(tmp_path),
    }

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    ready_status, ready, live_status, live = json.loads(result.stdout.splitlines()[-1])
    assert ready_status == 503
    assert ready["status"] == "unavailable"
    assert ready["database"].startswith("error: ")
    assert (live_status, live) == (200, {"status": "ok"})

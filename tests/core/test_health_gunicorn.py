"""The production web process: gunicorn with deploy/gunicorn.conf.py serves the health
endpoints against the test database."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.grading.worker import database_url, wait_for
from tests.support.hosts import WebHost, host_env

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL")
    or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs the real PostgreSQL and Redis of `make test`",
)


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def gunicorn(transactional_db, tmp_path) -> Iterator[WebHost]:
    host = WebHost(
        host_env(tmp_path / "web", {"DATABASE_URL": database_url()}), tmp_path / "web.log"
    )
    try:
        wait_for(host.ready, timeout=60, what="gunicorn to answer")
        yield host
    finally:
        host.stop()


def test_gunicorn_with_the_deploy_config_serves_liveness_and_readiness(gunicorn):
    live_status, live = _get(f"{gunicorn.url}/healthz")
    ready_status, ready = _get(f"{gunicorn.url}/readyz")

    assert (live_status, live) == (200, {"status": "ok"})
    assert ready_status == 200
    assert ready["database"] == ready["broker"] == ready["storage"] == "ok"
    assert set(ready) == {"status", "database", "broker", "storage", "docker"}


def test_gunicorn_writes_an_access_line_per_request_with_status_and_request_id(gunicorn):
    _get(f"{gunicorn.url}/readyz")

    def readyz_line() -> str | None:
        log = gunicorn.output().splitlines()
        return next((line for line in log if '"GET /readyz HTTP/1.1"' in line), None)

    # gunicorn writes the line after the response has gone out.
    line = wait_for(readyz_line, timeout=30, what="the access log line")
    assert " 200 " in line
    assert "request_id=-" not in line and "request_id=" in line

"""The production web process: gunicorn with deploy/gunicorn.conf.py serves the health
endpoints against the test database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.grading.worker import database_url, wait_for

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL")
    or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs the real PostgreSQL and Redis of `make test`",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _answers(url: str) -> bool:
    try:
        _get(url)
    except OSError:
        return False
    return True


@pytest.fixture
def gunicorn(transactional_db, tmp_path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # portal.wsgi sets it, as in production
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "portal.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: server.poll() is not None or _answers(f"{base}/healthz"),
            timeout=60,
            what="gunicorn to answer",
        )
        assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def test_gunicorn_with_the_deploy_config_serves_liveness_and_readiness(gunicorn, tmp_path):
    live_status, live = _get(f"{gunicorn}/healthz")
    ready_status, ready = _get(f"{gunicorn}/readyz")

    assert (live_status, live) == (200, {"status": "ok"})
    assert ready_status == 200
    assert ready["database"] == ready["broker"] == ready["storage"] == "ok"
    assert set(ready) == {"status", "database", "broker", "storage", "docker"}


def test_gunicorn_writes_an_access_line_per_request_with_status_and_request_id(gunicorn, tmp_path):
    _get(f"{gunicorn}/readyz")

    def readyz_line() -> str | None:
        log = (tmp_path / "gunicorn.log").read_text().splitlines()
        return next((line for line in log if '"GET /readyz HTTP/1.1"' in line), None)

    # gunicorn writes the line after the response has gone out.
    line = wait_for(readyz_line, timeout=30, what="the access log line")
    assert " 200 " in line
    assert "request_id=-" not in line and "request_id=" in line

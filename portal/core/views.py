"""Health endpoints for load balancers and orchestrators: JSON, no sign-in, never cached.

- ``/healthz`` (liveness): the process answers. It touches nothing else, so a database or
  broker outage never gets healthy web processes restarted.
- ``/readyz`` (readiness): may this process take traffic? The database is required (503
  without it); the broker, the media storage and Docker are reported as fields only, since
  pages still work without them (uploads wait in the queue, grading hosts need Docker).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import docker
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.celery import app as celery_app

PROBE_TIMEOUT_SECONDS = 2


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers requests; no dependency is consulted."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 503 while the database is unreachable; the other checks are reported."""
    checks = {name: outcome(check) for name, check in CHECKS.items()}
    if checks["database"] != "ok":
        status, code = "unavailable", 503
    elif all(value == "ok" for value in checks.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    return JsonResponse({"status": status, **checks}, status=code)


def outcome(check: Callable[[], None]) -> str:
    try:
        check()
    except Exception as exc:  # any failure is a report, never a 500
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT_SECONDS)


def _check_storage() -> None:
    """Write and delete a tiny object: what uploads and grading workers need (local or S3)."""
    name = default_storage.save(f"readyz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)


def _check_docker() -> None:
    client = docker.from_env(timeout=PROBE_TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "broker": _check_broker,
    "storage": _check_storage,
    "docker": _check_docker,
}

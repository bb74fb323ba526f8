"""Datadog metrics over DogStatsD: one small function per thing we measure.

Sent only when ``DD_AGENT_HOST`` (port ``DD_DOGSTATSD_PORT``) or ``DOGSTATSD_URL``
(``udp://host:port``) is set; otherwise every function here does nothing. Every name is
prefixed with ``mle.`` (the client's namespace); ``DD_ENV``/``DD_SERVICE``/``DD_VERSION``
become constant tags. deploy/datadog/ holds the dashboard and monitors built on these names.

A metric is never worth a failed request or a lost grade: the client sends UDP datagrams
(nothing waits for the agent), and every send is still guarded.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger(__name__)

NAMESPACE = "mle"

HTTP_DURATION = "http.request.duration"  # histogram, ms; view, status, method
UPLOADS = "uploads"  # counter; result (accepted/refused), reason (message id), kind
GRADING_CLAIMED = "grading.claimed"  # counter: a worker took a run (its sign of life)
GRADING_DURATION = "grading.duration"  # histogram, s; assignment, outcome
GRADING_RUNS = "grading.runs"  # counter; status (done/error), assignment
GRADING_RETRIES = "grading.retries"  # counter; assignment
SWEEPER_ACTIONS = "sweeper.requeued"  # counter; kind (queued/running/waiting)
QUEUE_DEPTH = "grading.queue.depth"  # gauge: runs QUEUED now
QUEUE_OLDEST_AGE = "grading.queue.oldest_age_seconds"  # gauge: oldest QUEUED run's wait

METRICS = frozenset(
    f"{NAMESPACE}.{name}"
    for name in (
        HTTP_DURATION,
        UPLOADS,
        GRADING_CLAIMED,
        GRADING_DURATION,
        GRADING_RUNS,
        GRADING_RETRIES,
        SWEEPER_ACTIONS,
        QUEUE_DEPTH,
        QUEUE_OLDEST_AGE,
    )
)


def agent_address() -> tuple[str, int] | None:
    """Where the agent listens, from the settings; None when metrics are off."""
    if settings.DOGSTATSD_URL:
        url = urlsplit(settings.DOGSTATSD_URL)
        if url.scheme != "udp" or not url.hostname:
            raise ImproperlyConfigured(
                f"DOGSTATSD_URL must be udp://host:port, got {settings.DOGSTATSD_URL!r}"
            )
        return url.hostname, url.port or 8125
    if settings.DD_AGENT_HOST:
        return settings.DD_AGENT_HOST, settings.DD_DOGSTATSD_PORT
    return None


def constant_tags() -> list[str]:
    pairs = {"env": settings.DD_ENV, "service": settings.DD_SERVICE, "version": settings.DD_VERSION}
    return [f"{key}:{value}" for key, value in pairs.items() if value]


@functools.lru_cache(maxsize=4)
def _client_for(host: str, port: int, tags: tuple[str, ...]):
    from datadog.dogstatsd.base import DogStatsd

    return DogStatsd(
        host=host,
        port=port,
        namespace=NAMESPACE,
        constant_tags=list(tags),
        # Our metrics only: the library's own telemetry and the container-id lookup are
        # noise here (the agent adds the host and container tags itself).
        disable_telemetry=True,
        origin_detection_enabled=False,
    )


def _send(kind: str, name: str, value: float, tags: dict[str, object]) -> None:
    try:
        address = agent_address()
        if address is None:
            return
        client = _client_for(*address, tuple(constant_tags()))
        getattr(client, kind)(name, value, tags=[f"{k}:{v}" for k, v in tags.items()])
    except Exception:  # a metric must never break a request or a grading
        logger.warning("could not send metric %s", name, exc_info=True)


# -- the web tier -----------------------------------------------------------------------------


def http_request(*, view: str, method: str, status: int, milliseconds: float) -> None:
    _send(
        "histogram", HTTP_DURATION, milliseconds, {"view": view, "method": method, "status": status}
    )


def upload_accepted(*, kind: str) -> None:
    _send("increment", UPLOADS, 1, {"result": "accepted", "reason": "none", "kind": kind})


def upload_refused(*, kind: str, reason: str) -> None:
    """``reason`` is the refusal's message id (``upload.too_large``), never its text."""
    _send("increment", UPLOADS, 1, {"result": "refused", "reason": reason, "kind": kind})


# -- the workers ------------------------------------------------------------------------------


def grading_claimed(*, assignment: str) -> None:
    _send("increment", GRADING_CLAIMED, 1, {"assignment": assignment})


def grading_finished(
    *, assignment: str, status: str, outcome: str, started_at: datetime | None
) -> None:
    """A run reached its final ``status`` (done/error); ``outcome`` is its grade status."""
    tags = {"assignment": assignment, "outcome": outcome}
    if started_at is not None:
        seconds = (timezone.now() - started_at).total_seconds()
        _send("histogram", GRADING_DURATION, seconds, tags)
    _send("increment", GRADING_RUNS, 1, {"assignment": assignment, "status": status})


def grading_fault(*, assignment: str, outcome: str, started_at: datetime | None) -> None:
    """An infrastructure fault: the run waits for a retry, or that was its last try."""
    if outcome == "waiting":
        _send("increment", GRADING_RETRIES, 1, {"assignment": assignment})
    elif outcome == "error":
        grading_finished(
            assignment=assignment, status="error", outcome="error", started_at=started_at
        )


# -- the sweeper (Celery beat) ----------------------------------------------------------------


def sweep_finished(
    *, counts: dict[str, int], queue_depth: int, oldest_queued_at: datetime | None
) -> None:
    """One sweep: the runs it re-sent per kind, and the queue as the database sees it."""
    for kind, count in counts.items():
        if count:
            _send("increment", SWEEPER_ACTIONS, count, {"kind": kind})
    _send("gauge", QUEUE_DEPTH, queue_depth, {})
    age = 0.0 if oldest_queued_at is None else (timezone.now() - oldest_queued_at).total_seconds()
    _send("gauge", QUEUE_OLDEST_AGE, max(0.0, age), {})

"""Every worker sweeps the Docker daemon of its own host.

A sandbox container belongs to the Docker daemon of the host whose worker started it, and
the beat-driven sweeper (``tasks.sweep_stuck_runs``) runs on one host only. So the stale
containers (older than any task's hard limit: ``services.stale_container_age_seconds``) are
removed by a step of every Celery worker, on its own host: when the worker starts (a worker
that died and was restarted left its containers there) and then every
AUTOGRADER_HOST_SWEEP_INTERVAL_SECONDS, on the worker's timer. A worker on a host without
Docker (a maintenance worker on Fargate) runs with AUTOGRADER_SWEEP_CONTAINERS=false.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import bootsteps
from django.conf import settings

logger = logging.getLogger(__name__)


class HostSandboxSweep(bootsteps.StartStopStep):
    """The worker step: sweep at start, then on the worker's timer."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None

    def start(self, worker: Any) -> None:
        if not settings.AUTOGRADER_SWEEP_CONTAINERS:
            return
        sweep_host()
        self.tref = worker.timer.call_repeatedly(
            settings.AUTOGRADER_HOST_SWEEP_INTERVAL_SECONDS, sweep_host, priority=10
        )

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


def sweep_host() -> int:
    """Remove this host's stale sandbox containers; how many. Never raises for Docker or the
    database being away: the next sweep does the same work."""
    from django.db import DatabaseError

    from autograder.sandbox import SandboxError
    from autograder.sweep import remove_stale_containers
    from portal.grading import services

    try:
        removed = remove_stale_containers(older_than_s=services.stale_container_age_seconds())
    except (SandboxError, DatabaseError) as exc:
        logger.warning("could not sweep this host's sandbox containers: %s", exc)
        return 0
    if removed:
        logger.warning("removed %d stale sandbox container(s) on this host", removed)
    return removed

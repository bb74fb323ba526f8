"""Celery tasks of grading: thin callers of ``services`` (state lives in the database).

``grade_run`` is sent per run with soft/hard time limits derived from the assignment's wall
clock (``services.task_time_limits``). Only infrastructure faults are retried, with
exponential backoff counted by ``GradingRun.tries`` (every claim, retries and sweeper
re-sends alike), so the limit AUTOGRADER_MAX_TRIES holds however a run came back.
Time limits need the prefork pool (the default): the solo pool ignores them.
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from autograder.sandbox import SandboxError, remove_stale_containers
from portal.grading import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def grade_run(self: Task, run_id: int) -> str:
    run = services.grading_run_claim(run_id=run_id)
    if run is None:
        return "not-claimed"  # another worker has it, or it is finished: never redone
    if run.tries > settings.AUTOGRADER_MAX_TRIES:
        # Came back through the sweeper after dying again and again (e.g. hard limit).
        services.grading_run_fail(run=run, reason=f"{run.tries - 1} tentativas sem sucesso")
        return "error"
    try:
        result = services.grading_run_autograde(run=run)
    except (services.InfrastructureError, SandboxError, SoftTimeLimitExceeded) as exc:
        reason = str(exc) or type(exc).__name__
        logger.warning("run %s, try %s: infrastructure fault: %s", run_id, run.tries, reason)
        if run.tries >= settings.AUTOGRADER_MAX_TRIES:
            services.grading_run_fail(run=run, reason=reason)
            return "error"
        if services.grading_run_wait(run=run, reason=reason):
            raise self.retry(countdown=services.retry_countdown(run.tries),
                             max_retries=None, exc=exc) from exc
        return "lost"
    services.grading_run_finish(run=run, result=result)
    return "done"


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=50, time_limit=55)
def sweep_stuck_runs() -> dict[str, int]:
    """Every minute (beat): re-send lost or orphaned runs, remove dead workers' containers."""
    counts = services.grading_runs_sweep()
    try:
        counts["containers"] = remove_stale_containers(
            older_than_s=services.stale_container_age_seconds())
    except SandboxError as exc:  # Docker down: the runs above will wait and retry anyway
        logger.warning("could not sweep sandbox containers: %s", exc)
        counts["containers"] = 0
    return counts

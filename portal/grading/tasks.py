"""Celery tasks of grading: thin callers of ``services`` (state lives in the database).

``grade_run`` is sent per run with soft/hard time limits derived from the assignment's wall
clock (``services.task_time_limits``). Only infrastructure faults are retried, with
exponential backoff counted by ``GradingRun.tries`` (every claim, retries and sweeper
re-sends alike), so the limit AUTOGRADER_MAX_TRIES holds however a run came back.
Time limits need the prefork pool (the default): the solo pool ignores them. While it
grades, the task renews the run's lease (``resilience.Heartbeat``), and it stores what it
holds across a lost database connection (``resilience.stored``).

``sweep_stuck_runs`` goes to the "maintenance" queue (settings.CELERY_TASK_ROUTES), consumed
by a worker of its own, so a backlog of gradings cannot delay it.

``log_grading_run_to_mlflow`` is sent after a run is stored (``services.grading_run_finish``)
and is retried on its own when MLflow is down: grading never waits for MLflow or fails
because of it, and ``manage.py mlflow_backfill`` logs whatever was given up on.
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils.translation import ngettext

from autograder.errors import InfrastructureError
from portal.grading import resilience, services, tracking
from portal.grading.models import GradingRun

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def grade_run(self: Task, run_id: int) -> str:
    run = resilience.stored(lambda: services.grading_run_claim(run_id=run_id), what=f"run {run_id}")
    if run is None:
        return "not-claimed"  # another worker has it, or it is finished: never redone
    with resilience.Heartbeat(run):
        return _grade(self, run)


def _grade(task: Task, run: GradingRun) -> str:
    what = f"run {run.pk}"
    if run.tries > settings.AUTOGRADER_MAX_TRIES:
        # Came back through the sweeper after dying again and again (e.g. hard limit).
        failed = run.tries - 1
        reason = ngettext("%(n)d tentativa sem sucesso", "%(n)d tentativas sem sucesso", failed) % {
            "n": failed
        }
        resilience.stored(lambda: services.grading_run_fail(run=run, reason=reason), what=what)
        return "error"
    try:
        result = services.grading_run_autograde(run=run)
    # Our side failed (every such fault of the autograder and of the inputs derives from
    # InfrastructureError), or the run overstayed Celery's soft limit: wait and retry. A bug of
    # ours is not caught: the task fails loudly and the sweeper brings the run back.
    except (InfrastructureError, SoftTimeLimitExceeded) as exc:
        reason = str(exc) or type(exc).__name__
        outcome = resilience.stored(
            lambda: services.grading_run_fault(run=run, reason=reason), what=what
        )
        if outcome == "waiting":
            raise task.retry(
                countdown=services.retry_countdown(run.tries), max_retries=None, exc=exc
            ) from exc
        return outcome
    resilience.stored(lambda: services.grading_run_finish(run=run, result=result), what=what)
    return "done"


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=50, time_limit=55)
def sweep_stuck_runs() -> dict[str, int]:
    """Every AUTOGRADER_SWEEP_INTERVAL_SECONDS (beat): re-send lost or orphaned runs. Stale
    sandbox containers are swept by every worker on its own host (``host_sweep.py``)."""
    return services.grading_runs_sweep()


# MLflow down: Celery retries with exponential back-off from 30 s, capped at an hour, with
# jitter (so a fleet of workers does not hammer a recovering server in step); after the last
# retry the run waits for `manage.py mlflow_backfill`.
MLFLOW_RETRY_BACKOFF_SECONDS = 30
MLFLOW_RETRY_BACKOFF_MAX_SECONDS = 3600
MLFLOW_MAX_RETRIES = 10


class _MlflowLogTask(Task):
    def on_failure(
        self, exc: BaseException, task_id: str, args: tuple, kwargs: dict, einfo: object
    ) -> None:
        logger.error(
            "run %s not logged to MLflow after %s attempts, given up "
            "(manage.py mlflow_backfill logs it later): %s",
            args[0] if args else kwargs.get("run_id"),
            self.request.retries + 1,
            exc,
        )


@shared_task(
    bind=True,
    base=_MlflowLogTask,
    acks_late=True,
    ignore_result=True,
    soft_time_limit=120,
    time_limit=150,
    autoretry_for=(tracking.TrackingError, SoftTimeLimitExceeded),
    retry_backoff=MLFLOW_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=MLFLOW_RETRY_BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=MLFLOW_MAX_RETRIES,
)
def log_grading_run_to_mlflow(self: Task, run_id: int) -> str:
    """Log a finished run to MLflow (idempotent: a run already logged is left alone)."""
    if not settings.MLFLOW_LOGGING_ENABLED:
        return "disabled"
    try:
        tracking.log_grading_run(run_id)
    except tracking.NotTrackable as exc:
        logger.warning("run %s not logged to MLflow: %s", run_id, exc)
        return "skipped"
    return "logged"

"""The Celery application. Tasks live next to the app they serve (``portal/<app>/tasks.py``)."""

import inspect
import logging
import os
from pathlib import Path

from celery import Celery, Task, signals

from portal.grading import sandbox_pool  # noqa: F401 - its worker-process signal handlers
from portal.grading.host_sweep import HostSandboxSweep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["worker"].add(HostSandboxSweep)  # each worker sweeps its own host's sandboxes


@app.on_after_configure.connect
def _prepare_filesystem_broker(sender: Celery, **kwargs) -> None:
    """kombu's filesystem transport needs its folders to exist before the first message."""
    options = sender.conf.broker_transport_options or {}
    if str(sender.conf.broker_url).startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)


@app.on_after_configure.connect
def _schedule_sweeper(sender: Celery, **kwargs) -> None:
    """The sweeper (portal/grading/tasks.py): lost broker messages and dead workers never lose
    a grade. It goes to the "maintenance" queue (settings.CELERY_TASK_ROUTES), which a worker
    of its own consumes, so a grading backlog cannot starve it. `runportal` embeds beat in
    that worker (`-B`); a larger deployment runs one `celery beat` process. A sweep not taken
    within its period expires: the next one does the same work.
    """
    from django.conf import settings

    interval = settings.AUTOGRADER_SWEEP_INTERVAL_SECONDS
    sender.conf.beat_schedule = {
        "sweep-stuck-grading-runs": {
            "task": "portal.grading.tasks.sweep_stuck_runs",
            "schedule": float(interval),
            "options": {"expires": max(1, interval - 1)},
        },
        # Weeks published, releases reached, deadlines within 24 h (portal/notifications).
        "notifications-scan": {
            "task": "portal.notifications.tasks.scan",
            "schedule": float(settings.NOTIFICATIONS_SCAN_INTERVAL_SECONDS),
            "options": {"expires": max(1, settings.NOTIFICATIONS_SCAN_INTERVAL_SECONDS - 1)},
        },
    }


@signals.task_prerun.connect
def _note_task_for_logs(task_id: str, task: Task, args=(), kwargs=None, **extra) -> None:
    """Log lines written by a task carry its id and, for a task of one grading run (an
    argument named ``run_id``: ``portal.grading.tasks.grade_run`` and the MLflow task), the
    run's id, whether it was sent positionally or by name."""
    from portal.core import logs

    logs.task_id.set(task_id)
    logs.run_id.set(None)
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except (TypeError, ValueError):
        return  # arguments the task itself will refuse
    run = bound.arguments.get("run_id")
    if isinstance(run, int):
        logs.run_id.set(run)


@signals.task_postrun.connect
def _forget_task_for_logs(**extra) -> None:
    from portal.core import logs

    logs.task_id.set(None)
    logs.run_id.set(None)


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _json_worker_logs(logger: logging.Logger, **extra) -> None:
    """A worker replaces the root logger's handlers with its own (text) ones; with
    LOG_FORMAT=json they write the portal's JSON lines instead."""
    from django.conf import settings

    if settings.LOG_FORMAT == "json":
        from portal.core.logs import JsonFormatter

        for handler in logger.handlers:
            handler.setFormatter(JsonFormatter())

"""The Celery application. Tasks live next to the app they serve (``portal/<app>/tasks.py``)."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
    }

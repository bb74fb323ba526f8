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


# The sweeper (portal/grading/tasks.py): lost broker messages and dead workers never lose a
# grade. `runportal` embeds beat in its single worker (`-B`); a larger deployment runs one
# `celery beat` process. Expiring after a period keeps a backlog of sweeps from piling up.
app.conf.beat_schedule = {
    "sweep-stuck-grading-runs": {
        "task": "portal.grading.tasks.sweep_stuck_runs",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

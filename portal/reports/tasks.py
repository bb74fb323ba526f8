"""Celery tasks of the reports: thin callers of ``services`` (the job's state is its row).

``build_archive`` is routed to the "maintenance" queue (``CELERY_TASK_ROUTES``): an admin's zip
is not held up by a backlog of gradings, and a grading worker is not held up by PDFs.
"""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from portal.reports import services
from portal.reports.messages import MESSAGES


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=services.SOFT_TIME_LIMIT_SECONDS,
    time_limit=services.TIME_LIMIT_SECONDS,
)
def build_archive(archive_id: int) -> str:
    archive = services.archive_claim(archive_id=archive_id)
    if archive is None:
        return "not-claimed"  # another worker has it, or it is finished: never built twice
    try:
        services.archive_build(archive=archive)
    except SoftTimeLimitExceeded:
        services.archive_fail(
            archive_id=archive_id, reason=MESSAGES.text("reports.archive_too_slow")
        )
        return "failed"
    return "done"

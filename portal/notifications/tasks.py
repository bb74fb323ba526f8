"""Celery tasks for notifications: thin callers of ``services`` and ``scan``.

Both go to the "maintenance" queue (settings.CELERY_TASK_ROUTES), so an e-mail never waits
behind a backlog of gradings.
"""

from __future__ import annotations

from celery import shared_task
from celery.app.task import Task

from portal.notifications import scan as periodic
from portal.notifications import services


@shared_task(bind=True, acks_late=True, max_retries=None, soft_time_limit=60, time_limit=90)
def deliver(self: Task, delivery_id: int) -> None:
    """Send one delivery; a fault worth another try comes back after a growing wait (the
    number of tries is counted on the delivery, whatever brought the task back)."""
    countdown = services.delivery_send(delivery_id=delivery_id)
    if countdown is not None:
        raise self.retry(countdown=countdown)


@shared_task(bind=True, acks_late=True, max_retries=None, soft_time_limit=60, time_limit=90)
def post_to_course(self: Task, post_id: int) -> None:
    """Post one card to the course's Teams channel, with the same retries as ``deliver``."""
    countdown = services.course_post_send(post_id=post_id)
    if countdown is not None:
        raise self.retry(countdown=countdown)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def scan() -> dict[str, int]:
    return periodic.scan()

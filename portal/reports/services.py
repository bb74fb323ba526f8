"""Writes of the reports: the course zip as a background job (``ReportArchive``).

The contract, as the grading runs' (``portal/grading/services.py``):

- :func:`archive_request` writes a QUEUED row and sends ``tasks.build_archive`` once the row
  is committed (to the "maintenance" queue: an admin's zip never waits behind gradings).
- :func:`archive_claim` takes the job with a conditional UPDATE (QUEUED -> RUNNING); zero rows
  means another worker has it or it is finished, so a message delivered twice builds it once.
  A RUNNING job whose worker died (started longer ago than the task's hard time limit) may be
  claimed again: ``acks_late`` brings its message back.
- :func:`archive_build` writes the zip into ``default_storage`` (shared by the web and every
  worker host; never a worker's local disk), counting the students as it goes, then DONE; any
  fault on the way leaves the job FAILED with what went wrong, for an admin to ask again.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from kombu.exceptions import OperationalError as BrokerUnavailable

from portal.accounts.models import User
from portal.courses.models import Course
from portal.reports import archive as course_zip
from portal.reports import selectors
from portal.reports.messages import MESSAGES
from portal.reports.models import ReportArchive

logger = logging.getLogger(__name__)

# Up to this size the zip is built in memory; a larger course spills to a temporary file.
ZIP_IN_MEMORY_BYTES = 32 * 1024 * 1024
# The task's limits (``tasks.build_archive``): a course of a few hundred students' PDFs.
SOFT_TIME_LIMIT_SECONDS = 20 * 60
TIME_LIMIT_SECONDS = SOFT_TIME_LIMIT_SECONDS + 60
ERROR_MAX_CHARS = 2000
Status = ReportArchive.Status


@transaction.atomic
def archive_request(*, course: Course, by: User) -> ReportArchive:
    """A new QUEUED zip of ``course``'s reports, built by a worker once this commits."""
    archive = ReportArchive.objects.create(course=course, requested_by=by)
    transaction.on_commit(lambda: _publish(archive.pk))
    return archive


def _publish(archive_id: int) -> None:
    from portal.reports.tasks import build_archive  # the task module imports this one

    try:
        build_archive.delay(archive_id)  # the maintenance queue (CELERY_TASK_ROUTES)
    except BrokerUnavailable as exc:
        logger.warning("report archive %s not sent (broker: %s)", archive_id, exc)
        archive_fail(archive_id=archive_id, reason=MESSAGES.text("reports.archive_not_sent"))


def archive_claim(*, archive_id: int, now: dt.datetime | None = None) -> ReportArchive | None:
    """Take the job for this worker, or None if another one has it or it is finished."""
    now = now or timezone.now()
    abandoned = now - dt.timedelta(seconds=TIME_LIMIT_SECONDS)
    claimed = (
        ReportArchive.objects.filter(pk=archive_id)
        .filter(Q(status=Status.QUEUED) | Q(status=Status.RUNNING, started_at__lt=abandoned))
        .update(status=Status.RUNNING, started_at=now, students_done=0, error="")
    )
    if not claimed:
        return None
    return ReportArchive.objects.select_related("course").get(pk=archive_id)


def archive_build(*, archive: ReportArchive) -> ReportArchive:
    """Build the claimed job's zip into the default storage; DONE, or FAILED and re-raised."""
    try:
        report = selectors.course_report(archive.course)
        ReportArchive.objects.filter(pk=archive.pk).update(students_total=len(report.students))

        def progress(done: int) -> None:
            ReportArchive.objects.filter(pk=archive.pk).update(students_done=done)

        with tempfile.SpooledTemporaryFile(max_size=ZIP_IN_MEMORY_BYTES) as out:
            course_zip.write_course_zip(report, out, progress=progress)
            size = out.tell()
            out.seek(0)
            name = default_storage.save(
                f"reports/archives/{archive.pk}/relatorios-{slugify(archive.course.slug)}.zip",
                File(out),
            )
    except Exception as exc:
        archive_fail(archive_id=archive.pk, reason=str(exc) or type(exc).__name__)
        raise
    ReportArchive.objects.filter(pk=archive.pk).update(
        status=Status.DONE, file=name, size=size, finished_at=timezone.now()
    )
    archive.refresh_from_db()
    return archive


def archive_fail(*, archive_id: int, reason: str) -> None:
    ReportArchive.objects.filter(pk=archive_id).exclude(status=Status.DONE).update(
        status=Status.FAILED, error=reason[:ERROR_MAX_CHARS], finished_at=timezone.now()
    )

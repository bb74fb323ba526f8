"""Writes of the reports: the course zip as a background job (``ReportArchive``).

The contract, as the grading runs' (``portal/grading/services.py``):

- :func:`archive_request` writes a QUEUED row and sends ``tasks.build_archive`` once the row
  is committed (to the "maintenance" queue: an admin's zip never waits behind gradings). While
  a job of the course is queued or running, asking again returns that job: one build at a time.
- :func:`archive_claim` takes the job with a conditional UPDATE (QUEUED -> RUNNING); zero rows
  means another worker has it or it is finished, so a message delivered twice builds it once.
  A RUNNING job whose worker died (started longer ago than the task's hard time limit) may be
  claimed again: ``acks_late`` brings its message back.
- :func:`archive_build` writes the zip into ``default_storage`` (shared by the web and every
  worker host; never a worker's local disk), counting the students as it goes (at most one
  write every ``PROGRESS_EVERY_STUDENTS`` students or ``PROGRESS_EVERY_SECONDS``), then DONE and
  the course's older zips removed from the storage (only the newest is kept); any fault on the
  way leaves the job FAILED with what went wrong and no file behind, for an admin to ask again.
- :func:`archive_expire_abandoned`: a job RUNNING for longer than the task's hard time limit
  (its worker died) or QUEUED for as long (no maintenance worker took it) is FAILED with a
  reason, so no page shows "running" forever; the page runs it each time it shows the job.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from collections.abc import Callable

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
# Progress is written at most every this many students or seconds, whichever comes first:
# one UPDATE per student would be a thousand writes for a large course.
PROGRESS_EVERY_STUDENTS = 25
PROGRESS_EVERY_SECONDS = 1.0
Status = ReportArchive.Status
ACTIVE = (Status.QUEUED, Status.RUNNING)


@transaction.atomic
def archive_request(*, course: Course, by: User) -> ReportArchive:
    """The course's queued or running zip if there is one, else a new QUEUED one, built by a
    worker once this commits. The course row is locked so two clicks make one job."""
    Course.objects.select_for_update().filter(pk=course.pk).first()
    archive_expire_abandoned(course=course)
    active = ReportArchive.objects.filter(course=course, status__in=ACTIVE).first()
    if active is not None:
        return active
    archive = ReportArchive.objects.create(course=course, requested_by=by)
    transaction.on_commit(lambda: _publish(archive.pk))
    return archive


def archive_expire_abandoned(*, course: Course, now: dt.datetime | None = None) -> int:
    """FAIL the course's jobs no worker will finish: RUNNING past the task's hard time limit
    (the worker died; the claim of a redelivered message uses the same rule) or QUEUED as long
    (no maintenance worker took it). Conditional UPDATEs: safe to run from any request."""
    now = now or timezone.now()
    limit = now - dt.timedelta(seconds=TIME_LIMIT_SECONDS)
    jobs = ReportArchive.objects.filter(course=course)
    expired = jobs.filter(status=Status.RUNNING, started_at__lt=limit).update(
        status=Status.FAILED,
        error=MESSAGES.text("reports.archive_abandoned"),
        finished_at=now,
    )
    expired += jobs.filter(status=Status.QUEUED, created_at__lt=limit).update(
        status=Status.FAILED,
        error=MESSAGES.text("reports.archive_never_started"),
        finished_at=now,
    )
    return expired


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


class ProgressWriter:
    """``progress(done)`` for ``write_course_zip``: writes the job's count when
    ``every_students`` more are in or ``every_seconds`` have passed since the last write."""

    def __init__(
        self,
        archive_id: int,
        *,
        every_students: int | None = None,
        every_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.archive_id = archive_id
        self.every_students = every_students or PROGRESS_EVERY_STUDENTS
        self.every_seconds = every_seconds or PROGRESS_EVERY_SECONDS
        self.clock = clock
        self.written = 0
        self.written_at = clock()

    def __call__(self, done: int) -> None:
        now = self.clock()
        due = done - self.written >= self.every_students
        if due or now - self.written_at >= self.every_seconds:
            ReportArchive.objects.filter(pk=self.archive_id).update(students_done=done)
            self.written, self.written_at = done, now


def archive_build(*, archive: ReportArchive) -> ReportArchive:
    """Build the claimed job's zip into the default storage; DONE, or FAILED and re-raised
    (a fault while storing leaves no file behind: what is in the storage is whole)."""
    wanted = f"reports/archives/{archive.pk}/relatorios-{slugify(archive.course.slug)}.zip"
    name = ""
    try:
        report = selectors.course_report(archive.course)
        total = len(report.students)
        ReportArchive.objects.filter(pk=archive.pk).update(students_total=total)
        with tempfile.SpooledTemporaryFile(max_size=ZIP_IN_MEMORY_BYTES) as out:
            course_zip.write_course_zip(report, out, progress=ProgressWriter(archive.pk))
            size = out.tell()
            out.seek(0)
            try:
                name = default_storage.save(wanted, File(out))
            except OSError as exc:
                _remove(wanted)  # a half-written file must not stay
                raise ArchiveStorageError(str(exc) or type(exc).__name__) from exc
    except ArchiveStorageError as exc:
        reason = MESSAGES.text("reports.archive_not_stored", detail=exc.detail)
        archive_fail(archive_id=archive.pk, reason=reason)
        raise
    except Exception as exc:
        detail = str(exc) or type(exc).__name__
        archive_fail(
            archive_id=archive.pk, reason=MESSAGES.text("reports.archive_failed", detail=detail)
        )
        raise
    finished = ReportArchive.objects.filter(pk=archive.pk, status=Status.RUNNING).update(
        status=Status.DONE,
        file=name,
        size=size,
        students_done=total,
        finished_at=timezone.now(),
    )
    if not finished:  # expired meanwhile (or finished by another claim): this file is no one's
        _remove(name)
    archive.refresh_from_db()
    if finished:
        _remove_older_files(archive)
    return archive


class ArchiveStorageError(OSError):
    """The zip was built but could not be written to the storage."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _remove(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError as exc:
        logger.warning("report archive file %s not removed: %s", name, exc)


def _remove_older_files(archive: ReportArchive) -> None:
    """The course's older zips leave the storage (they hold grades, and the newest replaces
    them); their rows stay, without a file, as the history of who asked when."""
    older = ReportArchive.objects.filter(
        course_id=archive.course_id, status=Status.DONE, pk__lt=archive.pk
    ).exclude(file="")
    for name in older.values_list("file", flat=True):
        _remove(name)
    older.update(file="")


def archive_fail(*, archive_id: int, reason: str) -> None:
    ReportArchive.objects.filter(pk=archive_id).exclude(status=Status.DONE).update(
        status=Status.FAILED, error=reason[:ERROR_MAX_CHARS], finished_at=timezone.now()
    )

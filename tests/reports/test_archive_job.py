"""The course zip as a background job: requested, claimed once, built into the default
storage with its progress, and failed (not stuck) when something goes wrong. The task runs
in this process, against the real database and storage."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from portal.celery import app
from portal.reports import services, tasks
from portal.reports.archive import INDEX_NAME, SUMMARY_NAME
from portal.reports.models import ReportArchive
from tests.review.test_review import graded_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested(carla, course, django_capture_on_commit_callbacks) -> ReportArchive:
    with django_capture_on_commit_callbacks() as sent:
        archive = services.archive_request(course=course, by=carla)
    assert len(sent) == 1  # the task is sent once the row is committed, not before
    return archive


def test_a_requested_zip_is_built_into_the_storage_with_every_students_pdf(
    alice, assignment, requested
) -> None:
    graded_run(assignment, alice, manual_pending=False)
    assert requested.status == ReportArchive.Status.QUEUED

    assert tasks.build_archive(requested.pk) == "done"

    requested.refresh_from_db()
    assert requested.status == ReportArchive.Status.DONE
    assert (requested.students_done, requested.students_total) == (1, 1)
    assert requested.finished_at is not None and not requested.error
    with default_storage.open(requested.file, "rb") as stored:
        data = stored.read()
    assert requested.size == len(data)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert SUMMARY_NAME in names and INDEX_NAME in names
    (pdf,) = [name for name in names if name.startswith("alunos/")]
    assert pdf.startswith("alunos/alice-aluna")
    assert zipfile.ZipFile(io.BytesIO(data)).read(pdf).startswith(b"%PDF")


def test_a_job_is_built_once_however_often_its_message_arrives(
    alice, assignment, requested
) -> None:
    graded_run(assignment, alice)
    assert tasks.build_archive(requested.pk) == "done"
    first = ReportArchive.objects.get(pk=requested.pk)

    assert tasks.build_archive(requested.pk) == "not-claimed"

    assert ReportArchive.objects.get(pk=requested.pk).file == first.file


def test_a_job_whose_worker_died_is_claimed_again_after_the_time_limit(requested) -> None:
    started = timezone.now()
    assert services.archive_claim(archive_id=requested.pk, now=started) is not None
    assert services.archive_claim(archive_id=requested.pk, now=started) is None  # still ours
    later = started + dt.timedelta(seconds=services.TIME_LIMIT_SECONDS + 1)

    assert services.archive_claim(archive_id=requested.pk, now=later) is not None


def test_a_job_that_cannot_be_stored_fails_with_the_reason(
    settings, alice, assignment, requested, tmp_path
) -> None:
    graded_run(assignment, alice)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocked

    with pytest.raises(OSError):
        tasks.build_archive(requested.pk)

    requested.refresh_from_db()
    assert requested.status == ReportArchive.Status.FAILED
    assert requested.error and requested.finished_at is not None


def test_the_task_goes_to_the_maintenance_queue_whatever_the_routes_say() -> None:
    task = tasks.build_archive
    sent = {**task._get_exec_options(), "queue": settings.MAINTENANCE_QUEUE}  # as _publish
    options = app.amqp.router.route(sent, task.name, task_type=task)
    assert options["queue"].name == settings.MAINTENANCE_QUEUE
    assert task.acks_late and task.soft_time_limit < task.time_limit

"""The course zip built by a real Celery worker of the maintenance queue (Redis broker, the
test database): asked for on the page, the message sent on commit, the panel polled until the
job is done, then the zip downloaded from the storage the worker wrote it to."""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.urls import reverse

from portal.reports.models import ReportArchive
from tests.factories import AssignmentFactory
from tests.grading.worker import *  # noqa: F403 - the worker fixtures (broker_url, scratch)
from tests.grading.worker import Worker, database_url, wait_for
from tests.reports import zips
from tests.reports.test_reports import enrolled

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def maintenance_worker(django_db_setup, broker_url, scratch) -> Iterator[Worker]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            "MEDIA_ROOT": str(scratch / "media"),
        }
    )
    worker = Worker(
        env=env,
        log=scratch / "maintenance.log",
        name="reports-test",
        args=["-Q", settings.MAINTENANCE_QUEUE],
    )
    yield worker
    worker.stop()


def test_a_worker_builds_the_zip_the_page_follows_and_the_admin_downloads(
    client,
    carla,
    course,
    scratch,
    settings,
    maintenance_worker,
) -> None:
    settings.MEDIA_ROOT = scratch / "media"  # the worker's storage
    AssignmentFactory(course=course, slug="semana-1")
    for n in range(3):
        enrolled(course, f"aluno{n}", f"Aluno {n}")
    client.force_login(carla)
    status_url = reverse("reports:archive_status", args=[course.slug])

    job = zips.ask(client, course)  # committed: the message goes to the maintenance queue
    seen = []

    def finished() -> bool:
        html = client.get(status_url).content.decode()
        seen.append(re.search(r'data-archive-state="(\w+)"', html).group(1))
        return seen[-1] in ("done", "failed")

    wait_for(finished, timeout=120, what="the zip job", interval=0.3)
    job.refresh_from_db()
    response = zips.download(client, job)

    assert seen[-1] == "done", maintenance_worker.output()[-3000:]
    assert set(seen) <= {"queued", "running", "done"}
    assert (job.status, job.students_done, job.students_total) == (ReportArchive.Status.DONE, 3, 3)
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert len([name for name in names if name.startswith("alunos/")]) == 3

"""The reports API: an admin asks for the course zip, follows the job and downloads it; the
same people as on the report pages may (admins only)."""

from __future__ import annotations

import io
import zipfile

from django.urls import reverse

from portal.reports import tasks
from portal.reports.models import ReportArchive
from tests.review.test_review import graded_run
from tests.support import graded_assignment

assignment, media_root = graded_assignment.assignment, graded_assignment.media_root

REQUEST = reverse("api:reports-archive-request", args=["mle"])


def job_url(pk: int) -> str:
    return reverse("api:reports-archive", args=[pk])


def test_an_admin_asks_for_the_zip_follows_the_job_and_downloads_it(
    bearer, carla, alice, assignment, django_capture_on_commit_callbacks
) -> None:
    graded_run(assignment, alice, manual_pending=False)
    admin = bearer(carla)

    with django_capture_on_commit_callbacks() as sent:
        asked = admin.post(REQUEST)
    job = asked.json()
    early = admin.get(reverse("api:reports-archive-download", args=[job["id"]]))
    tasks.build_archive(job["id"])  # what the maintenance worker does with the message
    done = admin.get(job["url"]).json()
    download = admin.get(done["download_url"])

    assert asked.status_code == 202 and len(sent) == 1
    assert (job["status"], job["course"], job["download_url"]) == ("queued", "mle", None)
    assert job["url"].endswith(job_url(job["id"]))
    assert (early.status_code, early.json()["error"]["id"]) == (409, "reports.archive_not_ready")
    assert (done["status"], done["students_done"], done["students_total"]) == ("done", 1, 1)
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert 'filename="relatorios-mle.zip"' in download["Content-Disposition"]
    data = b"".join(download.streaming_content)
    assert len(data) == done["size"]
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert [name for name in names if name.startswith("alunos/alice-aluna")]
    assert ReportArchive.objects.get().requested_by == carla


def test_instructors_get_403_and_students_and_outsiders_404(
    bearer, carla, bruno, alice, charlie, course
) -> None:
    archive = ReportArchive.objects.create(course=course, requested_by=carla)
    urls = [
        ("post", REQUEST),
        ("get", job_url(archive.pk)),
        ("get", reverse("api:reports-archive-download", args=[archive.pk])),
    ]
    for method, url in urls:
        assert getattr(bearer(bruno), method)(url).status_code == 403, url
        assert getattr(bearer(alice), method)(url).status_code == 404, url
        assert getattr(bearer(charlie), method)(url).status_code == 404, url
    assert bearer(carla).get(job_url(archive.pk + 1)).status_code == 404
    assert ReportArchive.objects.count() == 1


def test_a_token_without_manage_cannot_ask_for_the_zip(bearer, carla, course) -> None:
    refused = bearer(carla, "read").post(REQUEST)

    assert (refused.status_code, refused.json()["error"]["id"]) == (403, "api.scope_missing")
    assert not ReportArchive.objects.exists()

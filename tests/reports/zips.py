"""The course zip as an admin gets it: asked for on the page, built by the task (here, in this
process: what the maintenance worker does with the message), downloaded from the storage."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from portal.courses.models import Course
from portal.reports import tasks
from portal.reports.models import ReportArchive


def ask(client: Client, course: Course) -> ReportArchive:
    response = client.post(reverse("reports:archive_request", args=[course.slug]))
    assert response.status_code == 302, response
    return ReportArchive.objects.filter(course=course).first()


def download(client: Client, archive: ReportArchive):
    return client.get(reverse("reports:archive_download", args=[archive.course.slug, archive.pk]))


def built_zip(client: Client, course: Course) -> bytes:
    """Ask, build, download: the zip's bytes."""
    archive = ask(client, course)
    assert tasks.build_archive(archive.pk) == "done"
    response = download(client, archive)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return b"".join(response.streaming_content)

"""The API's reports endpoints (docs/api.md): the course's reports zip as a background job.

An admin asks for the zip (``POST``, answered 202 with the job), follows its progress
(``GET`` the job: students done of total) and downloads it once done. Only admins, as on the
report pages (``access``): a course's instructors 403, anyone else 404.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.urls import path
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.api import absolute_url, refuse
from portal.reports import access, services
from portal.reports.messages import ReportsRefused
from portal.reports.models import ReportArchive

ZIP = "application/zip"
# The zip holds grades: private caches only.
CACHE_CONTROL = "private, max-age=60"


class ArchiveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.CharField(source="course.slug")
    status = serializers.ChoiceField(choices=ReportArchive.Status.choices)
    students_done = serializers.IntegerField()
    students_total = serializers.IntegerField(allow_null=True, help_text="null until started")
    size = serializers.IntegerField(allow_null=True, help_text="Bytes, once done")
    error = serializers.CharField(help_text='What went wrong when failed, else ""')
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField(help_text="This job; poll it until status is done or failed")
    download_url = serializers.URLField(allow_null=True, help_text="Once done")


def _job(request: Request, archive: ReportArchive) -> dict:
    archive.url = absolute_url(request, "api:reports-archive", archive.pk)
    done = archive.status == ReportArchive.Status.DONE
    archive.download_url = (
        absolute_url(request, "api:reports-archive-download", archive.pk) if done else None
    )
    return ArchiveSerializer(archive).data


class ArchiveRequestView(APIView):
    write_scope = "manage"

    @extend_schema(
        summary="Ask for the course's reports zip (built in the background)",
        request=None,
        responses={202: ArchiveSerializer},
    )
    def post(self, request: Request, course_slug: str) -> Response:
        course = access.get_admin_course(request.user, course_slug)
        archive = services.archive_request(course=course, by=request.user)
        return Response(_job(request, archive), status=status.HTTP_202_ACCEPTED)


class ArchiveView(APIView):
    @extend_schema(
        summary="A reports zip job: its status and progress", responses=ArchiveSerializer
    )
    def get(self, request: Request, archive_id: int) -> Response:
        return Response(_job(request, access.get_archive_for_user(request.user, archive_id)))


class ArchiveDownloadView(APIView):
    @extend_schema(
        summary="The reports zip of a finished job",
        description="409 (reports.archive_not_ready) while the job is not done.",
        responses={
            (200, ZIP): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="relatorios-<course>.zip: every student's PDF, the course "
                "summary and index.csv",
            )
        },
    )
    def get(self, request: Request, archive_id: int) -> FileResponse:
        archive = access.get_archive_for_user(request.user, archive_id)
        if archive.status != ReportArchive.Status.DONE:
            raise refuse(
                ReportsRefused("reports.archive_not_ready", status=archive.get_status_display()),
                status.HTTP_409_CONFLICT,
            )
        # FileResponse streams the stored zip (local disk or the shared bucket) and closes it.
        response = FileResponse(
            default_storage.open(archive.file, "rb"),
            as_attachment=True,
            filename=f"relatorios-{slugify(archive.course.slug)}.zip",
            content_type=ZIP,
        )
        response["Cache-Control"] = CACHE_CONTROL
        return response


urlpatterns = [
    path(
        "courses/<slug:course_slug>/reports/archives/",
        ArchiveRequestView.as_view(),
        name="reports-archive-request",
    ),
    path("reports/archives/<int:archive_id>/", ArchiveView.as_view(), name="reports-archive"),
    path(
        "reports/archives/<int:archive_id>/download/",
        ArchiveDownloadView.as_view(),
        name="reports-archive-download",
    ),
]

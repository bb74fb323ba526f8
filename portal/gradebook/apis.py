"""The API's gradebook endpoints (docs/api.md): an assignment's rubric spreadsheet, the same
.xlsx the spreadsheet page exports (``export.assignment_workbook``).

Only the course's instructors and admins (``get_managed_assignment``: its students 403,
anyone else 404), as on the page.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from portal.assessments.selectors import get_managed_assignment
from portal.core.api import Download
from portal.gradebook import export as spreadsheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SpreadsheetView(APIView):
    content_negotiation_class = Download

    @extend_schema(
        summary="The assignment's rubric spreadsheet (.xlsx), as the page exports it",
        responses={
            (200, XLSX): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="An attachment (Content-Disposition) named "
                "planilha-<course>-<assignment>-<yyyymmdd-hhmm>.xlsx",
            )
        },
    )
    def get(self, request: Request, course_slug: str, slug: str) -> HttpResponse:
        course, assignment = get_managed_assignment(request.user, course_slug, slug)
        data = spreadsheet.workbook_bytes(spreadsheet.assignment_workbook(assignment))
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = HttpResponse(data, content_type=XLSX)
        response["Content-Disposition"] = (
            f'attachment; filename="planilha-{course.slug}-{assignment.slug}-{stamp}.xlsx"'
        )
        return response


urlpatterns = [
    path(
        "courses/<slug:course_slug>/assignments/<slug:slug>/spreadsheet/",
        SpreadsheetView.as_view(),
        name="gradebook-spreadsheet",
    )
]

"""The API's assignments: what a course asks for, its rubric, deadlines and downloads.

Students see what the pages show them (``selectors.get_visible_assignment`` and
``assignments_for_user``): the assignments of published weeks, or of no week; instructors
and admins of the course see every one. Anyone else gets a 404.
"""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.assessments import selectors, views
from portal.assessments.models import Assignment, AssignmentFile
from portal.core.api import Cursor, Download, absolute_url
from portal.courses.selectors import MANAGER_ROLES, get_course_for_user

# A link that may be absent (the schema says so: null, not "").
NULLABLE_URI = serializers.URLField(allow_null=True)


class _Linked(serializers.Serializer):
    """Gives its fields the request (``context["request"]``) to build absolute URLs."""

    def _url(self, name: str, *args: object) -> str:
        return absolute_url(self.context["request"], name, *args)


class AssignmentSerializer(_Linked):
    slug = serializers.SlugField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Assignment.Kind.choices)
    week = serializers.IntegerField(source="week.number", allow_null=True, default=None)
    due_at = serializers.DateTimeField()
    late_after = serializers.DateTimeField(
        help_text="Attempts after this moment are late (the due date plus the grace period)."
    )
    late_grace_minutes = serializers.IntegerField()
    late_penalty_percent_per_day = serializers.IntegerField()
    late_penalty_max_percent = serializers.IntegerField()
    hard_deadline_at = serializers.DateTimeField(
        allow_null=True, help_text="No attempt is accepted after it (null: none)."
    )
    min_seconds_between_attempts = serializers.IntegerField()
    max_upload_bytes = serializers.SerializerMethodField(
        help_text="The largest notebook accepted (null for projects, which send a repository)."
    )
    release_mode = serializers.ChoiceField(choices=Assignment.ReleaseMode.choices)
    grades_released = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    attempts_url = serializers.SerializerMethodField()
    notebook_url = serializers.SerializerMethodField(
        help_text="Download of the notebook to answer (null: none yet, or a project)."
    )
    page_url = serializers.SerializerMethodField(help_text="The assignment's page (HTML).")

    def get_max_upload_bytes(self, assignment: Assignment) -> int | None:
        if assignment.kind == Assignment.Kind.PROJECT:
            return None
        return selectors.max_upload_bytes(assignment)

    def get_grades_released(self, assignment: Assignment) -> bool:
        return selectors.grades_released(assignment)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, assignment: Assignment) -> str:
        return self._url("api:assignment-detail", assignment.course.slug, assignment.slug)

    @extend_schema_field(OpenApiTypes.URI)
    def get_attempts_url(self, assignment: Assignment) -> str:
        return self._url("api:attempt-list", assignment.course.slug, assignment.slug)

    @extend_schema_field(NULLABLE_URI)
    def get_notebook_url(self, assignment: Assignment) -> str | None:
        if not assignment.release_notebook:
            return None
        return self._url("api:assignment-notebook", assignment.course.slug, assignment.slug)

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, assignment: Assignment) -> str:
        return self._url("classroom:assignment", assignment.course.slug, assignment.slug)


class LevelSerializer(serializers.Serializer):
    points = serializers.FloatField()
    description = serializers.CharField()


class CriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.SlugField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    max_points = serializers.DecimalField(max_digits=6, decimal_places=2)
    order = serializers.IntegerField()
    manual = serializers.BooleanField(help_text="Graded by an instructor, not automatically.")
    automatic_check = serializers.CharField(
        source="check_name",
        allow_blank=True,
        help_text="For a project, the automatic check that fills it (reviewed by instructors).",
    )
    levels = LevelSerializer(many=True)


class DataFileSerializer(_Linked):
    name = serializers.CharField()
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, data: AssignmentFile) -> str:
        assignment = data.assignment
        return self._url("api:assignment-file", assignment.course.slug, assignment.slug, data.name)


class AssignmentDetailSerializer(AssignmentSerializer):
    criteria = CriterionSerializer(many=True, source="rubric")
    data_files = DataFileSerializer(many=True, help_text="Files the notebook reads (dados/).")
    bundle_url = serializers.SerializerMethodField(
        help_text="The notebook and its data files in one zip (null without data files)."
    )

    @extend_schema_field(NULLABLE_URI)
    def get_bundle_url(self, assignment: Assignment) -> str | None:
        if not assignment.release_notebook or not assignment.data_files:
            return None
        return self._url("api:assignment-bundle", assignment.course.slug, assignment.slug)


class AssignmentCursor(Cursor):
    ordering = ("due_at", "id")


class AssignmentListView(APIView):
    pagination_class = AssignmentCursor

    @extend_schema(
        responses=AssignmentSerializer(many=True), summary="The assignments the caller may see"
    )
    def get(self, request: Request, course_slug: str) -> Response:
        course, role = get_course_for_user(request.user, course_slug)
        # course.assignments: each row carries its course, no query per row for the URLs.
        assignments = selectors.assignments_for_user(
            request.user, course, manager=role in MANAGER_ROLES
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(assignments, request, view=self)
        data = AssignmentSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class AssignmentDetailView(APIView):
    @extend_schema(
        responses=AssignmentDetailSerializer, summary="An assignment, its rubric and deadlines"
    )
    def get(self, request: Request, course_slug: str, slug: str) -> Response:
        course, assignment, _manager = selectors.get_visible_assignment(
            request.user, course_slug, slug
        )
        assignment.course = course
        assignment.rubric = list(assignment.criteria.order_by("order", "pk"))
        assignment.data_files = selectors.data_files(assignment)
        for data in assignment.data_files:
            data.assignment = assignment  # the URLs need its slugs; no query per file
        return Response(AssignmentDetailSerializer(assignment, context={"request": request}).data)


class _Download(APIView):
    """A file of an assignment the caller may see, served as its page serves it."""

    content_negotiation_class = Download

    def assignment(self, request: Request, course_slug: str, slug: str) -> Assignment:
        _course, assignment, _manager = selectors.get_visible_assignment(
            request.user, course_slug, slug
        )
        return assignment


class AssignmentNotebookView(_Download):
    """The release notebook, so a script or Jupyter can fetch what it will answer."""

    @extend_schema(
        responses={(200, "application/x-ipynb+json"): OpenApiTypes.BINARY},
        summary="Download the notebook to answer (never the source)",
    )
    def get(self, request: Request, course_slug: str, slug: str) -> FileResponse:
        return views.release_response(self.assignment(request, course_slug, slug))


class AssignmentBundleView(_Download):
    @extend_schema(
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        summary="The notebook and its data files in one zip, as the grader lays them out",
    )
    def get(self, request: Request, course_slug: str, slug: str) -> HttpResponse:
        return views.bundle_response(self.assignment(request, course_slug, slug))


class AssignmentFileView(_Download):
    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="One data file the notebook reads (never the held-out files)",
    )
    def get(self, request: Request, course_slug: str, slug: str, name: str) -> FileResponse:
        return views.data_response(self.assignment(request, course_slug, slug), name)


urlpatterns = [
    path(
        "courses/<slug:course_slug>/assignments/",
        AssignmentListView.as_view(),
        name="assignment-list",
    ),
    path(
        "courses/<slug:course_slug>/assignments/<slug:slug>/",
        AssignmentDetailView.as_view(),
        name="assignment-detail",
    ),
    path(
        "courses/<slug:course_slug>/assignments/<slug:slug>/notebook/",
        AssignmentNotebookView.as_view(),
        name="assignment-notebook",
    ),
    path(
        "courses/<slug:course_slug>/assignments/<slug:slug>/bundle/",
        AssignmentBundleView.as_view(),
        name="assignment-bundle",
    ),
    path(
        "courses/<slug:course_slug>/assignments/<slug:slug>/files/<str:name>",
        AssignmentFileView.as_view(),
        name="assignment-file",
    ),
]

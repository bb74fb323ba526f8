"""The API's courses and weeks, and ``me``: who the credential is, in which courses, with
which token scopes.

Who sees what is ``courses.selectors``' (as on the pages): a course only to its people (404
for everyone else), a week to students only from its publish time.
"""

from __future__ import annotations

from django.http import FileResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.api import Cursor, Download, ListCursor, absolute_url, token_of
from portal.courses import selectors, views
from portal.courses.models import Course, Material, Week
from portal.courses.selectors import course_roles

ROLES = ["student", "instructor", "admin"]


# -- me ---------------------------------------------------------------------------------------


class MeCourseSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    role = serializers.ChoiceField(choices=ROLES)


class TokenInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    is_admin = serializers.BooleanField()
    courses = MeCourseSerializer(many=True)
    token = TokenInfoSerializer(allow_null=True, help_text="null when signed in by the session")


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="Who this credential is")
    def get(self, request: Request) -> Response:
        user = request.user
        token = token_of(request)
        return Response(
            MeSerializer(
                {
                    "id": user.pk,
                    "username": user.username,
                    "name": user.display_name,
                    "email": user.email,
                    "is_admin": user.is_admin,
                    "courses": [
                        {"slug": course.slug, "title": course.title, "role": role}
                        for course, role in course_roles(user)
                    ],
                    "token": token,
                }
            ).data
        )


# -- courses ----------------------------------------------------------------------------------


class CourseSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)
    start_date = serializers.DateField()
    timezone = serializers.CharField()
    role = serializers.ChoiceField(choices=ROLES, help_text="The caller's role in the course.")
    url = serializers.SerializerMethodField()
    weeks_url = serializers.SerializerMethodField()
    assignments_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, row: dict) -> str:
        return absolute_url(self.context["request"], "api:course-detail", row["slug"])

    @extend_schema_field(OpenApiTypes.URI)
    def get_weeks_url(self, row: dict) -> str:
        return absolute_url(self.context["request"], "api:week-list", row["slug"])

    @extend_schema_field(OpenApiTypes.URI)
    def get_assignments_url(self, row: dict) -> str:
        return absolute_url(self.context["request"], "api:assignment-list", row["slug"])


class CoursePageSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    page_url = serializers.URLField(help_text="The page in the portal (HTML).")


class CourseDetailSerializer(CourseSerializer):
    current_week = serializers.IntegerField(help_text="Week of the calendar today (0 before).")
    pages = CoursePageSerializer(many=True)


def _course_row(course: Course, role: str) -> dict:
    return {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "start_date": course.start_date,
        "timezone": course.timezone,
        "role": role,
    }


class CourseCursor(ListCursor):
    """Courses in the order of the pages (by start date), keyed so a key never repeats."""

    def __init__(self) -> None:
        super().__init__(key=lambda row: f"{row['start_date'].isoformat()}/{row['slug']}")


class CourseListView(APIView):
    pagination_class = CourseCursor

    @extend_schema(responses=CourseSerializer(many=True), summary="The caller's courses")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        rows = [_course_row(course, role) for course, role in course_roles(request.user)]
        page = paginator.paginate(rows, request)
        data = CourseSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class CourseDetailView(APIView):
    @extend_schema(responses=CourseDetailSerializer, summary="A course, with the caller's role")
    def get(self, request: Request, course_slug: str) -> Response:
        course, role = selectors.get_course_for_user(request.user, course_slug)
        row = {
            **_course_row(course, role),
            "current_week": selectors.current_week_number(course),
            "pages": [
                {
                    "slug": page.slug,
                    "title": page.title,
                    "page_url": absolute_url(request, "courses:page", course.slug, page.slug),
                }
                for page in course.pages.only("slug", "title")
            ],
        }
        return Response(CourseDetailSerializer(row, context={"request": request}).data)


# -- weeks ------------------------------------------------------------------------------------


class WeekSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)
    publish_at = serializers.DateTimeField(
        allow_null=True, help_text="null: not published (only instructors see it)."
    )
    published = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_published(self, week: Week) -> bool:
        return week.is_published()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, week: Week) -> str:
        return absolute_url(
            self.context["request"], "api:week-detail", week.course.slug, week.number
        )


class MaterialSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Material.Kind.choices)
    description = serializers.CharField(allow_blank=True)
    url = serializers.SerializerMethodField(
        help_text="A link's address, or the portal's download of a file."
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, material: Material) -> str:
        if material.kind == Material.Kind.FILE:
            course = material.week.course
            return absolute_url(self.context["request"], "api:material", course.slug, material.pk)
        return material.url


class SessionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    teams_url = serializers.URLField(allow_blank=True)


class WeekDetailSerializer(WeekSerializer):
    theory_md = serializers.CharField(help_text="The theory class, as Markdown text.")
    practice_md = serializers.CharField(allow_blank=True)
    materials = MaterialSerializer(many=True, source="materials.all")
    sessions = SessionSerializer(many=True, source="sessions.all")
    assignments = serializers.ListField(
        child=serializers.SlugField(),
        source="assignment_slugs",
        help_text="Slugs of the week's assignments.",
    )


class WeekCursor(Cursor):
    ordering = "number"


class WeekListView(APIView):
    pagination_class = WeekCursor

    @extend_schema(responses=WeekSerializer(many=True), summary="The weeks the caller may see")
    def get(self, request: Request, course_slug: str) -> Response:
        course, role = selectors.get_course_for_user(request.user, course_slug)
        # course.weeks: each row carries its course, no query per row for the URLs.
        weeks = selectors.weeks_for_user(
            request.user, course, manager=role in selectors.MANAGER_ROLES
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(weeks, request, view=self)
        data = WeekSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class WeekDetailView(APIView):
    @extend_schema(responses=WeekDetailSerializer, summary="A week: content and materials")
    def get(self, request: Request, course_slug: str, number: int) -> Response:
        course, role = selectors.get_course_for_user(request.user, course_slug)
        week = selectors.get_week_for_user(
            request.user, course, number, manager=role in selectors.MANAGER_ROLES
        )
        week.course = course  # the URLs need its slug; no second query
        # A week's assignments are visible with the week (assessments.selectors); only their
        # slugs here, read through the relation: courses does not import assessments.
        week.assignment_slugs = list(
            week.assignments.order_by("order", "due_at").values_list("slug", flat=True)
        )
        for material in week.materials.all():
            material.week = week
        return Response(WeekDetailSerializer(week, context={"request": request}).data)


class MaterialView(APIView):
    content_negotiation_class = Download

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        summary="Download a material file of a week the caller may see",
    )
    def get(self, request: Request, course_slug: str, material_id: int) -> FileResponse:
        return views.material_response(request.user, course_slug, material_id)


urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("courses/", CourseListView.as_view(), name="course-list"),
    path("courses/<slug:course_slug>/", CourseDetailView.as_view(), name="course-detail"),
    path("courses/<slug:course_slug>/weeks/", WeekListView.as_view(), name="week-list"),
    path(
        "courses/<slug:course_slug>/weeks/<int:number>/",
        WeekDetailView.as_view(),
        name="week-detail",
    ),
    path(
        "courses/<slug:course_slug>/materials/<int:material_id>/",
        MaterialView.as_view(),
        name="material",
    ),
]

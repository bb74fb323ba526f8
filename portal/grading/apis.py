"""The API's grading endpoints (docs/api.md): grade an assignment's attempts again (all of
them, or one), the progress of its latest batch for a script that waits for the class, and
every student's latest attempt (who sent nothing included), as the grading page lists them.

Only the course's instructors and admins (``get_managed_assignment``: its students 403,
anyone else 404), as on the grading page; re-runs go through ``services`` like the page's.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.assessments.selectors import get_managed_assignment
from portal.core.api import ListCursor
from portal.grading import selectors, services
from portal.grading.models import GradingRun
from portal.submissions.models import Submission

NOT_SENT = "not_sent"


class RerunAllSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="Attempts sent back to the grading queue")


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    submission_id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=GradingRun.Status.choices)
    queued_at = serializers.DateTimeField()


class ProgressSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="Includes attempts with no run yet")
    running = serializers.IntegerField()
    waiting = serializers.IntegerField(help_text="An infrastructure fault; retried")
    done = serializers.IntegerField()
    error = serializers.IntegerField(help_text="Final but not graded: an instructor acts")
    total = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="queued + running + waiting")
    final = serializers.BooleanField(help_text="Nothing pending: stop polling")


class AssignmentRerunView(APIView):
    write_scope = "manage"

    @extend_schema(
        summary="Grade every student's latest attempt again",
        request=None,
        responses={202: RerunAllSerializer},
    )
    def post(self, request: Request, course_slug: str, slug: str) -> Response:
        _course, assignment = get_managed_assignment(request.user, course_slug, slug)
        count = services.assignment_rerun(assignment=assignment, requested_by=request.user)
        return Response(RerunAllSerializer({"queued": count}).data, status=status.HTTP_202_ACCEPTED)


class AttemptRerunView(APIView):
    write_scope = "manage"

    @extend_schema(
        summary="Grade one attempt again (earlier runs are kept)",
        request=None,
        responses={202: RunSerializer},
    )
    def post(
        self, request: Request, course_slug: str, slug: str, student_id: int, attempt: int
    ) -> Response:
        _course, assignment = get_managed_assignment(request.user, course_slug, slug)
        submission = selectors.get_attempt(assignment, student_id, attempt)
        if submission is None:
            raise Http404("attempt")
        run = services.submission_rerun(submission=submission, requested_by=request.user)
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class ProgressView(APIView):
    @extend_schema(
        summary="The latest batch's progress: attempts by the status of their newest run",
        responses=ProgressSerializer,
    )
    def get(self, request: Request, course_slug: str, slug: str) -> Response:
        _course, assignment = get_managed_assignment(request.user, course_slug, slug)
        counts = selectors.assignment_progress(assignment)
        pending = sum(counts[state] for state in selectors.PENDING_STATUSES)
        return Response(
            ProgressSerializer({**counts, "pending": pending, "final": pending == 0}).data
        )


class StudentsQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[NOT_SENT, *Submission.Status.values],
        required=False,
        help_text="Only students whose latest attempt has this status (not_sent: none yet)",
    )


class StudentAttemptSerializer(serializers.Serializer):
    student_id = serializers.IntegerField(allow_null=True, help_text="null: never signed in")
    name = serializers.CharField()
    email = serializers.CharField()
    status = serializers.CharField(help_text="The latest attempt's status, or not_sent")
    attempt = serializers.IntegerField(source="submission.attempt", allow_null=True)
    submitted_at = serializers.DateTimeField(source="submission.submitted_at", allow_null=True)
    late = serializers.BooleanField(source="submission.is_late", allow_null=True)
    points = serializers.DecimalField(
        source="submission.done_total", max_digits=7, decimal_places=2, allow_null=True
    )
    max_points = serializers.DecimalField(
        source="submission.done_max_total", max_digits=7, decimal_places=2, allow_null=True
    )
    error = serializers.CharField(source="submission.run_error", allow_null=True)


class StudentsPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StudentAttemptSerializer(many=True)


class StudentsView(APIView):
    @extend_schema(
        summary="Every student of the course with their latest attempt (or none)",
        parameters=[StudentsQuerySerializer],
        responses=StudentsPageSerializer,
    )
    def get(self, request: Request, course_slug: str, slug: str) -> Response:
        course, assignment = get_managed_assignment(request.user, course_slug, slug)
        query = StudentsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data.get("status")
        rows = []
        for position, row in enumerate(selectors.assignment_student_rows(course, assignment)):
            state = row.submission.status if row.submission else NOT_SENT
            if wanted in (None, state):
                rows.append({**vars(row), "status": state, "position": position})
        # In the page's order (by name); the cursor is the row's place in it.
        pager = ListCursor(key=lambda row: row["position"])
        page = pager.paginate(rows, request)
        return pager.get_paginated_response(StudentAttemptSerializer(page, many=True).data)


assignment_path = "courses/<slug:course_slug>/assignments/<slug:slug>/"

urlpatterns = [
    path(assignment_path + "rerun/", AssignmentRerunView.as_view(), name="grading-rerun"),
    path(
        assignment_path + "students/<int:student_id>/attempts/<int:attempt>/rerun/",
        AttemptRerunView.as_view(),
        name="grading-attempt-rerun",
    ),
    path(assignment_path + "progress/", ProgressView.as_view(), name="grading-progress"),
    path(assignment_path + "students/", StudentsView.as_view(), name="grading-students"),
]

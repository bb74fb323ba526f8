"""The API's grading endpoints (docs/api.md): grade an assignment's attempts again (all of
them, or one), and the progress of its latest batch for a script that waits for the class.

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
from portal.grading import selectors, services
from portal.grading.models import GradingRun


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


assignment_path = "courses/<slug:course_slug>/assignments/<slug:slug>/"

urlpatterns = [
    path(assignment_path + "rerun/", AssignmentRerunView.as_view(), name="grading-rerun"),
    path(
        assignment_path + "students/<int:student_id>/attempts/<int:attempt>/rerun/",
        AttemptRerunView.as_view(),
        name="grading-attempt-rerun",
    ),
    path(assignment_path + "progress/", ProgressView.as_view(), name="grading-progress"),
]

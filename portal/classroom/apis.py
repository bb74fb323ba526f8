"""The API's attempts: a person's attempts at an assignment, their grade and graded notebook,
and regrade requests.

Composed here like the attempt pages (``views.py``), above every app they read: who may see
the assignment is ``assessments.selectors``', which attempt ``submissions.selectors``' (a
student only her own, a manager anyone's with ``?student=<id>``, like the pages' ``?aluno=``),
whether its grade is visible ``grading.selectors.submission_result``'s. Attempts are written
by ``grading.services`` and regrade requests by ``review.services``, as from the pages.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts.models import User
from portal.assessments import selectors as assessment_selectors
from portal.assessments.models import Assignment
from portal.classroom.messages import InputMissing
from portal.core import metrics
from portal.core.api import Cursor, FieldsRefused, absolute_url, refuse
from portal.core.middleware import arrived_at
from portal.grading import notebook_view, scoring
from portal.grading import selectors as grading_selectors
from portal.grading import services as grading_services
from portal.review import selectors as review_selectors
from portal.review import services as review_services
from portal.review.messages import RegradeError
from portal.submissions import selectors
from portal.submissions.messages import OURS, UploadRejected
from portal.submissions.models import Submission

STUDENT = OpenApiParameter(
    "student",
    int,
    description="Instructors and admins: whose attempts (a user id). Ignored for students.",
)


# -- who and which ----------------------------------------------------------------------------


def _student_id(request: Request, manager: bool) -> int | None:
    """A manager's ``?student=``; 404 when it is not a number, as the pages' ``?aluno=``."""
    try:
        return int(request.query_params.get("student", "")) if manager else None
    except ValueError:
        raise Http404("student") from None


def _attempt(
    request: Request, course_slug: str, slug: str, attempt: int
) -> tuple[Submission, bool]:
    _course, assignment, manager = assessment_selectors.get_visible_assignment(
        request.user, course_slug, slug
    )
    submission = selectors.get_submission_for_user(
        request.user,
        assignment,
        attempt,
        manager=manager,
        student_id=_student_id(request, manager),
    )
    return submission, manager


def attempt_link(
    request: Request, name: str, submission: Submission, *, manager: bool, query: str = "student"
) -> str:
    """An absolute link to ``submission``'s ``name``; a manager's names its student."""
    assignment = submission.assignment
    url = absolute_url(request, name, assignment.course.slug, assignment.slug, submission.attempt)
    return f"{url}?{query}={submission.student_id}" if manager else url


# -- serializers ------------------------------------------------------------------------------


class AttemptSerializer(serializers.Serializer):
    """``context``: the request, and ``manager`` (links then name the student)."""

    number = serializers.IntegerField(source="attempt")
    student_id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=Submission.Status.choices,
        help_text="waiting: our grader is down and it will be retried; error: we could not "
        "grade it (instructors are told). graded and error are final.",
    )
    status_label = serializers.CharField(source="get_status_display")
    submitted_at = serializers.DateTimeField()
    late = serializers.BooleanField(source="is_late")
    original_name = serializers.CharField()
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField(allow_blank=True, help_text="Of the notebook sent.")
    repo_url = serializers.CharField(allow_blank=True)
    repo_ref = serializers.CharField(allow_blank=True)
    commit_sha = serializers.CharField(allow_blank=True, help_text="The commit graded.")
    url = serializers.SerializerMethodField(help_text="This attempt: its status and grade.")
    page_url = serializers.SerializerMethodField(help_text="The attempt's page (HTML).")

    def _link(self, name: str, submission: Submission, query: str = "student") -> str:
        request, manager = self.context["request"], self.context["manager"]
        return attempt_link(request, name, submission, manager=manager, query=query)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, submission: Submission) -> str:
        return self._link("api:attempt-detail", submission)

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, submission: Submission) -> str:
        return self._link("classroom:submission", submission, "aluno")


class AttemptScoreSerializer(serializers.Serializer):
    criterion_id = serializers.IntegerField()
    key = serializers.CharField(source="criterion.key")
    title = serializers.CharField(source="criterion.title")
    points = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True, help_text="null: an instructor's to give."
    )
    max_points = serializers.DecimalField(max_digits=6, decimal_places=2)
    justification = serializers.CharField()
    source = serializers.CharField(help_text="auto, or manual (an instructor's).")
    evidence = serializers.ListField(child=serializers.JSONField())


class AttemptRegradeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    criterion_id = serializers.IntegerField()
    criterion = serializers.CharField(source="criterion.title")
    reason = serializers.CharField()
    status = serializers.CharField(help_text="open, accepted or rejected.")
    response = serializers.CharField(allow_blank=True, help_text="The instructor's answer.")
    created_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


class GradeSerializer(serializers.Serializer):
    total = serializers.DecimalField(
        max_digits=7, decimal_places=2, allow_null=True, help_text="After the late penalty."
    )
    raw_total = serializers.DecimalField(
        max_digits=7, decimal_places=2, allow_null=True, help_text="The criteria's points."
    )
    max_total = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    late_days = serializers.IntegerField()
    penalty_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    penalty_points = serializers.DecimalField(max_digits=7, decimal_places=2)
    penalty_line = serializers.CharField(allow_blank=True)
    grade_status = serializers.CharField(
        allow_blank=True,
        help_text="graded; timeout or oom when a sandbox limit stopped the run (what ran "
        "is scored); invalid for an unusable notebook.",
    )
    message = serializers.CharField(allow_blank=True, help_text="The grader's note, if any.")
    cells_restored = serializers.BooleanField(
        help_text="Protected cells (tests, locked cells) were graded as published."
    )
    criteria = AttemptScoreSerializer(many=True)
    regrade_requests = AttemptRegradeSerializer(many=True)


class AttemptDetailSerializer(AttemptSerializer):
    final = serializers.BooleanField(help_text="graded or error: nothing will change it.")
    requeued = serializers.BooleanField(
        help_text="Queued again after a try that did not end (graded once, no need to resend)."
    )
    released = serializers.BooleanField(help_text="May the caller see its grade.")
    grade = GradeSerializer(
        allow_null=True, help_text="null until graded and released to the caller."
    )
    feedback_url = serializers.URLField(
        allow_null=True, help_text="The graded notebook (JSON), when there is one to see."
    )


class NotebookUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The .ipynb (multipart/form-data).")


class RepositorySerializer(serializers.Serializer):
    url = serializers.CharField(max_length=300, help_text="https://github.com/<owner>/<repo>")
    ref = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Branch, tag or commit (default: the repository's default branch).",
    )


class FeedbackSerializer(serializers.Serializer):
    copy = serializers.ChoiceField(
        choices=["student", "staff"], help_text="staff: the instructors' copy, hidden tests in."
    )
    notebook = serializers.JSONField(help_text="The graded notebook, nbformat 4 JSON.")
    cell_results = serializers.ListField(
        child=serializers.JSONField(), help_text="Each grade cell's result."
    )


class RegradeInSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(help_text="The criterion's id (see the grade).")
    reason = serializers.CharField(allow_blank=True, default="")


# -- attempts ---------------------------------------------------------------------------------


class AttemptCursor(Cursor):
    ordering = "-attempt"


class AttemptListView(APIView):
    pagination_class = AttemptCursor
    write_scope = "submit"

    @extend_schema(
        parameters=[STUDENT],
        responses=AttemptSerializer(many=True),
        summary="The caller's attempts, newest first",
    )
    def get(self, request: Request, course_slug: str, slug: str) -> Response:
        _course, assignment, manager = assessment_selectors.get_visible_assignment(
            request.user, course_slug, slug
        )
        attempts = selectors.attempts_for_user(
            request.user, assignment, manager=manager, student_id=_student_id(request, manager)
        ).select_related("assignment__course")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(attempts, request, view=self)
        context = {"request": request, "manager": manager}
        return paginator.get_paginated_response(
            AttemptSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        request={
            "multipart/form-data": NotebookUploadSerializer,
            "application/json": RepositorySerializer,
        },
        responses={201: AttemptSerializer},
        summary="Send an attempt: a notebook (file) or, for a project, a repository (url)",
    )
    def post(self, request: Request, course_slug: str, slug: str) -> Response:
        _course, assignment, _manager = assessment_selectors.get_visible_assignment(
            request.user, course_slug, slug
        )
        # A manager is refused by the service (upload.not_student), as on the page.
        try:
            submission = _submit(request, assignment)
        except UploadRejected as exc:
            metrics.upload_refused(kind=assignment.kind, reason=exc.message_id)
            # A service of ours that did not answer is a 503: the student did nothing wrong.
            code = status.HTTP_503_SERVICE_UNAVAILABLE if exc.message_id in OURS else 400
            raise refuse(exc, code) from exc
        metrics.upload_accepted(kind=assignment.kind)
        data = AttemptSerializer(submission, context={"request": request, "manager": False}).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


def _submit(request: Request, assignment: Assignment) -> Submission:
    student: User = request.user
    now = arrived_at(request)  # the student's time, not the server's
    if assignment.kind == Assignment.Kind.PROJECT:
        if not request.data.get("url"):
            raise FieldsRefused(url=InputMissing("attempt.url_required"))
        body = RepositorySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return grading_services.project_attempt_submit(
            assignment=assignment, student=student, now=now, **body.validated_data
        )
    upload = request.data.get("file")
    if not isinstance(upload, UploadedFile):
        raise FieldsRefused(file=InputMissing("attempt.file_required"))
    return grading_services.attempt_submit(
        assignment=assignment, student=student, upload=upload, now=now
    )


class AttemptDetailView(APIView):
    @extend_schema(
        parameters=[STUDENT],
        responses=AttemptDetailSerializer,
        summary="An attempt: its status, and its grade once released",
    )
    def get(self, request: Request, course_slug: str, slug: str, attempt: int) -> Response:
        submission, manager = _attempt(request, course_slug, slug, attempt)
        result = grading_selectors.submission_result(submission, manager=manager)
        run = result.run
        submission.final, submission.requeued = result.final, result.again
        submission.released, submission.grade, submission.feedback_url = result.released, None, None
        if run is not None:  # graded, and its grade visible to this caller
            grade = scoring.grade_of(run)
            submission.grade = {
                "total": grade.total,
                "raw_total": grade.raw_total,
                "max_total": grade.max_total,
                "late_days": grade.late_days,
                "penalty_percent": grade.penalty_percent,
                "penalty_points": grade.penalty_points,
                "penalty_line": grade.penalty_line,
                "grade_status": run.grade_status,
                "message": run.message,
                "cells_restored": bool(run.tampered),
                "criteria": result.scores,
                "regrade_requests": review_selectors.regrade_requests(submission),
            }
            notebook, _staff = notebook_view.feedback_copy(run, manager=manager)
            if notebook is not None:
                submission.feedback_url = attempt_link(
                    request, "api:attempt-feedback", submission, manager=manager
                )
        context = {"request": request, "manager": manager}
        return Response(AttemptDetailSerializer(submission, context=context).data)


class AttemptFeedbackView(APIView):
    @extend_schema(
        parameters=[STUDENT],
        responses=FeedbackSerializer,
        summary="The graded notebook the caller may see (404 before it is graded and released)",
    )
    def get(self, request: Request, course_slug: str, slug: str, attempt: int) -> Response:
        submission, manager = _attempt(request, course_slug, slug, attempt)
        run = grading_selectors.submission_result(submission, manager=manager).run
        if run is None:  # not graded yet, or its grade not released to this caller
            raise Http404("feedback")
        notebook, staff = notebook_view.feedback_copy(run, manager=manager)
        if notebook is None:  # a project, or a run from before notebooks were stored
            raise Http404("feedback")
        return Response(
            FeedbackSerializer(
                {
                    "copy": "staff" if staff else "student",
                    "notebook": notebook,
                    "cell_results": run.cell_results,
                }
            ).data
        )


class RegradeRequestView(APIView):
    write_scope = "submit"

    @extend_schema(
        request=RegradeInSerializer,
        responses={201: AttemptRegradeSerializer},
        summary="Ask for one criterion of a released grade to be looked at again",
    )
    def post(self, request: Request, course_slug: str, slug: str, attempt: int) -> Response:
        submission, manager = _attempt(request, course_slug, slug, attempt)
        if manager:
            raise Http404("regrade")  # as on the page: instructors answer requests, not file them
        if request.data.get("criterion") in (None, ""):
            raise FieldsRefused(criterion=InputMissing("attempt.criterion_required"))
        body = RegradeInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = grading_selectors.submission_result(submission, manager=False)
        if result.run is None:
            raise RegradeError("regrade.not_released")
        wanted = body.validated_data["criterion"]
        criterion = next((s.criterion for s in result.scores if s.criterion_id == wanted), None)
        if criterion is None:
            raise RegradeError("regrade.unknown_criterion")
        regrade = review_services.regrade_request(
            run=result.run,
            criterion=criterion,
            student=request.user,
            reason=body.validated_data["reason"],
        )
        return Response(AttemptRegradeSerializer(regrade).data, status=status.HTTP_201_CREATED)


attempts = "courses/<slug:course_slug>/assignments/<slug:slug>/attempts/"
attempt = attempts + "<int:attempt>/"

urlpatterns = [
    path(attempts, AttemptListView.as_view(), name="attempt-list"),
    path(attempt, AttemptDetailView.as_view(), name="attempt-detail"),
    path(attempt + "feedback/", AttemptFeedbackView.as_view(), name="attempt-feedback"),
    path(attempt + "regrade-requests/", RegradeRequestView.as_view(), name="regrade-request-list"),
]

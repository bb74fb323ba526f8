"""The API's review endpoints (docs/api.md): an assignment's review queue, one student's
counting run with its history, score changes, releasing grades, regrade requests and re-run
differences.

The same rules as the review pages (``views.py``): ``get_managed_assignment`` lets in the
course's instructors and admins (its students get a 403, anyone else a 404), and every change
goes through ``services`` (or ``rerun``), so the audit history is the one the pages write.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.assessments.models import Assignment
from portal.assessments.selectors import get_managed_assignment, grades_released
from portal.core.api import ListCursor, error_body, field_errors
from portal.core.messages import UserError
from portal.grading import scoring
from portal.grading import selectors as grading_selectors
from portal.grading.models import CriterionScore, GradingRun
from portal.review import rerun
from portal.review import selectors as review_selectors
from portal.review import services as review
from portal.review.messages import ReviewRefused, ScoreError

QUERY_MAX_CHARS = 100  # as the queue page's search box


def _points(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True, **kwargs)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


# -- the queue ----------------------------------------------------------------------------------


class QueueQuerySerializer(serializers.Serializer):
    filter = serializers.ChoiceField(
        choices=list(review_selectors.QUEUE_FILTERS), required=False, default="todas"
    )
    q = serializers.CharField(required=False, default="", allow_blank=True)


class QueueRowSerializer(serializers.Serializer):
    student_id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    submission_id = serializers.IntegerField(source="run.submission_id")
    attempt = serializers.IntegerField(
        source="run.submission.attempt", help_text="The one that counts"
    )
    status = serializers.CharField(source="run.submission.status")
    submitted_at = serializers.DateTimeField(source="run.submission.submitted_at")
    run_id = serializers.IntegerField()
    points = _points(source="grade.total", help_text="After the late policy")
    raw_points = _points(source="grade.raw_total")
    max_points = _points(source="grade.max_total")
    late_days = serializers.IntegerField(source="grade.late_days")
    needs_review = serializers.BooleanField(help_text="A criterion waits for an instructor")
    waits = serializers.BooleanField(help_text="Manual criteria, regrade requests or conflicts")
    open_regrades = serializers.IntegerField()
    open_conflicts = serializers.IntegerField(help_text="Criteria a re-run changed, undecided")
    tampered = serializers.IntegerField(help_text="Tampering findings on the counting run")


class QueueSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Graded attempts, whatever the filter")
    waiting = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    released = serializers.BooleanField()
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows each filter keeps for this search"
    )


class QueuePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = QueueRowSerializer(many=True)
    summary = QueueSummarySerializer()


class ReviewQueueView(APIView):
    @extend_schema(
        operation_id="review-queue",
        summary="The review queue of an assignment",
        description="One row per student with a graded attempt (the attempt that counts), "
        "ordered by student id; `filter` and `q` as on the queue page.",
        parameters=[
            QueueQuerySerializer,
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next`"),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Up to 200"),
        ],
        responses=QueuePageSerializer,
    )
    def get(self, request: Request, course_slug: str, slug: str) -> Response:
        _course, assignment = get_managed_assignment(request.user, course_slug, slug)
        query = QueueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = review_selectors.review_queue(assignment)
        shown, counts = review_selectors.queue_filtered(
            rows,
            kind=query.validated_data["filter"],
            query=query.validated_data["q"][:QUERY_MAX_CHARS],
        )
        pager = ListCursor(key=lambda row: row.student_id)
        page = review_selectors.queue_rows_load(assignment, pager.paginate(shown, request))
        response = pager.get_paginated_response(QueueRowSerializer(page, many=True).data)
        response.data["summary"] = QueueSummarySerializer(
            {
                "total": len(rows),
                "waiting": sum(1 for row in rows if row.waits),
                "conflicts": sum(row.open_conflicts for row in rows),
                "released": grades_released(assignment),
                "counts": counts,
            }
        ).data
        return response


# -- one student's counting run ---------------------------------------------------------------


class ScoreSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    criterion = serializers.IntegerField(source="criterion.pk")
    criterion_key = serializers.CharField(source="criterion.key")
    criterion_title = serializers.CharField(source="criterion.title")
    manual = serializers.BooleanField(source="criterion.manual")
    points = _points(help_text="null: waits for an instructor")
    auto_points = _points()
    max_points = _points()
    justification = serializers.CharField()
    source = serializers.ChoiceField(choices=CriterionScore.Source.choices)
    set_by = PersonSerializer(
        allow_null=True, help_text="Who changed it last; null: as the grader left it"
    )


class HistorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.IntegerField(source="score.pk")
    criterion = serializers.IntegerField(source="score.criterion.pk")
    criterion_title = serializers.CharField(source="score.criterion.title")
    run_number = serializers.IntegerField(source="score.run.number")
    by = PersonSerializer(source="changed_by", allow_null=True)
    changed_at = serializers.DateTimeField()
    points_before = _points()
    points_after = _points()
    justification_before = serializers.CharField()
    justification_after = serializers.CharField()
    reason = serializers.CharField()
    source = serializers.CharField()


class RegradeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    run_id = serializers.IntegerField()
    criterion = serializers.IntegerField(source="criterion.pk")
    criterion_title = serializers.CharField(source="criterion.title")
    reason = serializers.CharField()
    status = serializers.CharField()
    response = serializers.CharField()
    responded_by = PersonSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


class ConflictSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.IntegerField(source="score_id")
    criterion = serializers.IntegerField(source="score.criterion_id")
    previous_auto_points = _points(help_text="What the grader gave before the re-run")
    auto_points = _points(help_text="What the re-run gives")
    points = _points(source="score.points", help_text="In effect until someone decides")
    auto_justification = serializers.CharField()
    created_at = serializers.DateTimeField()
    resolution = serializers.CharField(help_text='"" while open')
    resolved_at = serializers.DateTimeField(allow_null=True)


class StudentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    email = serializers.CharField()


class ReviewDetailSerializer(serializers.Serializer):
    student = StudentSerializer()
    submission_id = serializers.IntegerField()
    attempt = serializers.IntegerField()
    run_id = serializers.IntegerField()
    run_number = serializers.IntegerField()
    points = _points(help_text="After the late policy")
    raw_points = _points()
    max_points = _points()
    late_days = serializers.IntegerField()
    penalty_percent = _points()
    released = serializers.BooleanField()
    scores = ScoreSerializer(many=True)
    history = HistorySerializer(many=True, help_text="Newest first, across the attempt's runs")
    regrade_requests = RegradeSerializer(many=True)
    conflicts = ConflictSerializer(many=True, help_text="Open re-run differences")


def _counting_run(assignment: Assignment, student_id: int) -> GradingRun:
    run = grading_selectors.counting_run(assignment, student_id)
    if run is None:
        raise Http404("graded attempt")
    return run


def _scores(run: GradingRun, history: list) -> list[CriterionScore]:
    """The run's scores in rubric order, each with who changed it last (``set_by``)."""
    last_by: dict[int, Any] = {}
    for change in history:  # newest first
        last_by.setdefault(change.score_id, change.changed_by)
    scores = sorted(run.scores.all(), key=lambda s: (s.criterion.order, s.criterion.pk))
    for score in scores:
        score.set_by = last_by.get(score.pk)
    return scores


def _detail(assignment: Assignment, run: GradingRun) -> dict:
    history = list(review_selectors.score_history(run))
    scores = _scores(run, history)
    by_pk = {score.pk: score for score in scores}
    conflicts = list(review_selectors.open_conflicts(run).values())
    for conflict in conflicts:
        conflict.score = by_pk[conflict.score_id]  # already loaded
    grade = scoring.grade_of(run)
    submission = run.submission
    return {
        "student": submission.student,
        "submission_id": submission.pk,
        "attempt": submission.attempt,
        "run_id": run.pk,
        "run_number": run.number,
        "points": grade.total,
        "raw_points": grade.raw_total,
        "max_points": grade.max_total,
        "late_days": grade.late_days,
        "penalty_percent": grade.penalty_percent,
        "released": grades_released(assignment),
        "scores": scores,
        "history": history,
        "regrade_requests": list(
            review_selectors.student_regrade_requests(assignment, submission.student_id)
        ),
        "conflicts": conflicts,
    }


class ReviewDetailView(APIView):
    @extend_schema(
        operation_id="review-detail",
        summary="One student's counting run, its history and requests",
        responses=ReviewDetailSerializer,
    )
    def get(self, request: Request, course_slug: str, slug: str, student_id: int) -> Response:
        _course, assignment = get_managed_assignment(request.user, course_slug, slug)
        run = _counting_run(assignment, student_id)
        return Response(ReviewDetailSerializer(_detail(assignment, run)).data)


# -- changing scores ----------------------------------------------------------------------------


class ScoreEditSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(help_text="The criterion's id")
    points = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text='"1.5" (or "1,5", or a number); null: waits for an instructor; absent: as now',
    )
    justification = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="Absent: as now"
    )
    points_before = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="What you read before editing: if someone changed it since, the edit is "
        "refused (review.changed_meanwhile) instead of undoing their change",
    )
    justification_before = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False
    )


class ScoresInSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="Kept in the history"
    )
    changes = ScoreEditSerializer(many=True, allow_empty=False)


class ScoresOutSerializer(serializers.Serializer):
    changes = HistorySerializer(many=True, help_text="What was changed (unchanged: not listed)")
    scores = ScoreSerializer(many=True)


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def _edit(score: CriterionScore, change: dict) -> review.ScoreEdit:
    """What the review form would send for this criterion: anything left out stays as now."""
    now_points, now_text = _as_text(score.points), score.justification
    sent = "points_before" in change or "justification_before" in change
    return review.ScoreEdit(
        score,
        _as_text(change.get("points", now_points)),
        change.get("justification", now_text),
        points_before=_as_text(change.get("points_before", now_points)) if sent else None,
        justification_before=_as_text(change.get("justification_before", now_text))
        if sent
        else None,
    )


def _refused(fields: dict[str, list[UserError]], error: UserError | None = None) -> Response:
    return Response(
        error_body(error or ScoreError("review.refused"), field_errors(fields)),
        status=status.HTTP_400_BAD_REQUEST,
    )


class ReviewScoresView(APIView):
    write_scope = "manage"

    @extend_schema(
        summary="Change criteria of the counting run (audited, as the review page)",
        description="All or nothing: a refusal (400) lists what is wrong under `fields`, keyed "
        "by criterion id (and `reason`), and nothing is written.",
        request=ScoresInSerializer,
        responses=ScoresOutSerializer,
    )
    def post(self, request: Request, course_slug: str, slug: str, student_id: int) -> Response:
        _course, assignment = get_managed_assignment(request.user, course_slug, slug)
        run = _counting_run(assignment, student_id)
        body = ScoresInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        by_criterion = {score.criterion_id: score for score in run.scores.all()}
        unknown: dict[str, list[UserError]] = {}
        edits = []
        for change in body.validated_data["changes"]:
            score = by_criterion.pop(change["criterion"], None)
            if score is None:  # not of this assignment, or sent twice
                key = str(change["criterion"])
                unknown[key] = [ScoreError("review.unknown_criterion", criterion=key)]
            else:
                edits.append(_edit(score, change))
        if unknown:
            return _refused(unknown)
        try:
            changes = review.review_apply(
                edits=edits, by=request.user, reason=body.validated_data["reason"]
            )
        except ReviewRefused as exc:
            criterion_of = {edit.score.pk: str(edit.score.criterion_id) for edit in edits}
            fields = {
                criterion_of[score_id] if score_id else "reason": [error]
                for score_id, error in exc.errors.items()
            }
            return _refused(fields, exc.errors.get(None))
        run = _counting_run(assignment, student_id)
        history = list(review_selectors.score_history(run))
        made = {change.pk for change in changes}
        return Response(
            ScoresOutSerializer(
                {
                    "changes": [change for change in history if change.pk in made],
                    "scores": _scores(run, history),
                }
            ).data
        )


# -- releasing grades ---------------------------------------------------------------------------


class ReleaseInSerializer(serializers.Serializer):
    released = serializers.BooleanField()


class ReleaseOutSerializer(serializers.Serializer):
    released = serializers.BooleanField(help_text="Whether students see their grades now")
    released_at = serializers.DateTimeField(allow_null=True)
    release_mode = serializers.CharField(help_text='"auto": always released')


class ReleaseView(APIView):
    write_scope = "manage"

    @extend_schema(
        summary="Release (or withdraw) the assignment's grades",
        request=ReleaseInSerializer,
        responses=ReleaseOutSerializer,
    )
    def post(self, request: Request, course_slug: str, slug: str) -> Response:
        _course, assignment = get_managed_assignment(request.user, course_slug, slug)
        body = ReleaseInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["released"]:
            review.grades_release(assignment=assignment)
        else:
            review.grades_unrelease(assignment=assignment)
        return Response(
            ReleaseOutSerializer(
                {
                    "released": grades_released(assignment),
                    "released_at": assignment.released_at,
                    "release_mode": assignment.release_mode,
                }
            ).data
        )


# -- regrade requests and re-run differences ---------------------------------------------------


class RegradeAnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    response = serializers.CharField(allow_blank=True, trim_whitespace=False)
    points = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="Accepting: the new points"
    )
    justification = serializers.CharField(
        required=False, default="", allow_blank=True, trim_whitespace=False
    )


class RegradeAnswerView(APIView):
    write_scope = "manage"

    @extend_schema(
        summary="Answer a regrade request (accepting may change the criterion, audited)",
        request=RegradeAnswerSerializer,
        responses=RegradeSerializer,
    )
    def post(
        self, request: Request, course_slug: str, slug: str, student_id: int, request_id: int
    ) -> Response:
        _course, assignment = get_managed_assignment(request.user, course_slug, slug)
        regrade = review_selectors.get_student_regrade_request(assignment, student_id, request_id)
        if regrade is None:
            raise Http404("regrade")
        body = RegradeAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        answered = review.regrade_answer(request=regrade, by=request.user, **body.validated_data)
        return Response(RegradeSerializer(answered).data)


class ConflictResolveSerializer(serializers.Serializer):
    use_automatic = serializers.BooleanField(
        help_text="true: take the re-run's result; false: keep the points in effect"
    )


class ConflictResolveView(APIView):
    write_scope = "manage"

    @extend_schema(
        summary="Decide a criterion a re-run changed",
        request=ConflictResolveSerializer,
        responses=ConflictSerializer,
    )
    def post(
        self, request: Request, course_slug: str, slug: str, student_id: int, conflict_id: int
    ) -> Response:
        _course, assignment = get_managed_assignment(request.user, course_slug, slug)
        conflict = review_selectors.get_student_conflict(assignment, student_id, conflict_id)
        if conflict is None:
            raise Http404("conflict")
        body = ConflictResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decided = rerun.rerun_conflict_resolve(
            conflict=conflict, by=request.user, use_automatic=body.validated_data["use_automatic"]
        )
        return Response(ConflictSerializer(decided).data)


review_path = "courses/<slug:course_slug>/assignments/<slug:slug>/"
student_path = review_path + "review/<int:student_id>/"

urlpatterns = [
    path(review_path + "review/", ReviewQueueView.as_view(), name="review-queue"),
    path(review_path + "release/", ReleaseView.as_view(), name="review-release"),
    path(student_path, ReviewDetailView.as_view(), name="review-detail"),
    path(student_path + "scores/", ReviewScoresView.as_view(), name="review-scores"),
    path(
        student_path + "regrade-requests/<int:request_id>/answer/",
        RegradeAnswerView.as_view(),
        name="review-regrade-answer",
    ),
    path(
        student_path + "conflicts/<int:conflict_id>/resolve/",
        ConflictResolveView.as_view(),
        name="review-conflict-resolve",
    ),
]

"""Writes for review: change a graded attempt's criteria, regrade requests, releasing grades.

Every change of points or justification goes through :func:`score_set` and lands in the
audit history (``ScoreChange``); the spreadsheet import uses it too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from portal.accounts.models import User
from portal.assessments.models import Assignment, Criterion
from portal.assessments.selectors import grades_released
from portal.core import formats
from portal.grading.models import CriterionScore, GradingRun
from portal.grading.scoring import CENT
from portal.review.messages import (
    MESSAGES,
    REGRADE_REASON_MIN_CHARS,
    RegradeError,
    ReviewRefused,
    ScoreError,
)
from portal.review.models import RegradeRequest, ScoreChange

# -- changing a criterion ------------------------------------------------------------------------


@transaction.atomic
def score_set(
    *,
    score: CriterionScore,
    points: Decimal | None,
    justification: str,
    by: User | None,
    reason: str,
    source: str = ScoreChange.Source.REVIEW,
) -> ScoreChange | None:
    """Set one criterion's points and justification; keep the change; recompute the total.

    Returns None when nothing changed. Raises :class:`ScoreError` for points outside
    0..max, an empty justification or an empty reason.
    """
    score = CriterionScore.objects.select_for_update().get(pk=score.pk)
    justification = (justification or "").strip()
    reason = (reason or "").strip()
    if points is not None:
        points = Decimal(points).quantize(CENT)
        if points < 0 or points > score.max_points:
            raise ScoreError(
                "review.points_out_of_range",
                criterion=score.criterion.title,
                max=formats.number(score.max_points),
                points=formats.number(points),
            )
    if not justification:
        raise ScoreError("review.justification_required", criterion=score.criterion.title)
    if points == score.points and justification == score.justification:
        return None
    if not reason:
        raise ScoreError("review.reason_required")
    change = ScoreChange.objects.create(
        score=score,
        changed_by=by,
        points_before=score.points,
        points_after=points,
        justification_before=score.justification,
        justification_after=justification,
        reason=reason,
        source=source,
    )
    score.points, score.justification = points, justification
    score.source = CriterionScore.Source.MANUAL
    score.save(update_fields=["points", "justification", "source"])
    recompute_total(score.run_id)
    return change


def recompute_total(run_id: int) -> None:
    total = (
        CriterionScore.objects.filter(run_id=run_id, points__isnull=False).aggregate(
            total=Sum("points")
        )["total"]
    ) or Decimal(0)
    GradingRun.objects.filter(pk=run_id).update(total=total)


# -- releasing grades -----------------------------------------------------------------------------


def grades_release(*, assignment: Assignment, now: dt.datetime | None = None) -> None:
    assignment.released_at = now or timezone.now()
    assignment.save(update_fields=["released_at"])


def grades_unrelease(*, assignment: Assignment) -> None:
    assignment.released_at = None
    assignment.save(update_fields=["released_at"])


# -- one review form ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreEdit:
    score: CriterionScore
    points: str  # as typed: "" means "an instructor has not graded it"
    justification: str


def parse_points(text: str, score: CriterionScore) -> Decimal | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ScoreError(
            "review.not_a_number", criterion=score.criterion.title, text=text
        ) from None


@transaction.atomic
def review_apply(
    *, edits: list[ScoreEdit], by: User, reason: str, source: str = ScoreChange.Source.REVIEW
) -> list[ScoreChange]:
    """Apply every changed criterion of one review form, or none (ReviewRefused says why)."""
    problems: list[ScoreError] = []
    changes = []
    for edit in edits:
        try:
            points = parse_points(edit.points, edit.score)
            change = score_set(
                score=edit.score,
                points=points,
                justification=edit.justification,
                by=by,
                reason=reason,
                source=source,
            )
        except ScoreError as exc:
            problems.append(exc)
            continue
        if change is not None:
            changes.append(change)
    if problems:
        transaction.set_rollback(True)
        raise ReviewRefused(problems)
    return changes


# -- regrade requests --------------------------------------------------------------------------


def regrade_request(
    *, run: GradingRun, criterion: Criterion, student: User, reason: str
) -> RegradeRequest:
    reason = (reason or "").strip()
    submission = run.submission
    if submission.student_id != student.pk:
        raise RegradeError("regrade.not_owner")
    if run.status != GradingRun.Status.DONE or not grades_released(submission.assignment):
        raise RegradeError("regrade.not_released")
    if criterion.assignment_id != submission.assignment_id:
        raise RegradeError("regrade.unknown_criterion")
    if len(reason) < REGRADE_REASON_MIN_CHARS:
        raise RegradeError("regrade.reason_too_short", min=REGRADE_REASON_MIN_CHARS)
    try:
        with transaction.atomic():
            return RegradeRequest.objects.create(
                run=run, criterion=criterion, student=student, reason=reason[:4000]
            )
    except IntegrityError:
        raise RegradeError("regrade.already_open") from None


@transaction.atomic
def regrade_answer(
    *,
    request: RegradeRequest,
    by: User,
    accept: bool,
    response: str,
    points: str = "",
    justification: str = "",
) -> RegradeRequest:
    """Close a request; accepting it may change the criterion (audited as a regrade).

    Raises RegradeError, or ScoreError for the new points or justification.
    """
    request = RegradeRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RegradeRequest.Status.OPEN:
        raise RegradeError("regrade.already_answered")
    response = (response or "").strip()
    if not response:
        raise RegradeError("regrade.response_required")
    if accept and (points.strip() or justification.strip()):
        score = CriterionScore.objects.get(run=request.run, criterion=request.criterion)
        score_set(
            score=score,
            points=parse_points(points, score),
            justification=justification or score.justification,
            by=by,
            reason=MESSAGES.text("regrade.history_reason", response=response),
            source=ScoreChange.Source.REGRADE,
        )
    request.status = RegradeRequest.Status.ACCEPTED if accept else RegradeRequest.Status.REJECTED
    request.response, request.responded_by = response, by
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "response", "responded_by", "responded_at"])
    return request

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
from portal.grading.selectors import latest_done_run
from portal.review import signals
from portal.review.messages import (
    MESSAGES,
    REGRADE_REASON_MIN_CHARS,
    RegradeError,
    ReviewRefused,
    ScoreError,
)
from portal.review.models import RegradeRequest, RerunConflict, ScoreChange

# -- changing a criterion ------------------------------------------------------------------------


def text_normalise(text: str | None) -> str:
    """Line breaks as ``\\n`` and no blanks at the ends of lines or of the text.

    Browsers send a textarea's line breaks as CRLF: comparing or storing them as typed would
    make every untouched justification of a review form look changed.
    """
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def score_differs(score: CriterionScore, points: Decimal | None, justification: str) -> bool:
    """Whether ``points`` and ``justification`` (as typed) would change ``score``."""
    if points is not None:
        points = Decimal(points).quantize(CENT)
    return points != score.points or text_normalise(justification) != text_normalise(
        score.justification
    )


def _check_score(score: CriterionScore, points: Decimal | None, justification: str) -> None:
    if points is not None and (points < 0 or points > score.max_points):
        raise ScoreError(
            "review.points_out_of_range",
            criterion=score.criterion.title,
            max=formats.number(score.max_points),
            points=formats.number(points),
        )
    if not justification:
        raise ScoreError("review.justification_required", criterion=score.criterion.title)


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

    Returns None when nothing changed (line endings and surrounding blanks do not count as a
    change). Raises :class:`ScoreError` for points outside 0..max, an empty justification or
    an empty reason. A change closes the criterion's open re-run conflict, if any: the
    instructor has decided again.
    """
    score = CriterionScore.objects.select_for_update().get(pk=score.pk)
    justification = text_normalise(justification)
    reason = (reason or "").strip()
    if points is not None:
        points = Decimal(points).quantize(CENT)
    if not score_differs(score, points, justification):
        return None
    _check_score(score, points, justification)
    if not reason:
        raise ScoreError("review.reason_required", criteria=score.criterion.title)
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
    RerunConflict.objects.filter(score=score, resolution="").update(
        resolution=RerunConflict.Resolution.EDITED, resolved_by=by, resolved_at=timezone.now()
    )
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


@transaction.atomic
def grades_release(*, assignment: Assignment, now: dt.datetime | None = None) -> None:
    assignment.released_at = now or timezone.now()
    assignment.save(update_fields=["released_at"])
    if grades_released(assignment):  # a release set in the future is announced by the scan
        signals.grades_released.send(sender=Assignment, assignment=assignment)


def grades_unrelease(*, assignment: Assignment) -> None:
    assignment.released_at = None
    assignment.save(update_fields=["released_at"])


# -- one review form ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreEdit:
    score: CriterionScore
    points: str  # as typed: "" means "an instructor has not graded it"
    justification: str
    # What the form showed when it was opened (None: not sent). A criterion left as shown is
    # not written, whatever the score holds now; one edited after someone else changed it
    # is refused, so two instructors reviewing at once never undo each other silently.
    points_before: str | None = None
    justification_before: str | None = None

    def edited(self) -> bool:
        """Whether the form changed this criterion from what it showed (True if unknown)."""
        if self.points_before is None or self.justification_before is None:
            return True
        return parse_points(self.points, self.score) != parse_points(
            self.points_before, self.score
        ) or text_normalise(self.justification) != text_normalise(self.justification_before)

    def changed_meanwhile(self) -> bool:
        """Whether the score changed since the form showed it."""
        if self.points_before is None or self.justification_before is None:
            return False
        before = parse_points(self.points_before, self.score)
        return score_differs(self.score, before, self.justification_before)


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
    """Apply the criteria of one review form that really changed, or none.

    Raises :class:`ReviewRefused` with one error per criterion that cannot be applied (by
    score id) and, when something changed but no reason was given, one error for the form.
    """
    problems: dict[int | None, ScoreError] = {}
    changed: list[tuple[ScoreEdit, Decimal | None]] = []
    for edit in edits:
        try:
            points = parse_points(edit.points, edit.score)
            if not edit.edited():
                continue
            if edit.changed_meanwhile():
                raise ScoreError("review.changed_meanwhile", criterion=edit.score.criterion.title)
            if score_differs(edit.score, points, edit.justification):
                _check_score(edit.score, points, text_normalise(edit.justification))
                changed.append((edit, points))
        except ScoreError as exc:
            problems[edit.score.pk] = exc
    if changed and not (reason or "").strip():
        titles = ", ".join(f"“{edit.score.criterion.title}”" for edit, _points in changed)
        problems[None] = ScoreError("review.reason_required", criteria=titles)
    if problems:
        raise ReviewRefused(problems)
    changes = []
    for edit, points in changed:
        change = score_set(
            score=edit.score,
            points=points,
            justification=edit.justification,
            by=by,
            reason=reason,
            source=source,
        )
        if change is not None:
            changes.append(change)
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
    response = text_normalise(response)
    if not response:
        raise RegradeError("regrade.response_required")
    if accept:
        # The grade that counts now: a re-run since the request carries it to its newest run.
        score = CriterionScore.objects.get(
            run=latest_done_run(request.run.submission) or request.run,
            criterion=request.criterion,
        )
        new_points = parse_points(points, score) if points.strip() else score.points
        if new_points is None:
            raise RegradeError("regrade.points_required", criterion=request.criterion.title)
        # The student reads the justification: an accepted request replaces it with the
        # instructor's words (the justification field, else the answer itself).
        score_set(
            score=score,
            points=new_points,
            justification=text_normalise(justification) or response,
            by=by,
            reason=MESSAGES.text("regrade.history_reason", response=response),
            source=ScoreChange.Source.REGRADE,
        )
    request.status = RegradeRequest.Status.ACCEPTED if accept else RegradeRequest.Status.REJECTED
    request.response, request.responded_by = response, by
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "response", "responded_by", "responded_at"])
    signals.regrade_answered.send(sender=RegradeRequest, request=request)
    return request

"""A new grading run of an attempt that was already graded keeps what instructors decided.

``grading`` stores a re-run's fresh automatic scores and sends ``signals.run_graded`` inside
its transaction; :func:`decisions_carry_forward` then compares, criterion by criterion, the
new run with the run that counted before it (the newest earlier graded run of the attempt):

- an instructor's decision (review form, spreadsheet, accepted regrade: ``source`` manual) on
  a criterion whose automatic result did not change is written onto the new run;
- an instructor's decision whose automatic result changed, and an automatic result that
  would lower what the student had, keep the previous points in effect and open a
  :class:`RerunConflict`: the instructor sees both and decides (the review queue marks the
  attempt). A student's grade never drops without an instructor deciding it;
- every criterion whose points differ between the automatic result and what is in effect,
  or between the two runs, gets a ``rerun`` entry in the history, so the history of an
  attempt reads as one story across its runs;
- open regrade requests move to the new run, where their answer will be applied.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from portal.accounts.models import User
from portal.assessments.models import Assignment
from portal.core import formats
from portal.grading.models import CriterionScore, GradingRun
from portal.review.messages import MESSAGES, ScoreError
from portal.review.models import RegradeRequest, RerunConflict, ScoreChange
from portal.review.services import recompute_total, score_set


def decisions_carry_forward(*, run: GradingRun) -> int:
    """Carry the previous graded run's decisions onto ``run``; how many criteria it touched.

    Joins the caller's transaction (``grading_run_finish``'s): the new grade and what it
    keeps are committed together.
    """
    previous = (
        GradingRun.objects.filter(
            submission_id=run.submission_id,
            status=GradingRun.Status.DONE,
            total__isnull=False,
            number__lt=run.number,
        )
        .order_by("-number")
        .first()
    )
    if previous is None:
        return 0
    before = {score.criterion_id: score for score in previous.scores.all()}
    touched = 0
    for score in run.scores.select_related("criterion"):
        old = before.get(score.criterion_id)
        if old is not None and _carry(score, old, run):
            touched += 1
    RegradeRequest.objects.filter(run=previous, status=RegradeRequest.Status.OPEN).update(run=run)
    if touched:
        recompute_total(run.pk)
    return touched


def _carry(score: CriterionScore, old: CriterionScore, run: GradingRun) -> bool:
    number, by = run.number, run.requested_by  # who asked for the re-run (None: the system)
    decided = old.source == CriterionScore.Source.MANUAL
    lower = old.points is not None and (score.points is None or score.points < old.points)
    if score.points == old.points and not decided:
        return False
    if (decided and score.auto_points == old.auto_points) or score.points == old.points:
        reason = MESSAGES.text("review.rerun_carried_reason", number=number)
        _write(score, old, reason, by)
    elif decided or lower:
        RerunConflict.objects.create(
            score=score,
            previous_auto_points=old.auto_points,
            auto_justification=score.justification,
        )
        reason = MESSAGES.text(
            "review.rerun_conflict_reason",
            number=number,
            before=_points(old.auto_points),
            after=_points(score.points),
        )
        _write(score, old, reason, by)
    else:  # a better automatic result: it applies, and the history says so
        reason = MESSAGES.text("review.rerun_changed_reason", number=number)
        _history(score, old, score, reason, by)
    return True


def _write(score: CriterionScore, old: CriterionScore, reason: str, by: User | None) -> None:
    """Put ``old``'s points and justification in effect on the new run's score, with history."""
    if (old.points, old.justification) != (score.points, score.justification):
        _history(score, score, old, reason, by)
    score.points, score.justification, score.source = old.points, old.justification, old.source
    score.save(update_fields=["points", "justification", "source"])


def _history(
    score: CriterionScore,
    before: CriterionScore,
    after: CriterionScore,
    reason: str,
    by: User | None,
    source: str = ScoreChange.Source.RERUN,
) -> None:
    """An entry in ``score``'s history: from ``before``'s points and text to ``after``'s."""
    ScoreChange.objects.create(
        score=score,
        changed_by=by,
        points_before=before.points,
        points_after=after.points,
        justification_before=before.justification,
        justification_after=after.justification,
        reason=reason,
        source=source,
    )


def _points(value: Decimal | None) -> str:
    return "—" if value is None else formats.number(value)


@transaction.atomic
def rerun_conflict_resolve(
    *, conflict: RerunConflict, by: User, use_automatic: bool
) -> RerunConflict:
    """An instructor keeps the previous points or takes the new automatic result (audited)."""
    conflict = RerunConflict.objects.select_for_update().select_related("score").get(pk=conflict.pk)
    if conflict.resolution:
        raise ScoreError("review.conflict_resolved")
    score = conflict.score
    if use_automatic:
        score_set(
            score=score,
            points=conflict.auto_points,
            justification=conflict.auto_justification,
            by=by,
            reason=MESSAGES.text("review.rerun_automatic_reason"),
        )
        resolution = RerunConflict.Resolution.AUTOMATIC
    else:
        reason = MESSAGES.text("review.rerun_kept_reason", points=_points(conflict.auto_points))
        _history(score, score, score, reason, by, source=ScoreChange.Source.REVIEW)
        resolution = RerunConflict.Resolution.KEPT
    # score_set closes it as "edited" when the points change; this says which choice it was.
    RerunConflict.objects.filter(pk=conflict.pk).update(
        resolution=resolution, resolved_by=by, resolved_at=timezone.now()
    )
    conflict.refresh_from_db()
    return conflict


def rerun_conflicts_resolve_all(*, assignment: Assignment, by: User, use_automatic: bool) -> int:
    """Decide every open re-run difference of ``assignment`` the same way (after an instructor
    fixed a test and graded the class again, say); how many were decided."""
    conflicts = RerunConflict.objects.filter(
        score__run__submission__assignment=assignment, resolution=""
    )
    decided = 0
    for conflict in conflicts:
        rerun_conflict_resolve(conflict=conflict, by=by, use_automatic=use_automatic)
        decided += 1
    return decided

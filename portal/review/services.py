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
from portal.grading.models import CriterionScore, GradingRun
from portal.grading.scoring import CENT, _pt
from portal.review.models import RegradeRequest, ScoreChange


class ScoreError(ValueError):
    """A change that cannot be applied; ``str()`` is the pt-BR reason."""


# -- changing a criterion ------------------------------------------------------------------------


@transaction.atomic
def score_set(*, score: CriterionScore, points: Decimal | None, justification: str,
              by: User | None, reason: str,
              source: str = ScoreChange.Source.REVIEW) -> ScoreChange | None:
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
            raise ScoreError(f"os pontos de “{score.criterion.title}” vão de 0 a "
                             f"{_pt(score.max_points)}; recebido {_pt(points)}")
    if not justification:
        raise ScoreError(f"“{score.criterion.title}” precisa de uma justificativa")
    if points == score.points and justification == score.justification:
        return None
    if not reason:
        raise ScoreError("diga o motivo da alteração (fica no histórico)")
    change = ScoreChange.objects.create(
        score=score, changed_by=by, points_before=score.points, points_after=points,
        justification_before=score.justification, justification_after=justification,
        reason=reason, source=source)
    score.points, score.justification = points, justification
    score.source = CriterionScore.Source.MANUAL
    score.save(update_fields=["points", "justification", "source"])
    recompute_total(score.run_id)
    return change


def recompute_total(run_id: int) -> None:
    total = (CriterionScore.objects.filter(run_id=run_id, points__isnull=False)
             .aggregate(total=Sum("points"))["total"]) or Decimal(0)
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
    points: str          # as typed: "" means "an instructor has not graded it"
    justification: str


def parse_points(text: str, score: CriterionScore) -> Decimal | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ScoreError(f"“{score.criterion.title}”: “{text}” não é um número") from None


@transaction.atomic
def review_apply(*, edits: list[ScoreEdit], by: User, reason: str,
                 source: str = ScoreChange.Source.REVIEW) -> list[ScoreChange]:
    """Apply every changed criterion of one review form, or none (ScoreError lists why)."""
    problems, changes = [], []
    for edit in edits:
        try:
            points = parse_points(edit.points, edit.score)
            change = score_set(score=edit.score, points=points,
                               justification=edit.justification, by=by, reason=reason,
                               source=source)
        except ScoreError as exc:
            problems.append(str(exc))
            continue
        if change is not None:
            changes.append(change)
    if problems:
        transaction.set_rollback(True)
        raise ScoreError("; ".join(problems))
    return changes


# -- regrade requests --------------------------------------------------------------------------


class RegradeError(ValueError):
    """Why a regrade request cannot be filed or answered (pt-BR)."""


def regrade_request(*, run: GradingRun, criterion: Criterion, student: User,
                    reason: str) -> RegradeRequest:
    reason = (reason or "").strip()
    submission = run.submission
    if submission.student_id != student.pk:
        raise RegradeError("só quem entregou pode pedir revisão desta tentativa")
    if run.status != GradingRun.Status.DONE or not grades_released(submission.assignment):
        raise RegradeError("a nota desta tentativa ainda não foi liberada")
    if criterion.assignment_id != submission.assignment_id:
        raise RegradeError("critério desconhecido")
    if len(reason) < 10:
        raise RegradeError("explique o motivo do pedido (ao menos 10 caracteres)")
    try:
        with transaction.atomic():
            return RegradeRequest.objects.create(run=run, criterion=criterion, student=student,
                                                 reason=reason[:4000])
    except IntegrityError:
        raise RegradeError("já existe um pedido aberto para este critério") from None


@transaction.atomic
def regrade_answer(*, request: RegradeRequest, by: User, accept: bool, response: str,
                   points: str = "", justification: str = "") -> RegradeRequest:
    """Close a request; accepting it may change the criterion (audited as a regrade)."""
    request = RegradeRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RegradeRequest.Status.OPEN:
        raise RegradeError("este pedido já foi respondido")
    response = (response or "").strip()
    if not response:
        raise RegradeError("escreva uma resposta para o aluno")
    if accept and (points.strip() or justification.strip()):
        score = CriterionScore.objects.get(run=request.run, criterion=request.criterion)
        try:
            score_set(score=score, points=parse_points(points, score),
                      justification=justification or score.justification, by=by,
                      reason=f"Pedido de revisão: {response}",
                      source=ScoreChange.Source.REGRADE)
        except ScoreError as exc:
            raise RegradeError(str(exc)) from exc
    request.status = (RegradeRequest.Status.ACCEPTED if accept
                      else RegradeRequest.Status.REJECTED)
    request.response, request.responded_by = response, by
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "response", "responded_by", "responded_at"])
    return request

"""Writes for the ranking: confirming the finalists, recording presentations and the winner.

The rules are in ``portal/ranking/selectors.py`` (its module docstring); these refuse what
they must with ``RankingError`` (``ranking/messages.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from portal.accounts.models import User
from portal.courses.models import Course
from portal.ranking import signals
from portal.ranking.messages import RankingError
from portal.ranking.models import Finalist
from portal.ranking.selectors import course_ranking

log = logging.getLogger(__name__)


# -- the finalists, the presentations and the winner ----------------------------------------------


@transaction.atomic
def finalists_confirm(
    *, course: Course, by: User | None, expected: Sequence[int] | None = None, reset: bool = False
) -> list[Finalist]:
    """Confirm the live top three as the finalists, freezing their score components.

    ``expected`` is the list of student ids the instructor saw proposed: if the ranking
    changed since (a regrade, a late import), nothing is confirmed. Replaces any previous
    confirmation; refused once a winner is recorded unless ``reset`` (which clears it).
    """
    Course.objects.select_for_update().filter(pk=course.pk).first()  # one confirmation at a time
    ranking = course_ranking(course)
    if ranking.project is None:
        raise RankingError("ranking.no_project")
    if not ranking.rows:
        raise RankingError("ranking.nothing_graded")
    if ranking.pending:
        names = ", ".join(row.name for row in ranking.pending)
        raise RankingError("ranking.pending", n=len(ranking.pending), names=names)
    proposed = ranking.proposed
    if expected is not None and list(expected) != [row.student.pk for row in proposed]:
        raise RankingError("ranking.changed")
    winner = ranking.winner
    if winner is not None and not reset:
        raise RankingError("ranking.winner_recorded", name=winner.student.display_name)
    presented = {f.student_id: f for f in ranking.finalists}
    Finalist.objects.filter(course=course).delete()
    finalists = []
    for row in proposed:
        before = presented.get(row.student.pk)
        finalists.append(
            Finalist.objects.create(
                course=course,
                student=row.student,
                position=row.position,
                project_score=row.project_score,
                notebook_bonus=row.notebook_bonus,
                selection_score=row.selection_score,
                confirmed_by=by,
                presented_at=before.presented_at if before else None,
                presentation_notes=before.presentation_notes if before else "",
            )
        )
    log.info(
        "finalists confirmed course=%s by=%s students=%s reset=%s",
        course.slug,
        by.pk if by else None,
        [f.student_id for f in finalists],
        reset,
    )
    signals.finalists_confirmed.send(sender=Finalist, course=course, finalists=finalists)
    return finalists


@transaction.atomic
def finalist_presentation_set(
    *, finalist: Finalist, presented_at: dt.datetime | None, notes: str, by: User | None
) -> Finalist:
    """Record when a finalist presented (or will present) and the jury's notes."""
    finalist = (
        Finalist.objects.select_for_update(of=("self",))
        .select_related("student")
        .get(pk=finalist.pk)
    )
    if presented_at is None:
        raise RankingError("ranking.presentation_missing")
    if timezone.is_naive(presented_at):
        raise RankingError("ranking.presentation_naive")
    finalist.presented_at = presented_at
    finalist.presentation_notes = (notes or "").strip()
    finalist.save(update_fields=["presented_at", "presentation_notes"])
    log.info(
        "finalist presentation course=%s student=%s by=%s",
        finalist.course_id,
        finalist.student_id,
        by.pk if by else None,
    )
    return finalist


@transaction.atomic
def finalist_winner_set(
    *, finalist: Finalist, by: User | None, replace: bool = False, now: dt.datetime | None = None
) -> Finalist:
    """Record ``finalist`` as the winner of their course: after their presentation, and only
    over another winner when ``replace`` says so."""
    now = now or timezone.now()
    finalists = list(
        Finalist.objects.select_for_update(of=("self",))
        .select_related("student")
        .filter(course_id=finalist.course_id)
        .order_by("position")
    )
    chosen = next((f for f in finalists if f.pk == finalist.pk), None)
    if chosen is None:
        raise RankingError("ranking.not_a_finalist")
    name = chosen.student.display_name
    if chosen.presented_at is None:
        raise RankingError("ranking.not_presented", name=name)
    if chosen.presented_at > now:
        raise RankingError("ranking.presentation_ahead", name=name)
    current = next((f for f in finalists if f.is_winner), None)
    if current is not None and current.pk == chosen.pk:
        return chosen
    if current is not None and not replace:
        raise RankingError("ranking.winner_exists", name=current.student.display_name)
    if current is not None:
        Finalist.objects.filter(pk=current.pk).update(is_winner=False)
    Finalist.objects.filter(pk=chosen.pk).update(is_winner=True)
    chosen.is_winner = True
    log.info(
        "finalist winner course=%s student=%s by=%s replaced=%s",
        chosen.course_id,
        chosen.student_id,
        by.pk if by else None,
        current.student_id if current else None,
    )
    signals.winner_chosen.send(sender=Finalist, finalist=chosen)
    return chosen

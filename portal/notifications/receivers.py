"""The lower apps' signals, each turned into its event (``events.py``).

They run inside the sender's transaction: the notifications commit with the change that
caused them, and their e-mails leave after that commit.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from portal.grading import signals as grading
from portal.notifications import events
from portal.ranking import signals as ranking
from portal.review import signals as review


@receiver(review.grades_released, dispatch_uid="notify-grades-released")
def _grades_released(sender: Any, assignment: Any, **extra: Any) -> None:
    events.grades_released(assignment)


@receiver(review.regrade_answered, dispatch_uid="notify-regrade-answered")
def _regrade_answered(sender: Any, request: Any, **extra: Any) -> None:
    events.regrade_answered(request)


@receiver(grading.run_graded, dispatch_uid="notify-attempt-graded")
def _attempt_graded(sender: Any, run: Any, **extra: Any) -> None:
    events.attempt_graded(run)


@receiver(grading.run_failed, dispatch_uid="notify-grading-error")
def _grading_error(sender: Any, run: Any, **extra: Any) -> None:
    events.grading_error(run)


@receiver(ranking.finalists_confirmed, dispatch_uid="notify-finalists")
def _finalists(sender: Any, course: Any, finalists: Any, **extra: Any) -> None:
    events.finalists_announced(course.pk, finalists)


@receiver(ranking.winner_chosen, dispatch_uid="notify-winner")
def _winner(sender: Any, finalist: Any, **extra: Any) -> None:
    events.winner_announced(finalist)

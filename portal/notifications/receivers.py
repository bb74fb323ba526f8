"""The lower apps' signals, each turned into its event (``events.py``).

They run inside the sender's transaction: the notifications commit with the change that
caused them, and their e-mails leave after that commit. A notification must never cost the
change itself (a grade, a release): each receiver writes in a savepoint of its own, and a
failure is rolled back to it and logged, leaving the sender's work intact.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from portal.grading import signals as grading
from portal.notifications import events
from portal.ranking import signals as ranking
from portal.review import signals as review

log = logging.getLogger(__name__)


def _apart(announce: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(announce)
    def receive(*args: Any, **kwargs: Any) -> None:
        try:
            with transaction.atomic():
                announce(*args, **kwargs)
        except Exception:  # any bug here must not undo the sender's change
            log.exception("notification of %s failed; the change itself stands", announce.__name__)

    return receive


@receiver(review.grades_released, dispatch_uid="notify-grades-released")
@_apart
def _grades_released(sender: Any, assignment: Any, **extra: Any) -> None:
    events.grades_released(assignment)


@receiver(review.regrade_answered, dispatch_uid="notify-regrade-answered")
@_apart
def _regrade_answered(sender: Any, request: Any, **extra: Any) -> None:
    events.regrade_answered(request)


@receiver(grading.run_graded, dispatch_uid="notify-attempt-graded")
@_apart
def _attempt_graded(sender: Any, run: Any, **extra: Any) -> None:
    events.attempt_graded(run)


@receiver(grading.run_failed, dispatch_uid="notify-grading-error")
@_apart
def _grading_error(sender: Any, run: Any, **extra: Any) -> None:
    events.grading_error(run)


@receiver(ranking.finalists_confirmed, dispatch_uid="notify-finalists")
@_apart
def _finalists(sender: Any, course: Any, finalists: Any, **extra: Any) -> None:
    events.finalists_announced(course.pk, finalists)


@receiver(ranking.winner_chosen, dispatch_uid="notify-winner")
@_apart
def _winner(sender: Any, finalist: Any, **extra: Any) -> None:
    events.winner_announced(finalist)

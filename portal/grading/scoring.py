"""Grades as people see them: the late policy applied and the total after it.

``GradingRun.total`` is the sum of the criteria's points (what the checks or instructors
gave); the late policy is a percentage of it, computed from the assignment's *current*
policy and the submission time (an instructor who extends a deadline removes the penalty
everywhere at once), and shown as its own justification line. :func:`grade_of` is the one
place that combines them, for pages, the spreadsheet, the ranking, the reports and MLflow.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal.assessments.models import Assignment
from portal.core import formats
from portal.grading.messages import MESSAGES
from portal.grading.models import GradingRun

CENT = Decimal("0.01")


# -- the late policy ----------------------------------------------------------------------------


def late_days(assignment: Assignment, submitted_at: dt.datetime) -> int:
    """Started days after the due date plus the grace period (0: on time)."""
    late = (submitted_at - assignment.late_after).total_seconds()
    return 0 if late <= 0 else math.ceil(late / 86400)


def penalty_percent(assignment: Assignment, submitted_at: dt.datetime) -> Decimal:
    days = late_days(assignment, submitted_at)
    if days == 0:
        return Decimal(0)
    per_day = Decimal(assignment.late_penalty_percent_per_day)
    cap = Decimal(assignment.late_penalty_max_percent)
    return min(per_day * days, cap)


@dataclass(frozen=True)
class Grade:
    raw_total: Decimal | None  # the criteria's points
    max_total: Decimal | None
    penalty_percent: Decimal
    penalty_points: Decimal
    total: Decimal | None  # after the late policy
    late_days: int
    penalty_line: str  # in the active language; "" when on time

    @property
    def percent(self) -> Decimal | None:
        if self.total is None or not self.max_total:
            return None
        return (self.total / self.max_total * 100).quantize(CENT)


def grade_of(run: GradingRun) -> Grade:
    """The run's grade with the late policy applied (the run's submission must be loaded)."""
    submission = run.submission
    assignment = submission.assignment
    days = late_days(assignment, submission.submitted_at)
    percent = penalty_percent(assignment, submission.submitted_at)
    if run.total is None:
        return Grade(None, run.max_total, percent, Decimal(0), None, days, "")
    penalty = (run.total * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    line = ""
    if days and percent:
        line = MESSAGES.text(
            "grading.late_penalty",
            n=days,
            when=formats.moment(assignment.late_after),
            per_day=assignment.late_penalty_percent_per_day,
            max=assignment.late_penalty_max_percent,
            percent=formats.number(percent),
            points=formats.number(penalty),
        )
    elif days:
        line = MESSAGES.text(
            "grading.late_no_penalty", n=days, when=formats.moment(assignment.late_after)
        )
    return Grade(run.total, run.max_total, percent, penalty, run.total - penalty, days, line)

"""Reads for review: the queue of an assignment and the regrade requests of an attempt."""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.db.models import Count

from portal.assessments.models import Assignment
from portal.grading.selectors import GradeRow, assignment_grades
from portal.review.models import RegradeRequest
from portal.submissions.models import Submission


@dataclass
class ReviewRow(GradeRow):
    open_regrades: int = 0


def review_queue(assignment: Assignment) -> list[ReviewRow]:
    """Graded attempts that need an instructor first (manual criteria, open regrade
    requests), then the rest of the graded ones."""
    _criteria, rows = assignment_grades(assignment)
    runs = [row.run.pk for row in rows if row.run is not None]
    open_counts = dict(
        RegradeRequest.objects.filter(run__in=runs, status=RegradeRequest.Status.OPEN)
        .values_list("run_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    graded = [
        ReviewRow(
            **{f.name: getattr(row, f.name) for f in fields(row)},
            open_regrades=open_counts.get(row.run.pk, 0),
        )
        for row in rows
        if row.run is not None
    ]
    return sorted(graded, key=lambda r: (not (r.needs_review or r.open_regrades), r.name))


def regrade_requests(submission: Submission) -> list[RegradeRequest]:
    return list(
        RegradeRequest.objects.filter(run__submission=submission)
        .select_related("criterion")
        .order_by("-created_at")
    )

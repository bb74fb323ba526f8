"""Reads for review: the queue of an assignment and the regrade requests of an attempt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from django.db.models import Count, QuerySet

from portal.assessments.models import Assignment
from portal.core.text import name_key
from portal.grading.models import GradingRun
from portal.grading.selectors import GradeRow, assignment_grades
from portal.review.models import RegradeRequest, RerunConflict, ScoreChange
from portal.submissions.models import Submission


@dataclass
class ReviewRow(GradeRow):
    open_regrades: int = 0
    open_conflicts: int = 0  # criteria a re-run changed that wait for an instructor

    @property
    def waits(self) -> bool:
        return bool(self.needs_review or self.open_regrades or self.open_conflicts)

    @property
    def tampered(self) -> int:
        """How many tampering findings the grader noted on the counting run."""
        return len(self.run.tampered) if self.run is not None and self.run.tampered else 0


# The queue's filters: (key in the URL, which rows it keeps). The labels are in the template.
QUEUE_FILTERS: dict[str, Callable[[ReviewRow], bool]] = {
    "todas": lambda row: True,
    "esperando": lambda row: row.waits,
    "manual": lambda row: row.needs_review,
    "pedidos": lambda row: bool(row.open_regrades),
    "mudou": lambda row: bool(row.open_conflicts),
    "adulteracao": lambda row: bool(row.tampered),
}


def queue_filtered(
    rows: list[ReviewRow], *, kind: str = "todas", query: str = ""
) -> tuple[list[ReviewRow], dict[str, int]]:
    """The rows of filter ``kind`` whose name or e-mail contains ``query`` (accents and case
    ignored), and how many rows each filter would keep for that search."""
    wanted = name_key(query.strip())
    found = [row for row in rows if wanted in name_key(f"{row.name} {row.email}")]
    counts = {key: sum(1 for row in found if keep(row)) for key, keep in QUEUE_FILTERS.items()}
    keep = QUEUE_FILTERS.get(kind, QUEUE_FILTERS["todas"])
    return [row for row in found if keep(row)], counts


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
    conflict_counts = dict(
        RerunConflict.objects.filter(score__run__in=runs, resolution="")
        .values_list("score__run_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    graded = [
        ReviewRow(
            **{f.name: getattr(row, f.name) for f in fields(row)},
            open_regrades=open_counts.get(row.run.pk, 0),
            open_conflicts=conflict_counts.get(row.run.pk, 0),
        )
        for row in rows
        if row.run is not None
    ]
    return sorted(graded, key=lambda r: (not r.waits, name_key(r.name)))


def regrade_requests(submission: Submission) -> list[RegradeRequest]:
    return list(
        RegradeRequest.objects.filter(run__submission=submission)
        .select_related("criterion")
        .order_by("-created_at")
    )


def student_regrade_requests(assignment: Assignment, student_id: int) -> QuerySet[RegradeRequest]:
    """Every regrade request of one student on ``assignment``, whichever attempt it was on."""
    return RegradeRequest.objects.filter(
        run__submission__assignment=assignment, student_id=student_id
    ).select_related("criterion", "responded_by")


def get_student_regrade_request(
    assignment: Assignment, student_id: int, pk: int
) -> RegradeRequest | None:
    """One regrade request of ``student_id`` on ``assignment``, or None."""
    return RegradeRequest.objects.filter(
        pk=pk, student_id=student_id, run__submission__assignment=assignment
    ).first()


def get_student_conflict(assignment: Assignment, student_id: int, pk: int) -> RerunConflict | None:
    """One re-run difference on an attempt of ``student_id`` at ``assignment``, or None."""
    return RerunConflict.objects.filter(
        pk=pk,
        score__run__submission__assignment=assignment,
        score__run__submission__student_id=student_id,
    ).first()


def score_history(run: GradingRun) -> QuerySet[ScoreChange]:
    """The audit history of the attempt ``run`` belongs to, across all its runs, newest
    first: a re-run continues the story of the runs before it."""
    return ScoreChange.objects.filter(score__run__submission_id=run.submission_id).select_related(
        "score__criterion", "score__run", "changed_by"
    )


def open_conflicts(run: GradingRun) -> dict[int, RerunConflict]:
    """Score id -> the re-run difference that waits for an instructor on that criterion."""
    conflicts = RerunConflict.objects.filter(score__run=run, resolution="")
    return {conflict.score_id: conflict for conflict in conflicts}

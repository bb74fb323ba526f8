"""Reads for review: the queue of an assignment and the regrade requests of an attempt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from portal.assessments.models import Assignment
from portal.core.text import name_key
from portal.courses.models import Enrollment
from portal.grading import scoring
from portal.grading import selectors as grading_selectors
from portal.grading.models import CriterionScore, GradingRun
from portal.grading.scoring import Grade
from portal.review.models import RegradeRequest, RerunConflict, ScoreChange
from portal.submissions.models import Submission


@dataclass
class ReviewRow:
    """One student's attempt that counts, as the queue filters, searches and sorts it: read
    for the whole class in a few queries whatever its size. ``run`` and ``grade`` are only
    loaded for the rows shown (:func:`queue_rows_load`)."""

    student_id: int
    name: str
    email: str
    username: str
    run_id: int
    late: bool  # submitted after the due date and its grace period
    needs_review: bool  # a criterion still waits for an instructor (points None)
    tampered: int  # tampering findings the grader noted on the counting run
    open_regrades: int = 0
    open_conflicts: int = 0  # criteria a re-run changed that wait for an instructor
    run: GradingRun | None = None
    grade: Grade | None = None

    @property
    def waits(self) -> bool:
        return bool(self.needs_review or self.open_regrades or self.open_conflicts)


# The queue's filters: (key in the URL, which rows it keeps). The labels are in the view.
QUEUE_FILTERS: dict[str, Callable[[ReviewRow], bool]] = {
    "todas": lambda row: True,
    "esperando": lambda row: row.waits,
    "manual": lambda row: row.needs_review,
    "pedidos": lambda row: bool(row.open_regrades),
    "mudou": lambda row: bool(row.open_conflicts),
    "adulteracao": lambda row: bool(row.tampered),
    "atrasadas": lambda row: row.late,
    "prontas": lambda row: not row.waits,
}


def queue_filtered(
    rows: list[ReviewRow], *, kind: str = "todas", query: str = ""
) -> tuple[list[ReviewRow], dict[str, int]]:
    """The rows of filter ``kind`` whose name, e-mail or username contains ``query`` (accents
    and case ignored), and how many rows each filter would keep for that search."""
    wanted = name_key(query.strip())
    found = [row for row in rows if not wanted or wanted in _search_key(row)]
    counts = {key: sum(1 for row in found if keep(row)) for key, keep in QUEUE_FILTERS.items()}
    keep = QUEUE_FILTERS.get(kind, QUEUE_FILTERS["todas"])
    return [row for row in found if keep(row)], counts


def review_queue(assignment: Assignment) -> list[ReviewRow]:
    """One row per student with a graded attempt (the one that counts, as in
    :func:`~portal.grading.selectors.assignment_grades`): those that need an instructor first
    (manual criteria, open regrade requests, re-run differences), then by name.

    Two queries whatever the class size; no score or notebook is loaded.
    """
    roster = {
        user_id: (name, email)
        for user_id, name, email in Enrollment.objects.filter(
            course_id=assignment.course_id, role=Enrollment.Role.STUDENT, user__isnull=False
        ).values_list("user_id", "full_name", "email")
    }
    rows = []
    for (
        run_id,
        late,
        needs_review,
        tampered,
        regrades,
        conflicts,
        student_id,
        *account,
    ) in _queue_columns(assignment):
        name, email = _name_and_email(roster.get(student_id), *account)
        rows.append(
            ReviewRow(
                student_id=student_id,
                name=name,
                email=email,
                username=account[-1],
                run_id=run_id,
                late=late,
                needs_review=needs_review,
                tampered=len(tampered or ()),
                open_regrades=regrades,
                open_conflicts=conflicts,
            )
        )
    return sorted(rows, key=lambda r: (not r.waits, _sort_key(r.name)))


def _queue_columns(assignment: Assignment) -> QuerySet:
    """The counting runs of ``assignment`` as tuples of what the queue needs: the counts are
    subqueries by run id (indexed), not rows brought back to Python."""
    run = OuterRef("pk")
    return (
        GradingRun.objects.filter(pk__in=grading_selectors.counting_run_ids(assignment))
        .annotate(
            late=ExpressionWrapper(
                Q(submission__submitted_at__gt=assignment.late_after), output_field=BooleanField()
            ),
            needs_review=Exists(CriterionScore.objects.filter(run=run, points__isnull=True)),
            open_regrades=_count(
                RegradeRequest.objects.filter(run=run, status=RegradeRequest.Status.OPEN)
            ),
            open_conflicts=_count(RerunConflict.objects.filter(score__run=run, resolution="")),
        )
        .order_by()
        .values_list(
            "pk",
            "late",
            "needs_review",
            "tampered",
            "open_regrades",
            "open_conflicts",
            "submission__student_id",
            "submission__student__full_name",
            "submission__student__first_name",
            "submission__student__last_name",
            "submission__student__email",
            "submission__student__username",
        )
    )


def _count(rows: QuerySet) -> Coalesce:
    """How many ``rows`` there are, as a subquery (0 rather than NULL)."""
    counted = rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted), 0)


def _sort_key(name: str) -> str:
    """``name_key`` (accents and case ignored), without its per-letter work for plain ASCII
    names, which are most of a class: sorting 1,000 names is in every queue request."""
    return name.casefold() if name.isascii() else name_key(name)


def _search_key(row: ReviewRow) -> str:
    return name_key(f"{row.name} {row.email} {row.username}")


def _name_and_email(
    enrolled: tuple[str, str] | None,
    full_name: str,
    first: str,
    last: str,
    email: str,
    username: str,
) -> tuple[str, str]:
    """The roster's name and e-mail, as the gradebook; someone no longer enrolled (or enrolled
    without a name) by their account's ``User.display_name``, read from its columns."""
    account_name = full_name or f"{first} {last}".strip() or email or username
    if enrolled is None:
        return account_name, email
    roster_name, roster_email = enrolled
    return roster_name or account_name, roster_email


def queue_rows_load(assignment: Assignment, rows: list[ReviewRow]) -> list[ReviewRow]:
    """Give the rows shown their run (with its attempt) and grade, in one query."""
    runs = GradingRun.objects.select_related("submission").only(
        "total",
        "max_total",
        "submission__attempt",
        "submission__status",
        "submission__submitted_at",
        "submission__assignment_id",
    )
    by_id = runs.in_bulk([row.run_id for row in rows])
    for row in rows:
        row.run = by_id[row.run_id]
        row.run.submission.assignment = assignment  # the late policy reads it: no new query
        row.grade = scoring.grade_of(row.run)
    return rows


def queue_errors(assignment: Assignment) -> int:
    """Students whose latest attempt ended in a grading error (the grading page re-runs it)."""
    latest = (
        Submission.objects.filter(assignment=assignment, student=OuterRef("student"))
        .order_by("-attempt")
        .values("pk")[:1]
    )
    return Submission.objects.filter(
        assignment=assignment, pk=Subquery(latest), status=Submission.Status.ERROR
    ).count()


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

"""Reads for grading: what pages and the admin show."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, QuerySet, Subquery

from portal.courses.models import Course, Enrollment
from portal.grading.models import GradingRun
from portal.submissions.models import Assignment, Submission


def _newest_runs() -> QuerySet[GradingRun]:
    """Runs of the submission in the outer query, newest first (for subqueries)."""
    return GradingRun.objects.filter(submission=OuterRef("pk")).order_by("-number")


def latest_run(submission: Submission) -> GradingRun | None:
    """The newest run of ``submission`` (re-runs included), with its scores, or None."""
    return (GradingRun.objects.filter(submission=submission)
            .prefetch_related("scores__criterion").order_by("-number").first())


def assignment_progress(assignment: Assignment) -> dict[str, int]:
    """Latest run of each submission of ``assignment``, counted by status, for a progress bar.

    Every GradingRun status is a key (0 when absent), plus ``total``; submissions with no run
    yet count as queued.
    """
    newest = _newest_runs()
    rows = (Submission.objects.filter(assignment=assignment)
            .annotate(run_status=Subquery(newest.values("status")[:1]))
            .values("run_status").annotate(n=Count("pk")).order_by())
    counts = {status: 0 for status in GradingRun.Status.values}
    for row in rows:
        counts[row["run_status"] or GradingRun.Status.QUEUED] += row["n"]
    counts["total"] = sum(counts.values())
    return counts


@dataclass(frozen=True)
class StudentRow:
    name: str
    email: str
    student_id: int | None
    submission: Submission | None  # the latest attempt, annotated (see ``latest_submissions``)


def latest_submissions(assignment: Assignment) -> dict[int, Submission]:
    """The latest attempt of each student, by student id, in one query, with the newest run's
    status and error and the total of the newest DONE run as attributes."""
    latest = (Submission.objects.filter(assignment=assignment, student=OuterRef("student"))
              .order_by("-attempt").values("pk")[:1])
    runs = _newest_runs()
    done = runs.filter(status=GradingRun.Status.DONE)
    submissions = (Submission.objects.filter(assignment=assignment, pk=Subquery(latest))
                   .select_related("student", "assignment")
                   .annotate(run_status=Subquery(runs.values("status")[:1]),
                             run_error=Subquery(runs.values("error")[:1]),
                             done_total=Subquery(done.values("total")[:1]),
                             done_max_total=Subquery(done.values("max_total")[:1])))
    return {s.student_id: s for s in submissions}


def assignment_student_rows(course: Course, assignment: Assignment) -> list[StudentRow]:
    """One row per student of the course (and per submitter no longer enrolled)."""
    latest = latest_submissions(assignment)
    enrollments = (course.enrollments.filter(role=Enrollment.Role.STUDENT)
                   .select_related("user").order_by("full_name", "email"))
    rows = []
    for enrollment in enrollments:
        user = enrollment.user
        rows.append(StudentRow(
            name=enrollment.full_name or (user.display_name if user else enrollment.email),
            email=enrollment.email, student_id=enrollment.user_id,
            submission=latest.pop(enrollment.user_id, None) if user else None))
    for submission in sorted(latest.values(), key=lambda s: s.student.display_name):
        rows.append(StudentRow(name=submission.student.display_name,
                               email=submission.student.email,
                               student_id=submission.student_id, submission=submission))
    return rows

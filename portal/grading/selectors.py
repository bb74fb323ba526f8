"""Reads for grading: what pages and the admin show."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery

from portal.grading.models import GradingRun
from portal.submissions.models import Assignment, Submission


def latest_run(submission: Submission) -> GradingRun | None:
    """The newest run of ``submission`` (re-runs included), with its scores, or None."""
    return (GradingRun.objects.filter(submission=submission)
            .prefetch_related("scores__criterion").order_by("-number").first())


def assignment_progress(assignment: Assignment) -> dict[str, int]:
    """Latest run of each submission of ``assignment``, counted by status, for a progress bar.

    Every GradingRun status is a key (0 when absent), plus ``total``; submissions with no run
    yet count as queued.
    """
    newest = GradingRun.objects.filter(submission=OuterRef("pk")).order_by("-number")
    rows = (Submission.objects.filter(assignment=assignment)
            .annotate(run_status=Subquery(newest.values("status")[:1]))
            .values("run_status").annotate(n=Count("pk")).order_by())
    counts = {status: 0 for status in GradingRun.Status.values}
    for row in rows:
        counts[row["run_status"] or GradingRun.Status.QUEUED] += row["n"]
    counts["total"] = sum(counts.values())
    return counts

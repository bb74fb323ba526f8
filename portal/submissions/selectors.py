"""Reads for attempts: who may see which one.

Students see only their own attempts; instructors and admins of the course pick the student.
Someone else's attempt is a 404, not a 403: no hint that it exists.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from portal.accounts.models import User
from portal.assessments.models import Assignment
from portal.submissions.models import LeaderboardEntry, Submission

FINAL_STATUSES = (Submission.Status.GRADED, Submission.Status.ERROR)


def attempts(assignment: Assignment, student: User) -> list[Submission]:
    return list(
        Submission.objects.filter(assignment=assignment, student=student)
        .select_related("assignment")
        .order_by("-attempt")
    )


def counting_attempt(submissions: list[Submission]) -> Submission | None:
    """The attempt that counts: the latest graded one."""
    graded = [s for s in submissions if s.status == Submission.Status.GRADED]
    return max(graded, key=lambda s: s.attempt) if graded else None


def attempts_for_user(
    user: User, assignment: Assignment, *, manager: bool, student_id: int | None = None
) -> QuerySet[Submission]:
    """The attempts ``user`` may list here: their own; a manager's pick with ``student_id``."""
    owner_id = student_id if manager and student_id else user.pk
    return Submission.objects.select_related("student", "assignment").filter(
        assignment=assignment, student_id=owner_id
    )


def get_submission_for_user(
    user: User,
    assignment: Assignment,
    attempt: int,
    *,
    manager: bool,
    student_id: int | None = None,
) -> Submission:
    """A student gets only their own attempt; managers pick the student with ``student_id``.

    Someone else's attempt is a 404, not a 403: no hint that it exists.
    """
    submission = (
        attempts_for_user(user, assignment, manager=manager, student_id=student_id)
        .filter(attempt=attempt)
        .first()
    )
    if submission is None:
        raise Http404("submission")
    return submission


def leaderboard_entry(assignment: Assignment, student: User) -> LeaderboardEntry | None:
    return LeaderboardEntry.objects.filter(assignment=assignment, student=student).first()


def commit_url(submission: Submission) -> str:
    """A link to the graded commit on GitHub ("" for other hosts: no guessing their layout)."""
    url = submission.repo_url.removesuffix(".git")
    if submission.commit_sha and url.startswith("https://github.com/"):
        return f"{url}/tree/{submission.commit_sha}"
    return ""

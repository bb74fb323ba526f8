"""Reads for assignments and submissions: who may see which attempt and which grade.

Students see the assignments of published weeks (or without a week) and only their own
attempts; instructors and admins of the course see everything. Anyone else gets a 404
(through ``courses.selectors.get_course_for_user``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from autograder.container.holdout_metrics import HIGHER_IS_BETTER
from portal.accounts.models import User
from portal.courses.models import Course
from portal.courses.selectors import MANAGER_ROLES, course_role, weeks_for_user
from portal.grading.models import CriterionScore, GradingRun, RegradeRequest
from portal.submissions.models import Assignment, AssignmentFile, LeaderboardEntry, Submission

FINAL_STATUSES = (Submission.Status.GRADED, Submission.Status.ERROR)


def assignments_for_user(user: User, course: Course, *, manager: bool) -> QuerySet[Assignment]:
    assignments = course.assignments.select_related("week")
    if manager:
        return assignments
    visible = weeks_for_user(user, course, manager=False)
    return assignments.filter(Q(week__isnull=True) | Q(week__in=visible))


def get_assignment_for_user(user: User, course: Course, slug: str, *,
                            manager: bool) -> Assignment:
    assignment = assignments_for_user(user, course, manager=manager).filter(slug=slug).first()
    if assignment is None:
        raise Http404("assignment")
    return assignment


def upcoming_assignments(course: Course, user: User, *, manager: bool | None = None,
                         limit: int = 5) -> list[Assignment]:
    """Assignments still open (due in the future) that ``user`` may see, soonest first."""
    if manager is None:
        manager = course_role(user, course) in MANAGER_ROLES
    return list(assignments_for_user(user, course, manager=manager)
                .filter(due_at__gt=timezone.now()).order_by("due_at")[:limit])


def attempts(assignment: Assignment, student: User) -> list[Submission]:
    return list(Submission.objects.filter(assignment=assignment, student=student)
                .select_related("assignment").order_by("-attempt"))


def counting_attempt(submissions: list[Submission]) -> Submission | None:
    """The attempt that counts: the latest graded one."""
    graded = [s for s in submissions if s.status == Submission.Status.GRADED]
    return max(graded, key=lambda s: s.attempt) if graded else None


def get_submission_for_user(user: User, assignment: Assignment, attempt: int, *,
                            manager: bool, student_id: int | None = None) -> Submission:
    """A student gets only their own attempt; managers pick the student with ``student_id``.

    Someone else's attempt is a 404, not a 403: no hint that it exists.
    """
    owner_id = student_id if manager and student_id else user.pk
    submission = (Submission.objects.select_related("student", "assignment")
                  .filter(assignment=assignment, student_id=owner_id, attempt=attempt).first())
    if submission is None:
        raise Http404("submission")
    return submission


def grades_released(assignment: Assignment) -> bool:
    return (assignment.release_mode == Assignment.ReleaseMode.AUTO
            or (assignment.released_at is not None and assignment.released_at <= timezone.now()))


def latest_done_run(submission: Submission) -> GradingRun | None:
    return submission.runs.filter(status=GradingRun.Status.DONE).order_by("-number").first()


@dataclass(frozen=True)
class SubmissionResult:
    submission: Submission
    final: bool
    released: bool  # may this viewer see the grade
    run: GradingRun | None
    scores: list[CriterionScore]


def submission_result(submission: Submission, *, manager: bool) -> SubmissionResult:
    final = submission.status in FINAL_STATUSES
    released = manager or grades_released(submission.assignment)
    run = latest_done_run(submission) if final and released else None
    scores = (list(run.scores.select_related("criterion").order_by("criterion__order"))
              if run else [])
    return SubmissionResult(submission=submission, final=final, released=released, run=run,
                            scores=scores)


# -- course files and the held-out leaderboard -------------------------------------------------


def data_files(assignment: Assignment) -> list[AssignmentFile]:
    """What students may download with the notebook. Held-out files never appear here."""
    return list(assignment.files.filter(role=AssignmentFile.Role.DATA).order_by("name"))


def higher_is_better(assignment: Assignment) -> bool:
    return HIGHER_IS_BETTER.get(assignment.holdout.get("metric", ""), True)


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    pseudonym: str
    value: float
    achieved_at: object
    attempts: int
    is_viewer: bool


def leaderboard(assignment: Assignment, viewer: User | None = None,
                limit: int = 50) -> list[LeaderboardRow]:
    """The best held-out metric of each student who opted in, best first (ties: earlier).

    Two queries whatever the class size: the best value per opted-in student, then when
    each reached it.
    """
    if not assignment.holdout:
        return []
    best = Max if higher_is_better(assignment) else Min
    entries = {entry.student_id: entry for entry in
               LeaderboardEntry.objects.filter(assignment=assignment)}
    runs = (GradingRun.objects
            .filter(submission__assignment=assignment, status=GradingRun.Status.DONE,
                    holdout_value__isnull=False, submission__student_id__in=list(entries))
            .values("submission__student_id")
            .annotate(best=best("holdout_value"), attempts=Count("submission", distinct=True)))
    firsts = {}
    for student_id, value, finished in (
        GradingRun.objects
        .filter(submission__assignment=assignment, status=GradingRun.Status.DONE,
                submission__student_id__in=list(entries))
        .filter(holdout_value__in=[row["best"] for row in runs])
        .values_list("submission__student_id", "holdout_value", "finished_at")
    ):
        key = (student_id, value)
        if key not in firsts or finished < firsts[key]:
            firsts[key] = finished
    rows = sorted(
        ((row["best"], firsts.get((row["submission__student_id"], row["best"])),
          row["submission__student_id"], row["attempts"]) for row in runs),
        key=lambda item: (-item[0] if higher_is_better(assignment) else item[0],
                          item[1] or timezone.now()),
    )
    return [
        LeaderboardRow(rank=index, pseudonym=entries[student_id].pseudonym, value=value,
                       achieved_at=achieved, attempts=attempts,
                       is_viewer=viewer is not None and student_id == viewer.pk)
        for index, (value, achieved, student_id, attempts) in enumerate(rows[:limit], start=1)
    ]


def leaderboard_entry(assignment: Assignment, student: User) -> LeaderboardEntry | None:
    return LeaderboardEntry.objects.filter(assignment=assignment, student=student).first()


def week_assignments(week) -> list[Assignment]:
    """The assignments of a week the viewer already may see, with ``has_data`` set."""
    assignments = list(week.assignments.order_by("order", "due_at").annotate(
        data_count=Count("files", filter=Q(files__role=AssignmentFile.Role.DATA))))
    for assignment in assignments:
        assignment.has_data = assignment.data_count > 0
    return assignments


def commit_url(submission: Submission) -> str:
    """A link to the graded commit on GitHub ("" for other hosts: no guessing their layout)."""
    url = submission.repo_url.removesuffix(".git")
    if submission.commit_sha and url.startswith("https://github.com/"):
        return f"{url}/tree/{submission.commit_sha}"
    return ""


def regrade_requests(submission: Submission) -> list[RegradeRequest]:
    return list(RegradeRequest.objects.filter(run__submission=submission)
                .select_related("criterion").order_by("-created_at"))

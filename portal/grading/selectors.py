"""Reads for grading: results of attempts, progress of an assignment, the grades of a class.

Who may see what is decided before these are called (``courses.selectors`` for the course,
``assessments.selectors`` for the assignment, ``submissions.selectors`` for the attempt);
these only read.

The grades of an assignment (:func:`assignment_grades`) are the one read behind the review
queue, the spreadsheet, the ranking and the reports: for each student of the course (and
anyone who submitted without being enrolled any more) the attempt that counts (the latest
graded one), its newest finished run, the scores by criterion key and the grade with the late
policy applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, OuterRef, QuerySet, Subquery
from django.utils import timezone

from portal.accounts.models import User
from portal.assessments.models import Assignment, Criterion
from portal.assessments.selectors import grades_released, higher_is_better
from portal.courses.models import Course, Enrollment
from portal.grading.models import SUBMISSION_STATUS, CriterionScore, GradingRun
from portal.grading.scoring import Grade, grade_of
from portal.submissions.models import LeaderboardEntry, Submission
from portal.submissions.selectors import FINAL_STATUSES


def _newest_runs() -> QuerySet[GradingRun]:
    """Runs of the submission in the outer query, newest first (for subqueries)."""
    return GradingRun.objects.filter(submission=OuterRef("pk")).order_by("-number")


def latest_run(submission: Submission) -> GradingRun | None:
    """The newest run of ``submission`` (re-runs included), with its scores, or None."""
    return (
        GradingRun.objects.filter(submission=submission)
        .prefetch_related("scores__criterion")
        .order_by("-number")
        .first()
    )


# A batch is still being graded while any of its runs is in one of these.
PENDING_STATUSES = (GradingRun.Status.QUEUED, GradingRun.Status.RUNNING, GradingRun.Status.WAITING)


def assignment_progress(assignment: Assignment) -> dict[str, int]:
    """Every submission of ``assignment`` counted by the status of its newest run, for a
    progress bar (``Submission.status`` is that status, stored).

    Every GradingRun status is a key (0 when absent), plus ``total``; a submission with no
    run yet counts as queued.
    """
    run_status = {mine: theirs for theirs, mine in SUBMISSION_STATUS.items()}
    rows = (
        Submission.objects.filter(assignment=assignment)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {status: 0 for status in GradingRun.Status.values}
    for row in rows:
        counts[run_status[row["status"]]] += row["n"]
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
    error and the total of the newest DONE run as attributes."""
    latest = (
        Submission.objects.filter(assignment=assignment, student=OuterRef("student"))
        .order_by("-attempt")
        .values("pk")[:1]
    )
    runs = _newest_runs()
    done = runs.filter(status=GradingRun.Status.DONE)
    submissions = (
        Submission.objects.filter(assignment=assignment, pk=Subquery(latest))
        .select_related("student", "assignment")
        .annotate(
            run_error=Subquery(runs.values("error")[:1]),
            done_total=Subquery(done.values("total")[:1]),
            done_max_total=Subquery(done.values("max_total")[:1]),
        )
    )
    return {s.student_id: s for s in submissions}


def assignment_student_rows(course: Course, assignment: Assignment) -> list[StudentRow]:
    """One row per student of the course (and per submitter no longer enrolled)."""
    latest = latest_submissions(assignment)
    enrollments = (
        course.enrollments.filter(role=Enrollment.Role.STUDENT)
        .select_related("user")
        .order_by("full_name", "email")
    )
    rows = []
    for enrollment in enrollments:
        user = enrollment.user
        rows.append(
            StudentRow(
                name=enrollment.full_name or (user.display_name if user else enrollment.email),
                email=enrollment.email,
                student_id=enrollment.user_id,
                submission=latest.pop(enrollment.user_id, None) if user else None,
            )
        )
    for submission in sorted(latest.values(), key=lambda s: s.student.display_name):
        rows.append(
            StudentRow(
                name=submission.student.display_name,
                email=submission.student.email,
                student_id=submission.student_id,
                submission=submission,
            )
        )
    return rows


# -- one attempt's result ------------------------------------------------------------------


def get_attempt(assignment: Assignment, student_id: int, attempt: int) -> Submission | None:
    """Attempt number ``attempt`` of ``student_id`` at ``assignment``, or None."""
    return (
        Submission.objects.select_related("student", "assignment")
        .filter(assignment=assignment, student_id=student_id, attempt=attempt)
        .first()
    )


def latest_done_run(submission: Submission) -> GradingRun | None:
    return submission.runs.filter(status=GradingRun.Status.DONE).order_by("-number").first()


@dataclass(frozen=True)
class SubmissionResult:
    submission: Submission
    final: bool
    released: bool  # may this viewer see the grade
    run: GradingRun | None
    scores: list[CriterionScore]
    # Queued again after a try that did not end (its worker stopped): graded again, once.
    again: bool = False


def submission_result(submission: Submission, *, manager: bool) -> SubmissionResult:
    final = submission.status in FINAL_STATUSES
    released = manager or grades_released(submission.assignment)
    run = latest_done_run(submission) if final and released else None
    scores = (
        list(run.scores.select_related("criterion").order_by("criterion__order")) if run else []
    )
    again = submission.status == Submission.Status.QUEUED and bool(
        submission.runs.order_by("-number").values_list("tries", flat=True).first()
    )
    return SubmissionResult(
        submission=submission, final=final, released=released, run=run, scores=scores, again=again
    )


# -- the grades of an assignment ---------------------------------------------------------


@dataclass
class GradeRow:
    name: str
    email: str
    student: User | None
    submission: Submission | None = None  # the attempt that counts
    run: GradingRun | None = None  # its newest finished run
    grade: Grade | None = None
    scores: dict[str, CriterionScore] = field(default_factory=dict)  # by criterion key

    @property
    def needs_review(self) -> bool:
        """Graded, but a criterion still waits for an instructor (points None)."""
        return self.run is not None and any(s.points is None for s in self.scores.values())


def assignment_grades(assignment: Assignment) -> tuple[list[Criterion], list[GradeRow]]:
    """The rubric and one row per student (see the module docstring), in 5 queries."""
    criteria = list(assignment.criteria.order_by("order", "pk"))
    runs = _counting_runs(assignment)
    rows = []
    for row in _people(assignment.course, assignment):
        run = runs.get(row.student.pk) if row.student else None
        if run is not None:
            row.run, row.submission = run, run.submission
            row.scores = {score.criterion.key: score for score in run.scores.all()}
            row.grade = grade_of(run)
        rows.append(row)
    return criteria, rows


def counting_run(assignment: Assignment, student_id: int) -> GradingRun | None:
    """The run that counts for one student (see :func:`assignment_grades`), with its scores."""
    return _counting_runs(assignment, student_id=student_id).get(student_id)


def counting_run_ids(assignment: Assignment, student_id: int | None = None) -> QuerySet:
    """The ids of the runs that count (see :func:`assignment_grades`), one per student with a
    graded attempt (None when that attempt has no finished run): a lazy query, usable as a
    subquery (``pk__in=``)."""
    counting = (
        Submission.objects.filter(
            assignment=assignment, student=OuterRef("student"), status=Submission.Status.GRADED
        )
        .order_by("-attempt")
        .values("pk")[:1]
    )
    newest_done = (
        GradingRun.objects.filter(submission=OuterRef("pk"), status=GradingRun.Status.DONE)
        .order_by("-number")
        .values("pk")[:1]
    )
    submissions = Submission.objects.filter(assignment=assignment, pk=Subquery(counting))
    if student_id is not None:
        submissions = submissions.filter(student_id=student_id)
    return submissions.annotate(run_id=Subquery(newest_done)).values_list("run_id", flat=True)


def _counting_runs(assignment: Assignment, student_id: int | None = None) -> dict[int, GradingRun]:
    """student id -> newest DONE run of their latest graded attempt (3 queries)."""
    run_ids = counting_run_ids(assignment, student_id)
    runs = (
        GradingRun.objects.filter(pk__in=[pk for pk in run_ids if pk])
        .select_related("submission__assignment", "submission__student")
        .prefetch_related("scores__criterion")
    )
    if student_id is None:
        # A class's grades never show the notebooks (up to megabytes of JSON each); one
        # student's review page does.
        runs = runs.defer("feedback_notebook", "staff_feedback_notebook")
    return {run.submission.student_id: run for run in runs}


def _people(course: Course, assignment: Assignment) -> list[GradeRow]:
    """Enrolled students by name, then anyone else who submitted (2 queries)."""
    enrollments = (
        course.enrollments.filter(role=Enrollment.Role.STUDENT)
        .select_related("user")
        .order_by("full_name", "email")
    )
    rows, seen = [], set()
    for enrollment in enrollments:
        user = enrollment.user
        name = enrollment.full_name or (user.display_name if user else enrollment.email)
        rows.append(GradeRow(name=name, email=enrollment.email, student=user))
        if user:
            seen.add(user.pk)
    others = (
        User.objects.filter(submissions__assignment=assignment)
        .exclude(pk__in=seen)
        .distinct()
        .order_by("full_name", "username")
    )
    rows += [GradeRow(name=u.display_name, email=u.email, student=u) for u in others]
    return rows


def course_grades(course: Course) -> dict[Assignment, tuple[list[Criterion], list[GradeRow]]]:
    """Every assignment's gradebook, in course order."""
    assignments = course.assignments.order_by("order", "due_at")
    return {assignment: assignment_grades(assignment) for assignment in assignments}


# -- the held-out leaderboard -----------------------------------------------------------


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    pseudonym: str
    value: float
    achieved_at: object
    attempts: int
    is_viewer: bool


def leaderboard(
    assignment: Assignment, viewer: User | None = None, limit: int = 50
) -> list[LeaderboardRow]:
    """The best held-out metric of each student who opted in, best first (ties: earlier).

    Two queries whatever the class size: the best value per opted-in student, then when
    each reached it.
    """
    if not assignment.holdout:
        return []
    best = Max if higher_is_better(assignment) else Min
    entries = {
        entry.student_id: entry for entry in LeaderboardEntry.objects.filter(assignment=assignment)
    }
    runs = (
        GradingRun.objects.filter(
            submission__assignment=assignment,
            status=GradingRun.Status.DONE,
            holdout_value__isnull=False,
            submission__student_id__in=list(entries),
        )
        .values("submission__student_id")
        .annotate(best=best("holdout_value"), attempts=Count("submission", distinct=True))
    )
    firsts = {}
    for student_id, value, finished in (
        GradingRun.objects.filter(
            submission__assignment=assignment,
            status=GradingRun.Status.DONE,
            submission__student_id__in=list(entries),
        )
        .filter(holdout_value__in=[row["best"] for row in runs])
        .values_list("submission__student_id", "holdout_value", "finished_at")
    ):
        key = (student_id, value)
        if key not in firsts or finished < firsts[key]:
            firsts[key] = finished
    rows = sorted(
        (
            (
                row["best"],
                firsts.get((row["submission__student_id"], row["best"])),
                row["submission__student_id"],
                row["attempts"],
            )
            for row in runs
        ),
        key=lambda item: (
            -item[0] if higher_is_better(assignment) else item[0],
            item[1] or timezone.now(),
        ),
    )
    return [
        LeaderboardRow(
            rank=index,
            pseudonym=entries[student_id].pseudonym,
            value=value,
            achieved_at=achieved,
            attempts=attempts,
            is_viewer=viewer is not None and student_id == viewer.pk,
        )
        for index, (value, achieved, student_id, attempts) in enumerate(rows[:limit], start=1)
    ]

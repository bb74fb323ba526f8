"""Feedback reports: what each student did in the course, and the course at a glance.

The data behind the admins' reports, built once and rendered three ways (the HTML page, the
PDF and the course zip), so the three never disagree. Everything starts from
:func:`portal.grading.selectors.course_grades` (the same counting attempt and the same
late policy as the review pages and the spreadsheet) plus one query each for the audit
history, the regrade requests, the finalists and the attempts: a course report costs a fixed
number of queries per assignment, whatever the number of students.

Admins see every grade, released or not; an unreleased one is marked so that a report
handed to a student does not show something the portal still hides from them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from statistics import mean, median
from typing import NamedTuple

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from portal.assessments.models import Assignment, Criterion
from portal.assessments.selectors import grades_released
from portal.attendance import selectors as attendance
from portal.courses.models import Course
from portal.grading.scoring import Grade
from portal.grading.selectors import GradeRow, course_grades
from portal.ranking.models import Finalist
from portal.review.models import RegradeRequest, ScoreChange
from portal.submissions.models import Submission

# A criterion is a strength from this share of its points, a point to improve below that one.
STRENGTH_PERCENT = Decimal(80)
IMPROVE_PERCENT = Decimal(50)


class Status:
    """Where a student stands on one assignment (stable ids; labels in :func:`status_label`)."""

    GRADED = "graded"
    NEEDS_REVIEW = "needs_review"  # graded, a criterion still waits for an instructor
    IN_PROGRESS = "in_progress"  # submitted, no finished grading yet
    MISSING = "missing"  # nothing submitted


def status_label(status: str) -> str:
    return {
        Status.GRADED: _("Corrigida"),
        Status.NEEDS_REVIEW: _("Aguardando revisão do instrutor"),
        Status.IN_PROGRESS: _("Entregue, aguardando correção"),
        Status.MISSING: _("Sem entrega"),
    }[status]


def percent_of(points: Decimal | None, max_points: Decimal | None) -> Decimal | None:
    if points is None or not max_points:
        return None
    return (Decimal(points) / Decimal(max_points) * 100).quantize(Decimal("0.1"))


# -- one student ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionLine:
    key: str
    title: str
    points: Decimal | None  # None: waits for an instructor
    max_points: Decimal
    justification: str
    manual: bool  # set or changed by an instructor

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.points, self.max_points)


@dataclass(frozen=True)
class Comment:
    """An instructor's change of a criterion: the reason is the comment."""

    assignment: str
    criterion: str
    attempt: int
    by: str
    at: dt.datetime
    points_before: Decimal | None
    points_after: Decimal | None
    reason: str
    source: str  # label: review, spreadsheet import, regrade request


@dataclass(frozen=True)
class Regrade:
    assignment: str
    criterion: str
    attempt: int
    reason: str
    status: str  # RegradeRequest.Status value
    status_label: str
    created_at: dt.datetime
    response: str
    responded_by: str
    responded_at: dt.datetime | None


@dataclass(frozen=True)
class Highlight:
    """A strength or a point to improve: one criterion of one assignment."""

    assignment: str
    criterion: str
    points: Decimal
    max_points: Decimal
    justification: str

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.points, self.max_points)


@dataclass
class AssignmentLine:
    assignment: Assignment
    status: str
    released: bool
    attempt: int | None = None
    submitted_at: dt.datetime | None = None
    grade: Grade | None = None
    criteria: list[CriterionLine] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    regrades: list[Regrade] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.assignment.title

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def is_project(self) -> bool:
        return self.assignment.kind == Assignment.Kind.PROJECT


@dataclass(frozen=True)
class FinalProject:
    """The final project's grade and where it stands among the finalists."""

    lines: list[AssignmentLine]
    finalists_chosen: bool  # any Finalist row in the course
    position: int | None  # 1..3 when a finalist
    is_winner: bool
    selection_score: Decimal | None
    notebook_bonus: Decimal | None
    presented_at: dt.datetime | None
    presentation_notes: str

    @property
    def outcome(self) -> str:
        if not self.finalists_chosen:
            return _("Os finalistas ainda não foram escolhidos.")
        if self.is_winner:
            return _("Projeto vencedor (finalista na posição %(n)d).") % {"n": self.position}
        if self.position:
            return _("Finalista, na posição %(n)d do ranking.") % {"n": self.position}
        return _("Não ficou entre os três finalistas.")


@dataclass
class StudentReport:
    course: Course
    student_id: int
    name: str
    email: str
    username: str
    generated_at: dt.datetime
    assignments: list[AssignmentLine]
    strengths: list[Highlight]
    improvements: list[Highlight]
    final_project: FinalProject | None
    attendance: str = ""  # "Presente em 5 de 6 aulas registradas (83 %)."

    @property
    def slug(self) -> str:
        """File name stem: the name's slug and the user id (names repeat, ids do not)."""
        return f"{slugify(self.name) or 'aluno'}-{self.student_id}"

    @property
    def comments(self) -> list[Comment]:
        return [c for line in self.assignments for c in line.comments]

    @property
    def regrades(self) -> list[Regrade]:
        return [r for line in self.assignments for r in line.regrades]


# -- the course ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionAverage:
    title: str
    max_points: Decimal
    average_points: Decimal | None  # over graded students with points for it
    average_percent: Decimal | None
    count: int


@dataclass
class AssignmentSummary:
    assignment: Assignment
    released: bool
    students: int
    submitted: int
    graded: int
    needs_review: int
    late: int
    percents: list[float]  # each graded student's grade, % of max after penalty
    criteria: list[CriterionAverage]

    @property
    def title(self) -> str:
        return self.assignment.title

    @property
    def pending(self) -> int:
        """Submitted but without a finished grading yet."""
        return self.submitted - self.graded

    def _stat(self, fn) -> Decimal | None:
        if not self.percents:
            return None
        return Decimal(str(fn(self.percents))).quantize(Decimal("0.1"))

    @property
    def mean_percent(self) -> Decimal | None:
        return self._stat(mean)

    @property
    def median_percent(self) -> Decimal | None:
        return self._stat(median)

    @property
    def min_percent(self) -> Decimal | None:
        return self._stat(min)

    @property
    def max_percent(self) -> Decimal | None:
        return self._stat(max)


@dataclass
class CourseReport:
    course: Course
    generated_at: dt.datetime
    summaries: list[AssignmentSummary]
    students: list[StudentReport]
    without_account: list[GradeRow]  # on the roster, never signed in: nothing to report
    attendance: str = ""  # the class's attendance in one sentence


def course_report(course: Course, *, student_id: int | None = None) -> CourseReport:
    """Every student's report and the per-assignment summary, in bounded queries.

    ``student_id`` keeps only that student's report (the summary stays whole): one page
    reads the same data as the zip, so a student's page and their PDF in the zip agree.
    """
    now = timezone.now()
    books = course_grades(course)
    attempts = _attempts(course)
    changes = _changes(course, student_id)
    regrades = _regrades(course, student_id)
    finalists = {f.student_id: f for f in Finalist.objects.filter(course=course)}

    summaries = []
    per_student: dict[int, list[AssignmentLine]] = defaultdict(list)
    names: dict[int, GradeRow] = {}
    without_account: dict[str, GradeRow] = {}
    for assignment, (criteria, rows) in books.items():
        released = grades_released(assignment)
        summaries.append(
            assignment_summary(assignment, criteria, rows, released=released, attempts=attempts)
        )
        for row in rows:
            if row.student is None:
                without_account.setdefault(row.email, row)
                continue
            if student_id is not None and row.student.pk != student_id:
                continue
            names.setdefault(row.student.pk, row)
            per_student[row.student.pk].append(
                _line(
                    assignment,
                    criteria,
                    row,
                    attempts.get((assignment.pk, row.student.pk), []),
                    released,
                    changes,
                    regrades,
                )
            )

    presence = attendance.course_attendance(course)
    students = [
        replace(
            _student(course, row, per_student[pk], finalists, bool(finalists), now),
            attendance=attendance.summary_line(presence.of(pk)),
        )
        for pk, row in sorted(names.items(), key=lambda item: (item[1].name.casefold(), item[0]))
    ]
    return CourseReport(
        course=course,
        generated_at=now,
        summaries=summaries,
        students=students,
        without_account=list(without_account.values()),
        attendance=attendance.class_line(presence, list(names)),
    )


def student_report(course: Course, student_id: int) -> StudentReport | None:
    """One student's report (None: not a student of this course, nor someone who submitted)."""
    report = course_report(course, student_id=student_id)
    return report.students[0] if report.students else None


# -- building blocks -----------------------------------------------------------------------------


class Attempt(NamedTuple):
    number: int
    is_late: bool
    submitted_at: dt.datetime


def _attempts(
    course: Course,
    assignment: Assignment | None = None,
) -> dict[tuple[int, int], list[Attempt]]:
    """(assignment id, student id) -> [Attempt], newest first (1 query)."""
    found: dict[tuple[int, int], list[Attempt]] = defaultdict(list)
    submissions = Submission.objects.filter(assignment__course=course)
    if assignment is not None:
        submissions = submissions.filter(assignment=assignment)
    for submission in submissions.select_related("assignment").order_by(
        "assignment_id", "student_id", "-attempt"
    ):
        found[(submission.assignment_id, submission.student_id)].append(
            Attempt(submission.attempt, submission.is_late, submission.submitted_at)
        )
    return found


def _changes(course: Course, student_id: int | None) -> dict[tuple[int, int], list[Comment]]:
    """(assignment id, student id) -> the instructors' changes, oldest first (1 query)."""
    changes = (
        ScoreChange.objects.filter(score__run__submission__assignment__course=course)
        # A re-run's entries carry decisions already listed; they are not comments of their own.
        .exclude(source=ScoreChange.Source.RERUN)
        .select_related("changed_by", "score__criterion", "score__run__submission__assignment")
        .order_by("changed_at", "pk")
    )
    if student_id is not None:
        changes = changes.filter(score__run__submission__student_id=student_id)
    found: dict[tuple[int, int], list[Comment]] = defaultdict(list)
    for change in changes:
        submission = change.score.run.submission
        found[(submission.assignment_id, submission.student_id)].append(
            Comment(
                assignment=submission.assignment.title,
                criterion=change.score.criterion.title,
                attempt=submission.attempt,
                by=change.changed_by.display_name if change.changed_by else _("(conta removida)"),
                at=change.changed_at,
                points_before=change.points_before,
                points_after=change.points_after,
                reason=change.reason,
                source=change.get_source_display(),
            )
        )
    return found


def _regrades(course: Course, student_id: int | None) -> dict[tuple[int, int], list[Regrade]]:
    """(assignment id, student id) -> regrade requests with their answers, oldest first."""
    requests = (
        RegradeRequest.objects.filter(run__submission__assignment__course=course)
        .select_related("responded_by", "criterion", "run__submission__assignment")
        .order_by("created_at", "pk")
    )
    if student_id is not None:
        requests = requests.filter(run__submission__student_id=student_id)
    found: dict[tuple[int, int], list[Regrade]] = defaultdict(list)
    for request in requests:
        submission = request.run.submission
        found[(submission.assignment_id, submission.student_id)].append(
            Regrade(
                assignment=submission.assignment.title,
                criterion=request.criterion.title,
                attempt=submission.attempt,
                reason=request.reason,
                status=request.status,
                status_label=request.get_status_display(),
                created_at=request.created_at,
                response=request.response,
                responded_by=request.responded_by.display_name if request.responded_by else "",
                responded_at=request.responded_at,
            )
        )
    return found


def _status(row: GradeRow, attempts: list[Attempt]) -> str:
    if row.run is not None:
        return Status.NEEDS_REVIEW if row.needs_review else Status.GRADED
    return Status.IN_PROGRESS if attempts else Status.MISSING


def _line(
    assignment: Assignment,
    criteria: list[Criterion],
    row: GradeRow,
    attempts: list[Attempt],
    released: bool,
    changes: dict[tuple[int, int], list[Comment]],
    regrades: dict[tuple[int, int], list[Regrade]],
) -> AssignmentLine:
    key = (assignment.pk, row.student.pk)
    line = AssignmentLine(
        assignment=assignment,
        status=_status(row, attempts),
        released=released,
        comments=changes.get(key, []),
        regrades=regrades.get(key, []),
    )
    if row.submission is not None:
        line.attempt, line.submitted_at = row.submission.attempt, row.submission.submitted_at
    elif attempts:
        line.attempt, line.submitted_at = attempts[0].number, attempts[0].submitted_at
    if row.run is not None:
        line.grade = row.grade
        for criterion in criteria:
            score = row.scores.get(criterion.key)
            if score is None:
                continue
            line.criteria.append(
                CriterionLine(
                    key=criterion.key,
                    title=criterion.title,
                    points=score.points,
                    max_points=score.max_points,
                    justification=score.justification,
                    manual=score.source == score.Source.MANUAL,
                )
            )
    return line


def _highlights(lines: list[AssignmentLine]) -> tuple[list[Highlight], list[Highlight]]:
    strengths, improvements = [], []
    for line in lines:
        for c in line.criteria:
            percent = c.percent
            if percent is None:
                continue
            item = Highlight(
                assignment=line.title,
                criterion=c.title,
                points=c.points,
                max_points=c.max_points,
                justification=c.justification,
            )
            if percent >= STRENGTH_PERCENT:
                strengths.append(item)
            elif percent < IMPROVE_PERCENT:
                improvements.append(item)
    return strengths, improvements


def _student(
    course: Course,
    row: GradeRow,
    lines: list[AssignmentLine],
    finalists: dict[int, Finalist],
    chosen: bool,
    now: dt.datetime,
) -> StudentReport:
    user = row.student
    strengths, improvements = _highlights(lines)
    projects = [line for line in lines if line.is_project]
    final = None
    if projects:
        finalist = finalists.get(user.pk)
        final = FinalProject(
            lines=projects,
            finalists_chosen=chosen,
            position=finalist.position if finalist else None,
            is_winner=bool(finalist and finalist.is_winner),
            selection_score=finalist.selection_score if finalist else None,
            notebook_bonus=finalist.notebook_bonus if finalist else None,
            presented_at=finalist.presented_at if finalist else None,
            presentation_notes=finalist.presentation_notes if finalist else "",
        )
    return StudentReport(
        course=course,
        student_id=user.pk,
        name=row.name,
        email=row.email or user.email,
        username=user.username,
        generated_at=now,
        assignments=lines,
        strengths=strengths,
        improvements=improvements,
        final_project=final,
    )


def assignment_summary(
    assignment: Assignment,
    criteria: list[Criterion],
    rows: list[GradeRow],
    *,
    released: bool,
    attempts: dict[tuple[int, int], list[Attempt]] | None = None,
) -> AssignmentSummary:
    """One assignment's counts, grades and criterion averages, from its gradebook."""
    if attempts is None:
        attempts = _attempts(assignment.course, assignment)
    graded = [row for row in rows if row.run is not None]
    submitted = late = 0
    for row in rows:
        tries = attempts.get((assignment.pk, row.student.pk), []) if row.student else []
        if not tries:
            continue
        submitted += 1
        # The attempt that counts decides lateness; before grading, the newest one.
        if row.grade is not None:
            late += row.grade.late_days > 0
        else:
            late += tries[0].is_late
    percents = [
        float(row.grade.percent)
        for row in graded
        if row.grade is not None and row.grade.percent is not None
    ]
    averages = []
    for criterion in criteria:
        points = [
            row.scores[criterion.key].points
            for row in graded
            if criterion.key in row.scores and row.scores[criterion.key].points is not None
        ]
        average = (sum(points) / len(points)).quantize(Decimal("0.01")) if points else None
        averages.append(
            CriterionAverage(
                title=criterion.title,
                max_points=criterion.max_points,
                average_points=average,
                average_percent=percent_of(average, criterion.max_points),
                count=len(points),
            )
        )
    return AssignmentSummary(
        assignment=assignment,
        released=released,
        students=len(rows),
        submitted=submitted,
        graded=len(graded),
        needs_review=sum(row.needs_review for row in graded),
        late=late,
        percents=percents,
        criteria=averages,
    )

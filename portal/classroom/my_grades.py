"""A student's own grades ("Minhas notas") and the state of each of her assignments.

One line per assignment she may see: the state of her latest attempt (not sent, queued,
grading, waiting for the grader, error, graded), the grade of the attempt that counts once
the instructors released it (with the late penalty), whether a criterion still waits for an
instructor, her regrade requests, and links. The course grade is the one the course page
promises (course_content/pages/avaliacao.md), computed by the ranking's own rules
(``portal/ranking/selectors.py``) from released grades only:

    nota de seleção = nota do projeto final + pontos dos notebooks práticos

Unreleased grades are never read into a line: a student sees "corrigida, nota ainda não
liberada" and nothing of the points.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.accounts.models import User
from portal.assessments import selectors as assessment_selectors
from portal.assessments.models import Assignment
from portal.attendance import selectors as attendance_selectors
from portal.attendance.models import Attendance
from portal.certificates.models import Certificate
from portal.courses.models import ClassSession, Course, Enrollment
from portal.grading import selectors as grading_selectors
from portal.grading.scoring import Grade, grade_of
from portal.ranking.selectors import notebook_bonus
from portal.review.models import RegradeRequest
from portal.submissions.models import Submission

NOT_SENT, QUEUED, RUNNING, WAITING, ERROR = "not_sent", "queued", "running", "waiting", "error"
HIDDEN, PENDING, GRADED = "hidden", "pending", "graded"  # graded: not released / partial / all
# The badge each state wears (portal/static/portal/portal.css).
TONES = {
    NOT_SENT: "muted",
    QUEUED: "info",
    RUNNING: "info",
    WAITING: "warning",
    ERROR: "danger",
    HIDDEN: "info",
    PENDING: "warning",
    GRADED: "ok",
}


@dataclass
class AssignmentLine:
    assignment: Assignment
    state: str
    label: str  # the state in words, for the badge
    latest: Submission | None = None  # her newest attempt
    counting: Submission | None = None  # the graded attempt that counts
    grade: Grade | None = None  # released only
    bonus: Decimal | None = None  # selection points from this notebook, released only
    regrades_open: int = 0
    regrades_answered: int = 0
    due_hint: str = ""  # "prazo em 3 dias", "prazo encerrado" while nothing was sent

    @property
    def tone(self) -> str:
        return TONES[self.state]


@dataclass
class CourseGrades:
    course: Course
    lines: list[AssignmentLine] = field(default_factory=list)
    project: AssignmentLine | None = None
    notebook_points: Decimal = Decimal(0)
    notebook_points_max: Decimal = Decimal(0)
    notebooks_pending: int = 0  # bonus notebooks whose grade is not released yet
    attendance: str = ""  # "Presente em 5 de 6 aulas registradas (83 %)."
    sessions: list[tuple[ClassSession, Attendance | None]] = field(default_factory=list)
    certificate: Certificate | None = None  # the valid one, once issued

    @property
    def selection(self) -> Decimal | None:
        """The selection score, once the final project's grade is released."""
        if self.project is None or self.project.grade is None:
            return None
        if self.project.grade.total is None:
            return None
        return self.project.grade.total + self.notebook_points


def course_grades(student: User, course: Course) -> CourseGrades:
    """Every assignment of ``course`` that ``student`` may see, with her state and grade."""
    assignments = list(
        assessment_selectors.assignments_for_user(student, course, manager=False).order_by(
            "due_at", "pk"
        )
    )
    lines = assignment_lines(student, assignments)
    grades = CourseGrades(course=course, lines=[lines[a.pk] for a in assignments])
    for line in grades.lines:
        assignment = line.assignment
        if assignment.kind == Assignment.Kind.PROJECT:
            grades.project = line
        elif assignment.finalist_bonus:
            grades.notebook_points_max += Decimal(assignment.finalist_bonus)
            if line.grade is None and line.state != NOT_SENT:
                grades.notebooks_pending += 1
            if line.bonus is not None:
                grades.notebook_points += line.bonus
    grades.sessions = attendance_selectors.student_sessions(student, course)
    attended = sum(1 for _session, record in grades.sessions if record and record.present)
    grades.attendance = attendance_selectors.summary_line(
        attendance_selectors.Summary(attended, len(grades.sessions))
    )
    grades.certificate = Certificate.objects.filter(
        course=course, student=student, revoked_at__isnull=True
    ).first()
    return grades


def assignment_lines(student: User, assignments: list[Assignment]) -> dict[int, AssignmentLine]:
    """Assignment id -> her line: two queries, then three per assignment she sent."""
    latest: dict[int, Submission] = {}
    for submission in Submission.objects.filter(
        student=student, assignment__in=assignments
    ).order_by("assignment_id", "-attempt"):
        latest.setdefault(submission.assignment_id, submission)
    regrades = {
        row["run__submission__assignment"]: row
        for row in RegradeRequest.objects.filter(
            student=student, run__submission__assignment__in=assignments
        )
        .values("run__submission__assignment")
        .annotate(
            open=Count("pk", filter=Q(status=RegradeRequest.Status.OPEN)),
            answered=Count("pk", filter=~Q(status=RegradeRequest.Status.OPEN)),
        )
    }
    now = timezone.now()
    lines = {}
    for assignment in assignments:
        line = _line(student, assignment, latest.get(assignment.pk), now)
        asked = regrades.get(assignment.pk, {})
        line.regrades_open, line.regrades_answered = asked.get("open", 0), asked.get("answered", 0)
        lines[assignment.pk] = line
    return lines


_WORKING = {
    Submission.Status.QUEUED: QUEUED,
    Submission.Status.RUNNING: RUNNING,
    Submission.Status.WAITING: WAITING,
    Submission.Status.ERROR: ERROR,
}


def _line(
    student: User, assignment: Assignment, latest: Submission | None, now: dt.datetime
) -> AssignmentLine:
    if latest is None:
        return AssignmentLine(
            assignment, NOT_SENT, _("Não enviada"), due_hint=due_hint(assignment, now)
        )
    run = grading_selectors.counting_run(assignment, student.pk)
    counting = run.submission if run else None
    if latest.status in _WORKING and counting is None:
        state = _WORKING[latest.status]
        return AssignmentLine(assignment, state, latest.get_status_display(), latest)
    if not assessment_selectors.grades_released(assignment):
        return AssignmentLine(
            assignment, HIDDEN, _("Corrigida: nota ainda não liberada"), latest, counting
        )
    grade = grade_of(run)
    bonus = None
    if assignment.kind == Assignment.Kind.NOTEBOOK and assignment.finalist_bonus:
        bonus = notebook_bonus(assignment, grade)
    waiting = any(score.points is None for score in run.scores.all())
    state, label = (PENDING, _("Aguardando o instrutor")) if waiting else (GRADED, _("Corrigida"))
    if latest.status in _WORKING:  # a newer attempt is on its way; this one counts meanwhile
        label = _("%(state)s · tentativa %(n)d: %(now)s") % {
            "state": label,
            "n": latest.attempt,
            "now": latest.get_status_display().lower(),
        }
    return AssignmentLine(assignment, state, label, latest, counting, grade, bonus)


def due_hint(assignment: Assignment, now: dt.datetime) -> str:
    """How long is left to send it: in days, or hours on the last day."""
    if assignment.hard_deadline_at and now >= assignment.hard_deadline_at:
        return _("prazo encerrado")
    left = assignment.due_at - now
    if left.total_seconds() <= 0:
        return _("prazo vencido: ainda aceita, com desconto por atraso")
    if left < dt.timedelta(days=1):
        hours = max(1, int(left.total_seconds() // 3600))
        return ngettext("prazo em %(n)d hora", "prazo em %(n)d horas", hours) % {"n": hours}
    days = max(1, round(left / dt.timedelta(days=1)))  # 6 days 23 h reads "7 dias"
    return ngettext("prazo em %(n)d dia", "prazo em %(n)d dias", days) % {"n": days}


def student_courses(student: User) -> list[Course]:
    """The courses where ``student`` is enrolled as a student."""
    return list(
        Course.objects.filter(enrollments__user=student, enrollments__role=Enrollment.Role.STUDENT)
        .distinct()
        .order_by("start_date", "title")
    )

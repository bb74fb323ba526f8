"""Who qualifies for a certificate, and why not.

The rule is course.yaml's ``certificate``: at least ``min_attendance_percent`` of the class
sessions with attendance recorded, and at least ``min_grade_percent`` of the final project's
points (its released grade after the late policy: the course's grade, as the Avaliação page
says; notebooks only count towards the finalists' selection). Finalists and the winner get a
distinction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from portal.accounts.models import User
from portal.assessments.models import Assignment
from portal.assessments.selectors import grades_released
from portal.attendance import selectors as attendance
from portal.certificates.messages import MESSAGES
from portal.certificates.models import Certificate
from portal.core import formats
from portal.courses.models import ClassSession, Course
from portal.grading.selectors import assignment_grades
from portal.ranking.models import Finalist


@dataclass
class Standing:
    student: User
    attendance: attendance.Summary
    grade_percent: Decimal | None
    band: str
    reasons: list[str] = field(default_factory=list)  # empty: qualifies
    certificate: Certificate | None = None  # the valid one, once issued

    @property
    def qualifies(self) -> bool:
        return not self.reasons


def course_hours(course: Course) -> int:
    if course.certificate_hours:
        return course.certificate_hours
    minutes = sum(
        ClassSession.objects.filter(week__course=course).values_list("duration_minutes", flat=True)
    )
    return max(1, round(minutes / 60))


def course_standings(course: Course) -> list[Standing]:
    """Every student of ``course`` with an account, by name (a bounded number of queries)."""
    students = [e.user for e in attendance.student_enrollments(course) if e.user is not None]
    presence = attendance.course_attendance(course)
    grades, no_grade = _project_grades(course)
    finalists = {f.student_id: f for f in Finalist.objects.filter(course=course)}
    issued = {
        c.student_id: c for c in Certificate.objects.filter(course=course, revoked_at__isnull=True)
    }
    standings = []
    for student in students:
        finalist = finalists.get(student.pk)
        band = (
            Certificate.Band.WINNER
            if finalist and finalist.is_winner
            else Certificate.Band.FINALIST
            if finalist
            else Certificate.Band.PASSED
        )
        grade = grades.get(student.pk, no_grade)
        standing = Standing(
            student=student,
            attendance=presence.of(student.pk),
            grade_percent=grade if isinstance(grade, Decimal) else None,
            band=band,
            certificate=issued.get(student.pk),
        )
        standing.reasons = _reasons(course, standing, grade)
        standings.append(standing)
    return standings


def _project_grades(course: Course) -> tuple[dict[int, Decimal | str], str]:
    """Each student's final-project grade in %, or the message id saying why there is none;
    and the message id for a student without a grade at all."""
    project = course.assignments.filter(kind=Assignment.Kind.PROJECT).order_by("due_at").first()
    if project is None:
        return {}, "certificate.no_project"
    if not grades_released(project):
        return {}, "certificate.no_grade"
    _criteria, rows = assignment_grades(project)
    grades: dict[int, Decimal | str] = {}
    for row in rows:
        if row.student is None or row.grade is None:
            continue
        if row.needs_review:
            grades[row.student.pk] = "certificate.pending_grade"
        elif row.grade.percent is not None:
            grades[row.student.pk] = row.grade.percent
    return grades, "certificate.no_grade"


def _reasons(course: Course, standing: Standing, grade: Decimal | str) -> list[str]:
    reasons = []
    summary = standing.attendance
    if not summary.recorded:
        reasons.append(MESSAGES.text("certificate.no_attendance"))
    elif (summary.percent or 0) < course.certificate_min_attendance_percent:
        reasons.append(
            MESSAGES.text(
                "certificate.low_attendance",
                percent=formats.percent(summary.percent),
                minimum=formats.percent(course.certificate_min_attendance_percent, places=0),
            )
        )
    if isinstance(grade, str):
        reasons.append(MESSAGES.text(grade))
    elif grade < course.certificate_min_grade_percent:
        reasons.append(
            MESSAGES.text(
                "certificate.low_grade",
                percent=formats.percent(grade),
                minimum=formats.percent(course.certificate_min_grade_percent, places=0),
            )
        )
    return reasons

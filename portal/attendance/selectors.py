"""Reads for attendance: each student's share of the recorded sessions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.accounts.models import User
from portal.attendance.models import Attendance
from portal.core import formats
from portal.core.text import name_key
from portal.courses.models import ClassSession, Course, Enrollment


@dataclass(frozen=True)
class Summary:
    attended: int
    recorded: int  # sessions with attendance recorded (a report imported or a correction)

    @property
    def percent(self) -> float | None:
        return 100 * self.attended / self.recorded if self.recorded else None


def student_enrollments(course: Course) -> list[Enrollment]:
    """The course's students with an account, by name."""
    enrollments = Enrollment.objects.filter(
        course=course, role=Enrollment.Role.STUDENT, user__isnull=False
    ).select_related("user")
    return sorted(enrollments, key=lambda e: (name_key(e.user.display_name), e.user.pk))


def session_records(session: ClassSession) -> list[tuple[User, Attendance | None]]:
    """Every student of the session's course with their record in it (or None), by name."""
    records = {a.student_id: a for a in Attendance.objects.filter(session=session)}
    return [
        (e.user, records.get(e.user.pk))
        for e in student_enrollments(session.week.course)
        if e.user is not None
    ]


def recorded_sessions(course: Course) -> list[ClassSession]:
    return list(
        ClassSession.objects.filter(week__course=course)
        .filter(Q(imports__isnull=False) | Q(attendance__isnull=False))
        .distinct()
        .select_related("week")
        .order_by("starts_at")
    )


@dataclass(frozen=True)
class CourseAttendance:
    """A course's attendance: how many sessions are recorded, and each student's presences."""

    recorded: int
    attended: dict[int, int]  # user id -> sessions present; absent students are not keys

    def of(self, student_id: int) -> Summary:
        return Summary(self.attended.get(student_id, 0), self.recorded)


def course_attendance(course: Course) -> CourseAttendance:
    """Every student's attendance in ``course`` (two queries)."""
    present = Counter(
        Attendance.objects.filter(session__week__course=course, present=True).values_list(
            "student_id", flat=True
        )
    )
    return CourseAttendance(recorded=len(recorded_sessions(course)), attended=dict(present))


def session_counts(course: Course) -> dict[int, tuple[int, int]]:
    """Session id -> (students present, students recorded), for the instructors' list."""
    counts: dict[int, tuple[int, int]] = {}
    for session_id, present in Attendance.objects.filter(session__week__course=course).values_list(
        "session_id", "present"
    ):
        was_present, recorded = counts.get(session_id, (0, 0))
        counts[session_id] = (was_present + int(present), recorded + 1)
    return counts


def student_sessions(student: User, course: Course) -> list[tuple[ClassSession, Attendance | None]]:
    """The recorded sessions of ``course`` with ``student``'s record in each."""
    records = {
        a.session_id: a
        for a in Attendance.objects.filter(student=student, session__week__course=course)
    }
    return [(session, records.get(session.pk)) for session in recorded_sessions(course)]


def summary_line(summary: Summary) -> str:
    """ "Presente em 5 de 6 aulas registradas (83 %)", or that nothing is recorded yet."""
    if not summary.recorded:
        return _("Frequência ainda não registrada.")
    return ngettext(
        "Presente em %(n)d de %(total)d aula registrada (%(percent)s).",
        "Presente em %(n)d de %(total)d aulas registradas (%(percent)s).",
        summary.recorded,
    ) % {
        "n": summary.attended,
        "total": summary.recorded,
        "percent": formats.percent(summary.percent or 0, places=0),
    }


def class_line(presence: CourseAttendance, students: list[int]) -> str:
    """The class's attendance in one sentence, for the reports."""
    if not presence.recorded:
        return _("Frequência ainda não registrada: nenhum relatório de presença foi importado.")
    shares = [presence.of(pk).percent or 0 for pk in students]
    average = formats.percent(sum(shares) / len(shares) if shares else 0, places=0)
    return ngettext(
        "Frequência: %(total)d aula registrada; presença média de %(average)s.",
        "Frequência: %(total)d aulas registradas; presença média de %(average)s.",
        presence.recorded,
    ) % {"total": presence.recorded, "average": average}

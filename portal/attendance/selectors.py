"""Reads for attendance: each student's share of the recorded sessions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.accounts.models import User
from portal.attendance.models import Attendance
from portal.core import formats
from portal.courses.models import ClassSession, Course


@dataclass(frozen=True)
class Summary:
    attended: int
    recorded: int  # sessions with attendance recorded (a report imported or a correction)

    @property
    def percent(self) -> float | None:
        return 100 * self.attended / self.recorded if self.recorded else None


def recorded_sessions(course: Course) -> list[ClassSession]:
    return list(
        ClassSession.objects.filter(week__course=course)
        .filter(Q(imports__isnull=False) | Q(attendance__isnull=False))
        .distinct()
        .select_related("week")
        .order_by("starts_at")
    )


def course_summaries(course: Course) -> dict[int, Summary]:
    """Every student's attendance in ``course``, by user id (two queries)."""
    recorded = len(recorded_sessions(course))
    attended: dict[int, int] = {}
    for student_id in Attendance.objects.filter(
        session__week__course=course, present=True
    ).values_list("student_id", flat=True):
        attended[student_id] = attended.get(student_id, 0) + 1
    return _Summaries(attended, recorded)


class _Summaries(dict):
    """A student nobody recorded as present still has a summary (0 of the recorded)."""

    def __init__(self, attended: dict[int, int], recorded: int) -> None:
        super().__init__({pk: Summary(n, recorded) for pk, n in attended.items()})
        self.recorded = recorded

    def __missing__(self, key: int) -> Summary:
        return Summary(0, self.recorded)


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


def class_line(course: Course, summaries: dict[int, Summary], students: list[int]) -> str:
    """The class's attendance in one sentence, for the reports."""
    if not summaries_recorded(summaries):
        return _("Frequência ainda não registrada: nenhum relatório de presença foi importado.")
    shares = [summaries[pk].percent or 0 for pk in students]
    average = formats.percent(sum(shares) / len(shares) if shares else 0, places=0)
    return ngettext(
        "Frequência: %(total)d aula registrada; presença média de %(average)s.",
        "Frequência: %(total)d aulas registradas; presença média de %(average)s.",
        summaries_recorded(summaries),
    ) % {"total": summaries_recorded(summaries), "average": average}


def summaries_recorded(summaries: dict[int, Summary]) -> int:
    return getattr(summaries, "recorded", 0)

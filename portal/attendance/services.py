"""Writes for attendance: a Teams report previewed then applied (all or nothing), and an
instructor's correction of one student (audited).

Matching is by e-mail: the report's e-mail, else its UPN, against the student's enrolment
e-mail and account e-mail, case-insensitively. A student the report does not list is absent
(0 minutes). A correction made by hand survives a later import of the same session.
"""

from __future__ import annotations

import hashlib
import logging
import zoneinfo
from dataclasses import dataclass, field

from django.db import transaction

from portal.accounts.models import User
from portal.attendance import selectors
from portal.attendance.messages import AttendanceError
from portal.attendance.models import Attendance, AttendanceCorrection, AttendanceImport
from portal.attendance.teams_report import Person, Report, parse
from portal.core import formats
from portal.courses.models import ClassSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    student: User
    minutes: int
    present: bool
    before: Attendance | None

    @property
    def kept(self) -> bool:
        """A correction by hand: the import leaves it as it is."""
        return self.before is not None and self.before.source == Attendance.Source.MANUAL


@dataclass
class Preview:
    session: ClassSession
    report: Report
    sha256: str
    threshold_minutes: int
    lines: list[Line] = field(default_factory=list)
    unmatched: list[Person] = field(default_factory=list)  # guests, staff, people not enrolled

    @property
    def present(self) -> int:
        return sum(1 for line in self.lines if line.present)


def threshold_minutes(session: ClassSession) -> int:
    percent = session.week.course.attendance_present_percent
    return max(1, (session.duration_minutes * percent + 99) // 100)


def attendance_preview(*, session: ClassSession, data: bytes) -> Preview:
    """What importing ``data`` into ``session`` would record; AttendanceError for a file that
    is not a Teams report of this session's meeting. Writes nothing."""
    course = session.week.course
    tz = zoneinfo.ZoneInfo(course.timezone)
    report = parse(data, tz=tz)
    if report.start.astimezone(tz).date() != session.starts_at.astimezone(tz).date():
        raise AttendanceError(
            "attendance.other_date",
            report=formats.moment(report.start),
            session=formats.moment(session.starts_at),
        )
    enrollments = selectors.student_enrollments(course)
    by_email: dict[str, User] = {}
    for enrollment in enrollments:
        assert enrollment.user is not None
        for email in (enrollment.email, enrollment.user.email):
            if email:
                by_email[email.strip().lower()] = enrollment.user
    minutes: dict[int, int] = {}
    unmatched = []
    for person in report.people:
        student = by_email.get(person.email) if person.email else None
        if student is None:
            unmatched.append(person)
        else:
            minutes[student.pk] = minutes.get(student.pk, 0) + person.minutes
    before = {a.student_id: a for a in Attendance.objects.filter(session=session)}
    needed = threshold_minutes(session)
    students = [e.user for e in enrollments if e.user is not None]
    lines = [
        Line(
            student=student,
            minutes=minutes.get(student.pk, 0),
            present=minutes.get(student.pk, 0) >= needed,
            before=before.get(student.pk),
        )
        for student in students
    ]
    return Preview(
        session=session,
        report=report,
        sha256=hashlib.sha256(data).hexdigest(),
        threshold_minutes=needed,
        lines=lines,
        unmatched=unmatched,
    )


@transaction.atomic
def attendance_import(*, session: ClassSession, data: bytes, by: User | None) -> AttendanceImport:
    """Apply the report: every student's record at once, or nothing."""
    preview = attendance_preview(session=session, data=data)
    ClassSession.objects.select_for_update().filter(pk=session.pk).first()  # one at a time
    for line in preview.lines:
        if line.kept:
            continue
        Attendance.objects.update_or_create(
            session=session,
            student=line.student,
            defaults={
                "minutes": line.minutes,
                "present": line.present,
                "source": Attendance.Source.REPORT,
            },
        )
    record = AttendanceImport.objects.create(
        session=session,
        imported_by=by,
        sha256=preview.sha256,
        meeting_title=preview.report.title[:300],
        meeting_start=preview.report.start,
        unmatched=[
            {"name": p.name, "email": p.email, "minutes": p.minutes} for p in preview.unmatched
        ],
    )
    log.info(
        "attendance import session=%s by=%s present=%d of %d unmatched=%d",
        session.pk,
        by.pk if by else None,
        preview.present,
        len(preview.lines),
        len(preview.unmatched),
    )
    return record


@transaction.atomic
def attendance_correct(
    *, session: ClassSession, student: User, present: bool, reason: str, by: User
) -> Attendance:
    reason = " ".join((reason or "").split())
    if not reason:
        raise AttendanceError("attendance.reason_required")
    current = (
        Attendance.objects.select_for_update().filter(session=session, student=student).first()
    )
    AttendanceCorrection.objects.create(
        session=session,
        student=student,
        by=by,
        present_before=current.present if current else None,
        present_after=present,
        reason=reason[:1000],
    )
    record, _created = Attendance.objects.update_or_create(
        session=session,
        student=student,
        defaults={
            "present": present,
            "source": Attendance.Source.MANUAL,
            "minutes": current.minutes if current else 0,
        },
    )
    return record

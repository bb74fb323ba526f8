"""A course's calendar as iCalendar (RFC 5545): both weekly class sessions with their Teams
link, every deadline a person may see (the due date and the hard deadline), and the final
projects' presentations.

Times are written in the course's time zone (``TZID=America/Sao_Paulo``) with a VTIMEZONE
built from the tz database (``add_missing_timezones``), so calendar apps place them right
whatever the zone's rules are for that date. Each event's UID is stable (kind, id, host), so
a subscribed calendar updates an event in place when a time changes.

A subscription URL carries ``<enrollment id>-<key>`` (``Enrollment.calendar_key``): calendar
apps cannot sign in, and a new key revokes the old URL.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from portal.accounts.models import User
from portal.assessments.models import Assignment
from portal.assessments.selectors import assignments_for_user
from portal.courses.models import ClassSession, Course, Enrollment
from portal.ranking.models import Finalist

DEADLINE_LENGTH = dt.timedelta(minutes=30)  # a deadline shows as the half hour that ends it
PRESENTATION_LENGTH = dt.timedelta(minutes=20)
REFRESH = dt.timedelta(hours=6)


def feed_token(enrollment: Enrollment) -> str:
    return f"{enrollment.pk}-{enrollment.calendar_key}"


def enrollment_for_token(token: str) -> Enrollment | None:
    """The enrollment whose current key ``token`` carries; None for anything else."""
    pk, _sep, key = token.partition("-")
    if not pk.isdigit() or not key:
        return None
    enrollment = Enrollment.objects.select_related("course", "user").filter(pk=int(pk)).first()
    if enrollment is None or enrollment.user is None or not enrollment.calendar_key:
        return None
    if not secrets.compare_digest(enrollment.calendar_key, key):
        return None
    return enrollment


def _uid(kind: str, pk: int) -> str:
    return f"{kind}-{pk}@{urlsplit(settings.SITE_URL).hostname or 'portal'}"


def _event(
    uid: str, summary: str, start: dt.datetime, end: dt.datetime, tz: zoneinfo.ZoneInfo
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now())
    event.add("summary", summary)
    event.add("dtstart", start.astimezone(tz))
    event.add("dtend", end.astimezone(tz))
    return event


def course_calendar(course: Course, user: User, *, manager: bool) -> bytes:
    tz = zoneinfo.ZoneInfo(course.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Portal MLE//Calendario do curso//PT-BR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", course.title)
    calendar.add("x-wr-timezone", course.timezone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for session in _sessions(course):
        calendar.add_component(_session_event(session, tz))
    for assignment in assignments_for_user(user, course, manager=manager).order_by("due_at"):
        url = settings.SITE_URL + reverse(
            "classroom:assignment", args=[course.slug, assignment.slug]
        )
        due = _deadline("due", assignment.pk, _("Prazo: %(title)s"), assignment, url, tz)
        due.add("description", _("Entrega pelo portal: %(url)s") % {"url": url})
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _("Prazo amanhã: %(title)s") % {"title": assignment.title})
        alarm.add("trigger", -dt.timedelta(days=1))
        due.add_component(alarm)
        calendar.add_component(due)
        if assignment.hard_deadline_at:
            title = _("Prazo final (nada depois): %(title)s")
            calendar.add_component(
                _deadline("hard-deadline", assignment.pk, title, assignment, url, tz)
            )
    for finalist in Finalist.objects.filter(
        course=course, presented_at__isnull=False
    ).select_related("student"):
        assert finalist.presented_at is not None
        calendar.add_component(
            _event(
                _uid("presentation", finalist.pk),
                _("Apresentação do projeto final: %(name)s")
                % {"name": finalist.student.display_name},
                finalist.presented_at,
                finalist.presented_at + PRESENTATION_LENGTH,
                tz,
            )
        )
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _deadline(
    kind: str, pk: int, title: str, assignment: Assignment, url: str, tz: zoneinfo.ZoneInfo
) -> Event:
    """The half hour that ends at the due date (``due``) or the hard deadline."""
    at = assignment.due_at if kind == "due" else assignment.hard_deadline_at
    assert at is not None
    event = _event(
        _uid(kind, pk), title % {"title": assignment.title}, at - DEADLINE_LENGTH, at, tz
    )
    event.add("url", url)
    return event


def _sessions(course: Course) -> list[ClassSession]:
    return list(
        ClassSession.objects.filter(week__course=course)
        .select_related("week")
        .order_by("starts_at", "pk")
    )


def _session_event(session: ClassSession, tz: zoneinfo.ZoneInfo) -> Event:
    summary = _("%(kind)s — semana %(n)s") % {
        "kind": session.get_kind_display(),
        "n": session.week.number,
    }
    event = _event(_uid("session", session.pk), summary, session.starts_at, session.ends_at, tz)
    if session.teams_url:
        event.add("location", "Microsoft Teams")
        event.add("url", session.teams_url)
        event.add(
            "description", _("Entrar na reunião do Teams: %(url)s") % {"url": session.teams_url}
        )
    return event

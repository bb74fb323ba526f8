"""The periodic scan announces what no one's action sends: a week reaching its publication
time, a release set for later, and a deadline within 24 hours for those who sent nothing.
Each once, however often the scan runs."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from portal.assessments.models import Assignment
from portal.courses.models import Enrollment
from portal.notifications.models import Event, Notification
from portal.notifications.scan import scan
from tests.factories import (
    AssignmentFactory,
    EnrollmentFactory,
    SubmissionFactory,
    UserFactory,
    WeekFactory,
)

NOW = timezone.now()
HOUR = dt.timedelta(hours=1)


def student(course, username: str):
    user = UserFactory(username=username)
    EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
    return user


def kinds_of(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("event__kind", flat=True))


def test_a_week_whose_time_came_is_announced_to_students_once(course, alice, bruno, scheduled):
    assert scan(now=NOW)["weeks"] == 0  # in three days: not yet
    later = scheduled.publish_at + HOUR
    scan(now=later)
    scan(now=later + HOUR)
    assert kinds_of(alice) == ["week_published"]
    assert kinds_of(bruno) == []  # the staff published it
    event = Event.objects.get(kind="week_published")
    assert event.params["number"] == 3 and event.url == "/cursos/mle/semanas/3/"


def test_a_week_published_long_ago_is_not_news(course, alice):
    WeekFactory(course=course, number=4, publish_at=NOW - dt.timedelta(days=10))
    scan(now=NOW)
    assert kinds_of(alice) == []


def test_a_week_moved_to_a_new_date_is_announced_when_that_date_comes(course, alice, scheduled):
    scan(now=scheduled.publish_at + HOUR)
    scheduled.publish_at += dt.timedelta(days=1)
    scheduled.save(update_fields=["publish_at"])
    scan(now=scheduled.publish_at + HOUR)
    assert kinds_of(alice) == ["week_published", "week_published"]


def test_a_deadline_within_a_day_reminds_only_students_who_sent_nothing(course, alice, bruno):
    dora = student(course, "dora")
    due = AssignmentFactory(course=course, slug="semana-3", due_at=NOW + 20 * HOUR)
    SubmissionFactory(assignment=due, student=dora)
    scan(now=NOW)
    scan(now=NOW + HOUR)
    assert kinds_of(alice) == ["deadline_soon"]
    assert kinds_of(dora) == []
    assert kinds_of(bruno) == []
    event = Event.objects.get(kind="deadline_soon")
    assert dt.datetime.fromisoformat(event.params["due_at"]) == due.due_at


def test_no_reminder_for_a_deadline_further_away_or_in_a_week_students_cannot_see(
    course, alice, unpublished
):
    AssignmentFactory(course=course, slug="longe", due_at=NOW + 30 * HOUR)
    AssignmentFactory(course=course, slug="oculta", week=unpublished, due_at=NOW + 5 * HOUR)
    AssignmentFactory(course=course, slug="passou", due_at=NOW - HOUR)
    scan(now=NOW)
    assert kinds_of(alice) == []


def test_a_release_set_for_later_is_announced_when_it_comes(course, alice):
    assignment = AssignmentFactory(
        course=course,
        slug="lancada",
        release_mode=Assignment.ReleaseMode.MANUAL,
        released_at=NOW + HOUR,
    )
    SubmissionFactory(assignment=assignment, student=alice)
    scan(now=NOW)
    assert kinds_of(alice) == []
    scan(now=NOW + 2 * HOUR)
    assert kinds_of(alice) == ["grades_released"]

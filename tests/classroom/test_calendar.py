"""The course calendar (RFC 5545): sessions with their Teams link, the deadlines each person
may see, the finalists' presentations; times in the course's zone with its rules as data; a
personal subscription URL whose secret is the only credential and can be revoked."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from portal.courses.models import Enrollment
from portal.ranking.models import Finalist
from tests.factories import AssignmentFactory, ClassSessionFactory, UserFactory

SP = zoneinfo.ZoneInfo("America/Sao_Paulo")
TEAMS = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0"


def events_of(body: bytes) -> dict[str, dict]:
    calendar = Calendar.from_ical(body)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def schedule(course, published, unpublished):
    ClassSessionFactory(
        week=published,
        kind="theory",
        starts_at=dt.datetime(2027, 3, 2, 19, 0, tzinfo=SP),
        duration_minutes=105,
        teams_url=TEAMS,
    )
    ClassSessionFactory(
        week=published, kind="practice", starts_at=dt.datetime(2018, 12, 6, 19, 0, tzinfo=SP)
    )
    AssignmentFactory(
        course=course,
        slug="semana-1",
        title="Notebook da semana 1",
        week=published,
        due_at=dt.datetime(2027, 3, 8, 23, 59, tzinfo=SP),
        hard_deadline_at=dt.datetime(2027, 3, 10, 23, 59, tzinfo=SP),
    )
    AssignmentFactory(course=course, slug="oculta", title="Notebook secreto", week=unpublished)


def download(client, user, course) -> bytes:
    client.force_login(user)
    response = client.get(reverse("classroom:calendar_download", args=[course.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response.content


def test_sessions_carry_their_teams_link_and_local_time(client, alice, course, schedule) -> None:
    events = events_of(download(client, alice, course))
    theory = events["Aula teórica — semana 1"]
    assert theory["url"] == TEAMS and theory["location"] == "Microsoft Teams"
    assert theory.decoded("dtstart") == dt.datetime(2027, 3, 2, 19, 0, tzinfo=SP)
    assert theory["dtstart"].params["TZID"] == "America/Sao_Paulo"
    assert theory.decoded("dtend") - theory.decoded("dtstart") == dt.timedelta(minutes=105)


def test_the_time_zone_travels_with_its_rules_so_a_summer_time_date_is_right(
    client, alice, course, schedule
) -> None:
    calendar = Calendar.from_ical(download(client, alice, course))
    [vtimezone] = calendar.walk("VTIMEZONE")
    assert vtimezone["tzid"] == "America/Sao_Paulo"
    rules = vtimezone.to_tz()  # the calendar's own data, not this machine's zoneinfo
    assert rules.utcoffset(dt.datetime(2018, 12, 6, 19, 0)) == dt.timedelta(hours=-2)
    assert rules.utcoffset(dt.datetime(2027, 3, 2, 19, 0)) == dt.timedelta(hours=-3)


def test_a_student_sees_the_deadlines_of_published_weeks_only(
    client, alice, course, schedule
) -> None:
    events = events_of(download(client, alice, course))
    due = events["Prazo: Notebook da semana 1"]
    assert due.decoded("dtend") == dt.datetime(2027, 3, 8, 23, 59, tzinfo=SP)
    assert due["url"].endswith("/cursos/mle/entregas/semana-1/")
    assert due.walk("VALARM")[0].decoded("trigger") == -dt.timedelta(days=1)
    assert "Prazo final (nada depois): Notebook da semana 1" in events
    assert not any("secreto" in summary for summary in events)


def test_an_instructor_sees_every_deadline(client, bruno, course, schedule) -> None:
    assert "Prazo: Notebook secreto" in events_of(download(client, bruno, course))


def test_the_finalists_presentations_are_in_the_calendar(client, alice, course) -> None:
    dora = UserFactory(full_name="Dora Discente")
    Finalist.objects.create(
        course=course,
        student=dora,
        position=1,
        project_score=90,
        notebook_bonus=1,
        selection_score=91,
        presented_at=dt.datetime(2027, 4, 29, 19, 30, tzinfo=SP),
    )
    events = events_of(download(client, alice, course))
    talk = events["Apresentação do projeto final: Dora Discente"]
    assert talk.decoded("dtstart") == dt.datetime(2027, 4, 29, 19, 30, tzinfo=SP)


def test_nobody_outside_the_course_downloads_it(client, charlie, course) -> None:
    client.force_login(charlie)
    assert client.get(reverse("classroom:calendar_download", args=[course.slug])).status_code == 404
    client.logout()
    response = client.get(reverse("classroom:calendar_download", args=[course.slug]))
    assert response.status_code == 302


def subscription_url(client, user, course) -> str:
    client.force_login(user)
    page = client.get(reverse("classroom:calendar", args=[course.slug])).content.decode()
    start = page.index('id="feed-url" type="text" readonly value="') + len(
        'id="feed-url" type="text" readonly value="'
    )
    return page[start : page.index('"', start)]


def test_a_calendar_app_fetches_the_feed_with_the_url_alone(client, alice, course, schedule):
    url = subscription_url(client, alice, course)
    assert url.startswith("http://testserver/calendario/")
    client.logout()
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert "Prazo: Notebook da semana 1" in events_of(response.content)
    assert "Prazo: Notebook secreto" not in events_of(response.content)


def test_a_new_address_revokes_the_old_one(client, alice, course, schedule) -> None:
    old = subscription_url(client, alice, course).removeprefix("http://testserver")
    client.post(reverse("classroom:calendar_renew", args=[course.slug]))
    new = subscription_url(client, alice, course).removeprefix("http://testserver")
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


@pytest.mark.parametrize("token", ["nada", "999-abc", "1-", "-abc", "1-errado"])
def test_a_made_up_address_finds_nothing(client, alice, course, token) -> None:
    subscription_url(client, alice, course)
    client.logout()
    assert client.get(f"/calendario/{token}.ics").status_code == 404


def test_a_deactivated_account_s_feed_stops(client, alice, course) -> None:
    url = subscription_url(client, alice, course).removeprefix("http://testserver")
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    client.logout()
    assert client.get(url).status_code == 404


def test_the_dashboard_offers_to_add_the_course_to_a_calendar(client, alice, course) -> None:
    client.force_login(alice)
    page = client.get(reverse("classroom:dashboard")).content.decode()
    assert (
        f'href="{reverse("classroom:calendar", args=[course.slug])}" data-add-to-calendar' in page
    )
    assert Enrollment.objects.get(user=alice).calendar_key == ""  # made only when asked for

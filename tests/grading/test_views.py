"""The instructor's page of one assignment: who gets in, the table, re-runs and the progress
panel. The worker is not running here: runs are queued and the test moves them along."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.courses.models import Enrollment
from portal.grading import services
from portal.grading.models import GradingRun
from portal.submissions.models import Submission
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(settings, monkeypatch):
    """Re-runs send a Celery message on commit; nothing here listens, so keep it local."""
    monkeypatch.setattr("portal.grading.services._send", lambda run_id, assignment: None)


def page_url(assignment) -> str:
    return reverse("grading:assignment", args=[assignment.course.slug, assignment.slug])


def progress_url(assignment) -> str:
    return reverse("grading:progress", args=[assignment.course.slug, assignment.slug])


def rerun_all_url(assignment) -> str:
    return reverse("grading:assignment_rerun", args=[assignment.course.slug, assignment.slug])


def rerun_url(submission) -> str:
    assignment = submission.assignment
    return reverse(
        "grading:submission_rerun", args=[assignment.course.slug, assignment.slug, submission.pk]
    )


def run(submission, status=GradingRun.Status.DONE, **fields) -> GradingRun:
    now = timezone.now()
    number = submission.runs.count() + 1
    result = GradingRun.objects.create(
        submission=submission, number=number, status=status, queued_at=now, **fields
    )
    services.submission_status_refresh(submission.pk)
    return result


def move(run: GradingRun, status: str) -> None:
    """What the worker does to a run's status, with the attempt's status following."""
    GradingRun.objects.filter(pk=run.pk).update(status=status)
    services.submission_status_refresh(run.submission_id)


def student(course, username: str):
    user = UserFactory(username=username, full_name=username.title())
    EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
    return user


# -- who gets in ------------------------------------------------------------------------------


def test_a_student_of_the_course_is_refused_with_a_403(client, alice, assignment):
    client.force_login(alice)
    assert client.get(page_url(assignment)).status_code == 403
    assert client.get(progress_url(assignment)).status_code == 403
    assert client.post(rerun_all_url(assignment)).status_code == 403


def test_an_outsider_gets_a_404(client, charlie, assignment):
    client.force_login(charlie)
    assert client.get(page_url(assignment)).status_code == 404
    assert client.post(rerun_all_url(assignment)).status_code == 404


def test_an_instructor_of_another_course_gets_a_404(client, assignment):
    other = UserFactory(username="otto")
    EnrollmentFactory(
        course=CourseFactory(slug="outro"), user=other, role=Enrollment.Role.INSTRUCTOR
    )
    client.force_login(other)
    assert client.get(page_url(assignment)).status_code == 404
    assert client.get(progress_url(assignment)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, assignment):
    response = client.get(page_url(assignment))
    assert response.status_code == 302
    assert reverse("accounts:signin") in response["Location"] or "login" in response["Location"]


def test_the_instructor_and_an_admin_get_in(client, bruno, carla, assignment):
    for user in (bruno, carla):
        client.force_login(user)
        response = client.get(page_url(assignment))
        assert response.status_code == 200
        assert "Entregas da turma" in response.content.decode()


def test_re_runs_only_accept_post(client, bruno, alice, assignment):
    submission = SubmissionFactory(assignment=assignment, student=alice, attempt=1)
    client.force_login(bruno)
    assert client.get(rerun_all_url(assignment)).status_code == 405
    assert client.get(rerun_url(submission)).status_code == 405
    assert GradingRun.objects.count() == 0


def test_re_runs_need_the_csrf_token(bruno, alice, assignment):
    from django.test import Client

    submission = SubmissionFactory(assignment=assignment, student=alice, attempt=1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(bruno)
    assert client.post(rerun_url(submission)).status_code == 403
    assert client.post(rerun_all_url(assignment)).status_code == 403
    assert GradingRun.objects.count() == 0


# -- the table --------------------------------------------------------------------------------


def test_each_student_appears_once_with_their_latest_attempt_and_grade(
    client, bruno, alice, course, assignment
):
    dora = student(course, "dora")
    student(course, "edu")  # enrolled, nothing sent
    first = SubmissionFactory(assignment=assignment, student=alice, attempt=1)
    run(first, total=Decimal(1), max_total=Decimal(6))
    latest = SubmissionFactory(
        assignment=assignment,
        student=alice,
        attempt=2,
        submitted_at=assignment.due_at + dt.timedelta(hours=1),
    )
    run(latest, total=Decimal("4.5"), max_total=Decimal(6))
    run(latest, status=GradingRun.Status.RUNNING)  # a re-run in progress
    SubmissionFactory(assignment=assignment, student=dora, attempt=1)
    client.force_login(bruno)

    response = client.get(page_url(assignment))

    rows = {row.email: row for row in response.context["rows"]}
    assert set(rows) == {"alice@example.edu", "dora@example.edu", "edu@example.edu"}
    assert rows["alice@example.edu"].submission.pk == latest.pk
    assert rows["alice@example.edu"].submission.done_total == Decimal("4.5")
    assert rows["alice@example.edu"].submission.status == "running"
    assert rows["dora@example.edu"].submission.done_total is None
    assert rows["edu@example.edu"].submission is None
    html = response.content.decode()
    assert "4,50 de 6" in html
    assert "Atrasada" in html
    assert "Sem entrega" in html
    assert html.count('action="' + rerun_url(latest)) == 1


def test_the_page_makes_a_bounded_number_of_queries_for_thirty_students(
    client, bruno, course, assignment, django_assert_max_num_queries
):
    for i in range(30):
        submission = SubmissionFactory(
            assignment=assignment, student=student(course, f"aluno{i:02d}"), attempt=1
        )
        run(submission, total=Decimal(i % 7), max_total=Decimal(6))
        if i % 3 == 0:
            run(submission, status=GradingRun.Status.ERROR, error=f"falha {i}")
    client.force_login(bruno)
    with django_assert_max_num_queries(12):
        response = client.get(page_url(assignment))
    assert len(response.context["rows"]) == 30
    assert len(response.context["errors"]) == 10


def test_the_student_assignment_page_links_managers_to_the_class_and_hides_the_upload(
    client, bruno, alice, assignment
):
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])
    client.force_login(bruno)
    html = client.get(url).content.decode()
    assert "Ver entregas da turma" in html
    assert page_url(assignment) in html
    assert "Enviar notebook" not in html
    assert "Suas tentativas" not in html
    client.force_login(alice)
    html = client.get(url).content.decode()
    assert "Ver entregas da turma" not in html
    assert "Enviar notebook" in html


# -- re-runs ----------------------------------------------------------------------------------


def test_re_running_one_submission_creates_a_new_queued_run_and_keeps_the_old_ones(
    client, bruno, alice, assignment
):
    submission = SubmissionFactory(assignment=assignment, student=alice, attempt=1)
    old = run(submission, total=Decimal(5), max_total=Decimal(6))
    client.force_login(bruno)

    response = client.post(rerun_url(submission), follow=True)

    assert response.redirect_chain[-1][0] == page_url(assignment)
    runs = list(submission.runs.order_by("number"))
    assert [(r.number, r.status) for r in runs] == [(1, "done"), (2, "queued")]
    assert runs[0].pk == old.pk and runs[0].total == Decimal(5)
    assert runs[1].requested_by == bruno
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED
    assert "voltou para a fila de correção" in response.content.decode()


def test_re_running_a_submission_of_another_assignment_is_a_404(client, bruno, alice, assignment):
    other = SubmissionFactory(
        student=alice, attempt=1, assignment__course=assignment.course, assignment__slug="outra"
    )
    client.force_login(bruno)
    url = reverse(
        "grading:submission_rerun", args=[assignment.course.slug, assignment.slug, other.pk]
    )
    assert client.post(url).status_code == 404
    assert other.runs.count() == 0


def test_re_running_all_creates_one_run_per_students_latest_submission(
    client, bruno, alice, course, assignment
):
    dora = student(course, "dora")
    old = SubmissionFactory(assignment=assignment, student=alice, attempt=1)
    run(old)
    latest = SubmissionFactory(assignment=assignment, student=alice, attempt=2)
    run(latest)
    doras = SubmissionFactory(assignment=assignment, student=dora, attempt=1)
    run(doras, status=GradingRun.Status.ERROR, error="docker caiu")
    client.force_login(bruno)

    response = client.post(rerun_all_url(assignment), follow=True)

    assert "2 entregas voltaram para a fila de correção" in response.content.decode()
    assert old.runs.count() == 1
    assert [r.status for r in latest.runs.order_by("number")] == ["done", "queued"]
    assert [r.status for r in doras.runs.order_by("number")] == ["error", "queued"]


# -- progress ---------------------------------------------------------------------------------


def test_the_progress_fragment_polls_while_runs_are_pending_and_stops_when_all_are_final(
    client, bruno, alice, course, assignment
):
    dora = student(course, "dora")
    a = run(
        SubmissionFactory(assignment=assignment, student=alice, attempt=1),
        status=GradingRun.Status.QUEUED,
    )
    d = run(
        SubmissionFactory(assignment=assignment, student=dora, attempt=1),
        status=GradingRun.Status.RUNNING,
    )
    client.force_login(bruno)

    pending = client.get(progress_url(assignment))
    html = pending.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{progress_url(assignment)}"' in html
    assert '<progress class="progress" max="2" value="0">' in html
    assert 'data-count="queued">1<' in html and 'data-count="running">1<' in html

    move(a, GradingRun.Status.DONE)
    move(d, GradingRun.Status.WAITING)
    assert 'hx-trigger="every 2s"' in client.get(progress_url(assignment)).content.decode()

    move(d, GradingRun.Status.ERROR)
    final = client.get(progress_url(assignment)).content.decode()
    assert "hx-trigger" not in final and "hx-get" not in final
    assert '<progress class="progress" max="2" value="1">' in final
    assert 'data-count="error">1<' in final
    assert "Todas as correções terminaram" in final


def test_the_full_page_embeds_the_polling_panel_and_htmx_only_while_pending(
    client, bruno, alice, assignment
):
    submission = SubmissionFactory(assignment=assignment, student=alice, attempt=1)
    queued = run(submission, status=GradingRun.Status.QUEUED)
    client.force_login(bruno)
    html = client.get(page_url(assignment)).content.decode()
    assert 'id="grading-progress"' in html and 'hx-trigger="every 2s"' in html
    assert "htmx.min.js" in html
    move(queued, GradingRun.Status.DONE)
    assert "hx-trigger" not in client.get(page_url(assignment)).content.decode()


def test_error_runs_show_their_message_and_a_re_run_button(
    client, bruno, alice, course, assignment
):
    submission = SubmissionFactory(assignment=assignment, student=alice, attempt=1)
    run(submission, status=GradingRun.Status.ERROR, error="imagem mle-grader:latest indisponível")
    client.force_login(bruno)

    html = client.get(page_url(assignment)).content.decode()

    assert "Erros de correção" in html
    assert "Erro de correção" in html  # the badge
    assert "imagem mle-grader:latest indisponível" in html
    section = html[html.index(f'data-error-row="{submission.pk}"') :]
    section = section[: section.index("</li>")]
    assert f'action="{rerun_url(submission)}"' in section
    assert "Corrigir de novo" in section
    assert 'class="row--error"' in html

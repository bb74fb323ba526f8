"""Instructor review: the queue, changing criteria with an audit trail, regrade requests,
release per assignment and the late policy applied with its own justification line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.assessments.models import Assignment
from portal.grading import scoring
from portal.grading.models import CriterionScore, GradingRun
from portal.review.models import RegradeRequest, ScoreChange
from portal.submissions.models import Submission
from tests.factories import EnrollmentFactory, SubmissionFactory, UserFactory


def graded_run(
    assignment: Assignment,
    student,
    *,
    manual_pending: bool = True,
    submitted_at=None,
    attempt: int = 1,
) -> GradingRun:
    submitted_at = submitted_at or timezone.now()
    submission = SubmissionFactory(
        assignment=assignment,
        student=student,
        attempt=attempt,
        status=Submission.Status.GRADED,
        submitted_at=submitted_at,
    )
    run = GradingRun.objects.create(
        submission=submission,
        number=1,
        status=GradingRun.Status.DONE,
        queued_at=submitted_at,
        finished_at=submitted_at,
        total=Decimal(5),
        max_total=Decimal(6),
    )
    for criterion in assignment.criteria.order_by("order"):
        points = None if criterion.manual and manual_pending else criterion.max_points
        CriterionScore.objects.create(
            run=run,
            criterion=criterion,
            points=points,
            max_points=criterion.max_points,
            justification=f"o teste `{criterion.key}` passou",
        )
    return run


def review_url(assignment, student) -> str:
    return reverse("review:detail", args=[assignment.course.slug, assignment.slug, student.pk])


def _form(run: GradingRun, **changes) -> dict[str, str]:
    form = {f"pontos-{s.pk}": "" if s.points is None else str(s.points) for s in run.scores.all()}
    form.update({f"justificativa-{s.pk}": s.justification for s in run.scores.all()})
    form.update(changes)
    return form


def test_the_queue_puts_attempts_waiting_for_an_instructor_first(
    client, bruno, assignment, alice
) -> None:
    dora = UserFactory(username="dora", full_name="Dora")
    EnrollmentFactory(course=assignment.course, user=dora, role="student")
    graded_run(assignment, alice, manual_pending=False)
    graded_run(assignment, dora, manual_pending=True)
    client.force_login(bruno)
    page = client.get(reverse("review:queue", args=["mle", assignment.slug]))
    text = page.content.decode()
    assert text.index("Dora") < text.index("Alice")
    assert "Correção manual" in text and "1 tentativa espera um instrutor" in text


def test_the_queue_costs_the_same_queries_for_many_students(
    client, bruno, assignment, django_assert_max_num_queries
) -> None:
    def students(n: int) -> None:
        for _index in range(n):
            user = UserFactory()
            EnrollmentFactory(course=assignment.course, user=user, role="student")
            graded_run(assignment, user)

    client.force_login(bruno)
    url = reverse("review:queue", args=["mle", assignment.slug])
    students(3)
    with django_assert_max_num_queries(15) as few:
        client.get(url)
    students(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count("Revisar</a>") == 43


def test_an_instructor_grades_a_manual_answer_and_the_change_is_audited(
    client, bruno, alice, assignment
) -> None:
    run = graded_run(assignment, alice)
    manual = run.scores.get(criterion__key="resposta_escala")
    client.force_login(bruno)
    form = _form(
        run,
        **{
            f"pontos-{manual.pk}": "0,5",
            f"justificativa-{manual.pk}": "Resposta parcial: faltou a escala.",
            "motivo": "Correção da resposta escrita",
        },
    )
    response = client.post(review_url(assignment, alice), form, follow=True)
    assert response.status_code == 200
    manual.refresh_from_db()
    run.refresh_from_db()
    assert (manual.points, manual.source) == (Decimal("0.50"), "manual")
    assert run.total == Decimal("5.50")
    change = ScoreChange.objects.get()
    assert (change.points_before, change.points_after, change.changed_by) == (
        None,
        Decimal("0.50"),
        bruno,
    )
    assert change.reason == "Correção da resposta escrita"
    assert "Correção da resposta escrita" in response.content.decode()


@pytest.mark.parametrize(
    ("points", "reason", "message"),
    [
        ("9", "motivo", "vão de 0 a 1; recebido 9"),
        ("-1", "motivo", "vão de 0 a 1; recebido -1"),
        ("muito", "motivo", "“muito” não é um número"),
        ("1", "", "diga o motivo da alteração"),
    ],
)
def test_a_bad_review_changes_nothing_and_says_why(
    client, bruno, alice, assignment, points, reason, message
) -> None:
    run = graded_run(assignment, alice)
    manual = run.scores.get(criterion__key="resposta_escala")
    other = run.scores.get(criterion__key="teste_normaliza")
    client.force_login(bruno)
    form = _form(
        run, **{f"pontos-{manual.pk}": points, f"pontos-{other.pk}": "1", "motivo": reason}
    )
    response = client.post(review_url(assignment, alice), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ScoreChange.objects.exists()
    other.refresh_from_db()
    assert other.points == Decimal(2)  # the valid edit in the same form was not applied


def test_students_and_outsiders_never_reach_the_review_pages(
    client, alice, charlie, assignment
) -> None:
    graded_run(assignment, alice)
    urls = [reverse("review:queue", args=["mle", assignment.slug]), review_url(assignment, alice)]
    client.force_login(alice)
    assert [client.get(url).status_code for url in urls] == [403, 403]
    client.force_login(charlie)
    assert [client.get(url).status_code for url in urls] == [404, 404]


def test_a_regrade_request_is_answered_and_both_sides_see_its_state(
    client, bruno, alice, assignment
) -> None:
    run = graded_run(assignment, alice, manual_pending=False)
    criterion = assignment.criteria.get(key="teste_conta_palavras")
    client.force_login(alice)
    attempt_url = reverse("classroom:submission", args=["mle", assignment.slug, 1])
    regrade_url = reverse("classroom:regrade", args=["mle", assignment.slug, 1])
    client.post(
        regrade_url, {"criterio": criterion.pk, "motivo": "O teste oculto aceita minha saída."}
    )
    again = client.post(
        regrade_url, {"criterio": criterion.pk, "motivo": "De novo, por favor."}, follow=True
    )
    assert "já existe um pedido aberto para este critério" in again.content.decode()
    regrade = RegradeRequest.objects.get()
    assert regrade.status == "open"
    client.force_login(bruno)
    assert (
        "O teste oculto aceita minha saída."
        in client.get(review_url(assignment, alice)).content.decode()
    )
    client.post(
        reverse("review:regrade_answer", args=["mle", assignment.slug, alice.pk, regrade.pk]),
        {"decisao": "aceitar", "resposta": "Conferido: vale 2,5.", "pontos": "2,5"},
    )
    regrade.refresh_from_db()
    assert (regrade.status, regrade.responded_by) == ("accepted", bruno)
    assert run.scores.get(criterion=criterion).points == Decimal("2.50")
    assert ScoreChange.objects.get().source == ScoreChange.Source.REGRADE
    client.force_login(alice)
    page = client.get(attempt_url).content.decode()
    assert "Aceito" in page and "Conferido: vale 2,5." in page


def test_no_regrade_before_the_grades_are_released(client, alice, assignment) -> None:
    assignment.release_mode = Assignment.ReleaseMode.MANUAL
    assignment.save()
    graded_run(assignment, alice)
    client.force_login(alice)
    response = client.post(
        reverse("classroom:regrade", args=["mle", assignment.slug, 1]),
        {"criterio": "1", "motivo": "Quero revisão agora mesmo."},
    )
    assert response.status_code == 404
    assert not RegradeRequest.objects.exists()


def test_releasing_grades_shows_them_to_students_by_page_and_by_url(
    client, bruno, alice, assignment
) -> None:
    assignment.release_mode = Assignment.ReleaseMode.MANUAL
    assignment.save()
    graded_run(assignment, alice, manual_pending=False)
    status_url = reverse("classroom:status", args=["mle", assignment.slug, 1])
    release_url = reverse("review:release", args=["mle", assignment.slug])
    client.force_login(alice)
    assert "Nota:" not in client.get(status_url).content.decode()
    client.force_login(bruno)
    client.post(release_url, {"liberar": "sim"})
    client.force_login(alice)
    assert "Nota: 5 de 6" in client.get(status_url).content.decode()
    client.force_login(bruno)
    client.post(release_url, {"liberar": "nao"})
    client.force_login(alice)
    assert "Nota:" not in client.get(status_url).content.decode()


def test_the_late_policy_takes_its_share_with_its_own_line(
    client, bruno, alice, assignment
) -> None:
    assignment.due_at = timezone.now() - dt.timedelta(days=3)
    assignment.late_grace_minutes = 15
    assignment.late_penalty_percent_per_day = 10
    assignment.late_penalty_max_percent = 25
    assignment.save()
    run = graded_run(assignment, alice, manual_pending=False)
    grade = scoring.grade_of(run)
    assert (grade.late_days, grade.penalty_percent) == (3, Decimal(25))  # capped at 25 %
    assert (grade.raw_total, grade.penalty_points, grade.total) == (
        Decimal(5),
        Decimal("1.25"),
        Decimal("3.75"),
    )
    assert "entregue 3 dias depois do prazo" in grade.penalty_line
    assert "-25% (-1,25 pontos)" in grade.penalty_line
    due = assignment.due_at
    assert scoring.penalty_percent(assignment, due + dt.timedelta(minutes=10)) == 0
    assert scoring.penalty_percent(assignment, due + dt.timedelta(minutes=16)) == Decimal(10)
    client.force_login(bruno)
    assert grade.penalty_line in client.get(review_url(assignment, alice)).content.decode()
    client.force_login(alice)
    status = client.get(reverse("classroom:status", args=["mle", assignment.slug, 1]))
    text = status.content.decode()
    assert "Nota: 3,75 de 6" in text and "entregue 3 dias depois do prazo" in text


def test_a_review_page_costs_a_fixed_number_of_queries(
    client, bruno, alice, assignment, django_assert_max_num_queries
) -> None:
    run = graded_run(assignment, alice)
    for index in range(5):  # history and regrades do not add queries per row
        ScoreChange.objects.create(
            score=run.scores.first(),
            changed_by=bruno,
            reason=f"ajuste {index}",
            points_after=Decimal(1),
        )
    client.force_login(bruno)
    with django_assert_max_num_queries(13):
        response = client.get(review_url(assignment, alice))
    assert response.content.decode().count("ajuste ") == 5

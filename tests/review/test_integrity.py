"""Grades instructors can trust (issue 12, items 1-3): a review form changes only what
changed, an accepted regrade writes the instructor's words, and a re-run of an attempt keeps
every instructor decision (or asks when the automatic result moved under it).

Runs finish through ``grading_run_finish`` with canned results (the sandbox is the boundary);
the browser journey in tests/browser/test_grade_integrity_journey.py does the same with a
real worker and real containers.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from autograder.results import CellResult, GradeStatus, Limits, NotebookResult
from portal.grading import selectors, services
from portal.grading.models import CriterionScore, GradingRun
from portal.reports.selectors import student_report
from portal.review import rerun
from portal.review import services as review
from portal.review.models import RegradeRequest, RerunConflict, ScoreChange
from tests.autograder import notebooks as nb
from tests.support.graded_assignment import stored_submission

NORMALIZA_FAILED = (
    "O teste `teste_normaliza` falhou.\n"
    "AssertionError: normaliza([1, 2]) deveria somar 1\n"
    "Linha 3 do teste."
)


def _result(*, normaliza: float = 2, conta: float = 3) -> NotebookResult:
    cells = [
        CellResult("teste_normaliza", normaliza, 2, False, normaliza == 2, NORMALIZA_FAILED),
        CellResult("teste_conta_palavras", conta, 3, False, conta == 3, "passou"),
        CellResult("resposta_escala", 0, 1, True, None, "a resposta aguarda correção manual"),
    ]
    return NotebookResult(
        status=GradeStatus.GRADED,
        total=normaliza + conta,
        max_total=6,
        cells=cells,
        message="nota",
        image="sha256:abc",
        limits=Limits(wall_seconds=120),
    )


def _grade(submission, result: NotebookResult) -> GradingRun:
    """One more run of ``submission``, graded as a worker would."""
    run = services.grading_run_enqueue(submission=submission, requested_by=None)
    claimed = services.grading_run_claim(run_id=run.pk)
    assert services.grading_run_finish(run=claimed, result=result)
    run.refresh_from_db()
    return run


@pytest.fixture
def submission(assignment, alice):
    return stored_submission(assignment, alice, nb.source_notebook())


@pytest.fixture
def graded(submission) -> GradingRun:
    return _grade(submission, _result(normaliza=1))


def _score(run: GradingRun, key: str) -> CriterionScore:
    return run.scores.get(criterion__key=key)


def _crlf_form(run: GradingRun, **changes: str) -> dict[str, str]:
    """The review form as a browser posts it: every textarea's line breaks as CRLF."""
    form = {}
    for score in run.scores.all():
        form[f"pontos-{score.pk}"] = "" if score.points is None else f"{score.points:f}"
        form[f"justificativa-{score.pk}"] = score.justification.replace("\n", "\r\n") + "\r\n"
    form.update(changes)
    return form


def review_url(run: GradingRun) -> str:
    submission = run.submission
    return reverse(
        "review:detail",
        args=["mle", submission.assignment.slug, submission.student_id],
    )


# -- 1. one criterion changed, one change stored ------------------------------------------


def test_saving_one_criterion_with_crlf_textareas_writes_and_audits_only_that_one(
    client, bruno, graded
) -> None:
    manual = _score(graded, "resposta_escala")
    assert "\n" in _score(graded, "teste_normaliza").justification  # multi-line, as graded
    client.force_login(bruno)
    form = _crlf_form(
        graded,
        **{
            f"pontos-{manual.pk}": "0,5",
            f"justificativa-{manual.pk}": "Explicou a escala.\r\nFaltou o exemplo.\r\n",
            "motivo": "Correção da resposta escrita",
        },
    )
    page = client.post(review_url(graded), form, follow=True)
    assert "1 critério alterado" in page.content.decode()
    change = ScoreChange.objects.get()
    assert (change.score_id, change.points_before, change.points_after) == (
        manual.pk,
        None,
        Decimal("0.50"),
    )
    assert change.justification_after == "Explicou a escala.\nFaltou o exemplo."
    sources = dict(graded.scores.values_list("criterion__key", "source"))
    assert sources == {
        "teste_normaliza": "auto",
        "teste_conta_palavras": "auto",
        "resposta_escala": "manual",
    }
    assert not CriterionScore.objects.filter(justification__contains="\r").exists()


def test_an_untouched_crlf_form_changes_nothing(client, bruno, graded) -> None:
    client.force_login(bruno)
    page = client.post(review_url(graded), _crlf_form(graded), follow=True)
    assert "Nada mudou." in page.content.decode()
    assert not ScoreChange.objects.exists()


def test_a_change_without_a_reason_is_refused_once_naming_the_criterion(
    client, bruno, graded
) -> None:
    manual = _score(graded, "resposta_escala")
    conta = _score(graded, "teste_conta_palavras")
    client.force_login(bruno)
    form = _crlf_form(graded, **{f"pontos-{manual.pk}": "1", f"pontos-{conta.pk}": "2"})
    page = client.post(review_url(graded), form)
    text = page.content.decode()
    assert page.status_code == 400
    assert text.count("diga o motivo da alteração") == 1
    assert "diga o motivo da alteração de “teste_conta_palavras”, “resposta_escala”" in text
    assert not ScoreChange.objects.exists()
    assert _score(graded, "resposta_escala").points is None


def test_a_bad_criterion_is_named_next_to_itself_and_nothing_is_applied(
    client, bruno, graded
) -> None:
    manual = _score(graded, "resposta_escala")
    conta = _score(graded, "teste_conta_palavras")
    client.force_login(bruno)
    form = _crlf_form(
        graded, **{f"pontos-{manual.pk}": "1", f"pontos-{conta.pk}": "9", "motivo": "ajuste"}
    )
    page = client.post(review_url(graded), form)
    text = page.content.decode()
    assert page.status_code == 400
    error = "os pontos de “teste_conta_palavras” vão de 0 a 3; recebido 9"
    assert text.count(error) == 1
    fieldset = text[text.index(f'data-criterion="{conta.criterion.key}"') :]
    assert fieldset.index(error) < fieldset.index("</fieldset>")
    assert not ScoreChange.objects.exists()


def test_text_normalise_folds_line_endings_and_trailing_blanks() -> None:
    assert review.text_normalise("  a \r\nb\t\r\rc \r\n ") == "a\nb\n\nc"


# -- 2. an accepted regrade writes the instructor's answer --------------------------------


@pytest.fixture
def released(graded, settings):
    assignment = graded.submission.assignment
    review.grades_release(assignment=assignment)
    return graded


def _regrade(run: GradingRun, key: str, student) -> RegradeRequest:
    criterion = run.submission.assignment.criteria.get(key=key)
    return review.regrade_request(
        run=run, criterion=criterion, student=student, reason="Minha resposta explica a escala."
    )


def test_accepting_a_regrade_writes_the_answer_as_the_justification(
    client, bruno, alice, released
) -> None:
    request = _regrade(released, "resposta_escala", alice)
    client.force_login(bruno)
    client.post(
        reverse(
            "review:regrade_answer",
            args=["mle", released.submission.assignment.slug, alice.pk, request.pk],
        ),
        {"decisao": "aceitar", "resposta": "Conferi:\r\na resposta está completa.", "pontos": "1"},
    )
    score = _score(released, "resposta_escala")
    assert (score.points, score.justification) == (
        Decimal("1.00"),
        "Conferi:\na resposta está completa.",
    )
    change = ScoreChange.objects.get()
    assert change.source == ScoreChange.Source.REGRADE
    assert change.justification_after == "Conferi:\na resposta está completa."
    client.force_login(alice)
    attempt = client.get(
        reverse(
            "classroom:submission",
            args=["mle", released.submission.assignment.slug, released.submission.attempt],
        )
    ).content.decode()
    assert "a resposta está completa" in attempt
    assert "Aguarda correção do instrutor" not in attempt


def test_accepting_with_a_justification_of_its_own_writes_that_one(bruno, alice, released) -> None:
    request = _regrade(released, "resposta_escala", alice)
    review.regrade_answer(
        request=request,
        by=bruno,
        accept=True,
        response="Aceito.",
        points="1",
        justification="Explicou por que escalar e deu um exemplo.",
    )
    assert _score(released, "resposta_escala").justification == (
        "Explicou por que escalar e deu um exemplo."
    )


def test_accepting_a_criterion_nobody_graded_asks_for_its_points(bruno, alice, released) -> None:
    request = _regrade(released, "resposta_escala", alice)
    with pytest.raises(review.RegradeError) as refused:
        review.regrade_answer(request=request, by=bruno, accept=True, response="Aceito.")
    assert refused.value.message_id == "regrade.points_required"
    request.refresh_from_db()
    assert request.status == RegradeRequest.Status.OPEN


# -- 3. a re-run keeps the instructors' decisions -----------------------------------------


def _decide(run: GradingRun, key: str, points: str, by, justification: str) -> None:
    review.score_set(
        score=_score(run, key),
        points=Decimal(points),
        justification=justification,
        by=by,
        reason="revisão",
    )


def test_a_rerun_carries_manual_grades_and_accepted_regrades_and_continues_the_history(
    bruno, alice, released
) -> None:
    _decide(released, "resposta_escala", "0.5", bruno, "Explicou a escala, sem exemplo.")
    request = _regrade(released, "resposta_escala", alice)
    review.regrade_answer(
        request=request, by=bruno, accept=True, response="Vale o ponto.", points="1"
    )
    released.refresh_from_db()
    assert released.total == Decimal("5.00")  # 1 + 3 + 1 (manual)

    again = _grade(released.submission, _result(normaliza=1))

    assert again.total == Decimal("5.00")
    manual = _score(again, "resposta_escala")
    assert (manual.points, manual.justification, manual.source) == (
        Decimal("1.00"),
        "Vale o ponto.",
        "manual",
    )
    assert not RerunConflict.objects.exists()
    history = [
        c.source for c in ScoreChange.objects.filter(score__run__submission=again.submission)
    ]
    assert history == ["rerun", "regrade", "review"]  # newest first, one story across runs
    grades = {
        (row.student.pk, row.run.pk, row.grade.total)
        for row in selectors.assignment_grades(again.submission.assignment)[1]
        if row.run
    }
    assert grades == {(alice.pk, again.pk, Decimal("5.00"))}


def test_a_rerun_whose_automatic_result_changed_keeps_the_decision_and_asks(
    client, bruno, released
) -> None:
    _decide(released, "teste_normaliza", "2", bruno, "O teste estava errado; vale tudo.")

    again = _grade(released.submission, _result(normaliza=0))

    normaliza = _score(again, "teste_normaliza")
    assert normaliza.points == Decimal("2.00")  # still in effect
    conflict = RerunConflict.objects.get()
    assert (conflict.score, conflict.previous_auto_points, conflict.auto_points) == (
        normaliza,
        Decimal("1.00"),
        Decimal("0.00"),
    )
    client.force_login(bruno)
    queue = client.get(
        reverse("review:queue", args=["mle", released.submission.assignment.slug])
    ).content.decode()
    assert "Nova correção mudou 1 critério" in queue
    detail = client.get(review_url(again)).content.decode()
    assert "A nova correção automática deu <strong>0</strong>" in detail

    client.post(
        reverse(
            "review:conflict_resolve",
            args=[
                "mle",
                again.submission.assignment.slug,
                again.submission.student_id,
                conflict.pk,
            ],
        ),
        {"decisao": "automatico"},
    )
    conflict.refresh_from_db()
    assert conflict.resolution == RerunConflict.Resolution.AUTOMATIC
    assert _score(again, "teste_normaliza").points == Decimal("0.00")
    again.refresh_from_db()
    assert again.total == Decimal("3.00")
    assert (
        "Nova correção mudou"
        not in client.get(
            reverse("review:queue", args=["mle", released.submission.assignment.slug])
        ).content.decode()
    )


def test_keeping_the_previous_points_is_written_in_the_history(bruno, released) -> None:
    _decide(released, "teste_normaliza", "2", bruno, "Vale tudo.")
    again = _grade(released.submission, _result(normaliza=0))
    conflict = RerunConflict.objects.get()
    rerun.rerun_conflict_resolve(conflict=conflict, by=bruno, use_automatic=False)
    assert _score(again, "teste_normaliza").points == Decimal("2.00")
    kept = ScoreChange.objects.filter(score=conflict.score).first()
    assert (kept.changed_by, kept.reason) == (
        bruno,
        "Decisão mantida: a nova correção automática dava 0",
    )
    with pytest.raises(review.ScoreError):
        rerun.rerun_conflict_resolve(conflict=conflict, by=bruno, use_automatic=True)


def test_a_rerun_never_lowers_an_automatic_grade_silently(released) -> None:
    again = _grade(released.submission, _result(normaliza=1, conta=2))
    conta = _score(again, "teste_conta_palavras")
    assert conta.points == Decimal("3.00")  # what the student had, until someone decides
    assert RerunConflict.objects.get().auto_points == Decimal("2.00")
    assert again.total == Decimal("4.00")


def test_a_better_automatic_result_applies_and_is_in_the_history(released) -> None:
    again = _grade(released.submission, _result(normaliza=2))
    assert _score(again, "teste_normaliza").points == Decimal("2.00")
    change = ScoreChange.objects.get()
    assert (change.source, change.points_before, change.points_after) == (
        "rerun",
        Decimal("1.00"),
        Decimal("2.00"),
    )
    assert not RerunConflict.objects.exists()


def test_an_open_regrade_moves_to_the_new_run_and_its_answer_lands_there(
    bruno, alice, released
) -> None:
    request = _regrade(released, "resposta_escala", alice)
    again = _grade(released.submission, _result(normaliza=1))
    request.refresh_from_db()
    assert request.run == again
    review.regrade_answer(request=request, by=bruno, accept=True, response="Vale.", points="1")
    assert _score(again, "resposta_escala").points == Decimal("1.00")
    assert _score(released, "resposta_escala").points is None


def test_an_instructor_edit_closes_an_open_conflict(bruno, released) -> None:
    _decide(released, "teste_normaliza", "2", bruno, "Vale tudo.")
    again = _grade(released.submission, _result(normaliza=0))
    _decide(again, "teste_normaliza", "1.5", bruno, "Metade do teste corrigido.")
    assert RerunConflict.objects.get().resolution == RerunConflict.Resolution.EDITED


def test_the_students_report_lists_the_instructors_change_once_after_a_rerun(
    bruno, alice, released
) -> None:
    _decide(released, "resposta_escala", "1", bruno, "Explicou a escala.")
    _grade(released.submission, _result(normaliza=1))
    report = student_report(released.submission.assignment.course, alice.pk)
    (line,) = [line for line in report.assignments if line.comments]
    assert [(c.criterion, c.points_after) for c in line.comments] == [
        ("resposta_escala", Decimal("1.00"))
    ]


def test_an_instructor_takes_every_new_automatic_result_of_the_class_at_once(
    client, bruno, released
) -> None:
    _grade(released.submission, _result(normaliza=0, conta=2))
    assert RerunConflict.objects.filter(resolution="").count() == 2
    client.force_login(bruno)
    queue_url = reverse("review:queue", args=["mle", released.submission.assignment.slug])
    assert "Novas correções a decidir" in client.get(queue_url).content.decode()
    page = client.post(
        reverse("review:conflicts_resolve_all", args=["mle", released.submission.assignment.slug]),
        {"decisao": "automatico"},
        follow=True,
    )
    assert "2 diferenças decididas" in page.content.decode()
    assert not RerunConflict.objects.filter(resolution="").exists()
    newest = released.submission.runs.get(number=2)
    assert newest.total == Decimal("2.00")
    assert "Novas correções a decidir" not in client.get(queue_url).content.decode()


def test_a_student_cannot_decide_a_rerun_difference(client, alice, released) -> None:
    _grade(released.submission, _result(normaliza=0))
    client.force_login(alice)
    slug = released.submission.assignment.slug
    assert (
        client.post(reverse("review:conflicts_resolve_all", args=["mle", slug])).status_code == 403
    )
    conflict = RerunConflict.objects.get()
    url = reverse("review:conflict_resolve", args=["mle", slug, alice.pk, conflict.pk])
    assert client.post(url, {"decisao": "automatico"}).status_code == 403
    conflict.refresh_from_db()
    assert conflict.open

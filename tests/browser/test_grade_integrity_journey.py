"""Grades instructors can trust, in a real browser with a real worker (issue 12, items 1-3).

Ana's partly wrong notebook is graded by a real worker in a real container. Bruno grades her
written answer on the review page (the browser sends every textarea back, with CRLF line
breaks): exactly one criterion changes and the history has exactly one entry; forgetting the
reason gives one error. Ana asks for a regrade of the written answer; Bruno accepts it with
new points and an answer, which becomes the criterion's justification. Then Bruno grades the
attempt again ("Corrigir de novo"): the new run keeps every decision, the grade does not
drop, and the history goes on across the two runs.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from portal.assessments.selectors import grades_released
from portal.grading.models import CriterionScore, GradingRun
from portal.review.models import RegradeRequest, ScoreChange
from portal.submissions.models import Submission
from tests.autograder import notebooks as nb
from tests.autograder.conftest import docker_client, grader_image  # noqa: F401 - fixtures
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_grading_journey import (  # noqa: F401 - demo_assignment is a fixture
    ANA,
    BRUNO,
    GRADE_TIMEOUT_MS,
    demo_assignment,
)
from tests.grading.worker import *  # noqa: F403 - the worker fixtures
from tests.grading.worker import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.worker]

ANSWER = "Explicou por que escalar.\nFaltou citar a escala das variáveis."
REGRADE_ANSWER = "Conferi de novo: o exemplo da escala está na segunda frase."


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"grade_integrity-{name}.png"), full_page=True)


def test_one_edit_one_history_entry_a_regrade_answer_and_a_rerun_that_keeps_them(
    worker,
    new_page,
    sign_in,
    demo_assignment,  # noqa: F811 - the imported fixture
    live_server,
    tmp_path,
):
    assignment = demo_assignment
    slug = assignment.slug

    # -- Ana is graded by the worker ----------------------------------------------------
    ana = new_page("ana")
    sign_in(ana, **ANA)
    ana.goto(reverse("classroom:assignment", args=["mle", slug]))
    with ana.expect_download() as download_info:
        ana.get_by_role("link", name="Baixar o notebook da entrega").click()
    answer = nb.write(
        nb.partly_wrong(nb.read(Path(download_info.value.path()))), tmp_path / "minha.ipynb"
    )
    ana.locator('input[type="file"]').set_input_files(str(answer))
    ana.get_by_role("button", name="Enviar notebook").click()
    expect(ana.locator("#submission-status h2 .badge")).to_have_text(
        "Corrigida", timeout=GRADE_TIMEOUT_MS
    )
    submission = Submission.objects.get(assignment=assignment)
    first = submission.runs.get()
    # Real justifications span lines: the CRLF a browser sends back must not read as a change.
    assert any("\n" in score.justification for score in first.scores.all())
    auto_total = first.total
    manual = first.scores.get(criterion__manual=True)

    # -- Bruno grades the written answer: one criterion, one history entry -------------------
    bruno = new_page("bruno")
    sign_in(bruno, **BRUNO)
    detail = reverse("review:detail", args=["mle", slug, submission.student_id])
    bruno.goto(detail)
    bruno.locator(f"#pontos-{manual.pk}").fill("0,5")
    bruno.locator(f"#justificativa-{manual.pk}").fill(ANSWER)
    bruno.get_by_role("button", name="Salvar a revisão").click()
    errors = bruno.locator("[data-field-error]")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("diga o motivo da alteração de")
    shot(bruno, "1-reason-missing")
    assert not ScoreChange.objects.exists()

    bruno.get_by_label("Motivo da alteração (fica no histórico)").fill("Resposta escrita lida")
    bruno.get_by_role("button", name="Salvar a revisão").click()
    expect(bruno.locator(".messages")).to_contain_text("1 critério alterado")
    expect(bruno.locator("[data-history] li")).to_have_count(1)
    shot(bruno, "2-one-change")
    change = ScoreChange.objects.get()
    assert (change.score_id, change.points_after) == (manual.pk, Decimal("0.50"))
    assert not CriterionScore.objects.filter(justification__contains="\r").exists()
    assert set(first.scores.exclude(pk=manual.pk).values_list("source", flat=True)) == {"auto"}

    assert grades_released(assignment)  # the demo releases each grade as it is graded

    # -- Ana asks for a regrade; Bruno accepts with new points and an answer -----------------
    attempt = reverse("classroom:submission", args=["mle", slug, submission.attempt])
    ana.goto(attempt)
    ana.get_by_label("Critério", exact=True).select_option(str(manual.criterion_id))
    ana.get_by_label("Por que a nota deveria mudar?").fill("Citei a escala na segunda frase.")
    ana.get_by_role("button", name="Enviar pedido de revisão").click()

    bruno.goto(detail)
    regrade = bruno.locator('[data-regrade="open"]')
    regrade.get_by_label("Resposta ao aluno").fill(REGRADE_ANSWER)
    regrade.get_by_label("Novos pontos (se aceitar)").fill("1")
    regrade.get_by_role("button", name="Aceitar").click()
    expect(bruno.locator("[data-history] li")).to_have_count(2)
    graded_total = auto_total + 1

    ana.goto(attempt)
    status = ana.locator("#submission-status")
    expect(status).to_contain_text(REGRADE_ANSWER)
    expect(status).not_to_contain_text(re.compile("aguarda correção do instrutor", re.I))
    shot(ana, "3-regrade-accepted")

    # -- Bruno grades the attempt again: every decision is kept ------------------------------
    bruno.goto(reverse("grading:assignment", args=["mle", slug]))
    bruno.locator(f'tr[data-student="{ANA["email"]}"]').get_by_role(
        "button", name="Corrigir de novo"
    ).click()
    wait_for(
        lambda: submission.runs.filter(number=2, status=GradingRun.Status.DONE).exists(),
        timeout=GRADE_TIMEOUT_MS / 1000,
        what="the re-run",
    )
    second = submission.runs.get(number=2)
    assert second.total == graded_total
    kept = second.scores.get(criterion=manual.criterion)
    assert (kept.points, kept.justification, kept.source) == (
        Decimal("1.00"),
        REGRADE_ANSWER,
        "manual",
    )

    bruno.goto(detail)
    with translation.override("pt-br"):
        shown = floatformat(graded_total, "-2")
    expect(bruno.locator("[data-grade]")).to_contain_text(f"Nota: {shown} de 6")
    expect(bruno.locator(f"#pontos-{kept.pk}")).to_have_value("1")
    history = bruno.locator("[data-history] li")
    expect(history).to_have_count(3)
    expect(history.first).to_contain_text("correção 2")
    shot(bruno, "4-after-rerun")

    ana.goto(attempt)
    expect(ana.locator("#submission-status")).to_contain_text(REGRADE_ANSWER)
    expect(ana.locator('[data-regrade="accepted"]')).to_contain_text("Aceito")
    assert RegradeRequest.objects.get().status == RegradeRequest.Status.ACCEPTED

"""The attempt page reads like a product: justifications rendered safely, numbers written one
way, the upload's flash gone once the status moves on, tampering notes for instructors only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect

from portal.assessments.models import Assignment
from portal.grading.models import CriterionScore, GradingRun
from portal.grading.services import attempt_submit
from portal.submissions.models import Submission
from tests.factories import CriterionFactory
from tests.support.attempts import answer_bytes, graded, post_upload, upload
from tests.support.chromium import chromium, signed_in

TAMPERING = [
    {"cell": "teste_normaliza", "message": "a célula de teste `teste_normaliza` foi editada"}
]
NEUTRAL = "Seu notebook foi corrigido com as células protegidas"


def _url(name: str, assignment: Assignment, attempt: int = 1) -> str:
    return reverse(f"classroom:{name}", args=[assignment.course.slug, assignment.slug, attempt])


def _status_section(page: str) -> str:
    start = page.index('<section id="submission-status"')
    return page[start : page.index("</section>", start)]


@pytest.fixture
def alices(client, alice, assignment, media) -> Submission:
    post_upload(client, alice, assignment, answer_bytes())
    return Submission.objects.get(student=alice, attempt=1)


def test_a_justification_shows_code_and_line_breaks_and_escapes_the_rest(client, alices):
    graded(alices)
    CriterionScore.objects.update(
        justification="O teste `teste_normaliza` falhou: <script>alert(1)</script> 2 * 3.\n"
        "__init__ não foi chamado."
    )

    page = client.get(_url("submission", alices.assignment)).content.decode()

    assert (
        "O teste <code>teste_normaliza</code> falhou: &lt;script&gt;alert(1)&lt;/script&gt; "
        "2 * 3.<br>__init__ não foi chamado." in page
    )
    assert "<script>alert(1)" not in page


def test_the_run_message_renders_its_code_spans(client, alices):
    run = graded(alices)
    GradingRun.objects.filter(pk=run.pk).update(
        message="nota 2 de 6: o teste `teste_conta_palavras` falhou"
    )

    page = client.get(_url("submission", alices.assignment)).content.decode()

    assert "nota 2 de 6: o teste <code>teste_conta_palavras</code> falhou" in page


def test_points_are_written_as_the_justifications_write_them(client, alices):
    run = graded(alices)
    CriterionScore.objects.update(points=Decimal("1.50"))
    GradingRun.objects.filter(pk=run.pk).update(total=Decimal("1.50"), max_total=Decimal("6.00"))

    page = client.get(_url("submission", alices.assignment)).content.decode()

    assert "Nota: 1,5 de 6" in page
    assert "1,5 de 2" in page
    assert "1,50" not in page


def test_a_limit_that_stopped_the_run_is_said_once_above_the_table(client, alices):
    run = graded(alices)
    limit = "limite de tempo de 10 min atingido: as células executadas foram avaliadas"
    GradingRun.objects.filter(pk=run.pk).update(grade_status="timeout", message=limit)

    section = _status_section(client.get(_url("submission", alices.assignment)).content.decode())

    assert section.count("limite de tempo de 10 min") == 1
    assert re.search(r'<p class="alert alert--warning" data-limit>limite de tempo', section)
    assert section.index("data-limit") < section.index("<table")


def test_a_student_reads_a_neutral_sentence_instead_of_the_tampering_notes(client, alices):
    graded(alices, tampered=TAMPERING)

    page = client.get(_url("submission", alices.assignment)).content.decode()

    assert NEUTRAL in page
    assert "foi editada" not in page
    assert "adultera" not in page


def test_an_instructor_reads_the_tampering_notes(client, bruno, alices):
    graded(alices, tampered=TAMPERING)
    client.force_login(bruno)

    page = client.get(
        _url("submission", alices.assignment) + f"?aluno={alices.student_id}"
    ).content.decode()

    assert "a célula de teste <code>teste_normaliza</code> foi editada" in page
    assert "o aluno não vê esta lista" in page
    assert NEUTRAL not in page


def test_the_received_flash_is_drawn_inside_the_live_status(client, alices):
    page = client.get(_url("submission", alices.assignment)).content.decode()

    assert page.count("Tentativa 1 recebida: está na fila de correção.") == 1
    assert "Tentativa 1 recebida" in _status_section(page)
    assert 'hx-get="' + _url("status", alices.assignment) + '?estado=queued"' in page


def test_polling_an_unchanged_status_keeps_the_page_as_it_is(client, alices):
    response = client.get(_url("status", alices.assignment) + "?estado=queued")

    assert response.status_code == 204
    assert response.content == b""


def test_polling_a_changed_status_replaces_the_flash_with_the_new_status(client, alices):
    client.get(_url("submission", alices.assignment))  # the flash is shown (and consumed) here
    graded(alices)

    response = client.get(_url("status", alices.assignment) + "?estado=queued")

    assert response.status_code == 200
    fragment = response.content.decode()
    assert "Nota: 2 de 6" in fragment
    assert "recebida" not in fragment
    assert "hx-get" not in fragment  # final: the polling stops


def test_an_instructor_polls_with_the_students_id_and_the_state(client, bruno, alices):
    client.force_login(bruno)

    page = client.get(
        _url("submission", alices.assignment) + f"?aluno={alices.student_id}"
    ).content.decode()
    poll = _url("status", alices.assignment) + f"?aluno={alices.student_id}&amp;estado=queued"

    assert f'hx-get="{poll}"' in page
    assert (
        client.get(
            _url("status", alices.assignment) + f"?aluno={alices.student_id}&estado=queued"
        ).status_code
        == 204
    )


# -- in a browser: a graded attempt at laptop and phone widths ----------------------------------

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.mark.browser
def test_the_received_flash_stays_while_queued_and_goes_with_the_grade(
    transactional_db, live_server, browser, alice, assignment, media, tmp_path
):
    notebook = tmp_path / "aquecimento.ipynb"
    notebook.write_bytes(answer_bytes())
    page = signed_in(browser, live_server, alice)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(
        live_server.url
        + reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])
    )

    page.locator('input[type="file"]').set_input_files(str(notebook))
    page.get_by_role("button", name="Enviar notebook").click()

    flash = page.locator("#submission-status .message--success")
    expect(flash).to_have_text("Tentativa 1 recebida: está na fila de correção.")
    with page.expect_response(lambda r: "/status/" in r.url and r.status == 204):
        pass  # a poll found nothing new ...
    expect(flash).to_be_visible()  # ... and left the page alone
    graded(Submission.objects.get(student=alice, attempt=1))
    expect(page.locator("#submission-status")).to_contain_text("Nota: 2 de 6", timeout=6000)
    expect(page.get_by_text("recebida")).to_have_count(0)
    assert problems == []  # no CSP violation nor script error


def _graded_with_a_failure(submission: Submission) -> None:
    run = graded(submission, tampered=TAMPERING)
    GradingRun.objects.filter(pk=run.pk).update(
        total=Decimal("2.5"),
        message="nota 2,5 de 6: o teste `teste_conta_palavras` falhou; "
        "1 resposta aguarda correção manual",
    )
    for key, title, points, most, why in (
        (
            "teste_conta_palavras",
            "Teste conta_palavras",
            Decimal("0.5"),
            3,
            "O teste `teste_conta_palavras` falhou: AssertionError: esperado {'o': 2}, "
            "obtido {'o': 1}.\nA função `conta_palavras` deve ignorar maiúsculas.",
        ),
        ("resposta_escala", "Resposta escala", None, 1, "Aguarda correção do instrutor."),
    ):
        CriterionScore.objects.create(
            run=run,
            criterion=CriterionFactory(
                assignment=submission.assignment, key=key, title=title, max_points=most
            ),
            points=points,
            max_points=most,
            justification=why,
        )


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_a_graded_attempt_reads_well_on_a_laptop_and_a_phone(
    transactional_db, live_server, browser, alice, assignment, media, width
):
    submission = attempt_submit(assignment=assignment, student=alice, upload=upload())
    _graded_with_a_failure(submission)
    page = signed_in(browser, live_server, alice, width=width)

    page.goto(live_server.url + _url("submission", assignment))

    status = page.locator("#submission-status")
    expect(status).to_contain_text("Nota: 2,5 de 6")
    expect(status.locator("td code", has_text="conta_palavras").first).to_be_visible()
    expect(status).to_contain_text(NEUTRAL)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"attempt-graded-{width}.png"), full_page=True)
    assert overflow <= 0, f"{overflow} px clipped at {width} px"

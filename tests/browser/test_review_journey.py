"""Bruno reviews a graded attempt and exports the rubric spreadsheet, in a real browser.

Alice's notebook was graded automatically; her written answer waits for an instructor. Bruno
signs in with Microsoft, finds her in the review queue, grades the answer with a
justification and a reason, sees the change in the history, then downloads the
spreadsheet and finds his grade and justification in it.
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from portal.courses.models import Enrollment
from portal.review.models import ScoreChange
from tests.browser.conftest import SCREENSHOTS
from tests.factories import EnrollmentFactory, UserFactory
from tests.review.test_review import graded_run
from tests.support.graded_assignment import assignment, media_root  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

BRUNO = {
    "oid": "b2000000-0000-4000-8000-000000000002",
    "name": "Bruno Instrutor",
    "email": "bruno@example.edu",
}
JUSTIFICATION = "Explicou por que escalar, mas não citou a escala das variáveis."


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"review_journey-{name}.png"), full_page=True)


def test_bruno_reviews_a_written_answer_and_exports_the_spreadsheet(
    page,
    sign_in,
    live_server,
    course,
    assignment,  # noqa: F811 - the imported fixture
) -> None:
    alice = UserFactory(username="alice-aluna", full_name="Alice Aluna", email="alice@example.edu")
    EnrollmentFactory(
        course=course,
        user=alice,
        email=alice.email,
        full_name="Alice Aluna",
        role=Enrollment.Role.STUDENT,
    )
    EnrollmentFactory(
        course=course,
        user=None,
        email=BRUNO["email"],
        full_name=BRUNO["name"],
        role=Enrollment.Role.INSTRUCTOR,
    )
    run = graded_run(assignment, alice, manual_pending=True)

    sign_in(page, **BRUNO)
    page.goto(live_server.url + reverse("review:queue", args=[course.slug, assignment.slug]))
    queue = page.locator("[data-review-queue]")
    expect(queue.get_by_role("row", name="Alice Aluna")).to_contain_text("Correção manual")
    shot(page, "1-queue")
    queue.get_by_role("row", name="Alice Aluna").get_by_role("link", name="Revisar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Aluna")
    manual = run.scores.get(criterion__key="resposta_escala")
    page.get_by_label("Pontos").nth(2).fill("0,5")
    page.locator(f"#justificativa-{manual.pk}").fill(JUSTIFICATION)
    page.get_by_label("Motivo da alteração (fica no histórico)").fill("Correção da resposta")
    page.get_by_role("button", name="Salvar a revisão").click()
    expect(page.locator(".messages")).to_contain_text("1 critério alterado")
    history = page.locator("[data-history]")
    expect(history).to_contain_text("resposta_escala")
    expect(history).to_contain_text("Correção da resposta")
    expect(page.locator("[data-grade]")).to_contain_text("Nota: 5,5 de 6")
    shot(page, "2-reviewed")
    assert ScoreChange.objects.get().points_after == Decimal("0.50")

    page.goto(live_server.url + reverse("review:queue", args=[course.slug, assignment.slug]))
    page.get_by_role("link", name="Planilha avaliativa: exportar e importar").click()
    shot(page, "3-spreadsheet")
    with page.expect_download() as download:
        page.get_by_role("link", name="Baixar .xlsx").click()
    workbook = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if "Alice Aluna" in r)
    points = row[header.index("resposta_escala · pontos")]
    justification = row[header.index("resposta_escala · justificativa")]
    assert (Decimal(str(points)), justification) == (Decimal("0.5"), JUSTIFICATION)

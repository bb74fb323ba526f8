"""The gradebook API: the rubric spreadsheet, the same workbook the page exports."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.review.test_review import graded_run
from tests.support import graded_assignment

assignment, media_root = graded_assignment.assignment, graded_assignment.media_root

SHEET = reverse("api:gradebook-spreadsheet", args=["mle", "semana-1"])


def sheets(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


@pytest.mark.parametrize(
    "response_type",
    ["*/*", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
)
def test_the_spreadsheet_is_the_workbook_the_page_exports(
    client, bearer, bruno, alice, assignment, response_type
) -> None:
    graded_run(assignment, alice, manual_pending=False)
    client.force_login(bruno)
    page = client.get(reverse("gradebook:xlsx", args=["mle", "semana-1"]))

    # A client asking for the workbook's own type gets it (not a 406).
    response = bearer(bruno, "read").get(SHEET, HTTP_ACCEPT=response_type)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="planilha-mle-semana-1-')
    assert disposition.endswith('.xlsx"')
    mine, theirs = sheets(response.content), sheets(page.content)
    assert mine.keys() == theirs.keys()
    first = next(iter(mine))
    assert mine[first] == theirs[first]
    assert any("alice" in str(cell).lower() for row in mine[first] for cell in row)


def test_students_get_403_and_outsiders_404_for_the_spreadsheet(
    bearer, alice, charlie, assignment
) -> None:
    assert bearer(alice).get(SHEET).json()["error"]["id"] == "api.forbidden"
    assert bearer(charlie).get(SHEET).status_code == 404

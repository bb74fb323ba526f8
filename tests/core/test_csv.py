from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from portal.core.csv import BOM, csv_text


def rows_of(text: str) -> list[list[str]]:
    assert text.startswith(BOM)  # Excel reads UTF-8 accents only with it
    return list(csv.reader(io.StringIO(text.removeprefix(BOM))))


def test_text_a_spreadsheet_would_run_as_a_formula_is_written_as_text():
    text = csv_text(
        ["nome", "justificativa"],
        [
            ['=HYPERLINK("http://evil","x")', "+1"],
            ["@SUM(A1)", "-2 pontos"],
            ["\tTab", "Ótimo, sem fórmula"],
        ],
    )

    assert rows_of(text)[1:] == [
        ['\'=HYPERLINK("http://evil","x")', "'+1"],
        ["'@SUM(A1)", "'-2 pontos"],
        ["'\tTab", "Ótimo, sem fórmula"],
    ]


def test_numbers_dates_and_empty_cells_are_written_for_machines():
    text = csv_text(
        ["pontos", "posicao", "enviado", "vazio"],
        [
            [Decimal("2.5"), 1, dt.datetime(2026, 3, 9, 23, 15), None],
            [None, None, None, None],
        ],
        int_columns=["posicao"],
    )

    assert rows_of(text) == [
        ["pontos", "posicao", "enviado", "vazio"],
        ["2.50", "1", "2026-03-09 23:15:00", ""],
        ["", "", "", ""],
    ]

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

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


def test_a_line_break_inside_a_cell_cannot_start_a_row_with_a_formula():
    # A bare CR ended the row for Excel and csv readers alike: "=..." became a new row's cell.
    text = csv_text(
        ["nome", "email"],
        [['Ana\r=HYPERLINK("http://x","y")', "ana@example.edu"], ["\r=1+1", "b\n@SUM(A1)"]],
    )

    assert rows_of(text) == [
        ["nome", "email"],
        ['Ana\r=HYPERLINK("http://x","y")', "ana@example.edu"],
        ["'\r=1+1", "b\n@SUM(A1)"],
    ]
    assert text.count("\r\n") == 3  # one record per line (RFC 4180), whatever the cells hold


def test_a_lazy_translated_text_is_guarded_like_any_other_text():
    from django.utils.functional import lazy

    formula = lazy(lambda: "=1+1", str)()
    assert rows_of(csv_text(["a"], [[formula]]))[1:] == [["'=1+1"]]


WRITERS = {"writer", "DictWriter", "writerow", "writerows", "to_csv"}


def test_no_module_of_the_portal_writes_csv_but_the_one_writer():
    """Every CSV goes through ``portal.core.csv`` (its formula guard and quoting): any other
    ``csv.writer``, ``DictWriter`` or pandas ``to_csv`` in ``portal/`` is a second writer."""
    root = Path(__file__).resolve().parents[2]
    one_writer = root / "portal" / "core" / "csv.py"
    found = []
    for path in sorted((root / "portal").rglob("*.py")):
        if path == one_writer or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Attribute):
                names = [node.attr]
            elif isinstance(node, ast.ImportFrom) and node.module == "csv":
                names = [alias.name for alias in node.names]
            found += [f"{path.relative_to(root)}:{node.lineno} {n}" for n in names if n in WRITERS]
    assert not found, f"CSV written outside portal/core/csv.py: {found}"

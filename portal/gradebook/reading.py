"""Reading an uploaded rubric spreadsheet within bounds set by the class it belongs to.

A small xlsx can cost minutes and gigabytes to open: a zip part that inflates a thousand
times (shared strings of repeated text), or one cell at row 1,048,576 that makes a loaded
worksheet walk a million rows. So the file is looked at from the outside in, and refused as
soon as it is far larger than this class's spreadsheet can be (:class:`Limits`):

1. its size, then the zip's table of contents: the total inflated size and each large part's
   compression ratio, before anything is inflated;
2. openpyxl in read-only mode (sheets are streamed, never loaded; only the shared strings,
   bounded by step 1, are read at once) and each sheet's declared dimension;
3. the rows, streamed as plain values, stopping at the first row or cell past the bound (the
   declared dimension may lie).

What comes out is plain values (:class:`Book`); the checks never touch openpyxl again.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook

from portal.core import formats
from portal.core.messages import Message
from portal.gradebook.export import GRADES_SHEET, META_SHEET
from portal.gradebook.messages import MESSAGES

MAX_IMPORT_BYTES = 5 * 1024 * 1024
# Whatever the class: a real export of 1,000 students x 10 criteria inflates to a few MB.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
# Styles, theme, the rubric and control sheets: the part that does not grow with the class.
BASE_UNZIPPED_BYTES = 2 * 1024 * 1024
# Per cell of the bound below, its XML and its text: justifications run to a few hundred
# characters, most cells are numbers and ids.
BYTES_PER_CELL = 1024
# Real parts compress 5-20 times (the sheet XML repeats its tags); repeated text made to
# inflate compresses a thousand times. Small parts may do what they like.
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
ROW_MARGIN, COLUMN_MARGIN = 50, 10


@dataclass(frozen=True)
class Limits:
    """How large this class's spreadsheet may be: twice its rows and columns, plus a margin
    (rows painted below the class, a column of notes); anything past that is refused."""

    students: int
    columns: int

    @property
    def max_rows(self) -> int:
        return 1 + 2 * self.students + ROW_MARGIN

    @property
    def max_columns(self) -> int:
        return 2 * self.columns + COLUMN_MARGIN

    @property
    def max_unzipped_bytes(self) -> int:
        cells = self.max_rows * self.max_columns
        return min(MAX_UNZIPPED_BYTES, BASE_UNZIPPED_BYTES + cells * BYTES_PER_CELL)


@dataclass(frozen=True)
class Book:
    """The sheets the import reads, as rows of values (row 1 first; a row may be shorter
    than others: missing cells are empty); None for a sheet the file does not have."""

    grades: list[tuple[Any, ...]] | None
    meta: list[tuple[Any, ...]] | None


class TooLarge(Exception):
    def __init__(self, message: Message):
        super().__init__(message)
        self.message = message


def read_book(data: bytes, limits: Limits) -> tuple[Book | None, list[Message]]:
    """The grades and control sheets of ``data``, or why the file is refused."""
    if len(data) > MAX_IMPORT_BYTES:
        return None, [MESSAGES("sheet.too_big", mb=MAX_IMPORT_BYTES // 2**20)]
    not_xlsx = [MESSAGES("sheet.not_xlsx")]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_parts(archive.infolist(), limits)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except TooLarge as refused:
        return None, [refused.message]
    except Exception:  # zipfile, openpyxl and the XML parsers raise many types
        return None, not_xlsx
    try:
        sheets = {
            name: _rows(workbook[name], limits) if name in workbook.sheetnames else None
            for name in (META_SHEET, GRADES_SHEET)
        }
    except TooLarge as refused:
        return None, [refused.message]
    except Exception:  # a sheet's XML is broken
        return None, not_xlsx
    finally:
        workbook.close()  # read-only keeps the zip open
    return Book(grades=sheets[GRADES_SHEET], meta=sheets[META_SHEET]), []


def _check_parts(parts: list[zipfile.ZipInfo], limits: Limits) -> None:
    """From the zip's table of contents alone: nothing is inflated yet."""
    if sum(part.file_size for part in parts) > limits.max_unzipped_bytes:
        raise TooLarge(
            MESSAGES("sheet.unzipped_too_big", size=formats.size(limits.max_unzipped_bytes))
        )
    for part in parts:
        if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * part.compress_size:
            raise TooLarge(MESSAGES("sheet.compressed_too_much", ratio=MAX_RATIO))


def _rows(sheet: Any, limits: Limits) -> list[tuple[Any, ...]]:
    """A read-only sheet's rows as values, refused past the bound: first by its declared
    dimension, then (the declaration may lie or be missing) row by row as it streams."""
    too_many_rows = MESSAGES(
        "sheet.too_many_rows", sheet=sheet.title, max=formats.number(limits.max_rows)
    )
    too_many_columns = MESSAGES(
        "sheet.too_many_columns", sheet=sheet.title, max=formats.number(limits.max_columns)
    )
    if (sheet.max_row or 0) > limits.max_rows:
        raise TooLarge(too_many_rows)
    if (sheet.max_column or 0) > limits.max_columns:
        raise TooLarge(too_many_columns)
    sheet.reset_dimensions()  # read to the real last row, not to the declared one
    rows = []
    # A gap before a far row streams as empty rows: counting them stops at the bound.
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > limits.max_rows:
            raise TooLarge(too_many_rows)
        if len(values) > limits.max_columns:
            raise TooLarge(too_many_columns)
        rows.append(tuple(values))
    return rows

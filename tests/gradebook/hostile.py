"""Spreadsheets that cost far more to open than their size says, built from a real export by
editing its XML inside the zip (the import tests and ``bench/import_bounds.py`` use them)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

GRADES_XML = "xl/worksheets/sheet1.xml"  # "Notas": the first sheet of an export
LAST_ROW = 1_048_576  # Excel's last row; XFD is its last column


def rewritten(data: bytes, edits: dict[str, Callable[[str], str | bytes]]) -> bytes:
    """The xlsx ``data`` with parts edited (or added, from ""), deflated as Excel does."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        contents: dict[str, str | bytes] = {i.filename: source.read(i) for i in source.infolist()}
    for name, edit in edits.items():
        contents[name] = edit(bytes(contents.get(name, b"")).decode())
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name, content in contents.items():
            target.writestr(name, content)
    return out.getvalue()


def declared(ref: str) -> Callable[[str], str]:
    return lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml)


def cell_at(address: str) -> Callable[[str], str]:
    """One text cell at ``address``: a row of its own at the end, or the end of row 2."""
    number = int(re.sub(r"[A-Z]", "", address))
    cell = f'<c r="{address}" t="inlineStr"><is><t>x</t></is></c>'
    if number > 2:
        return lambda xml: xml.replace(
            "</sheetData>", f'<row r="{number}">{cell}</row></sheetData>'
        )
    return lambda xml: re.sub(r'(<row r="2"[^>]*>.*?)</row>', rf"\1{cell}</row>", xml, count=1)


def both(*edits: Callable[[str], str]) -> Callable[[str], str]:
    def edit(xml: str) -> str:
        for one in edits:
            xml = one(xml)
        return xml

    return edit


def shared_strings(size: int) -> Callable[[str], bytes]:
    """A shared-strings table whose one string is about ``size`` bytes of repeated text."""
    head = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>'
    )
    return lambda _xml: head + b"Justificativa repetida. " * (size // 24) + b"</t></si></sst>"


def with_shared_strings(data: bytes, size: int) -> bytes:
    """The export with its justification I2 taken from a ``size``-byte shared string."""
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    return rewritten(
        data,
        {
            "xl/sharedStrings.xml": shared_strings(size),
            "[Content_Types].xml": lambda xml: xml.replace(
                "</Types>",
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}"/></Types>',
            ),
            GRADES_XML: lambda xml: re.sub(
                r'<c r="I2"[^>]*>.*?</c>', '<c r="I2" t="s"><v>0</v></c>', xml, count=1
            ),
        },
    )

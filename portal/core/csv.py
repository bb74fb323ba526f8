"""The one CSV writer of the portal: every CSV it hands out goes through :func:`csv_text`.

Comma-separated, dot decimals with two places, dates as ``YYYY-MM-DD HH:MM:SS``, UTF-8 with a
BOM (so Excel reads the accents). A text cell that a spreadsheet would run as a formula gets a
leading apostrophe (CSV injection): names, e-mails and justifications come from people.
Records end in CRLF (RFC 4180) so that a cell holding a line break, even a bare CR, is quoted:
with a bare LF terminator a CR was written unquoted and Excel started a new row there, whose
first cell ("=HYPERLINK(...)" after the CR) escaped the guard.

Nothing else in ``portal/`` writes CSV (``tests/core/test_csv.py`` scans for other writers).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal

from django.utils.functional import Promise

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def formula_safe(value: object) -> object:
    """``value``, with a leading apostrophe if it is text a spreadsheet would evaluate."""
    if isinstance(value, Promise):  # a lazy translation is text too
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, int_columns: Collection[str] = ()
) -> str:
    """The table as CSV text; ``int_columns`` are written without decimals (empty if None)."""
    import pandas as pd  # heavy; only the CSV exports need it

    records = [
        [float(value) if isinstance(value, Decimal) else formula_safe(value) for value in row]
        for row in rows
    ]
    frame = pd.DataFrame(records, columns=list(columns))
    for name in int_columns:
        frame[name] = frame[name].astype("Int64")
    return BOM + frame.to_csv(
        index=False, float_format="%.2f", date_format="%Y-%m-%d %H:%M:%S", lineterminator="\r\n"
    )

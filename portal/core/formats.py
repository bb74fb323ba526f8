"""Numbers, sizes and moments as the active language writes them (pt-BR: "2,5"; English: "2.5").

Through Django's ``formats``, so a page, a PDF, a justification line and an error message all
write a number the same way; no code replaces "." by "," by hand.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import formats, timezone

MIB = 1024 * 1024
EMPTY = "—"


def _decimal(value: Decimal | float | int) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number(value: Decimal | float | int | None, *, places: int | None = None) -> str:
    """``value`` without trailing zeros (2.50 -> "2,5"), rounded to ``places`` if given."""
    if value is None:
        return EMPTY
    amount = _decimal(value)
    if places is not None:
        amount = amount.quantize(Decimal(1).scaleb(-places))
    # normalize() drops trailing zeros but writes 100 as 1E+2; quantize(1) brings it back.
    amount = amount.normalize()
    if amount == amount.to_integral_value():
        amount = amount.quantize(Decimal(1))
    return formats.number_format(amount)


def percent(value: Decimal | float | int | None, *, places: int = 1) -> str:
    return EMPTY if value is None else f"{number(value, places=places)}%"


def size(nbytes: int) -> str:
    """1.5 MB, 300 KB."""
    if nbytes >= MIB:
        return f"{number(nbytes / MIB, places=1)} MB"
    return f"{number(nbytes / 1024, places=1)} KB"


def moment(value: dt.datetime | None) -> str:
    """A date and time in the portal's time zone, short form."""
    if value is None:
        return EMPTY
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")

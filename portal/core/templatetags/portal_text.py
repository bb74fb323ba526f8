"""Template filters that write text and numbers the way the rest of the portal does."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString, mark_safe

from portal.core import formats
from portal.core.markdown import render_plain

register = template.Library()


@register.filter
def plain_text(source: str | None) -> SafeString:
    """Grader text: `code` spans and line breaks, everything else escaped (nh3-checked)."""
    return mark_safe(render_plain(source or ""))  # noqa: S308 - escaped and cleaned above


@register.filter
def number(value: Decimal | float | int | None) -> str:
    """2,5 rather than floatformat's 2,50: as justifications and the PDF write it."""
    return formats.number(value)

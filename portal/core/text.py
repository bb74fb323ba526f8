"""Comparing people's names as people do: without accents or case."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """Alphabetical order and search as people expect them in Portuguese: "Álvaro" sorts
    before "Bruna", and "alvaro" finds "Álvaro"."""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()

"""The API's classroom endpoints (docs/api.md)."""

from __future__ import annotations

urlpatterns: list = []

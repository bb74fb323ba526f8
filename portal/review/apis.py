"""The API's review endpoints (docs/api.md)."""

from __future__ import annotations

urlpatterns: list = []

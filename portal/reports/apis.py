"""The API's reports endpoints (docs/api.md)."""

from __future__ import annotations

urlpatterns: list = []

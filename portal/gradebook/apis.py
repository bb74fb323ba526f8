"""The API's gradebook endpoints (docs/api.md)."""

from __future__ import annotations

urlpatterns: list = []

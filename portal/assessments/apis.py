"""The API's assessments endpoints (docs/api.md)."""

from __future__ import annotations

urlpatterns: list = []

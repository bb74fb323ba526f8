"""The API's grading endpoints (docs/api.md)."""

from __future__ import annotations

urlpatterns: list = []

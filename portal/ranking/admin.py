from __future__ import annotations

from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.ranking.models import Finalist


@admin.register(Finalist)
class FinalistAdmin(ReadOnlyAdmin):
    list_display = ["course", "position", "student", "selection_score", "is_winner", "presented_at"]
    list_filter = ["course", "is_winner"]

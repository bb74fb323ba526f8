from __future__ import annotations

from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.review.models import RegradeRequest, ScoreChange


@admin.register(ScoreChange)
class ScoreChangeAdmin(ReadOnlyAdmin):
    list_display = ["score", "points_before", "points_after", "source", "changed_by", "changed_at"]
    list_filter = ["source", "score__criterion__assignment"]
    search_fields = ["reason", "score__run__submission__student__username"]
    list_select_related = ["score__criterion", "score__run__submission__student", "changed_by"]


@admin.register(RegradeRequest)
class RegradeRequestAdmin(ReadOnlyAdmin):
    list_display = ["run", "criterion", "student", "status", "created_at", "responded_at"]
    list_filter = ["status", "criterion__assignment"]
    list_select_related = ["run__submission__assignment", "criterion", "student"]

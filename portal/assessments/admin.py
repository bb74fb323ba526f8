from __future__ import annotations

from django.contrib import admin

from portal.assessments.models import Criterion


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["title", "assignment", "key", "max_points", "manual", "order"]
    list_filter = ["manual", "assignment__course"]
    search_fields = ["title", "key", "assignment__title"]
    list_select_related = ["assignment"]

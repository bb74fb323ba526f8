from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.grading import services
from portal.grading.models import CriterionScore, GradingRun


class CriterionScoreInline(admin.TabularInline):
    # Read-only: an instructor's change is a manual score written by a service (review UI),
    # not an edit of what the grader produced.
    model = CriterionScore
    extra = 0
    can_delete = False
    fields = ["criterion", "points", "max_points", "source", "justification"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: GradingRun | None = None) -> bool:
        return False


@admin.register(GradingRun)
class GradingRunAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "grade_status",
        "total",
        "max_total",
        "tries",
        "queued_at",
        "finished_at",
    ]
    list_filter = ["status", "grade_status", "submission__assignment"]
    search_fields = ["submission__student__username", "submission__assignment__title"]
    list_select_related = ["submission__assignment", "submission__student"]
    # Grading output is evidence: shown, never edited here.
    readonly_fields = [f.name for f in GradingRun._meta.fields]
    inlines = [CriterionScoreInline]
    actions = ["rerun"]

    @admin.action(description=_("Corrigir de novo (nova correção; as anteriores são mantidas)"))
    def rerun(self, request: HttpRequest, queryset: QuerySet[GradingRun]) -> None:
        submissions = {run.submission for run in queryset.select_related("submission")}
        for submission in submissions:
            services.submission_rerun(submission=submission, requested_by=request.user)
        self.message_user(
            request,
            ngettext("%(n)d entrega na fila.", "%(n)d entregas na fila.", len(submissions))
            % {"n": len(submissions)},
            messages.SUCCESS,
        )

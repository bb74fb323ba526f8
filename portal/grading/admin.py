from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.grading import services
from portal.grading.models import (
    Criterion,
    CriterionScore,
    Finalist,
    GradingRun,
    RegradeRequest,
    ScoreChange,
)


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["title", "assignment", "key", "max_points", "manual", "order"]
    list_filter = ["manual", "assignment__course"]
    search_fields = ["title", "key", "assignment__title"]
    list_select_related = ["assignment"]


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
    list_display = ["__str__", "status", "grade_status", "total", "max_total", "tries",
                    "queued_at", "finished_at"]
    list_filter = ["status", "grade_status", "submission__assignment"]
    search_fields = ["submission__student__username", "submission__assignment__title"]
    list_select_related = ["submission__assignment", "submission__student"]
    # Grading output is evidence: shown, never edited here.
    readonly_fields = [f.name for f in GradingRun._meta.fields]
    inlines = [CriterionScoreInline]
    actions = ["rerun"]

    @admin.action(description="Corrigir de novo (nova correção; as anteriores são mantidas)")
    def rerun(self, request: HttpRequest, queryset: QuerySet[GradingRun]) -> None:
        submissions = {run.submission for run in queryset.select_related("submission")}
        for submission in submissions:
            services.submission_rerun(submission=submission, requested_by=request.user)
        self.message_user(request, f"{len(submissions)} entrega(s) na fila.", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is evidence: listed and searchable here, written only by the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ScoreChange)
class ScoreChangeAdmin(ReadOnlyAdmin):
    list_display = ["score", "points_before", "points_after", "source", "changed_by",
                    "changed_at"]
    list_filter = ["source", "score__criterion__assignment"]
    search_fields = ["reason", "score__run__submission__student__username"]
    list_select_related = ["score__criterion", "score__run__submission__student", "changed_by"]


@admin.register(RegradeRequest)
class RegradeRequestAdmin(ReadOnlyAdmin):
    list_display = ["run", "criterion", "student", "status", "created_at", "responded_at"]
    list_filter = ["status", "criterion__assignment"]
    list_select_related = ["run__submission__assignment", "criterion", "student"]


@admin.register(Finalist)
class FinalistAdmin(ReadOnlyAdmin):
    list_display = ["course", "position", "student", "selection_score", "is_winner",
                    "presented_at"]
    list_filter = ["course", "is_winner"]

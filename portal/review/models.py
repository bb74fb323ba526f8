"""What instructors and students do with a grade: audited changes and regrade requests."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.assessments.models import Criterion
from portal.grading.models import CriterionScore, GradingRun


class ScoreChange(models.Model):
    """Audit history: every change of a criterion's points or justification after grading."""

    class Source(models.TextChoices):
        REVIEW = "review", _("Revisão do instrutor")
        IMPORT = "import", _("Importação da planilha")
        REGRADE = "regrade", _("Pedido de revisão")
        RERUN = "rerun", _("Nova correção")

    score = models.ForeignKey(CriterionScore, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    points_before = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    points_after = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    justification_before = models.TextField(blank=True)
    justification_after = models.TextField(blank=True)
    reason = models.TextField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.REVIEW)

    class Meta:
        # Moved from the grading app in the reshape of issue 11; the table keeps its name.
        db_table = "grading_scorechange"
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.score} · {self.points_before} → {self.points_after}"


class RegradeRequest(models.Model):
    """A student asks for one criterion of a graded attempt to be looked at again."""

    class Status(models.TextChoices):
        OPEN = "open", _("Aberto")
        ACCEPTED = "accepted", _("Aceito")
        REJECTED = "rejected", _("Recusado")

    run = models.ForeignKey(GradingRun, on_delete=models.CASCADE, related_name="regrades")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="regrades")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="regrade_requests"
    )
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Moved from the grading app in the reshape of issue 11; the table keeps its name.
        db_table = "grading_regraderequest"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "criterion"],
                condition=models.Q(status="open"),
                name="one_open_regrade_per_criterion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} · {self.criterion} · {self.status}"


class RerunConflict(models.Model):
    """A re-run changed the automatic result of a criterion an instructor had decided (or
    would lower what the student had): the previous points stay in effect on the new run's
    score until an instructor keeps them or takes the new automatic result."""

    class Resolution(models.TextChoices):
        KEPT = "kept", _("Decisão anterior mantida")
        AUTOMATIC = "automatic", _("Novo resultado automático")
        EDITED = "edited", _("Nova decisão do instrutor")

    score = models.OneToOneField(
        CriterionScore, on_delete=models.CASCADE, related_name="rerun_conflict"
    )
    # What the grader gave the criterion before the re-run; the new result is the score's own
    # ``auto_points``, and what stays in effect while this is open is the score's ``points``.
    previous_auto_points = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True
    )
    auto_justification = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["score__criterion__order"]

    def __str__(self) -> str:
        return f"{self.score}: {self.score.points} vs {self.auto_points}"

    @property
    def auto_points(self) -> Decimal | None:
        return self.score.auto_points

    @property
    def open(self) -> bool:
        return not self.resolution

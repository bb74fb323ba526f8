"""Gradings of attempts: one run per grading, one score per rubric criterion."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.assessments.models import Criterion
from portal.submissions.models import Submission


class GradingRun(models.Model):
    """One grading of one submission. Re-runs add runs; old ones are kept."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Na fila")
        RUNNING = "running", _("Corrigindo")
        DONE = "done", _("Concluída")
        WAITING = "waiting", _("Aguardando corretor")  # infrastructure fault, will retry
        ERROR = "error", _("Erro de correção")  # retries exhausted: instructors act

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    # While RUNNING, the worker grading it renews this every AUTOGRADER_HEARTBEAT_SECONDS; once
    # it is past, the worker is gone and the sweeper sends the run again.
    lease_until = models.DateTimeField(null=True, blank=True)
    grade_status = models.CharField(max_length=10, blank=True)  # autograder GradeStatus
    image = models.CharField(max_length=100, blank=True)
    limits = models.JSONField(default=dict, blank=True)
    resources = models.JSONField(default=dict, blank=True)
    exit_reason = models.CharField(max_length=20, blank=True)
    total = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    max_total = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    message = models.TextField(blank=True)
    tampered = models.JSONField(default=list, blank=True)
    # The graded notebook (nbformat JSON) the portal renders (``notebook_view``): students'
    # copy without hidden tests; instructors' copy with them, None when it is the same.
    feedback_notebook = models.JSONField(null=True, blank=True)
    staff_feedback_notebook = models.JSONField(null=True, blank=True)
    # Each grade cell's result (grade_id, points, max_points, manual, passed): its badge.
    cell_results = models.JSONField(default=list, blank=True)
    # nbgrader's HTML feedback of runs graded before the notebook was stored: students'
    # (hidden tests redacted) and instructors' ("" when it would show nothing more).
    feedback_html = models.TextField(blank=True)
    staff_feedback_html = models.TextField(blank=True)
    # The held-out set's metric (None: no held-out set, or no usable predictions).
    holdout_value = models.FloatField(null=True, blank=True)
    # MLflow run that logged this grading (portal.grading.tracking); "" until logged.
    mlflow_run_id = models.CharField(max_length=64, blank=True)
    logs_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["submission", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "number"], name="unique_run_number"),
        ]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.submission} · run {self.number}"


class CriterionScore(models.Model):
    class Source(models.TextChoices):
        AUTO = "auto", _("Automática")
        MANUAL = "manual", _("Instrutor")

    run = models.ForeignKey(GradingRun, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    # What the grader gave, kept when an instructor changes ``points``: a re-run compares
    # its own automatic result with this to know whether the instructor's decision still holds.
    auto_points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    max_points = models.DecimalField(max_digits=6, decimal_places=2)
    justification = models.TextField()
    evidence = models.JSONField(default=list, blank=True)  # project checks: files, counts
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.AUTO)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "criterion__order"]
        constraints = [
            models.UniqueConstraint(fields=["run", "criterion"], name="unique_run_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.points}/{self.max_points}"


# An attempt's status is its newest run's, in the attempt's words (``Submission.status`` is
# written from it by ``services.submission_status_refresh`` alone).
SUBMISSION_STATUS = {
    GradingRun.Status.QUEUED: Submission.Status.QUEUED,
    GradingRun.Status.RUNNING: Submission.Status.RUNNING,
    GradingRun.Status.DONE: Submission.Status.GRADED,
    GradingRun.Status.WAITING: Submission.Status.WAITING,
    GradingRun.Status.ERROR: Submission.Status.ERROR,
}

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.submissions.models import Assignment, Submission


class Criterion(models.Model):
    """A line of the assignment's rubric, filled from nbgrader grade cells or by hand."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE,
                                   related_name="criteria")
    key = models.SlugField()
    title = models.CharField(_("critério"), max_length=200)
    max_points = models.DecimalField(max_digits=6, decimal_places=2)
    grade_ids = models.JSONField(default=list, blank=True)  # nbgrader grade cells it sums
    manual = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)
    # Rubric text (course.yaml criteria, final_project/rubric.yaml): what is assessed, the
    # levels ([{"points", "description"}]) and, for automatic project criteria, the check
    # that fills it and its parameters.
    description = models.TextField(blank=True)
    levels = models.JSONField(default=list, blank=True)
    check_name = models.CharField(max_length=50, blank=True)
    check_params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["assignment", "order"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "key"], name="unique_criterion_key"),
        ]

    def __str__(self) -> str:
        return self.title


class GradingRun(models.Model):
    """One grading of one submission. Re-runs add runs; old ones are kept."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Na fila")
        RUNNING = "running", _("Corrigindo")
        DONE = "done", _("Concluída")
        WAITING = "waiting", _("Aguardando corretor")  # infrastructure fault, will retry
        ERROR = "error", _("Erro de correção")        # retries exhausted: instructors act

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    grade_status = models.CharField(max_length=10, blank=True)  # autograder GradeStatus
    image = models.CharField(max_length=100, blank=True)
    limits = models.JSONField(default=dict, blank=True)
    resources = models.JSONField(default=dict, blank=True)
    exit_reason = models.CharField(max_length=20, blank=True)
    total = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    max_total = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    message = models.TextField(blank=True)
    tampered = models.JSONField(default=list, blank=True)
    feedback_html = models.TextField(blank=True)
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


class ScoreChange(models.Model):
    """Audit history: every change of a criterion's points or justification after grading."""

    class Source(models.TextChoices):
        REVIEW = "review", _("Revisão do instrutor")
        IMPORT = "import", _("Importação da planilha")
        REGRADE = "regrade", _("Pedido de revisão")

    score = models.ForeignKey(CriterionScore, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    points_before = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    points_after = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    justification_before = models.TextField(blank=True)
    justification_after = models.TextField(blank=True)
    reason = models.TextField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.REVIEW)

    class Meta:
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
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="regrade_requests")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["run", "criterion"],
                                    condition=models.Q(status="open"),
                                    name="one_open_regrade_per_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.run} · {self.criterion} · {self.status}"


class Finalist(models.Model):
    """One of the top three final projects, as the instructors confirmed it."""

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE,
                               related_name="finalists")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    position = models.PositiveSmallIntegerField()        # 1..3 in the ranking
    project_score = models.DecimalField(max_digits=7, decimal_places=2)
    notebook_bonus = models.DecimalField(max_digits=7, decimal_places=2)
    selection_score = models.DecimalField(max_digits=7, decimal_places=2)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, related_name="+")
    confirmed_at = models.DateTimeField(auto_now_add=True)
    presented_at = models.DateTimeField(null=True, blank=True)
    presentation_notes = models.TextField(blank=True)
    is_winner = models.BooleanField(default=False)

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "student"], name="unique_finalist"),
            models.UniqueConstraint(fields=["course", "position"],
                                    name="unique_finalist_position"),
            models.UniqueConstraint(fields=["course"], condition=models.Q(is_winner=True),
                                    name="one_winner_per_course"),
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.position}. {self.student}"

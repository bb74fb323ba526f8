"""What students are assessed on: assignments, the files graded with them, rubric criteria."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.courses.models import Course, Week


class Assignment(models.Model):
    """Something students deliver: an nbgrader notebook or the final project (a repository)."""

    class Kind(models.TextChoices):
        NOTEBOOK = "notebook", _("Notebook")
        PROJECT = "project", _("Projeto final")

    class ReleaseMode(models.TextChoices):
        AUTO = "auto", _("Automática: a nota aparece assim que é corrigida")
        MANUAL = "manual", _("Manual: o instrutor libera as notas")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    week = models.ForeignKey(
        Week, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    slug = models.SlugField()
    title = models.CharField(_("título"), max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTEBOOK)
    # The instructor's nbgrader source (hidden tests, solutions): never served to students.
    source_notebook = models.FileField(upload_to="assignments/source/", blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    # Generated from the source once per source version (see autograder.notebooks).
    release_notebook = models.FileField(upload_to="assignments/release/", blank=True)
    release_sha256 = models.CharField(max_length=64, blank=True)
    grade_ids = models.JSONField(default=list, blank=True)  # grade cells of the source
    due_at = models.DateTimeField(_("prazo"))
    hard_deadline_at = models.DateTimeField(_("prazo final (nada depois)"), null=True, blank=True)
    # Late policy: grace period, then a penalty per started day, capped.
    late_grace_minutes = models.PositiveIntegerField(default=0)
    late_penalty_percent_per_day = models.PositiveSmallIntegerField(default=0)
    late_penalty_max_percent = models.PositiveSmallIntegerField(default=100)
    release_mode = models.CharField(
        max_length=10, choices=ReleaseMode.choices, default=ReleaseMode.AUTO
    )
    released_at = models.DateTimeField(null=True, blank=True)
    # Sandbox limits for this assignment (defaults come from the AUTOGRADER_* settings).
    memory_mb = models.PositiveIntegerField(null=True, blank=True)
    cpus = models.FloatField(null=True, blank=True)
    cell_timeout_seconds = models.PositiveIntegerField(null=True, blank=True)
    wall_timeout_seconds = models.PositiveIntegerField(null=True, blank=True)
    max_upload_bytes = models.PositiveIntegerField(null=True, blank=True)
    min_seconds_between_attempts = models.PositiveIntegerField(default=0)
    # Points a delivery adds to the final-project ranking (course.yaml ``finalist_bonus``).
    finalist_bonus = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    # The held-out set (autograder.holdout.HoldoutSpec without its files, which are
    # AssignmentFile rows): metric, thresholds, predictions, id_column, key, title.
    holdout = models.JSONField(default=dict, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        # Moved from the submissions app in the reshape of issue 11; the table keeps its name.
        db_table = "submissions_assignment"
        ordering = ["course", "due_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="unique_assignment_slug"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def late_after(self) -> dt.datetime:
        """Attempts after this moment are late: the due date plus the grace period."""
        return self.due_at + dt.timedelta(minutes=self.late_grace_minutes)


class AssignmentFile(models.Model):
    """A file the grading container gets with the notebook. Only DATA is ever served."""

    class Role(models.TextChoices):
        DATA = "data", _("Dados do notebook")
        HOLDOUT_FEATURES = "holdout-features", _("Conjunto oculto: features")
        HOLDOUT_LABELS = "holdout-labels", _("Conjunto oculto: rótulos")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="files")
    role = models.CharField(max_length=20, choices=Role.choices)
    name = models.CharField(max_length=100)
    file = models.FileField(upload_to="assignments/files/", max_length=300)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()

    class Meta:
        # Moved from the submissions app in the reshape of issue 11; the table keeps its name.
        db_table = "submissions_assignmentfile"
        ordering = ["assignment", "role", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "role", "name"], name="unique_assignment_file"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.role} · {self.name}"


class Criterion(models.Model):
    """A line of the assignment's rubric, filled from nbgrader grade cells or by hand."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="criteria")
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
        # Moved from the grading app in the reshape of issue 11; the table keeps its name.
        db_table = "grading_criterion"
        ordering = ["assignment", "order"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "key"], name="unique_criterion_key"),
        ]

    def __str__(self) -> str:
        return self.title

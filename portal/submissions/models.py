"""Attempts: what a student delivered for an assignment, and held-out leaderboard opt-ins."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.assessments.models import Assignment


class LeaderboardEntry(models.Model):
    """A student's opt-in to an assignment's held-out leaderboard, under a pseudonym."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="leaderboard_entries"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    pseudonym = models.CharField(max_length=60)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"], name="unique_leaderboard_student"
            ),
            models.UniqueConstraint(
                fields=["assignment", "pseudonym"], name="unique_leaderboard_pseudonym"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.pseudonym}"


class Submission(models.Model):
    """One attempt of one student at one assignment. The uploaded file is never modified."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Na fila")
        RUNNING = "running", _("Corrigindo")
        GRADED = "graded", _("Corrigida")
        WAITING = "waiting", _("Aguardando corretor")
        ERROR = "error", _("Erro de correção")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    attempt = models.PositiveIntegerField()
    file = models.FileField(upload_to="submissions/", blank=True)  # notebooks
    # Final projects: the repository and the commit frozen at submission time.
    repo_url = models.URLField(max_length=300, blank=True)
    repo_ref = models.CharField(max_length=200, blank=True)
    commit_sha = models.CharField(max_length=40, blank=True)
    original_name = models.CharField(max_length=255)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    submitted_at = models.DateTimeField()
    # The newest run's status, stored so pages can filter and count by it; written only by
    # ``grading.services.submission_status_refresh`` (never set by hand).
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assignment", "student", "-attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student", "attempt"], name="unique_submission_attempt"
            ),
        ]
        indexes = [models.Index(fields=["status", "status_changed_at"])]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.student} · #{self.attempt}"

    @property
    def is_late(self) -> bool:
        """Against the assignment's current policy (load ``assignment`` with the row)."""
        return self.submitted_at > self.assignment.late_after

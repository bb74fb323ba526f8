"""Who attended each class session, from the Teams report or an instructor's correction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.courses.models import ClassSession


class AttendanceImport(models.Model):
    """One Teams report applied to a session (a later one replaces what it set)."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="imports")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    sha256 = models.CharField(max_length=64)
    meeting_title = models.CharField(max_length=300, blank=True)
    meeting_start = models.DateTimeField()
    # People in the report who are not students of the course: [{"name", "email", "minutes"}].
    unmatched = models.JSONField(default=list)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.session} ({self.imported_at:%Y-%m-%d %H:%M})"


class Attendance(models.Model):
    class Source(models.TextChoices):
        REPORT = "report", _("Relatório do Teams")
        MANUAL = "manual", _("Correção do instrutor")

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="attendance")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance"
    )
    minutes = models.PositiveIntegerField(default=0)
    present = models.BooleanField()
    source = models.CharField(max_length=10, choices=Source.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "student"], name="one_attendance_per_session_and_student"
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id} @ {self.session_id}: {self.present}"


class AttendanceCorrection(models.Model):
    """An instructor's change of one student's presence, with its reason (the audit)."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    present_before = models.BooleanField(null=True)  # None: nothing was recorded
    present_after = models.BooleanField()
    reason = models.TextField()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return (
            f"{self.student_id} @ {self.session_id}: {self.present_before} → {self.present_after}"
        )

"""The course's reports zip, built by a worker (``tasks.build_archive``) instead of inside a
request: a course of a hundred students is minutes of PDFs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.courses.models import Course


class ReportArchive(models.Model):
    """One request for the course's zip: queued, then built into the default storage (shared
    by the web and the workers of every host), with its progress by student."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Na fila")
        RUNNING = "running", _("Gerando")
        DONE = "done", _("Pronto")
        FAILED = "failed", _("Falhou")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="report_archives")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    students_done = models.PositiveIntegerField(default=0)
    students_total = models.PositiveIntegerField(null=True, blank=True)  # known once started
    file = models.CharField(max_length=300, blank=True)  # the zip's name in default_storage
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.course} · {self.status}"

    @property
    def final(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

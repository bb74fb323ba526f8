"""Certificates: what was printed on each (frozen at issue), its public code, its revocation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.courses.models import Course


class Certificate(models.Model):
    class Band(models.TextChoices):
        PASSED = "passed", _("Aprovado")
        FINALIST = "finalist", _("Aprovado com distinção: projeto finalista")
        WINNER = "winner", _("Aprovado com distinção: projeto vencedor")

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    # Public: printed with a QR code, it opens /certificados/<code>/. Random, not guessable.
    code = models.CharField(max_length=20, unique=True)
    # What the certificate says, as it said it on the day it was issued.
    name = models.CharField(max_length=200)
    course_title = models.CharField(max_length=200)
    hours = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=10, choices=Band.choices)
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Why it qualified (for the admins; never on the public page).
    attendance_percent = models.DecimalField(max_digits=5, decimal_places=2)
    grade_percent = models.DecimalField(max_digits=5, decimal_places=2)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["course", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "student"],
                condition=Q(revoked_at__isnull=True),
                name="one_valid_certificate_per_student",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.course_title})"

    @property
    def valid(self) -> bool:
        return self.revoked_at is None

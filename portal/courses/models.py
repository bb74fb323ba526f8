from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(_("título"), max_length=200)
    summary = models.TextField(_("resumo"), blank=True)
    timezone = models.CharField(_("fuso horário"), max_length=64, default="America/Sao_Paulo")
    start_date = models.DateField(_("início"))
    teams_channel_url = models.URLField(_("canal do Teams"), blank=True)
    # A student is present in a session from this share of its duration in the meeting
    # (course.yaml ``attendance.present_percent``).
    attendance_present_percent = models.PositiveSmallIntegerField(
        _("presença a partir de (% da aula)"), default=75
    )
    # The certificate's rule (course.yaml ``certificate``); hours None = the sessions' total.
    certificate_min_attendance_percent = models.PositiveSmallIntegerField(default=75)
    certificate_min_grade_percent = models.PositiveSmallIntegerField(default=60)
    certificate_hours = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title


class CoursePage(models.Model):
    """A course-wide page (evaluation rules, final-project rules, notes)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="pages")
    slug = models.SlugField()
    title = models.CharField(_("título"), max_length=200)
    body_md = models.TextField(_("conteúdo (Markdown)"))
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="unique_page_slug"),
        ]

    def __str__(self) -> str:
        return self.title


class Week(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="weeks")
    number = models.PositiveSmallIntegerField(_("semana"))
    slug = models.SlugField()
    title = models.CharField(_("título"), max_length=200)
    summary = models.CharField(_("resumo"), max_length=400, blank=True)
    theory_md = models.TextField(_("aula teórica (Markdown)"))
    practice_md = models.TextField(_("aula prática (Markdown)"), blank=True)
    # None means "not published". The portal owns this value once the week exists;
    # `source_publish_at` remembers what course.yaml said, so that a sync only
    # overrides the portal when the file itself changed its date.
    publish_at = models.DateTimeField(_("publicada em"), null=True, blank=True)
    source_publish_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="unique_week_number"),
            models.UniqueConstraint(fields=["course", "slug"], name="unique_week_slug"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def is_published(self, now: datetime | None = None) -> bool:
        return self.publish_at is not None and self.publish_at <= (now or timezone.now())


class Material(models.Model):
    class Kind(models.TextChoices):
        LINK = "link", _("Link")
        FILE = "file", _("Arquivo")

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("título"), max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url = models.URLField(blank=True)
    file = models.FileField(upload_to="materials/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    description = models.CharField(_("descrição"), max_length=300, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.title


class ClassSession(models.Model):
    class Kind(models.TextChoices):
        THEORY = "theory", _("Aula teórica")
        PRACTICE = "practice", _("Aula prática")

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(_("título"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("início"))
    duration_minutes = models.PositiveSmallIntegerField(_("duração (min)"), default=105)
    teams_url = models.URLField(_("link do Teams"), blank=True, max_length=1000)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timezone.timedelta(minutes=self.duration_minutes)


class Enrollment(models.Model):
    """A person's role in one course.

    Rosters are imported by e-mail before people have ever signed in, so ``user``
    stays empty until the first Microsoft sign-in with that address links it.
    """

    class Role(models.TextChoices):
        STUDENT = "student", _("Aluno")
        INSTRUCTOR = "instructor", _("Instrutor")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrollments",
        null=True,
        blank=True,
    )
    email = models.EmailField(_("e-mail"))
    full_name = models.CharField(_("nome"), max_length=200, blank=True)
    role = models.CharField(_("papel"), max_length=20, choices=Role.choices, default=Role.STUDENT)
    # The secret part of this person's calendar subscription URL for the course (calendar
    # apps cannot sign in); a new one revokes the old URL. Empty until first asked for.
    calendar_key = models.CharField(max_length=43, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.UniqueConstraint(fields=["course", "email"], name="unique_enrollment_email"),
            models.UniqueConstraint(
                fields=["course", "user"],
                condition=Q(user__isnull=False),
                name="unique_enrollment_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

"""The course feedback survey, anonymous by construction.

A :class:`Participation` says that a student answered (so nobody answers twice); a
:class:`Response` holds the answers. Nothing links the two: a response has no student, no
time and a random key (no creation order to line up with the participations), and the
results page lists open answers in that random order.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.courses.models import Course


class Survey(models.Model):
    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="survey")
    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    # Results stay hidden until this many students answered (no one is singled out).
    min_responses = models.PositiveSmallIntegerField(default=5)

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", _("Escala de 1 a 5")
        CHOICE = "choice", _("Múltipla escolha")
        TEXT = "text", _("Texto livre")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=500)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="unique_question_key")
        ]

    def __str__(self) -> str:
        return self.key


class Participation(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participations")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "student"], name="one_answer_per_student")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.student_id}"


class Response(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")

    def __str__(self) -> str:
        return str(self.id)


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    number = models.PositiveSmallIntegerField(null=True, blank=True)  # scale: 1..5
    text = models.TextField(blank=True)  # choice: the option; text: what was written

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.number or self.text[:20]}"

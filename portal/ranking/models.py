"""The final-project finalists and the winner, as the instructors confirmed them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from portal.courses.models import Course


class Finalist(models.Model):
    """One of the top three final projects, as the instructors confirmed it."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="finalists")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveSmallIntegerField()  # 1..3 in the ranking
    project_score = models.DecimalField(max_digits=7, decimal_places=2)
    notebook_bonus = models.DecimalField(max_digits=7, decimal_places=2)
    selection_score = models.DecimalField(max_digits=7, decimal_places=2)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(auto_now_add=True)
    presented_at = models.DateTimeField(null=True, blank=True)
    presentation_notes = models.TextField(blank=True)
    is_winner = models.BooleanField(default=False)

    class Meta:
        # Moved from the grading app in the reshape of issue 11; the table keeps its name.
        db_table = "grading_finalist"
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "student"], name="unique_finalist"),
            models.UniqueConstraint(fields=["course", "position"], name="unique_finalist_position"),
            models.UniqueConstraint(
                fields=["course"], condition=models.Q(is_winner=True), name="one_winner_per_course"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.position}. {self.student}"

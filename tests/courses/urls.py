"""URLs of the course pages, as the tests ask for them."""

from __future__ import annotations

from django.urls import reverse

from portal.courses.models import Course, Week


def week_url(week: Week) -> str:
    return reverse("classroom:week", args=[week.course.slug, week.number])


def manage_url(course: Course) -> str:
    return reverse("courses:manage", args=[course.slug])

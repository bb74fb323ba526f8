"""Reads for courses: who may see and manage what.

Every view goes through these, so the rules live in one place:
admins see everything; instructors manage the courses they teach; students see
the courses they are enrolled in, and a week only from its publish time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.courses.models import ClassSession, Course, Enrollment, Material, Week

# Roles in a course (see ``course_role``) that may see drafts and manage the course.
MANAGER_ROLES = ("admin", Enrollment.Role.INSTRUCTOR)


def user_is_instructor_anywhere(user: User) -> bool:
    return Enrollment.objects.filter(user=user, role=Enrollment.Role.INSTRUCTOR).exists()


def courses_for_user(user: User) -> QuerySet[Course]:
    if user.is_admin:
        return Course.objects.order_by("start_date", "title")
    return Course.objects.filter(enrollments__user=user).distinct().order_by("start_date", "title")


def course_roles(user: User) -> list[tuple[Course, str]]:
    """Every course ``user`` may open, with their role in it (see ``course_role``)."""
    if user.is_admin:
        return [(course, "admin") for course in courses_for_user(user)]
    return [
        (enrollment.course, enrollment.role)
        for enrollment in Enrollment.objects.filter(user=user)
        .select_related("course")
        .order_by("course__start_date", "course__title")
    ]


def course_role(user: User, course: Course) -> str | None:
    """'admin', 'instructor', 'student' or None (not part of this course)."""
    if user.is_admin:
        return "admin"
    return (
        Enrollment.objects.filter(course=course, user=user).values_list("role", flat=True).first()
    )


def can_manage_course(user: User, course: Course) -> bool:
    return course_role(user, course) in MANAGER_ROLES


def get_course_for_user(user: User, slug: str) -> tuple[Course, str]:
    """The course and the user's role in it; 404 for people outside it (no hint it exists)."""
    course = Course.objects.filter(slug=slug).first()
    role = course_role(user, course) if course else None
    if course is None or role is None:
        raise Http404("course")
    return course, role


def get_managed_course(user: User, slug: str) -> Course:
    """The course if ``user`` manages it: 403 for its students (they know it exists), 404 for
    everyone else."""
    course, role = get_course_for_user(user, slug)
    if role not in MANAGER_ROLES:
        raise PermissionDenied(_("Apenas instrutores do curso podem fazer isso."))
    return course


def weeks_for_user(user: User, course: Course, *, manager: bool) -> QuerySet[Week]:
    """Every week for managers; published ones for students (see ``week_visible``)."""
    weeks = course.weeks.order_by("number")
    if manager:
        return weeks
    return weeks.filter(publish_at__isnull=False, publish_at__lte=timezone.now())


def get_week_for_user(user: User, course: Course, number: int, *, manager: bool) -> Week:
    queryset = weeks_for_user(user, course, manager=manager).prefetch_related(
        Prefetch("materials", queryset=Material.objects.order_by("order")),
        Prefetch("sessions", queryset=ClassSession.objects.order_by("starts_at")),
    )
    week = queryset.filter(number=number).first()
    if week is None:
        raise Http404("week")
    return week


def material_for_user(user: User, course: Course, material_id: int, *, manager: bool) -> Material:
    visible = weeks_for_user(user, course, manager=manager)
    material = Material.objects.filter(pk=material_id, week__in=visible).first()
    if material is None or not material.file:
        raise Http404("material")
    return material


def current_week_number(course: Course, today: dt.date | None = None) -> int:
    """Week number of the course calendar for today (0 before it starts)."""
    today = today or timezone.localdate()
    if today < course.start_date:
        return 0
    return (today - course.start_date).days // 7 + 1


def upcoming_sessions(course: Course, *, limit: int = 4) -> list[ClassSession]:
    """Sessions that have not ended yet, soonest first (they are shown even for unpublished
    weeks: a student needs to know when the class is)."""
    now = timezone.now()
    sessions = ClassSession.objects.filter(
        week__course=course, starts_at__gte=now - dt.timedelta(hours=4)
    )
    return [
        s
        for s in sessions.select_related("week").order_by("starts_at")[: limit + 2]
        if s.ends_at >= now
    ][:limit]


@dataclass(frozen=True)
class WeekCard:
    week: Week
    published: bool
    current: bool


def course_overview(course: Course, *, role: str) -> dict:
    """The course part of a dashboard card, for someone with ``role`` in it (the deadlines
    are added by ``portal.classroom``)."""
    manager = role in MANAGER_ROLES
    now = timezone.now()
    current = current_week_number(course)
    weeks = list(course.weeks.order_by("number"))
    cards = [
        WeekCard(week=w, published=w.is_published(now), current=w.number == current) for w in weeks
    ]
    published = sum(card.published for card in cards)
    return {
        "course": course,
        "role": role,
        "manager": manager,
        "cards": cards,
        "current_week": current,
        "weeks_total": len(weeks),
        "weeks_published": published,
        "sessions": upcoming_sessions(course),
        "pages": list(course.pages.only("slug", "title")),
    }


def enrollments_for_course(course: Course) -> QuerySet[Enrollment]:
    return course.enrollments.select_related("user").order_by("role", "full_name", "email")

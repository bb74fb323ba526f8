"""Reads for assessments: which assignments a person may see, and what a student may download.

Students see the assignments of published weeks (or without a week); instructors and admins
of the course see everything. Anyone else gets a 404 (through
``courses.selectors.get_course_for_user``).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from autograder.container.holdout_metrics import HIGHER_IS_BETTER
from portal.accounts.models import User
from portal.assessments.models import Assignment, AssignmentFile
from portal.courses.models import Course, Week
from portal.courses.selectors import (
    MANAGER_ROLES,
    course_role,
    get_course_for_user,
    get_managed_course,
    weeks_for_user,
)


def assignments_for_user(user: User, course: Course, *, manager: bool) -> QuerySet[Assignment]:
    assignments = course.assignments.select_related("week")
    if manager:
        return assignments
    visible = weeks_for_user(user, course, manager=False)
    return assignments.filter(Q(week__isnull=True) | Q(week__in=visible))


def get_assignment_for_user(user: User, course: Course, slug: str, *, manager: bool) -> Assignment:
    assignment = assignments_for_user(user, course, manager=manager).filter(slug=slug).first()
    if assignment is None:
        raise Http404("assignment")
    return assignment


def get_visible_assignment(
    user: User, course_slug: str, slug: str
) -> tuple[Course, Assignment, bool]:
    """The assignment if ``user`` may see it, its course, and whether they manage the course;
    404 for anyone outside the course and for a student before the assignment's week."""
    course, role = get_course_for_user(user, course_slug)
    manager = role in MANAGER_ROLES
    return course, get_assignment_for_user(user, course, slug, manager=manager), manager


def get_managed_assignment(user: User, course_slug: str, slug: str) -> tuple[Course, Assignment]:
    """A course manager's assignment: 403 for the course's students, 404 for anyone else."""
    course = get_managed_course(user, course_slug)
    return course, get_assignment_for_user(user, course, slug, manager=True)


def upcoming_assignments(
    course: Course, user: User, *, manager: bool | None = None, limit: int = 5
) -> list[Assignment]:
    """Assignments still open (due in the future) that ``user`` may see, soonest first."""
    if manager is None:
        manager = course_role(user, course) in MANAGER_ROLES
    return list(
        assignments_for_user(user, course, manager=manager)
        .filter(due_at__gt=timezone.now())
        .order_by("due_at")[:limit]
    )


def grades_released(assignment: Assignment) -> bool:
    return assignment.release_mode == Assignment.ReleaseMode.AUTO or (
        assignment.released_at is not None and assignment.released_at <= timezone.now()
    )


def max_upload_bytes(assignment: Assignment) -> int:
    """The largest notebook this assignment accepts: its own cap, else the site's."""
    return assignment.max_upload_bytes or settings.AUTOGRADER_MAX_UPLOAD_BYTES


def data_files(assignment: Assignment) -> list[AssignmentFile]:
    """What students may download with the notebook. Held-out files never appear here."""
    return list(assignment.files.filter(role=AssignmentFile.Role.DATA).order_by("name"))


def higher_is_better(assignment: Assignment) -> bool:
    return HIGHER_IS_BETTER.get(assignment.holdout.get("metric", ""), True)


def week_assignments(week: Week) -> list[Assignment]:
    """The assignments of a week the viewer already may see, with ``has_data`` set."""
    assignments = list(
        week.assignments.order_by("order", "due_at").annotate(
            data_count=Count("files", filter=Q(files__role=AssignmentFile.Role.DATA))
        )
    )
    for assignment in assignments:
        assignment.has_data = assignment.data_count > 0
    return assignments


def releases_pending(course: Course | None = None) -> QuerySet[Assignment]:
    """Notebook assignments whose source is stored but whose release is not made yet
    (``releases.releases_build`` makes them)."""
    pending = Assignment.objects.filter(kind=Assignment.Kind.NOTEBOOK, release_notebook="")
    pending = pending.exclude(source_notebook="").select_related("course").order_by("order", "id")
    return pending.filter(course=course) if course is not None else pending

"""Who may get the reports and their archives: admins only (reads; ``selectors.py`` holds the
reports' data and is near the module-size limit, hence a module of its own)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from portal.accounts.models import User
from portal.courses import selectors as course_selectors
from portal.courses.models import Course
from portal.reports.models import ReportArchive


def get_admin_course(user: User, course_slug: str) -> Course:
    """The course if ``user`` is an admin: its instructors get a 403 (they know the course
    exists, and the grading pages answer them that way); its students and anyone outside it
    a 404, so the reports' existence is not revealed to students."""
    course, role = course_selectors.get_course_for_user(user, course_slug)
    if role == "admin":
        return course
    if role in course_selectors.MANAGER_ROLES:
        raise PermissionDenied("admins only")
    raise Http404("reports")


def get_archive_for_user(user: User, pk: int) -> ReportArchive:
    """A course zip job, for an admin (as its course's reports: instructors 403, anyone else
    404; a job that does not exist 404)."""
    archive = ReportArchive.objects.select_related("course", "requested_by").filter(pk=pk).first()
    if archive is None:
        raise Http404("archive")
    get_admin_course(user, archive.course.slug)
    return archive

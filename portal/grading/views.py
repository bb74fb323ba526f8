"""The instructor's view of one assignment: every student's latest attempt, re-runs, progress.

Only instructors and admins of the course get in; a student of the course gets a 403 (they
know the assignment exists) and anyone else a 404 (``courses.selectors.get_course_for_user``).

Progress: ``grading.selectors.assignment_progress`` counts the newest run of every submission
of the assignment. That set of runs is the "latest batch": what the last upload or re-run
asked for each attempt (an older attempt that was not re-run keeps its finished run, so it
counts as done). The bar is done / total of that batch; runs in error are final but not done,
so they keep the bar short of full and are listed in the table. The panel polls itself while
anything is queued, running or waiting, and stops once every run of the batch is final.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.assessments.models import Assignment
from portal.assessments.selectors import get_managed_assignment
from portal.core import views as health
from portal.courses.models import Course
from portal.grading import operations, selectors, services
from portal.submissions.models import Submission

PENDING = selectors.PENDING_STATUSES
OPERATIONS_REFRESH_SECONDS = 30


def _progress_context(course: Course, assignment: Assignment) -> dict:
    counts = selectors.assignment_progress(assignment)
    pending = sum(counts[status] for status in PENDING)
    return {
        "progress": counts,
        "progress_pending": pending,
        "progress_final": pending == 0,
        "progress_url": reverse("grading:progress", args=[course.slug, assignment.slug]),
    }


@require_GET
@login_required
def assignment_grading(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    rows = selectors.assignment_student_rows(course, assignment)
    return render(
        request,
        "grading/assignment.html",
        {
            "course": course,
            "assignment": assignment,
            "rows": rows,
            "errors": [
                row
                for row in rows
                if row.submission and row.submission.status == Submission.Status.ERROR
            ],
            **_progress_context(course, assignment),
        },
    )


@require_GET
@login_required
def assignment_progress(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    return render(request, "grading/_progress.html", _progress_context(course, assignment))


@require_POST
@login_required
def assignment_rerun(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    count = services.assignment_rerun(assignment=assignment, requested_by=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(n)d entrega voltou para a fila de correção.",
                "%(n)d entregas voltaram para a fila de correção.",
                count,
            )
            % {"n": count},
        )
    else:
        messages.info(request, _("Nenhuma entrega para corrigir de novo."))
    return redirect("grading:assignment", course.slug, assignment.slug)


@require_POST
@login_required
def submission_rerun(
    request: HttpRequest, course_slug: str, slug: str, submission_id: int
) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    submission = (
        Submission.objects.select_related("student")
        .filter(assignment=assignment, pk=submission_id)
        .first()
    )
    if submission is None:
        raise Http404("submission")
    services.submission_rerun(submission=submission, requested_by=request.user)
    messages.success(
        request,
        _("A tentativa %(n)d de %(name)s voltou para a fila de correção.")
        % {"n": submission.attempt, "name": submission.student.display_name},
    )
    return redirect("grading:assignment", course.slug, assignment.slug)


# -- operations (admins) ------------------------------------------------------------------------


@require_GET
@login_required
def operations_page(request: HttpRequest) -> HttpResponse:
    """Is grading keeping up, and what fails: queue, workers, the last 24 hours (admins)."""
    if not request.user.is_admin:
        raise PermissionDenied("admins only")
    return render(
        request,
        "grading/operations.html",
        {"snap": operations.snapshot(), "refresh_seconds": OPERATIONS_REFRESH_SECONDS},
    )


# What people are told on the status page; /readyz says the same in JSON for machines.
STATUS_CHECKS = {
    "database": gettext_lazy("Banco de dados"),
    "broker": gettext_lazy("Fila de correção"),
    "storage": gettext_lazy("Armazenamento de arquivos"),
}


@require_GET
@never_cache
def status_page(request: HttpRequest) -> HttpResponse:
    """The footer's "status": is the portal working, in words. The web host's own Docker is
    not asked (grading hosts have it): whether any grading worker answers is."""
    checks = [
        (label, health.outcome(health.CHECKS[name]) == "ok")
        for name, label in STATUS_CHECKS.items()
    ]
    answering = operations.workers()
    checks.append((gettext_lazy("Correção automática (workers)"), bool(answering)))
    return render(
        request,
        "grading/status.html",
        {"checks": checks, "all_ok": all(ok for _label, ok in checks)},
    )

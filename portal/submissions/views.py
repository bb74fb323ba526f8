"""Assignment and submission pages. Authorisation comes from ``selectors``; the upload goes
through ``services.submission_create``."""

from __future__ import annotations

import io
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autograder.holdout import METRIC_NAMES
from portal.courses import selectors as course_selectors
from portal.courses.models import Course
from portal.grading import review, scoring
from portal.submissions import selectors, services
from portal.submissions.forms import RepositoryForm, UploadForm
from portal.submissions.models import Assignment, Submission
from portal.submissions.validation import UploadRejected

# The feedback HTML is nbgrader's (student output inside): it gets no scripts, no network,
# and may only be framed by our own pages.
FEEDBACK_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; " \
               "frame-ancestors 'self'"


def _assignment(request: HttpRequest, course_slug: str,
                slug: str) -> tuple[Course, Assignment, bool]:
    course, role = course_selectors.get_course_for_user(request.user, course_slug)
    manager = role in course_selectors.MANAGER_ROLES
    assignment = selectors.get_assignment_for_user(request.user, course, slug, manager=manager)
    return course, assignment, manager


def _submission(request: HttpRequest, course_slug: str, slug: str,
                attempt: int) -> tuple[Course, Submission, bool]:
    course, assignment, manager = _assignment(request, course_slug, slug)
    try:
        student_id = int(request.GET.get("aluno", "")) if manager else None
    except ValueError:
        raise Http404("student") from None
    submission = selectors.get_submission_for_user(request.user, assignment, attempt,
                                                   manager=manager, student_id=student_id)
    return course, submission, manager


def _attempt_url(name: str, submission: Submission, *, manager: bool) -> str:
    url = reverse(name, args=[submission.assignment.course.slug, submission.assignment.slug,
                              submission.attempt])
    return f"{url}?aluno={submission.student_id}" if manager else url


@require_http_methods(["GET", "POST"])
@login_required
def assignment_detail(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment, manager = _assignment(request, course_slug, slug)
    form = UploadForm()
    error: UploadRejected | None = None
    status = 200
    project = assignment.kind == Assignment.Kind.PROJECT
    if project:
        form = RepositoryForm()
    if request.method == "POST":
        form = (RepositoryForm(request.POST) if project
                else UploadForm(request.POST, request.FILES))
        if form.is_valid():
            try:
                if project:
                    submission = services.project_submission_create(
                        assignment=assignment, student=request.user,
                        url=form.cleaned_data["url"], ref=form.cleaned_data["ref"])
                else:
                    submission = services.submission_create(
                        assignment=assignment, student=request.user,
                        upload=form.cleaned_data["file"])
            except UploadRejected as exc:
                error, status = exc, 400
            else:
                messages.success(request, _("Tentativa %(n)d recebida: está na fila de "
                                            "correção.") % {"n": submission.attempt})
                return redirect("submissions:submission", course.slug, assignment.slug,
                                submission.attempt)
        else:
            status = 400
    attempts = selectors.attempts(assignment, request.user)
    return render(request, "submissions/assignment.html", {
        "course": course,
        "assignment": assignment,
        "manager": manager,
        "form": form,
        "upload_error": error,
        "attempts": attempts,
        "counting": selectors.counting_attempt(attempts),
        "max_upload_mb": round(services.max_upload_bytes(assignment) / (1024 * 1024), 1),
        "late_after": assignment.late_after,
        "criteria": list(assignment.criteria.order_by("order")),
        "data_files": selectors.data_files(assignment),
        **_leaderboard_context(request, assignment, manager=manager),
    }, status=status)


def _leaderboard_context(request: HttpRequest, assignment: Assignment, *,
                         manager: bool) -> dict:
    if not assignment.holdout:
        return {}
    released = manager or selectors.grades_released(assignment)
    return {
        "holdout": {**assignment.holdout,
                    "metric_name": METRIC_NAMES.get(assignment.holdout.get("metric"), "")},
        "leaderboard": selectors.leaderboard(assignment, request.user) if released else None,
        "leaderboard_entry": (None if manager
                              else selectors.leaderboard_entry(assignment, request.user)),
    }


@require_GET
@login_required
def release_download(request: HttpRequest, course_slug: str, slug: str) -> FileResponse:
    _course, assignment, _manager = _assignment(request, course_slug, slug)
    # Only ever the release: the source has the solutions and hidden tests.
    if not assignment.release_notebook:
        raise Http404("release")
    return FileResponse(assignment.release_notebook.open("rb"), as_attachment=True,
                        filename=f"{assignment.slug}.ipynb",
                        content_type="application/x-ipynb+json")


@require_GET
@login_required
def bundle_download(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    """The release notebook and its data files in one zip, laid out as the grader sees them."""
    _course, assignment, _manager = _assignment(request, course_slug, slug)
    if not assignment.release_notebook:
        raise Http404("release")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        with assignment.release_notebook.open("rb") as release:
            bundle.writestr(f"{assignment.slug}/{assignment.slug}.ipynb", release.read())
        for data in selectors.data_files(assignment):
            with data.file.open("rb") as handle:
                bundle.writestr(f"{assignment.slug}/dados/{data.name}", handle.read())
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{assignment.slug}.zip"'
    return response


@require_GET
@login_required
def data_download(request: HttpRequest, course_slug: str, slug: str,
                  name: str) -> FileResponse:
    _course, assignment, _manager = _assignment(request, course_slug, slug)
    # Only DATA files: the held-out features and labels are for the grader alone.
    data = next((f for f in selectors.data_files(assignment) if f.name == name), None)
    if data is None:
        raise Http404("data")
    return FileResponse(data.file.open("rb"), as_attachment=True, filename=data.name)


@require_POST
@login_required
def leaderboard_toggle(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    _course, assignment, manager = _assignment(request, course_slug, slug)
    if manager or not assignment.holdout:
        raise Http404("leaderboard")
    if request.POST.get("participar") == "sim":
        entry = services.leaderboard_join(assignment=assignment, student=request.user)
        messages.success(request, _("Você entrou no placar como %(name)s.")
                         % {"name": entry.pseudonym})
    else:
        services.leaderboard_leave(assignment=assignment, student=request.user)
        messages.success(request, _("Você saiu do placar."))
    return redirect(reverse("submissions:assignment", args=[course_slug, slug]) + "#placar")


@require_GET
@login_required
def submission_detail(request: HttpRequest, course_slug: str, slug: str,
                      attempt: int) -> HttpResponse:
    course, submission, manager = _submission(request, course_slug, slug, attempt)
    return render(request, "submissions/submission.html", {
        "course": course,
        "assignment": submission.assignment,
        "manager": manager,
        "regrades": selectors.regrade_requests(submission),
        "commit_url": selectors.commit_url(submission),
        **_status_context(submission, manager=manager),
    })


@require_POST
@login_required
def regrade_request(request: HttpRequest, course_slug: str, slug: str,
                    attempt: int) -> HttpResponse:
    """A student asks for one criterion of their released grade to be looked at again."""
    _course, submission, manager = _submission(request, course_slug, slug, attempt)
    result = selectors.submission_result(submission, manager=False)
    if manager or result.run is None:
        raise Http404("regrade")
    criterion = next((s.criterion for s in result.scores
                      if str(s.criterion_id) == request.POST.get("criterio", "")), None)
    if criterion is None:
        messages.error(request, _("Escolha o critério que você quer que seja revisto."))
    else:
        try:
            review.regrade_request(run=result.run, criterion=criterion, student=request.user,
                                   reason=request.POST.get("motivo", ""))
        except review.RegradeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Pedido de revisão enviado; a resposta aparece aqui."))
    return redirect(reverse("submissions:submission", args=[course_slug, slug, attempt])
                    + "#revisao")


@require_GET
@login_required
def submission_status(request: HttpRequest, course_slug: str, slug: str,
                      attempt: int) -> HttpResponse:
    _course, submission, manager = _submission(request, course_slug, slug, attempt)
    return render(request, "submissions/_status.html",
                  _status_context(submission, manager=manager))


def _status_context(submission: Submission, *, manager: bool) -> dict:
    result = selectors.submission_result(submission, manager=manager)
    return {
        "submission": submission,
        "manager": manager,
        "result": result,
        "grade": scoring.grade_of(result.run) if result.run else None,
        "status_url": _attempt_url("submissions:status", submission, manager=manager),
        "feedback_url": _attempt_url("submissions:feedback", submission, manager=manager),
    }


@require_GET
@login_required
def submission_feedback(request: HttpRequest, course_slug: str, slug: str,
                        attempt: int) -> HttpResponse:
    _course, submission, manager = _submission(request, course_slug, slug, attempt)
    result = selectors.submission_result(submission, manager=manager)
    if result.run is None or not result.run.feedback_html:
        raise Http404("feedback")
    response = HttpResponse(result.run.feedback_html, content_type="text/html; charset=utf-8")
    # Set here so the site-wide middleware (setdefault) leaves them alone.
    response.headers["Content-Security-Policy"] = FEEDBACK_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response

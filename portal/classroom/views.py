"""The pages students move through, and instructors see as students do.

Each page shows several capabilities at once (a week's content and its assignments; an
assignment, the student's attempts and the leaderboard; an attempt, its grade and its regrade
requests), so they are composed here, above every app they read, instead of a lower app
importing an upper one (docs/architecture.md). Authorisation comes from the apps' selectors;
writes go through their services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autograder.holdout import METRIC_NAMES
from portal.accounts.models import User
from portal.assessments import selectors as assessment_selectors
from portal.assessments.models import Assignment
from portal.classroom import my_grades as my_grades_selectors
from portal.core import metrics
from portal.core.markdown import render_markdown
from portal.core.middleware import arrived_at
from portal.courses import selectors as course_selectors
from portal.courses.forms import PublicationForm
from portal.courses.models import Course
from portal.grading import notebook_view, scoring
from portal.grading import selectors as grading_selectors
from portal.grading import services as grading_services
from portal.review import selectors as review_selectors
from portal.review import services as review_services
from portal.review.messages import RegradeError
from portal.submissions import selectors, services
from portal.submissions.forms import RepositoryForm, UploadForm
from portal.submissions.messages import OURS, UploadRejected
from portal.submissions.models import Submission
from portal.surveys import selectors as survey_selectors

# The feedback HTML of runs graded before the portal rendered the notebook itself
# (``GradingRun.feedback_html``) is nbgrader's, with the student's output inside (raw HTML
# included). It must be inert wherever it is opened, in its sandboxed iframe or top-level:
# `sandbox` (an opaque origin; no scripts, forms, popups or navigating another page; and no
# <meta> refresh, which a document sandboxed without allow-scripts ignores), nothing fetched,
# no form posting anywhere, no <base> rewriting its links, framed by our own pages only.
# (`navigate-to` never shipped in browsers: the sandbox is what stops navigation.)
FEEDBACK_CSP = "; ".join(
    [
        "sandbox",
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
    ]
)
FEEDBACK_HEADERS = {
    "Content-Security-Policy": FEEDBACK_CSP,
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, no-cache",
}


# -- the course and its weeks -------------------------------------------------------------------


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    overviews = [
        _overview(course, role=course_selectors.course_role(user, course) or "student", user=user)
        for course in course_selectors.courses_for_user(user)
    ]
    return render(request, "classroom/dashboard.html", {"overviews": overviews})


@require_GET
@login_required
def course_home(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, role = course_selectors.get_course_for_user(request.user, course_slug)
    return render(request, "classroom/course.html", _overview(course, role=role, user=request.user))


def _overview(course: Course, *, role: str, user: User) -> dict:
    """A course card: its weeks and sessions, and the deadlines this person may see."""
    overview = course_selectors.course_overview(course, role=role)
    mine = my_grades_selectors.course_grades(user, course) if role == "student" else None
    return {
        **overview,
        "deadlines": assessment_selectors.upcoming_assignments(
            course, user, manager=overview["manager"]
        ),
        "my_lines": mine.lines if mine else [],
        "certificate": mine.certificate if mine else None,
        "survey": survey_selectors.waiting_for(course, user) if role == "student" else None,
    }


@require_GET
@login_required
def my_grades(request: HttpRequest) -> HttpResponse:
    """Minhas notas: each course she is a student of, every assignment's state and grade."""
    courses = [
        my_grades_selectors.course_grades(request.user, course)
        for course in my_grades_selectors.student_courses(request.user)
    ]
    return render(request, "classroom/grades.html", {"courses": courses})


@require_GET
@login_required
def week_detail(request: HttpRequest, course_slug: str, number: int) -> HttpResponse:
    course, role = course_selectors.get_course_for_user(request.user, course_slug)
    manager = role in course_selectors.MANAGER_ROLES
    week = course_selectors.get_week_for_user(request.user, course, number, manager=manager)
    visible = course_selectors.weeks_for_user(request.user, course, manager=manager)
    theory = render_markdown(week.theory_md, id_prefix="teoria-")
    practice = render_markdown(week.practice_md, id_prefix="pratica-") if week.practice_md else None
    return render(
        request,
        "classroom/week.html",
        {
            "course": course,
            "week": week,
            "manager": manager,
            "published": week.is_published(),
            "theory": theory,
            "practice": practice,
            "assignments": _with_my_state(
                assessment_selectors.week_assignments(week), request.user, role=role
            ),
            "previous_week": visible.filter(number__lt=number).order_by("-number").first(),
            "next_week": visible.filter(number__gt=number).order_by("number").first(),
            "publication_form": PublicationForm(
                initial={
                    "publish_at": timezone.localtime(week.publish_at) if week.publish_at else None,
                }
            )
            if manager
            else None,
        },
    )


def _with_my_state(assignments: list[Assignment], user: User, *, role: str | None) -> list:
    """A student's assignments each with ``mine``, her state and grade (my_grades.py)."""
    lines = my_grades_selectors.assignment_lines(user, assignments) if role == "student" else {}
    for assignment in assignments:
        assignment.mine = lines.get(assignment.pk)
    return assignments


# -- an assignment and its attempts ------------------------------------------------------------


def _submission(
    request: HttpRequest, course_slug: str, slug: str, attempt: int
) -> tuple[Course, Submission, bool]:
    course, assignment, manager = assessment_selectors.get_visible_assignment(
        request.user, course_slug, slug
    )
    try:
        student_id = int(request.GET.get("aluno", "")) if manager else None
    except ValueError:
        raise Http404("student") from None
    submission = selectors.get_submission_for_user(
        request.user, assignment, attempt, manager=manager, student_id=student_id
    )
    return course, submission, manager


def _attempt_url(name: str, submission: Submission, *, manager: bool) -> str:
    url = reverse(
        name,
        args=[submission.assignment.course.slug, submission.assignment.slug, submission.attempt],
    )
    return f"{url}?aluno={submission.student_id}" if manager else url


@require_http_methods(["GET", "POST"])
@login_required
def assignment_detail(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment, manager = assessment_selectors.get_visible_assignment(
        request.user, course_slug, slug
    )
    form = UploadForm()
    error: UploadRejected | None = None
    status = 200
    project = assignment.kind == Assignment.Kind.PROJECT
    if project:
        form = RepositoryForm()
    if request.method == "POST":
        form = RepositoryForm(request.POST) if project else UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                if project:
                    submission = grading_services.project_attempt_submit(
                        assignment=assignment,
                        student=request.user,
                        url=form.cleaned_data["url"],
                        ref=form.cleaned_data["ref"],
                        now=arrived_at(request),
                    )
                else:
                    submission = grading_services.attempt_submit(
                        assignment=assignment,
                        student=request.user,
                        upload=form.cleaned_data["file"],
                        now=arrived_at(request),  # the student's time, not the server's
                    )
            except UploadRejected as exc:
                # A service of ours that did not answer is a 503: the student did nothing wrong.
                error, status = exc, 503 if exc.message_id in OURS else 400
                metrics.upload_refused(kind=assignment.kind, reason=exc.message_id)
            else:
                metrics.upload_accepted(kind=assignment.kind)
                messages.success(
                    request,
                    _("Tentativa %(n)d recebida: está na fila de correção.")
                    % {"n": submission.attempt},
                )
                return redirect(
                    "classroom:submission", course.slug, assignment.slug, submission.attempt
                )
        else:
            status = 400
    attempts = selectors.attempts(assignment, request.user)
    return render(
        request,
        "classroom/assignment.html",
        {
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
            "data_files": assessment_selectors.data_files(assignment),
            **_leaderboard_context(request, assignment, manager=manager),
        },
        status=status,
    )


def _leaderboard_context(request: HttpRequest, assignment: Assignment, *, manager: bool) -> dict:
    if not assignment.holdout:
        return {}
    released = manager or assessment_selectors.grades_released(assignment)
    return {
        "holdout": {
            **assignment.holdout,
            "metric_name": METRIC_NAMES.get(assignment.holdout.get("metric"), ""),
        },
        "leaderboard": (
            grading_selectors.leaderboard(assignment, request.user) if released else None
        ),
        "leaderboard_entry": (
            None if manager else selectors.leaderboard_entry(assignment, request.user)
        ),
    }


@require_POST
@login_required
def leaderboard_toggle(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    _course, assignment, manager = assessment_selectors.get_visible_assignment(
        request.user, course_slug, slug
    )
    if manager or not assignment.holdout:
        raise Http404("leaderboard")
    if request.POST.get("participar") == "sim":
        entry = services.leaderboard_join(assignment=assignment, student=request.user)
        messages.success(
            request, _("Você entrou no placar como %(name)s.") % {"name": entry.pseudonym}
        )
    else:
        services.leaderboard_leave(assignment=assignment, student=request.user)
        messages.success(request, _("Você saiu do placar."))
    return redirect(reverse("classroom:assignment", args=[course_slug, slug]) + "#placar")


@require_GET
@login_required
def submission_detail(
    request: HttpRequest, course_slug: str, slug: str, attempt: int
) -> HttpResponse:
    course, submission, manager = _submission(request, course_slug, slug, attempt)
    return render(
        request,
        "classroom/submission.html",
        {
            "course": course,
            "assignment": submission.assignment,
            "manager": manager,
            "regrades": review_selectors.regrade_requests(submission),
            "commit_url": selectors.commit_url(submission),
            # The flashes ("Tentativa 2 recebida: está na fila") are drawn inside the live
            # status, not above the page (this key hides them from base.html): they describe
            # the status the page opened with and go when the polling brings a new one.
            "messages": (),
            "flashes": list(messages.get_messages(request)),
            **_status_context(submission, manager=manager),
        },
    )


@require_POST
@login_required
def regrade_request(
    request: HttpRequest, course_slug: str, slug: str, attempt: int
) -> HttpResponse:
    """A student asks for one criterion of their released grade to be looked at again."""
    _course, submission, manager = _submission(request, course_slug, slug, attempt)
    result = grading_selectors.submission_result(submission, manager=False)
    if manager or result.run is None:
        raise Http404("regrade")
    criterion = next(
        (
            s.criterion
            for s in result.scores
            if str(s.criterion_id) == request.POST.get("criterio", "")
        ),
        None,
    )
    if criterion is None:
        messages.error(request, _("Escolha o critério que você quer que seja revisto."))
    else:
        try:
            review_services.regrade_request(
                run=result.run,
                criterion=criterion,
                student=request.user,
                reason=request.POST.get("motivo", ""),
            )
        except RegradeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Pedido de revisão enviado; a resposta aparece aqui."))
    return redirect(reverse("classroom:submission", args=[course_slug, slug, attempt]) + "#revisao")


@require_GET
@login_required
def submission_status(
    request: HttpRequest, course_slug: str, slug: str, attempt: int
) -> HttpResponse:
    _course, submission, manager = _submission(request, course_slug, slug, attempt)
    context = _status_context(submission, manager=manager)
    if request.GET.get("estado") == context["state"]:
        # Nothing new since the page drew it: htmx leaves a 204 alone, so what the student
        # reads (the flash among it) stays until the status moves on.
        return HttpResponse(status=204)
    return render(request, "classroom/_status.html", context)


def _status_context(submission: Submission, *, manager: bool) -> dict:
    result = grading_selectors.submission_result(submission, manager=manager)
    state = f"{submission.status}-again" if result.again else submission.status
    status_url = _attempt_url("classroom:status", submission, manager=manager)
    return {
        "submission": submission,
        "manager": manager,
        "result": result,
        "state": state,
        "grade": scoring.grade_of(result.run) if result.run else None,
        "notebook": notebook_view.graded_notebook(result.run, result.scores, manager=manager)
        if result.run
        else None,
        "status_url": status_url,
        "poll_url": f"{status_url}{'&' if '?' in status_url else '?'}"
        + urlencode({"estado": state}),
        "feedback_url": _attempt_url("classroom:feedback", submission, manager=manager),
    }


@require_GET
@login_required
def submission_feedback(
    request: HttpRequest, course_slug: str, slug: str, attempt: int
) -> HttpResponse:
    """The graded notebook on a page of its own: students get the copy without hidden tests,
    instructors the one with them when it differs. Runs graded before the portal rendered it
    keep nbgrader's HTML (``GradingRun.feedback_html``), served inert."""
    course, submission, manager = _submission(request, course_slug, slug, attempt)
    result = grading_selectors.submission_result(submission, manager=manager)
    run = result.run
    notebook = run and notebook_view.graded_notebook(run, result.scores, manager=manager)
    if notebook:
        return render(
            request,
            "classroom/feedback.html",
            {
                "course": course,
                "assignment": submission.assignment,
                "submission": submission,
                "manager": manager,
                "notebook": notebook,
                "attempt_url": _attempt_url("classroom:submission", submission, manager=manager),
            },
        )
    document = run and ((run.staff_feedback_html if manager else "") or run.feedback_html)
    if not document:
        raise Http404("feedback")
    # Set here so the site-wide middleware (setdefault) leaves them alone.
    return HttpResponse(document, content_type="text/html; charset=utf-8", headers=FEEDBACK_HEADERS)

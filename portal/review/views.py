"""Review pages for instructors: the queue of an assignment, one student's graded attempt with
a form over every criterion, the audit history, regrade requests; releasing grades.

Authorisation as the grading page: course managers only (students of the course 403,
anyone else 404). Every change goes through ``portal.review.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from portal.assessments.selectors import get_managed_assignment, grades_released
from portal.core.messages import UserError
from portal.grading import notebook_view, scoring
from portal.grading import selectors as grading_selectors
from portal.grading.models import GradingRun
from portal.review import rerun
from portal.review import selectors as review_selectors
from portal.review import services as review
from portal.review.messages import ReviewRefused
from portal.review.models import RegradeRequest

QUEUE_FILTER_LABELS = {
    "todas": gettext_lazy("Todas"),
    "esperando": gettext_lazy("Esperando um instrutor"),
    "manual": gettext_lazy("Correção manual"),
    "pedidos": gettext_lazy("Pedidos de revisão"),
    "mudou": gettext_lazy("Automático mudou desde a revisão"),
    "adulteracao": gettext_lazy("Adulteração"),
    "atrasadas": gettext_lazy("Entregues com atraso"),
    "prontas": gettext_lazy("Sem pendências"),
}
QUEUE_PAGE_SIZE = 50


@require_http_methods(["GET"])
@login_required
def review_queue(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    rows = review_selectors.review_queue(assignment)
    kind = request.GET.get("filtro", "todas")
    if kind not in review_selectors.QUEUE_FILTERS:
        kind = "todas"
    query = request.GET.get("q", "")[:100]
    shown, counts = review_selectors.queue_filtered(rows, kind=kind, query=query)
    page = Paginator(shown, QUEUE_PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "review/queue.html",
        {
            "course": course,
            "assignment": assignment,
            "page": page,
            "rows": review_selectors.queue_rows_load(assignment, list(page.object_list)),
            "total": len(rows),
            "kind": kind,
            "query": query,
            "filters": [(key, label, counts[key]) for key, label in QUEUE_FILTER_LABELS.items()],
            "waiting": sum(1 for row in rows if row.waits),
            "conflicts": sum(row.open_conflicts for row in rows),
            "errors": review_selectors.queue_errors(assignment),
            "released": grades_released(assignment),
        },
    )


def _counting_run(assignment, student_id: int) -> GradingRun:
    run = grading_selectors.counting_run(assignment, student_id)
    if run is None:
        raise Http404("graded attempt")
    return run


def _ordered(run: GradingRun, regrades: list[RegradeRequest]) -> list:
    """The run's scores in rubric order; those that need an instructor (not graded yet, a
    re-run difference, an open regrade request) are shown open, the others folded."""
    scores = sorted(run.scores.all(), key=lambda s: (s.criterion.order, s.criterion.pk))
    conflicts = review_selectors.open_conflicts(run)
    asked = {
        r.criterion_id
        for r in regrades
        if r.status == RegradeRequest.Status.OPEN and r.run_id == run.pk
    }
    for score in scores:
        score.needs_attention = (
            score.points is None or score.pk in conflicts or score.criterion_id in asked
        )
        score.max_whole = int(score.max_points)  # pt-BR: "1,5 ponto", "2 pontos"
        score.typed_points = score.typed_justification = None
        score.before_points = score.before_justification = None
        score.error = None
        score.conflict = conflicts.get(score.pk)
    return scores


@require_http_methods(["GET", "POST"])
@login_required
def review_detail(
    request: HttpRequest, course_slug: str, slug: str, student_id: int
) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    run = _counting_run(assignment, student_id)
    regrades = list(review_selectors.student_regrade_requests(assignment, student_id))
    scores = _ordered(run, regrades)
    error, status = None, 200
    refused: dict = {}
    if request.method == "POST":
        edits = [
            review.ScoreEdit(
                score,
                request.POST.get(f"pontos-{score.pk}", ""),
                request.POST.get(f"justificativa-{score.pk}", ""),
                points_before=request.POST.get(f"antes-pontos-{score.pk}"),
                justification_before=request.POST.get(f"antes-justificativa-{score.pk}"),
            )
            for score in scores
        ]
        try:
            changes = review.review_apply(
                edits=edits, by=request.user, reason=request.POST.get("motivo", "")
            )
        except ReviewRefused as exc:
            refused, status = exc.errors, 400
            error = refused.get(None)
        else:
            if changes:
                messages.success(
                    request,
                    ngettext(
                        "%(n)d critério alterado; o histórico guarda o que mudou.",
                        "%(n)d critérios alterados; o histórico guarda o que mudou.",
                        len(changes),
                    )
                    % {"n": len(changes)},
                )
            else:
                messages.info(request, _("Nada mudou."))
            return redirect("review:detail", course.slug, assignment.slug, student_id)
        run = _counting_run(assignment, student_id)
        scores = _ordered(run, regrades)
        for score in scores:  # keep what was typed, and say what is wrong next to it
            score.typed_points = request.POST.get(f"pontos-{score.pk}", "")
            score.typed_justification = request.POST.get(f"justificativa-{score.pk}", "")
            score.error = refused.get(score.pk)
            score.needs_attention = True  # what was typed stays in sight
            if score.error is None or score.error.message_id != "review.changed_meanwhile":
                # Still compared with what the form first showed; a criterion someone else
                # changed meanwhile is compared with its value now, shown on this page.
                score.before_points = request.POST.get(f"antes-pontos-{score.pk}")
                score.before_justification = request.POST.get(f"antes-justificativa-{score.pk}")
    return render(
        request,
        "review/detail.html",
        {
            "course": course,
            "assignment": assignment,
            "run": run,
            "submission": run.submission,
            "student": run.submission.student,
            "scores": scores,
            "grade": scoring.grade_of(run),
            "error": error,
            "history": review_selectors.score_history(run),
            "regrades": regrades,
            "feedback_url": (
                reverse(
                    "classroom:feedback",
                    args=[course.slug, assignment.slug, run.submission.attempt],
                )
                + f"?aluno={student_id}"
            )
            if run.feedback_html
            or run.staff_feedback_html
            or run.feedback_notebook is not None
            or run.staff_feedback_notebook is not None
            else "",
            "notebook": notebook_view.graded_notebook(run, scores, manager=True),
            "released": grades_released(assignment),
        },
        status=status,
    )


def _decide(
    request: HttpRequest, course, assignment, student_id: int, action, done: str
) -> HttpResponse:
    """Run one instructor decision; its refusal or ``done`` is shown on the review page."""
    try:
        action()
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("review:detail", course.slug, assignment.slug, student_id)


@require_POST
@login_required
def regrade_answer(
    request: HttpRequest, course_slug: str, slug: str, student_id: int, pk: int
) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    regrade = review_selectors.get_student_regrade_request(assignment, student_id, pk)
    if regrade is None:
        raise Http404("regrade")
    return _decide(
        request,
        course,
        assignment,
        student_id,
        lambda: review.regrade_answer(
            request=regrade,
            by=request.user,
            accept=request.POST.get("decisao") == "aceitar",
            response=request.POST.get("resposta", ""),
            points=request.POST.get("pontos", ""),
            justification=request.POST.get("justificativa", ""),
        ),
        _("Pedido de revisão respondido."),
    )


@require_POST
@login_required
def conflict_resolve(
    request: HttpRequest, course_slug: str, slug: str, student_id: int, pk: int
) -> HttpResponse:
    """Keep the previous points of a criterion a re-run changed, or take the new result."""
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    conflict = review_selectors.get_student_conflict(assignment, student_id, pk)
    if conflict is None:
        raise Http404("conflict")
    return _decide(
        request,
        course,
        assignment,
        student_id,
        lambda: rerun.rerun_conflict_resolve(
            conflict=conflict,
            by=request.user,
            use_automatic=request.POST.get("decisao") == "automatico",
        ),
        _("Decisão registrada no histórico."),
    )


@require_POST
@login_required
def conflicts_resolve_all(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    """The same decision for every criterion a re-run changed, across the class."""
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    use_automatic = request.POST.get("decisao") == "automatico"
    decided = rerun.rerun_conflicts_resolve_all(
        assignment=assignment, by=request.user, use_automatic=use_automatic
    )
    messages.success(
        request,
        ngettext(
            "%(n)d diferença decidida; o histórico de cada aluno registra a decisão.",
            "%(n)d diferenças decididas; o histórico de cada aluno registra a decisão.",
            decided,
        )
        % {"n": decided},
    )
    return redirect("review:queue", course.slug, assignment.slug)


@require_POST
@login_required
def release_toggle(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    if request.POST.get("liberar") == "sim":
        review.grades_release(assignment=assignment)
        messages.success(
            request, _("Notas liberadas: os alunos já veem suas notas e justificativas.")
        )
    else:
        review.grades_unrelease(assignment=assignment)
        messages.success(request, _("Notas recolhidas: os alunos deixam de vê-las."))
    return redirect("review:queue", course.slug, assignment.slug)

"""The ranking page of a course and its three forms (confirm the finalists, record a
presentation, record the winner).

Only the course's instructors and admins get in. Students of the course get a 404 like
anyone else: the ranking is made of grades that may not be released yet, and a 403 would
already tell them there is something to see. The rules themselves live in
``portal.ranking.selectors`` and ``portal.ranking.services``; these views parse the forms
and call the services.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from portal.attendance import selectors as attendance
from portal.courses import selectors as course_selectors
from portal.courses.models import Course
from portal.ranking import selectors as ranking
from portal.ranking import services
from portal.ranking.messages import RankingError
from portal.ranking.models import Finalist


class PresentationForm(forms.Form):
    presented_at = forms.DateTimeField(
        label=gettext_lazy("Data e hora da apresentação"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": gettext_lazy("Informe a data e a hora da apresentação."),
            "invalid": gettext_lazy("Data e hora inválidas."),
        },
    )
    notes = forms.CharField(
        label=gettext_lazy("Notas da banca"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _managed_course(request: HttpRequest, course_slug: str) -> Course:
    """As every manager page, except that students get a 404: the ranking is not even
    announced to them."""
    try:
        return course_selectors.get_managed_course(request.user, course_slug)
    except PermissionDenied:
        raise Http404("ranking") from None


def _finalist(course: Course, finalist_id: int) -> Finalist:
    finalist = (
        Finalist.objects.select_related("student").filter(course=course, pk=finalist_id).first()
    )
    if finalist is None:
        raise Http404("finalist")
    return finalist


def _page(
    request: HttpRequest,
    course: Course,
    *,
    bound: PresentationForm | None = None,
    bound_id: int | None = None,
    status: int = 200,
) -> HttpResponse:
    result = ranking.course_ranking(course)
    presence = attendance.course_attendance(course)
    for row in result.rows:
        row.attendance = presence.of(row.student.pk)
    for finalist in result.finalists:
        finalist.form = (
            bound
            if finalist.pk == bound_id
            else PresentationForm(
                initial={
                    "presented_at": finalist.presented_at,
                    "notes": finalist.presentation_notes,
                },
                prefix=f"f{finalist.pk}",
            )
        )
    return render(
        request,
        "ranking/ranking.html",
        {
            "course": course,
            "ranking": result,
            "tie_breaks": [label for _key, label in ranking.TIE_BREAKS],
            "finalists_count": ranking.FINALISTS,
        },
        status=status,
    )


@require_GET
@login_required
def ranking_page(request: HttpRequest, course_slug: str) -> HttpResponse:
    return _page(request, _managed_course(request, course_slug))


@require_POST
@login_required
def ranking_confirm(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _managed_course(request, course_slug)
    try:
        expected = [int(value) for value in request.POST.getlist("expected")]
    except ValueError:
        expected = [-1]  # a mangled form never matches the live ranking
    try:
        finalists = services.finalists_confirm(
            course=course,
            by=request.user,
            expected=expected,
            reset=request.POST.get("reset") == "1",
        )
    except RankingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext("%(n)d finalista confirmado.", "%(n)d finalistas confirmados.", len(finalists))
            % {"n": len(finalists)},
        )
    return redirect("ranking:page", course.slug)


@require_POST
@login_required
def ranking_presentation(request: HttpRequest, course_slug: str, finalist_id: int) -> HttpResponse:
    course = _managed_course(request, course_slug)
    finalist = _finalist(course, finalist_id)
    form = PresentationForm(request.POST, prefix=f"f{finalist.pk}")
    if not form.is_valid():
        return _page(request, course, bound=form, bound_id=finalist.pk, status=400)
    try:
        services.finalist_presentation_set(
            finalist=finalist,
            presented_at=form.cleaned_data["presented_at"],
            notes=form.cleaned_data["notes"],
            by=request.user,
        )
    except RankingError as error:
        form.add_error("presented_at", str(error))
        return _page(request, course, bound=form, bound_id=finalist.pk, status=400)
    messages.success(
        request, _("Apresentação de %(name)s registrada.") % {"name": finalist.student.display_name}
    )
    return redirect("ranking:page", course.slug)


@require_POST
@login_required
def ranking_winner(request: HttpRequest, course_slug: str, finalist_id: int) -> HttpResponse:
    course = _managed_course(request, course_slug)
    finalist = _finalist(course, finalist_id)
    try:
        services.finalist_winner_set(
            finalist=finalist, by=request.user, replace=request.POST.get("replace") == "1"
        )
    except RankingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(name)s registrado como vencedor.") % {"name": finalist.student.display_name},
        )
    return redirect("ranking:page", course.slug)

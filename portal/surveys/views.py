"""The course survey: students answer it (once, anonymously); instructors read the results
once enough students answered."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from portal.courses.models import Course
from portal.courses.selectors import MANAGER_ROLES, get_course_for_user, get_managed_course
from portal.surveys import selectors, services
from portal.surveys.messages import MESSAGES, SurveyError, SurveyInvalid
from portal.surveys.models import Survey


def _survey(course: Course) -> Survey:
    survey = Survey.objects.filter(course=course).first()
    if survey is None:
        raise Http404("survey")
    return survey


@require_http_methods(["GET", "POST"])
@login_required
def survey_page(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, role = get_course_for_user(request.user, course_slug)
    if role in MANAGER_ROLES:
        return redirect("surveys:results", course_slug=course.slug)
    survey = _survey(course)
    context: dict[str, object] = {"course": course, "survey": survey}
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.survey_answer(survey=survey, student=request.user, posted=request.POST)
        except SurveyInvalid as invalid:
            errors, posted = invalid.errors, request.POST.dict()
            context["invalid"] = True
            status = 400
        except SurveyError as refused:
            context["refused"] = refused
            status = 400
        else:
            messages.success(request, MESSAGES.text("survey.thanks"))
            return redirect("surveys:answer", course_slug=course.slug)
    context.update(
        answered=selectors.answered(survey, request.user),
        open=selectors.is_open(survey),
        not_yet=timezone.now() < survey.opens_at,
        questions=[
            (q, errors.get(q.key, ""), posted.get(q.key, "")) for q in survey.questions.all()
        ],
    )
    return render(request, "surveys/answer.html", context, status=status)


@require_GET
@login_required
def survey_results(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_managed_course(request.user, course_slug)
    survey = _survey(course)
    found = selectors.results(survey)
    if request.GET.get("formato") == "csv" and found is not None:
        response = HttpResponse(
            selectors.results_csv(survey), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="avaliacao-{course.slug}.csv"'
        return response
    return render(
        request,
        "surveys/results.html",
        {
            "course": course,
            "survey": survey,
            "results": found,
            "responses": survey.responses.count(),
            "open": selectors.is_open(survey),
        },
    )

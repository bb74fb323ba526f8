"""The course calendar's pages: "Adicionar ao calendário" (the personal subscription URL, a
new one on request), the .ics download for signed-in people, and the feed calendar apps
fetch with the URL's secret instead of a session."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.classroom.calendar import course_calendar, enrollment_for_token, feed_token
from portal.courses import selectors as course_selectors
from portal.courses import services as course_services
from portal.courses.models import Course, Enrollment
from portal.courses.selectors import MANAGER_ROLES

ICS = "text/calendar; charset=utf-8"


def _ics(course: Course, body: bytes, *, attachment: bool) -> HttpResponse:
    response = HttpResponse(body, content_type=ICS)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{course.slug}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def _enrollment(request: HttpRequest, course: Course) -> Enrollment | None:
    return Enrollment.objects.filter(course=course, user=request.user).first()


@require_GET
@login_required
def calendar_page(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, _role = course_selectors.get_course_for_user(request.user, course_slug)
    enrollment = _enrollment(request, course)
    feed_url = ""
    if enrollment is not None:
        course_services.enrollment_calendar_key(enrollment=enrollment)
        feed_url = request.build_absolute_uri(
            reverse("classroom:calendar_feed", args=[feed_token(enrollment)])
        )
    return render(
        request,
        "classroom/calendar.html",
        {
            "course": course,
            "feed_url": feed_url,
            "webcal_url": feed_url.replace("https://", "webcal://", 1).replace(
                "http://", "webcal://", 1
            ),
        },
    )


@require_POST
@login_required
def calendar_renew(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, _role = course_selectors.get_course_for_user(request.user, course_slug)
    enrollment = _enrollment(request, course)
    if enrollment is None:
        raise Http404("enrollment")
    course_services.enrollment_calendar_key(enrollment=enrollment, renew=True)
    messages.success(
        request,
        _("Novo endereço criado: o anterior parou de funcionar. Assine o calendário de novo."),
    )
    return redirect("classroom:calendar", course_slug=course.slug)


@require_GET
@login_required
def calendar_download(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, role = course_selectors.get_course_for_user(request.user, course_slug)
    body = course_calendar(course, request.user, manager=role in MANAGER_ROLES)
    return _ics(course, body, attachment=True)


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """For calendar apps: the URL's secret is the only credential (404 for anything else)."""
    enrollment = enrollment_for_token(token)
    if enrollment is None or enrollment.user is None or not enrollment.user.is_active:
        raise Http404("calendar")
    manager = enrollment.role == Enrollment.Role.INSTRUCTOR
    body = course_calendar(enrollment.course, enrollment.user, manager=manager)
    return _ics(enrollment.course, body, attachment=False)

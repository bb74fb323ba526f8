"""Course pages of their own: course-wide pages, materials, and the management page (weeks,
roster). Authorisation comes from ``selectors``; writes go through ``services``.

The dashboard, the course home and the week pages show assignments too, so they are
composed in ``portal.classroom``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.core.markdown import render_markdown
from portal.courses import selectors, services
from portal.courses.forms import PublicationForm, RosterForm
from portal.courses.messages import MESSAGES as SESSION_MESSAGES
from portal.courses.models import ClassSession, Course, CoursePage, Week
from portal.courses.roster import roster_import, roster_parse


@require_GET
@login_required
def page_detail(request: HttpRequest, course_slug: str, page_slug: str) -> HttpResponse:
    course, _role = selectors.get_course_for_user(request.user, course_slug)
    page = get_object_or_404(CoursePage, course=course, slug=page_slug)
    return render(
        request,
        "courses/page.html",
        {
            "course": course,
            "page": page,
            "body": render_markdown(page.body_md),
            "pages": list(course.pages.only("slug", "title")),
        },
    )


@require_GET
@login_required
def material_download(request: HttpRequest, course_slug: str, material_id: int) -> FileResponse:
    return material_response(request.user, course_slug, material_id)


def material_response(user, course_slug: str, material_id: int) -> FileResponse:
    """A material file of a week ``user`` may see, as a download (the page and the API)."""
    course, role = selectors.get_course_for_user(user, course_slug)
    material = selectors.material_for_user(
        user, course, material_id, manager=role in selectors.MANAGER_ROLES
    )
    filename = material.file.name.rsplit("/", 1)[-1]
    return FileResponse(material.file.open("rb"), as_attachment=True, filename=filename)


def _manage_context(course: Course, **extra) -> dict:
    now = timezone.now()
    weeks = list(course.weeks.order_by("number"))
    enrollments = list(selectors.enrollments_for_course(course))
    return {
        "course": course,
        "weeks": [(w, w.is_published(now)) for w in weeks],
        "enrollments": enrollments,
        "students_count": sum(e.role == "student" for e in enrollments),
        "instructors_count": sum(e.role == "instructor" for e in enrollments),
        "pending_count": sum(e.user_id is None for e in enrollments),
        "roster_form": RosterForm(),
        "roster_errors": [],
        **extra,
    }


@require_GET
@login_required
def manage_course(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = selectors.get_managed_course(request.user, course_slug)
    return render(request, "courses/manage.html", _manage_context(course))


@require_POST
@login_required
def week_publication(request: HttpRequest, course_slug: str, number: int) -> HttpResponse:
    course = selectors.get_managed_course(request.user, course_slug)
    week = get_object_or_404(Week, course=course, number=number)
    form = PublicationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        week = services.week_set_publication(
            week=week, actor=request.user, publish_at=form.publish_at_value()
        )
        if week.publish_at is None:
            messages.success(
                request,
                _("Semana %(n)d despublicada: os alunos não a veem mais.") % {"n": week.number},
            )
        elif week.is_published():
            messages.success(
                request, _("Semana %(n)d publicada: os alunos já podem vê-la.") % {"n": week.number}
            )
        else:
            messages.success(
                request,
                _("Semana %(n)d agendada: publicação em %(when)s")
                % {
                    "n": week.number,
                    "when": formats.date_format(
                        timezone.localtime(week.publish_at), "SHORT_DATETIME_FORMAT"
                    ),
                },
            )
    next_url = request.POST.get("next", "")
    if next_url == "week":
        return redirect("classroom:week", course_slug=course.slug, number=week.number)
    return redirect("courses:manage", course_slug=course.slug)


@require_POST
@login_required
def roster_upload(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = selectors.get_managed_course(request.user, course_slug)
    form = RosterForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request, "courses/manage.html", _manage_context(course, roster_form=form), status=400
        )
    upload = form.cleaned_data["file"]
    # Read one byte past the cap so "too large" is detected without loading a huge file.
    data = upload.read(settings.ROSTER_MAX_BYTES + 1)
    parsed = roster_parse(data, max_bytes=settings.ROSTER_MAX_BYTES)
    if parsed.errors:
        return render(
            request,
            "courses/manage.html",
            _manage_context(course, roster_form=form, roster_errors=parsed.errors),
            status=400,
        )
    report = roster_import(course=course, rows=parsed.rows)
    messages.success(
        request,
        _(
            "Matrículas importadas: %(created)d novas, %(updated)d atualizadas, "
            "%(unchanged)d sem mudança."
        )
        % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
    )
    return redirect("courses:manage", course_slug=course.slug)


@require_http_methods(["GET", "POST"])
@login_required
def session_links(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The Teams meeting link of every class session (course.yaml may set them too)."""
    course = selectors.get_managed_course(request.user, course_slug)
    sessions = list(
        ClassSession.objects.filter(week__course=course)
        .select_related("week")
        .order_by("starts_at", "pk")
    )
    errors: dict[int, object] = {}
    posted: dict[int, str] = {}
    if request.method == "POST":
        posted = {
            session.pk: request.POST.get(f"teams-{session.pk}", session.teams_url)
            for session in sessions
        }
        changed, errors = services.session_links_set(
            course=course, links=posted, actor=request.user
        )
        if not errors:
            messages.success(request, SESSION_MESSAGES.text("sessions.saved", n=changed))
            return redirect("courses:sessions", course_slug=course.slug)
        messages.error(request, SESSION_MESSAGES.text("sessions.not_saved"))
    rows = [
        {
            "session": session,
            "value": posted.get(session.pk, session.teams_url),
            "error": errors.get(session.pk),
        }
        for session in sessions
    ]
    return render(
        request,
        "courses/sessions.html",
        {"course": course, "rows": rows},
        status=400 if errors else 200,
    )

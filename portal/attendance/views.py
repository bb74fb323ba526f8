"""Attendance pages for the course's instructors: the sessions with what was recorded, and
one session's import (upload, preview, confirm) and corrections."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.accounts.models import User
from portal.attendance import pending, selectors, services
from portal.attendance.messages import AttendanceError
from portal.attendance.models import AttendanceCorrection
from portal.courses.models import ClassSession, Course, Enrollment
from portal.courses.selectors import get_managed_course

UPLOAD_MAX_BYTES = 2 * 1024 * 1024


@require_GET
@login_required
def course_attendance(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_managed_course(request.user, course_slug)
    sessions = list(
        ClassSession.objects.filter(week__course=course)
        .select_related("week")
        .order_by("starts_at")
    )
    counts = selectors.session_counts(course)
    rows = []
    for session in sessions:
        present, recorded = counts.get(session.pk, (None, None))
        rows.append({"session": session, "present": present, "recorded": recorded})
    return render(request, "attendance/course.html", {"course": course, "rows": rows})


def _session(
    request: HttpRequest, course_slug: str, session_id: int
) -> tuple[Course, ClassSession]:
    course = get_managed_course(request.user, course_slug)
    session = get_object_or_404(
        ClassSession.objects.select_related("week__course"), pk=session_id, week__course=course
    )
    return course, session


@require_http_methods(["GET", "POST"])
@login_required
def session_attendance(request: HttpRequest, course_slug: str, session_id: int) -> HttpResponse:
    course, session = _session(request, course_slug, session_id)
    context: dict[str, object] = {"course": course, "session": session}
    status = 200
    action = request.POST.get("acao", "") if request.method == "POST" else ""
    try:
        if action == "previa":
            upload = request.FILES.get("arquivo")
            data = upload.read(UPLOAD_MAX_BYTES + 1) if upload else b""
            if len(data) > UPLOAD_MAX_BYTES:
                raise AttendanceError("attendance.too_big", max="2 MB")
            preview = services.attendance_preview(session=session, data=data)
            token = pending.keep(request.session, class_session_id=session.pk, data=data)
            context.update(preview=preview, token=token)
        elif action == "confirmar":
            token = request.POST.get("token", "")
            data = pending.take(request.session, token, class_session_id=session.pk)
            if data is None:
                raise AttendanceError("attendance.expired")
            services.attendance_import(session=session, data=data, by=request.user)
            pending.forget(request.session, token)
            messages.success(request, _("Frequência importada."))
            return redirect("attendance:session", course_slug=course.slug, session_id=session.pk)
        elif action == "corrigir":
            student = get_object_or_404(
                User,
                pk=request.POST.get("aluno") or 0,
                enrollments__course=course,
                enrollments__role=Enrollment.Role.STUDENT,
            )
            services.attendance_correct(
                session=session,
                student=student,
                present=request.POST.get("presente") == "sim",
                reason=request.POST.get("motivo", ""),
                by=request.user,
            )
            messages.success(
                request, _("Presença de %(name)s corrigida.") % {"name": student.display_name}
            )
            return redirect("attendance:session", course_slug=course.slug, session_id=session.pk)
    except AttendanceError as error:
        context["error"] = error
        status = 400
    records = selectors.session_records(session)
    context.update(
        records=records,
        imports=list(session.imports.select_related("imported_by")[:5]),
        corrections=list(
            AttendanceCorrection.objects.filter(session=session).select_related("student", "by")[
                :20
            ]
        ),
        threshold=services.threshold_minutes(session),
        present_count=sum(1 for _student, r in records if r and r.present),
    )
    return render(request, "attendance/session.html", context, status=status)

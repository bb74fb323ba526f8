"""Admins' feedback reports: the course summary with its charts, each student's report as a
page and a PDF, and the zip of the whole course.

The zip is built by a worker (``services.archive_request``; the API asks for the same job):
the page's "Gerar arquivo .zip" form starts it, a panel polled by htmx shows it queued, running
(students done of total) or failed, and the newest finished zip is downloaded from the storage.

Only admins get in. An instructor of the course gets a 403 (they know the course exists, and
the grading pages already answer them that way); a student of the course and anyone outside
it get a 404, so the reports' existence is not revealed to students.

Charts are PNGs served by their own URL (``img src``), which the strict CSP allows
(``img-src 'self'``) with no inline content.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from portal.assessments.selectors import get_assignment_for_user, grades_released
from portal.courses.models import Course
from portal.grading.selectors import assignment_grades
from portal.reports import access, charts, jobs, services
from portal.reports import pdf as report_pdf
from portal.reports import selectors as reports
from portal.reports.models import ReportArchive

ARCHIVE_ANCHOR = "arquivo-zip"  # the zip panel's id on the course page
# The course page's sections (``?secao=``), so the page is one screenful, not every chart.
REPORT_SECTIONS = {
    "turma": gettext_lazy("Turma"),
    "criterios": gettext_lazy("Critérios por entrega"),
    "alunos": gettext_lazy("Alunos"),
}
# Reports hold grades: private caches only, and not for long.
CACHE_CONTROL = "private, max-age=60"


def _admin_course(request: HttpRequest, course_slug: str) -> Course:
    return access.get_admin_course(request.user, course_slug)


def _student(course: Course, student_id: int) -> reports.StudentReport:
    report = reports.student_report(course, student_id)
    if report is None:
        raise Http404("student")
    return report


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _png(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = CACHE_CONTROL
    return response


@require_GET
@login_required
def report_course(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The course's reports, one section at a time (``?secao=``): the class, the criteria of
    one assignment (``&entrega=``), the students' reports."""
    course = _admin_course(request, course_slug)
    report = reports.course_report(course)
    section = request.GET.get("secao", "")
    if section not in REPORT_SECTIONS:
        section = "turma"
    shown = None
    if section == "criterios":
        wanted = request.GET.get("entrega", "")
        by_slug = {summary.assignment.slug: summary for summary in report.summaries}
        shown = by_slug.get(wanted) or (report.summaries[0] if report.summaries else None)
    return render(
        request,
        "reports/course.html",
        {
            "course": course,
            "report": report,
            "section": section,
            "sections": list(REPORT_SECTIONS.items()),
            "shown": shown,
            **_archive_context(course),
        },
    )


def _archive_context(course: Course) -> dict:
    # A job whose worker died is failed here (a conditional UPDATE), so the panel never polls
    # a job no one will finish.
    services.archive_expire_abandoned(course=course)
    return {"archive_panel": jobs.archive_panel(course)}


def _archive_panel(request: HttpRequest, course: Course) -> HttpResponse:
    context = {"course": course, **_archive_context(course)}
    response = render(request, "reports/_archive.html", context)
    response["Cache-Control"] = "no-store"  # polled: always the job's state now
    return response


@require_POST
@login_required
def report_archive_request(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Start the course's zip, or join the one already queued or running."""
    course = _admin_course(request, course_slug)
    services.archive_request(course=course, by=request.user)
    if request.headers.get("HX-Request"):
        return _archive_panel(request, course)
    return redirect(reverse("reports:course", args=[course.slug]) + f"#{ARCHIVE_ANCHOR}")


@require_GET
@login_required
def report_archive_status(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The zip panel alone, for htmx to poll while a job is queued or running."""
    return _archive_panel(request, _admin_course(request, course_slug))


@require_GET
@login_required
def report_archive_download(
    request: HttpRequest, course_slug: str, archive_id: int
) -> FileResponse:
    course = _admin_course(request, course_slug)
    archive = (
        ReportArchive.objects.filter(pk=archive_id, course=course, status=ReportArchive.Status.DONE)
        .exclude(file="")
        .first()
    )
    if archive is None:  # another course's, not finished, or replaced by a newer zip
        raise Http404("archive")
    try:
        stored = default_storage.open(archive.file, "rb")
    except FileNotFoundError as exc:
        raise Http404("archive file") from exc
    # FileResponse streams the stored zip (local disk or the shared bucket) and closes it.
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=f"relatorios-{slugify(course.slug)}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = CACHE_CONTROL
    return response


@require_GET
@login_required
def report_course_pdf(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _admin_course(request, course_slug)
    data = report_pdf.course_summary_pdf(reports.course_report(course))
    return _download(data, f"resumo-{course.slug}.pdf", "application/pdf")


@require_GET
@login_required
def report_zip(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The old address of the zip (built in the request, 30 s for a large course): now the
    page's zip panel, where the job is started and its file downloaded."""
    course = _admin_course(request, course_slug)
    return redirect(reverse("reports:course", args=[course.slug]) + f"#{ARCHIVE_ANCHOR}")


@require_GET
@login_required
def report_student(request: HttpRequest, course_slug: str, student_id: int) -> HttpResponse:
    course = _admin_course(request, course_slug)
    return render(
        request,
        "reports/student.html",
        {
            "course": course,
            "report": _student(course, student_id),
        },
    )


@require_GET
@login_required
def report_student_pdf(request: HttpRequest, course_slug: str, student_id: int) -> HttpResponse:
    course = _admin_course(request, course_slug)
    report = _student(course, student_id)
    return _download(report_pdf.student_pdf(report), f"{report.slug}.pdf", "application/pdf")


@require_GET
@login_required
def report_chart_counts(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _admin_course(request, course_slug)
    return _png(charts.counts_png(reports.course_report(course).summaries))


@require_GET
@login_required
def report_chart_distribution(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _admin_course(request, course_slug)
    summaries = reports.course_report(course).summaries
    return _png(charts.score_distribution_png(charts.distribution_series(summaries)))


@require_GET
@login_required
def report_chart_criteria(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course = _admin_course(request, course_slug)
    assignment = get_assignment_for_user(request.user, course, slug, manager=True)
    criteria, rows = assignment_grades(assignment)
    # Only this assignment's gradebook: the page asks for one chart per assignment.
    summary = reports.assignment_summary(
        assignment, criteria, rows, released=grades_released(assignment)
    )
    return _png(charts.criterion_averages_png(summary.title, charts.criterion_bars(summary)))

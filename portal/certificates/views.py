"""Certificates' pages: the admins' list (who qualifies and why not, bulk issue, revoke), the
PDF for its holder, and the public verification page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from portal.certificates import selectors, services
from portal.certificates.messages import CertificateError
from portal.certificates.models import Certificate
from portal.certificates.pdf import certificate_pdf
from portal.courses.models import Course
from portal.courses.selectors import can_manage_course

CODE_MAX = 20


@require_http_methods(["GET", "POST"])
@login_required
def course_certificates(request: HttpRequest, course_slug: str) -> HttpResponse:
    if not request.user.is_admin:
        raise PermissionDenied(_("Apenas administradores emitem certificados."))
    course = get_object_or_404(Course, slug=course_slug)
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("acao") == "emitir":
                issued, _left = services.certificates_issue(course=course, by=request.user)
                messages.success(
                    request,
                    ngettext(
                        "%(n)d certificado emitido.", "%(n)d certificados emitidos.", len(issued)
                    )
                    % {"n": len(issued)},
                )
            elif request.POST.get("acao") == "revogar":
                certificate = get_object_or_404(
                    Certificate, pk=request.POST.get("certificado") or 0, course=course
                )
                services.certificate_revoke(
                    certificate=certificate, by=request.user, reason=request.POST.get("motivo", "")
                )
                messages.success(
                    request, _("Certificado %(code)s revogado.") % {"code": certificate.code}
                )
            return redirect("certificates:course", course_slug=course.slug)
        except CertificateError as refused:
            error = refused
    standings = selectors.course_standings(course)
    revoked = Certificate.objects.filter(course=course, revoked_at__isnull=False).select_related(
        "revoked_by"
    )
    return render(
        request,
        "certificates/course.html",
        {
            "course": course,
            "standings": standings,
            "qualifying": sum(1 for s in standings if s.qualifies and not s.certificate),
            "issued": any(s.certificate for s in standings),
            "hours": selectors.course_hours(course),
            "revoked": revoked,
            "error": error,
        },
        status=400 if error else 200,
    )


def _certificate(code: str) -> Certificate:
    if len(code) > CODE_MAX:
        raise Http404("certificate")
    certificate = Certificate.objects.select_related("course").filter(code=code.upper()).first()
    if certificate is None:
        raise Http404("certificate")
    return certificate


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: valid or revoked, and only what the certificate itself shows."""
    try:
        certificate = _certificate(code)
    except Http404:
        return render(request, "certificates/verify.html", {"code": code[:CODE_MAX]}, status=404)
    return render(request, "certificates/verify.html", {"certificate": certificate, "code": code})


@require_GET
@login_required
def download(request: HttpRequest, code: str) -> HttpResponse:
    certificate = _certificate(code)
    user = request.user
    if certificate.student_id != user.pk and not can_manage_course(user, certificate.course):
        raise Http404("certificate")
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificado-{certificate.code}.pdf"'
    return response

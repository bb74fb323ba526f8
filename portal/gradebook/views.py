"""The rubric spreadsheet pages: export (.xlsx, .csv, whole course), import, preview, confirm.

Instructors and admins of the course only: a student of the course gets a 403, anyone else
a 404, as on the other grading pages. An upload is read and checked once; the changes of a
clean one are kept server-side (``pending.pending_save``) and shown as a preview; only the
confirmation POST applies them, without reading the file again, refusing if the grades
changed meanwhile.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from portal.assessments.models import Assignment
from portal.assessments.selectors import get_managed_assignment
from portal.courses import selectors as course_selectors
from portal.courses.models import Course
from portal.gradebook import export as spreadsheet
from portal.gradebook import pending as pending_imports
from portal.gradebook import services as sheet_import
from portal.gradebook.reading import MAX_IMPORT_BYTES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Planilha editada (.xlsx)"),
        help_text=gettext_lazy(
            "Altere só os pontos e as justificativas; as colunas cinza "
            "identificam cada aluno e não podem mudar. Até 5 MB."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
        error_messages={
            "empty": gettext_lazy("O arquivo enviado está vazio."),
            "required": gettext_lazy("Escolha a planilha editada."),
        },
    )


def _download(content: bytes | str, *, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def _page(
    request: HttpRequest,
    course: Course,
    assignment: Assignment,
    *,
    form: ImportForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "gradebook/assignment.html",
        {
            "course": course,
            "assignment": assignment,
            "form": form or ImportForm(),
            "errors": errors or [],
            "max_mb": MAX_IMPORT_BYTES // 2**20,
        },
        status=status,
    )


@require_GET
@login_required
def spreadsheet_assignment(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    return _page(request, course, assignment)


@require_GET
@login_required
def spreadsheet_xlsx(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    data = spreadsheet.workbook_bytes(spreadsheet.assignment_workbook(assignment))
    return _download(
        data, content_type=XLSX, name=f"planilha-{course.slug}-{assignment.slug}-{_stamp()}.xlsx"
    )


@require_GET
@login_required
def spreadsheet_csv(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    return _download(
        spreadsheet.assignment_csv(assignment),
        content_type="text/csv; charset=utf-8",
        name=f"planilha-{course.slug}-{assignment.slug}-{_stamp()}.csv",
    )


@require_GET
@login_required
def spreadsheet_course_xlsx(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = course_selectors.get_managed_course(request.user, course_slug)
    data = spreadsheet.workbook_bytes(spreadsheet.course_workbook(course))
    return _download(data, content_type=XLSX, name=f"planilha-{course.slug}-{_stamp()}.xlsx")


@require_POST
@login_required
def spreadsheet_import(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, course, assignment, form=form, status=400)
    upload = form.cleaned_data["file"]
    # One byte past the cap tells "too big" without reading a huge file.
    data = upload.read(MAX_IMPORT_BYTES + 1)
    check = sheet_import.import_check(assignment=assignment, data=data)
    if check.errors:
        return _page(request, course, assignment, form=form, errors=check.errors, status=400)
    if not check.changes:
        messages.info(request, _("A planilha não altera nenhuma nota; nada a importar."))
        return redirect("gradebook:assignment", course.slug, assignment.slug)
    token = pending_imports.pending_save(
        session=request.session,
        user=request.user,
        assignment=assignment,
        name=upload.name or "planilha.xlsx",
        changes=check.changes,
        fingerprint=check.fingerprint,
    )
    return redirect("gradebook:preview", course.slug, assignment.slug, token)


def _pending(request: HttpRequest, assignment: Assignment, token: str) -> pending_imports.Pending:
    pending = pending_imports.pending_load(
        session=request.session, token=token, user=request.user, assignment=assignment
    )
    if pending is None:
        raise Http404("pending import")
    return pending


@require_GET
@login_required
def spreadsheet_preview(
    request: HttpRequest, course_slug: str, slug: str, token: str
) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    pending = _pending(request, assignment, token)
    if not sheet_import.import_is_current(assignment=assignment, fingerprint=pending.fingerprint):
        pending_imports.pending_discard(session=request.session, token=token)
        messages.error(
            request,
            _(
                "As notas desta entrega mudaram depois do envio da planilha; "
                "envie a planilha de novo."
            ),
        )
        return redirect("gradebook:assignment", course.slug, assignment.slug)
    return render(
        request,
        "gradebook/preview.html",
        {
            "course": course,
            "assignment": assignment,
            "pending": pending,
            "changes": pending.changes,
            "students": len({change.email for change in pending.changes}),
        },
    )


@require_POST
@login_required
def spreadsheet_confirm(
    request: HttpRequest, course_slug: str, slug: str, token: str
) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    pending = _pending(request, assignment, token)
    try:
        applied = sheet_import.import_apply(
            assignment=assignment,
            changes=pending.changes,
            file_name=pending.name,
            by=request.user,
            fingerprint=pending.fingerprint,
        )
    except sheet_import.ImportRefused as refused:
        pending_imports.pending_discard(session=request.session, token=token)
        for error in refused.errors:
            messages.error(request, error)
        messages.error(request, _("Nada foi importado."))
        return redirect("gradebook:assignment", course.slug, assignment.slug)
    pending_imports.pending_discard(session=request.session, token=token)
    messages.success(
        request,
        ngettext(
            "%(n)d alteração importada da planilha (fica no histórico de cada nota).",
            "%(n)d alterações importadas da planilha (ficam no histórico de cada nota).",
            len(applied),
        )
        % {"n": len(applied)},
    )
    return redirect("gradebook:assignment", course.slug, assignment.slug)


@require_POST
@login_required
def spreadsheet_cancel(
    request: HttpRequest, course_slug: str, slug: str, token: str
) -> HttpResponse:
    course, assignment = get_managed_assignment(request.user, course_slug, slug)
    pending_imports.pending_discard(session=request.session, token=token)
    messages.info(request, _("Importação cancelada; nenhuma nota foi alterada."))
    return redirect("gradebook:assignment", course.slug, assignment.slug)

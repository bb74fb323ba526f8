"""What a student downloads to work on an assignment: the release notebook and its data.

Never the source (it holds the solutions and hidden tests) and never the held-out files.
Who may see the assignment comes from ``selectors``.
"""

from __future__ import annotations

import io
import zipfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from portal.assessments import selectors
from portal.assessments.models import Assignment


def _assignment(request: HttpRequest, course_slug: str, slug: str) -> Assignment:
    _course, assignment, _manager = selectors.get_visible_assignment(
        request.user, course_slug, slug
    )
    return assignment


@require_GET
@login_required
def release_download(request: HttpRequest, course_slug: str, slug: str) -> FileResponse:
    return release_response(_assignment(request, course_slug, slug))


def release_response(assignment: Assignment) -> FileResponse:
    """The notebook to answer, as a download (the page and the API serve this)."""
    # Only ever the release: the source has the solutions and hidden tests.
    if not assignment.release_notebook:
        raise Http404("release")
    return FileResponse(
        assignment.release_notebook.open("rb"),
        as_attachment=True,
        filename=f"{assignment.slug}.ipynb",
        content_type="application/x-ipynb+json",
    )


@require_GET
@login_required
def bundle_download(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    return bundle_response(_assignment(request, course_slug, slug))


def bundle_response(assignment: Assignment) -> HttpResponse:
    """The release notebook and its data files in one zip, laid out as the grader sees them."""
    if not assignment.release_notebook:
        raise Http404("release")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        with assignment.release_notebook.open("rb") as release:
            bundle.writestr(f"{assignment.slug}/{assignment.slug}.ipynb", release.read())
        for data in selectors.data_files(assignment):
            with data.file.open("rb") as handle:
                bundle.writestr(f"{assignment.slug}/dados/{data.name}", handle.read())
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{assignment.slug}.zip"'
    return response


@require_GET
@login_required
def data_download(request: HttpRequest, course_slug: str, slug: str, name: str) -> FileResponse:
    return data_response(_assignment(request, course_slug, slug), name)


def data_response(assignment: Assignment, name: str) -> FileResponse:
    # Only DATA files: the held-out features and labels are for the grader alone.
    data = next((f for f in selectors.data_files(assignment) if f.name == name), None)
    if data is None:
        raise Http404("data")
    return FileResponse(data.file.open("rb"), as_attachment=True, filename=data.name)

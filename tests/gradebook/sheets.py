"""What the spreadsheet tests share: a graded attempt, the exported file, an upload."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portal.courses.models import Enrollment
from portal.grading.models import CriterionScore, GradingRun
from portal.submissions.models import Submission
from tests.factories import EnrollmentFactory, SubmissionFactory, UserFactory

POINTS = {"teste_normaliza": "2", "teste_conta_palavras": "1.5", "resposta_escala": None}


def graded(
    assignment,
    student,
    points: dict[str, str | None] | None = None,
    *,
    attempt: int = 1,
    submitted_at: dt.datetime | None = None,
) -> GradingRun:
    """A graded attempt with one finished run and a score per criterion."""
    points = POINTS if points is None else points
    now = timezone.now()
    submission = SubmissionFactory(
        assignment=assignment,
        student=student,
        attempt=attempt,
        status=Submission.Status.GRADED,
        sha256="ab" * 32,
        submitted_at=submitted_at or now,
    )
    criteria = list(assignment.criteria.order_by("order"))
    total = sum((Decimal(p) for p in points.values() if p is not None), Decimal(0))
    run = GradingRun.objects.create(
        submission=submission,
        number=1,
        status=GradingRun.Status.DONE,
        queued_at=now,
        total=total,
        max_total=sum(c.max_points for c in criteria),
    )
    CriterionScore.objects.bulk_create(
        CriterionScore(
            run=run,
            criterion=c,
            max_points=c.max_points,
            points=None if points.get(c.key) is None else Decimal(points[c.key]),
            justification=f"{c.key}: justificativa automática",
        )
        for c in criteria
    )
    return run


def student(course, username: str, full_name: str):
    user = UserFactory(username=username, full_name=full_name)
    EnrollmentFactory(course=course, user=user, role=Enrollment.Role.STUDENT)
    return user


def url(name: str, assignment, *extra) -> str:
    return reverse(f"gradebook:{name}", args=[assignment.course.slug, assignment.slug, *extra])


def exported(client, assignment) -> openpyxl.Workbook:
    response = client.get(url("xlsx", assignment))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def as_bytes(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, assignment, data: bytes, name: str = "notas.xlsx"):
    return client.post(url("import", assignment), {"file": SimpleUploadedFile(name, data)})

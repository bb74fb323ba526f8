"""Writes for certificates: issue (one student, or everyone who qualifies) and revoke.

What a certificate says is frozen when it is issued (name, course, hours, band): a later
change of name or rule does not rewrite a certificate someone already holds. A revoked one
stays, marked revoked with who, when and why, and the public page says so; the student may
then be issued a new one with a new code.
"""

from __future__ import annotations

import logging
import secrets

from django.db import transaction
from django.utils import timezone

from portal.accounts.models import User
from portal.certificates.messages import CertificateError
from portal.certificates.models import Certificate
from portal.certificates.selectors import Standing, course_hours, course_standings
from portal.courses.models import Course

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed
CODE_GROUPS = 4


def new_code() -> str:
    """XXXX-XXXX-XXXX-XXXX: 80 random bits."""
    return "-".join(
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(CODE_GROUPS)
    )


def _issue(course: Course, standing: Standing, by: User | None, hours: int) -> Certificate:
    certificate = Certificate.objects.create(
        course=course,
        student=standing.student,
        code=new_code(),
        name=standing.student.display_name,
        course_title=course.title,
        hours=hours,
        band=standing.band,
        issued_by=by,
        attendance_percent=round(standing.attendance.percent or 0, 2),
        grade_percent=standing.grade_percent or 0,
    )
    log.info(
        "certificate issued code=%s course=%s student=%s by=%s",
        certificate.code,
        course.slug,
        standing.student.pk,
        by.pk if by else None,
    )
    return certificate


@transaction.atomic
def certificates_issue(
    *, course: Course, by: User | None, only: User | None = None
) -> tuple[list[Certificate], list[Standing]]:
    """Issue a certificate to every student who qualifies and has none (or only ``only``).

    Returns the certificates issued and the standings of those left without one.
    """
    Course.objects.select_for_update().filter(pk=course.pk).first()  # one issue at a time
    standings = course_standings(course)
    if only is not None:
        standings = [s for s in standings if s.student.pk == only.pk]
        if not standings:
            raise CertificateError("certificate.not_qualified", name=only.display_name, reasons="—")
        [standing] = standings
        if standing.certificate is not None:
            raise CertificateError("certificate.already_issued", code=standing.certificate.code)
        if not standing.qualifies:
            raise CertificateError(
                "certificate.not_qualified",
                name=only.display_name,
                reasons="; ".join(standing.reasons),
            )
    hours = course_hours(course)
    issued = [
        _issue(course, s, by, hours) for s in standings if s.qualifies and s.certificate is None
    ]
    left = [s for s in standings if not s.qualifies]
    return issued, left


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, by: User, reason: str) -> Certificate:
    reason = " ".join((reason or "").split())
    if not reason:
        raise CertificateError("certificate.reason_required")
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked_at is not None:
        raise CertificateError("certificate.already_revoked")
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = by
    certificate.revoke_reason = reason[:1000]
    certificate.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    log.info("certificate revoked code=%s by=%s", certificate.code, by.pk)
    return certificate

"""Writes for attempts: check and store what a student delivers; the held-out leaderboard.

An attempt is created here and graded by ``portal.grading``: the student's pages call
``grading.services.attempt_submit`` / ``project_attempt_submit``, which create the attempt
with these functions and queue its grading in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from portal.accounts.models import User
from portal.assessments import selectors as assessment_selectors
from portal.assessments.models import Assignment
from portal.core.storage import STORAGE_ERRORS
from portal.courses.models import Enrollment
from portal.submissions import throttle, validation
from portal.submissions.messages import UploadRejected
from portal.submissions.models import LeaderboardEntry, Submission
from portal.submissions.selectors import FINAL_STATUSES

if TYPE_CHECKING:
    from autograder.repos import Resolved

logger = logging.getLogger(__name__)

# -- submissions ----------------------------------------------------------------------------


def submission_storage_name(sha256: str) -> str:
    return f"submissions/{sha256[:2]}/{sha256}.ipynb"


def max_upload_bytes(assignment: Assignment) -> int:
    return assessment_selectors.max_upload_bytes(assignment)  # the rule lives with the assignment


def intake_bounds(assignment: Assignment) -> validation.Bounds:
    return validation.Bounds(
        max_bytes=max_upload_bytes(assignment),
        max_cells=settings.AUTOGRADER_MAX_NOTEBOOK_CELLS,
        max_output_bytes=settings.AUTOGRADER_MAX_OUTPUT_BYTES,
        max_depth=settings.AUTOGRADER_MAX_JSON_DEPTH,
    )


def submission_create(
    *, assignment: Assignment, student: User, upload: UploadedFile, now: dt.datetime | None = None
) -> Submission:
    """Check ``upload`` and keep its bytes, unmodified, as the student's next attempt.

    ``now`` is when the request arrived (``core.middleware.arrived_at``): the attempt's time
    for the deadline and the rate limit, whatever the server took to read it. The attempt is
    not graded yet: ``grading.services.attempt_submit`` calls this and queues the grading in
    the same transaction. Raises :class:`UploadRejected` before anything is written; a
    student with too many recent refusals is refused before anything is read
    (``throttle.py``).
    """
    now = now or timezone.now()
    with throttle.refusals_counted(student_id=student.pk, now=now):
        return _submission_create(assignment, student, upload, now)


# No savepoint of its own inside the caller's transaction (``attempt_submit``): a refusal
# propagates and rolls the whole attempt back anyway, and a savepoint costs two round trips.
@transaction.atomic(savepoint=False)
def _submission_create(
    assignment: Assignment, student: User, upload: UploadedFile, now: dt.datetime
) -> Submission:
    last = _lock_and_check(assignment, student, now)
    bounds = intake_bounds(assignment)
    # One byte past the cap tells "too big" without reading it all.
    data = upload.read(bounds.max_bytes + 1)
    validation.check_file(
        name=upload.name or "", data=data, bounds=bounds, grade_ids=list(assignment.grade_ids)
    )

    sha256 = hashlib.sha256(data).hexdigest()
    name = submission_storage_name(sha256)
    # Content-addressed: the same bytes always land on the same name, so a file left behind
    # by a transaction that later rolls back is harmless (it is either reused by a later
    # identical upload or just an orphan nobody points to).
    try:
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(data))
    except STORAGE_ERRORS as exc:  # ours, not the student's: nothing is recorded
        logger.error("could not store an upload of %s: %r", assignment.slug, exc)
        raise UploadRejected("upload.storage_unavailable") from exc
    return _attempt_create(
        assignment,
        student,
        now,
        last,
        file=name,
        original_name=(upload.name or "")[-255:],
        size_bytes=len(data),
        sha256=sha256,
    )


def repository_resolve(
    *, assignment: Assignment, student: User, url: str, ref: str = "", now: dt.datetime
) -> Resolved:
    """Pin ``url`` at ``ref`` (or its HEAD) to a commit, after the cheap checks.

    Talks to the git server, so it runs outside any transaction. Raises
    :class:`UploadRejected` (not a project, closed, rate-limited, bad URL, unknown
    ref, empty repository...) and writes nothing.
    """
    from autograder import repos  # runs git; only needed here

    if assignment.kind != Assignment.Kind.PROJECT:
        raise UploadRejected("repo.not_project")
    with transaction.atomic():  # cheap checks first: no network for a closed assignment
        _lock_and_check(assignment, student, now)
    allowed = tuple(settings.AUTOGRADER_GIT_ALLOWED_URLS)
    try:
        clean_url = repos.check_url(url.strip(), allowed)
        return repos.resolve(clean_url, ref.strip() or None, allowed=allowed)
    except repos.RepoError as exc:
        kind = "repo.unavailable" if exc.retryable else "repo.rejected"
        raise UploadRejected(kind, detail=exc.message) from exc


@transaction.atomic
def project_submission_create(
    *, assignment: Assignment, student: User, resolved: Resolved, ref: str = "", now: dt.datetime
) -> Submission:
    """The student's next attempt at the commit :func:`repository_resolve` froze.

    The commit was resolved before, so later pushes change nothing; the checks run again
    under the lock (the deadline may have passed while git answered). Not graded yet:
    ``grading.services.project_attempt_submit`` queues it in the same transaction.
    """
    last = _lock_and_check(assignment, student, now)
    return _attempt_create(
        assignment,
        student,
        now,
        last,
        repo_url=resolved.url,
        repo_ref=(ref.strip() or "")[:200],
        commit_sha=resolved.sha,
        original_name=resolved.url[-255:],
        size_bytes=0,
        sha256="",
    )


def _lock_and_check(assignment: Assignment, student: User, now: dt.datetime) -> Submission | None:
    """The checks every attempt passes, under a lock on the student's enrolment row.

    The lock serialises this student's attempts (two tabs, a double click): the attempt
    number cannot be taken twice and the rate limit sees the other attempt. Other students
    are not blocked. Returns the student's latest attempt.
    """
    enrollment = (
        Enrollment.objects.select_for_update()
        .filter(course_id=assignment.course_id, user=student, role=Enrollment.Role.STUDENT)
        .first()
    )
    validation.check_student(is_enrolled_student=enrollment is not None)
    validation.check_deadline(hard_deadline_at=assignment.hard_deadline_at, now=now)
    validation.check_pending(pending=_pending_over_cap(assignment, student))
    last = (
        Submission.objects.filter(assignment=assignment, student=student)
        .order_by("-attempt")
        .only("attempt", "submitted_at")
        .first()
    )
    validation.check_rate_limit(
        last_submitted_at=last.submitted_at if last else None,
        min_seconds=assignment.min_seconds_between_attempts,
        now=now,
    )
    return last


def _pending_over_cap(assignment: Assignment, student: User) -> tuple[int, str] | None:
    """The newest of the student's attempts still to be graded, when they fill the cap.

    The cap (``SUBMISSIONS_MAX_PENDING``, 0 for none) refuses a new attempt rather than
    replacing the queued one (docs/intake.md): replacing would have to cancel a run that a
    worker may be claiming at that moment, and the student could not tell which attempt
    counts. ``waiting`` (our fault, retried) is pending too: it will be graded.
    """
    cap = settings.SUBMISSIONS_MAX_PENDING
    if not cap:
        return None
    pending = list(
        Submission.objects.filter(assignment=assignment, student=student)
        .exclude(status__in=FINAL_STATUSES)
        .order_by("-attempt")
        .values_list("attempt", "status")[:cap]
    )
    if len(pending) < cap:
        return None
    attempt, status = pending[0]
    return attempt, str(Submission.Status(status).label)


def _attempt_create(
    assignment: Assignment, student: User, now: dt.datetime, last: Submission | None, **fields: Any
) -> Submission:
    # The status is the model's default (queued) until grading writes it from the runs.
    return Submission.objects.create(
        assignment=assignment,
        student=student,
        attempt=(last.attempt if last else 0) + 1,
        submitted_at=now,
        status_changed_at=now,
        **fields,
    )


# -- the held-out leaderboard ------------------------------------------------------------------

ANIMALS = (
    "Capivara",
    "Tucano",
    "Onça",
    "Arara",
    "Boto",
    "Jabuti",
    "Lobo-guará",
    "Tamanduá",
    "Quati",
    "Sagui",
    "Ema",
    "Seriema",
    "Jacaré",
    "Preguiça",
    "Gavião",
    "Coruja",
    "Beija-flor",
    "Tatu",
    "Anta",
    "Ariranha",
)
ADJECTIVES = (
    "Veloz",
    "Audaz",
    "Sagaz",
    "Gentil",
    "Ágil",
    "Leal",
    "Tenaz",
    "Capaz",
    "Jovial",
    "Valente",
    "Brilhante",
    "Constante",
    "Elegante",
    "Paciente",
    "Feliz",
    "Serena",
)


def _pseudonym() -> str:
    return f"{secrets.choice(ANIMALS)} {secrets.choice(ADJECTIVES)} {secrets.randbelow(90) + 10}"


@transaction.atomic
def leaderboard_join(*, assignment: Assignment, student: User) -> LeaderboardEntry:
    """Opt ``student`` in under a fresh pseudonym (the same one if already in)."""
    existing = LeaderboardEntry.objects.filter(assignment=assignment, student=student).first()
    if existing is not None:
        return existing
    taken = set(
        LeaderboardEntry.objects.filter(assignment=assignment).values_list("pseudonym", flat=True)
    )
    name = _pseudonym()
    while name in taken:
        name = _pseudonym()
    return LeaderboardEntry.objects.create(assignment=assignment, student=student, pseudonym=name)


def leaderboard_leave(*, assignment: Assignment, student: User) -> bool:
    deleted, _ = LeaderboardEntry.objects.filter(assignment=assignment, student=student).delete()
    return bool(deleted)

"""Writes for submissions and assignments. Views and commands call these."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from autograder import validate as nbvalidate
from portal.accounts.models import User
from portal.courses import assessment
from portal.courses.assessment import CriterionSpec
from portal.courses.models import Course, Enrollment, Week
from portal.grading.models import Criterion
from portal.grading.services import grading_run_enqueue
from portal.submissions import validation
from portal.submissions.models import Assignment, LeaderboardEntry, Submission

# -- submissions ----------------------------------------------------------------------------


def submission_storage_name(sha256: str) -> str:
    return f"submissions/{sha256[:2]}/{sha256}.ipynb"


def max_upload_bytes(assignment: Assignment) -> int:
    return assignment.max_upload_bytes or settings.AUTOGRADER_MAX_UPLOAD_BYTES


@transaction.atomic
def submission_create(*, assignment: Assignment, student: User, upload: UploadedFile,
                      now: dt.datetime | None = None) -> Submission:
    """Check ``upload``, keep its bytes unmodified and queue its grading; one attempt more.

    Raises :class:`validation.UploadRejected` before anything is written.
    """
    now = now or timezone.now()
    last = _lock_and_check(assignment, student, now)
    cap = max_upload_bytes(assignment)
    data = upload.read(cap + 1)  # one byte past the cap tells "too big" without reading it all
    validation.check_file(name=upload.name or "", data=data, max_bytes=cap,
                          grade_ids=list(assignment.grade_ids))

    sha256 = hashlib.sha256(data).hexdigest()
    name = submission_storage_name(sha256)
    # Content-addressed: the same bytes always land on the same name, so a file left behind
    # by a transaction that later rolls back is harmless (it is either reused by a later
    # identical upload or just an orphan nobody points to).
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(data))
    return _attempt_create(assignment, student, now, last, file=name,
                           original_name=(upload.name or "")[-255:], size_bytes=len(data),
                           sha256=sha256)


def project_submission_create(*, assignment: Assignment, student: User, url: str,
                              ref: str = "", now: dt.datetime | None = None) -> Submission:
    """Pin ``url`` at ``ref`` (or its HEAD) to a commit and queue its grading.

    The commit is resolved now, so later pushes change nothing. Raises
    :class:`validation.UploadRejected` (bad URL, unknown ref, empty repository, closed,
    rate-limited...) before anything is written.
    """
    from autograder import repos  # runs git; only needed here

    if assignment.kind != Assignment.Kind.PROJECT:
        raise validation.UploadRejected("repo.not_project")
    now = now or timezone.now()
    with transaction.atomic():  # cheap checks first: no network for a closed assignment
        _lock_and_check(assignment, student, now)
    allowed = tuple(settings.AUTOGRADER_GIT_ALLOWED_URLS)
    try:
        clean_url = repos.check_url(url.strip(), allowed)
        resolved = repos.resolve(clean_url, ref.strip() or None, allowed=allowed)
    except repos.RepoError as exc:
        kind = "repo.unavailable" if exc.retryable else "repo.rejected"
        raise validation.UploadRejected(kind, detail=exc.message) from exc
    with transaction.atomic():
        last = _lock_and_check(assignment, student, now)
        return _attempt_create(assignment, student, now, last, repo_url=resolved.url,
                               repo_ref=(ref.strip() or "")[:200], commit_sha=resolved.sha,
                               original_name=resolved.url[-255:], size_bytes=0, sha256="")


def _lock_and_check(assignment: Assignment, student: User, now: dt.datetime
                    ) -> Submission | None:
    """The checks every attempt passes, under a lock on the student's enrolment row.

    The lock serialises this student's attempts (two tabs, a double click): the attempt
    number cannot be taken twice and the rate limit sees the other attempt. Other students
    are not blocked. Returns the student's latest attempt.
    """
    enrollment = (Enrollment.objects.select_for_update()
                  .filter(course_id=assignment.course_id, user=student,
                          role=Enrollment.Role.STUDENT).first())
    validation.check_student(is_enrolled_student=enrollment is not None)
    validation.check_deadline(hard_deadline_at=assignment.hard_deadline_at, now=now)
    last = (Submission.objects.filter(assignment=assignment, student=student)
            .order_by("-attempt").only("attempt", "submitted_at").first())
    validation.check_rate_limit(last_submitted_at=last.submitted_at if last else None,
                                min_seconds=assignment.min_seconds_between_attempts, now=now)
    return last


def _attempt_create(assignment: Assignment, student: User, now: dt.datetime,
                    last: Submission | None, **fields: Any) -> Submission:
    submission = Submission.objects.create(
        assignment=assignment, student=student, attempt=(last.attempt if last else 0) + 1,
        submitted_at=now, status=Submission.Status.QUEUED,
        status_changed_at=now, **fields,
    )
    grading_run_enqueue(submission=submission, requested_by=student)
    return submission


# -- assignments -----------------------------------------------------------------------------

LIMIT_FIELDS = frozenset({
    "hard_deadline_at", "late_grace_minutes", "late_penalty_percent_per_day",
    "late_penalty_max_percent", "release_mode", "memory_mb", "cpus", "cell_timeout_seconds",
    "wall_timeout_seconds", "max_upload_bytes", "min_seconds_between_attempts", "kind",
    "finalist_bonus", "holdout", "order",
})


class AssignmentSourceError(ValueError):
    """The source notebook cannot be used; ``problems`` are pt-BR lines for the instructor."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_source(source_path: Path) -> tuple[bytes, dict[str, Any]]:
    try:
        data = nbvalidate.read_bytes(source_path)
        notebook = nbvalidate.parse_notebook(data)
    except nbvalidate.NotebookError as exc:
        raise AssignmentSourceError([str(exc)]) from exc
    problems = nbvalidate.errors(nbvalidate.validate_source(notebook))
    if problems:
        raise AssignmentSourceError([str(problem) for problem in problems])
    return data, notebook


def grading_available() -> str | None:
    """None when Docker answers and has the grading image; otherwise why not."""
    try:
        import docker

        client = docker.from_env()
        client.images.get(settings.AUTOGRADER_IMAGE)
    except Exception as exc:  # any failure means "not available": callers print a note
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


def build_release(source_path: Path) -> bytes:
    """The student version, made by nbgrader in the grading image (needs Docker)."""
    from autograder.notebooks import write_release  # imports docker; only needed here

    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "release.ipynb"
        write_release(source_path, output, image=settings.AUTOGRADER_IMAGE)
        return output.read_bytes()


def assignment_create(*, course: Course, slug: str, title: str, source_path: Path,
                      due_at: dt.datetime, week: Week | None = None,
                      release_builder=build_release, criteria: list[CriterionSpec] | None = None,
                      **limits: Any) -> tuple[Assignment, bool]:
    """Create or update the assignment ``slug`` of ``course`` from an nbgrader source.

    Idempotent: running it again with the same source changes nothing but the given fields;
    a changed source replaces the release notebook and the grade ids. The criteria are
    ``criteria`` when given (course.yaml), else one per grade cell of a changed source.
    Returns the assignment and whether its source changed (or it is new).
    """
    unknown = set(limits) - LIMIT_FIELDS
    if unknown:
        raise TypeError(f"unknown assignment fields: {', '.join(sorted(unknown))}")
    data, notebook = read_source(Path(source_path))
    sha256 = hashlib.sha256(data).hexdigest()
    existing = Assignment.objects.filter(course=course, slug=slug).first()
    changed = existing is None or existing.source_sha256 != sha256 or not existing.release_notebook
    # Docker work happens outside the transaction: it takes seconds.
    release = release_builder(Path(source_path)) if changed else None
    with transaction.atomic():
        assignment, _created = Assignment.objects.select_for_update().update_or_create(
            course=course, slug=slug,
            defaults={"title": title, "due_at": due_at, "week": week, **limits},
        )
        if changed:
            release_sha = hashlib.sha256(release).hexdigest()
            # Unique names per version: an old release stays valid for whoever is downloading.
            assignment.source_notebook.save(f"{course.slug}-{slug}-{sha256[:12]}.ipynb",
                                            ContentFile(data), save=False)
            assignment.release_notebook.save(f"{course.slug}-{slug}-{release_sha[:12]}.ipynb",
                                             ContentFile(release), save=False)
            cells = assessment.grade_cells(notebook)
            assignment.source_sha256 = sha256
            assignment.release_sha256 = release_sha
            assignment.grade_ids = list(cells)
            assignment.save(update_fields=["source_notebook", "source_sha256",
                                           "release_notebook", "release_sha256", "grade_ids"])
            if criteria is None:
                criteria = assessment.criteria_per_cell(cells)
        if criteria is not None:
            criteria_sync(assignment, criteria)
    return assignment, changed


def criteria_sync(assignment: Assignment, criteria: list[CriterionSpec]) -> int:
    """Make the assignment's rubric ``criteria``; returns how many rows changed.

    Criteria that disappeared are removed unless already scored (scores are history).
    """
    changed = 0
    for order, spec in enumerate(criteria):
        values = {"title": spec.title, "max_points": spec.max_points,
                  "grade_ids": list(spec.grade_ids), "manual": spec.manual, "order": order,
                  "description": spec.description, "levels": list(spec.levels),
                  "check_name": spec.check, "check_params": dict(spec.check_params)}
        criterion = Criterion.objects.filter(assignment=assignment, key=spec.key).first()
        if criterion is None:
            Criterion.objects.create(assignment=assignment, key=spec.key, **values)
            changed += 1
            continue
        different = [name for name, value in values.items() if getattr(criterion, name) != value]
        if different:
            for name in different:
                setattr(criterion, name, values[name])
            criterion.save(update_fields=different)
            changed += 1
    removed, _ = (Criterion.objects.filter(assignment=assignment, scores__isnull=True)
                  .exclude(key__in=[spec.key for spec in criteria]).delete())
    return changed + removed


# -- the held-out leaderboard ------------------------------------------------------------------

ANIMALS = ("Capivara", "Tucano", "Onça", "Arara", "Boto", "Jabuti", "Lobo-guará", "Tamanduá",
           "Quati", "Sagui", "Ema", "Seriema", "Jacaré", "Preguiça", "Gavião", "Coruja",
           "Beija-flor", "Tatu", "Anta", "Ariranha")
ADJECTIVES = ("Veloz", "Audaz", "Sagaz", "Gentil", "Ágil", "Leal", "Tenaz", "Capaz", "Jovial",
              "Valente", "Brilhante", "Constante", "Elegante", "Paciente", "Feliz", "Serena")


def _pseudonym() -> str:
    return (f"{secrets.choice(ANIMALS)} {secrets.choice(ADJECTIVES)} "
            f"{secrets.randbelow(90) + 10}")


@transaction.atomic
def leaderboard_join(*, assignment: Assignment, student: User) -> LeaderboardEntry:
    """Opt ``student`` in under a fresh pseudonym (the same one if already in)."""
    existing = LeaderboardEntry.objects.filter(assignment=assignment, student=student).first()
    if existing is not None:
        return existing
    taken = set(LeaderboardEntry.objects.filter(assignment=assignment)
                .values_list("pseudonym", flat=True))
    name = _pseudonym()
    while name in taken:
        name = _pseudonym()
    return LeaderboardEntry.objects.create(assignment=assignment, student=student,
                                           pseudonym=name)


def leaderboard_leave(*, assignment: Assignment, student: User) -> bool:
    deleted, _ = LeaderboardEntry.objects.filter(assignment=assignment, student=student).delete()
    return bool(deleted)

"""Writes for grading. Views, commands and tasks call these.

Life of a GradingRun (the database is the source of truth, Redis only a transport):

    QUEUED --claim--> RUNNING --grade/invalid--> DONE
                         |--infrastructure fault--> WAITING --retry (claim)--> RUNNING ...
                         |--retries exhausted-----> ERROR
    QUEUED/RUNNING/WAITING --sweeper (message lost, lease expired)--> QUEUED + message re-sent

Exactly once: a worker only grades a run it claimed with a conditional UPDATE (so a
redelivered or duplicated message is a no-op), and it only stores the grade if the run is
still RUNNING under *its* claim (``tries`` unchanged), so a worker the sweeper gave up on
cannot write a second set of scores when it wakes up. While it grades, the worker renews the
claim's lease (``resilience.Heartbeat``); a claim whose lease ran out has lost its worker.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from autograder.notebooks import autograde
from autograder.results import GradeStatus, Limits, NotebookResult, ProjectResult
from autograder.rubric import RubricCriterion
from autograder.sandbox import SandboxError
from autograder.sweep import remove_stale_containers
from portal.accounts.models import User
from portal.assessments.models import Assignment
from portal.core import metrics
from portal.grading import justifications, resilience, sandbox_pool, signals
from portal.grading.inputs import local_inputs
from portal.grading.models import SUBMISSION_STATUS, CriterionScore, GradingRun
from portal.submissions.models import Submission
from portal.submissions.services import (
    project_submission_create,
    repository_resolve,
    submission_create,
)

logger = logging.getLogger(__name__)

# Seconds a task may run beyond the sandbox's own wall clock (container start, copying,
# nbgrader's set-up) before Celery's soft limit, and then before the hard kill.
SOFT_MARGIN_SECONDS = 60
HARD_MARGIN_SECONDS = 30
# The sweeper gives a RUNNING run this long beyond the task's hard limit before deciding its
# worker is dead: a killed child is only noticed by Celery after the hard limit.
DEAD_WORKER_MARGIN_SECONDS = 60
ERROR_MAX_CHARS = 2000
LOGS_MAX_CHARS = 20_000


# -- limits -----------------------------------------------------------------------------------


def grading_limits(assignment: Assignment) -> Limits:
    """The sandbox limits of ``assignment``: its own values, else the AUTOGRADER_* settings."""

    def pick(value, default):
        return default if value is None else value

    return Limits(
        memory_mb=pick(assignment.memory_mb, settings.AUTOGRADER_MEMORY_MB),
        cpus=pick(assignment.cpus, settings.AUTOGRADER_CPUS),
        wall_seconds=pick(
            assignment.wall_timeout_seconds, settings.AUTOGRADER_WALL_TIMEOUT_SECONDS
        ),
        cell_timeout_seconds=pick(
            assignment.cell_timeout_seconds, settings.AUTOGRADER_CELL_TIMEOUT_SECONDS
        ),
    )


def task_time_limits(assignment: Assignment) -> tuple[int, int]:
    """(soft, hard) Celery time limits of one grading task of ``assignment``.

    Twice the wall clock: the first grading of a new source also prepares its release in
    a container of its own (``autograder.notebooks.prepare_source``), with the same limit.
    """
    soft = 2 * grading_limits(assignment).wall_seconds + SOFT_MARGIN_SECONDS
    return soft, soft + HARD_MARGIN_SECONDS


def _dead_after(assignment: Assignment) -> timedelta:
    return timedelta(seconds=task_time_limits(assignment)[1] + DEAD_WORKER_MARGIN_SECONDS)


def backoff_seconds(tries: int, *, base: int, cap: int) -> int:
    """Exponential back-off after the ``tries``-th failed attempt (1, 2, ...), capped."""
    return min(cap, base * 2 ** max(0, tries - 1))


def retry_countdown(tries: int) -> int:
    return backoff_seconds(
        tries,
        base=settings.AUTOGRADER_RETRY_BACKOFF_SECONDS,
        cap=settings.AUTOGRADER_RETRY_BACKOFF_MAX_SECONDS,
    )


# -- queueing ---------------------------------------------------------------------------------


def _send(run_id: int, assignment: Assignment) -> None:
    """Send the run to a worker once the current transaction commits."""
    soft, hard = task_time_limits(assignment)
    transaction.on_commit(lambda: _publish(run_id, soft, hard))


def _publish(run_id: int, soft: int, hard: int) -> None:
    """Publish ``grade_run``. The run is committed by now, so a broker that is down (Redis
    restarting) is no error of the caller's: an upload is received all the same, and the
    sweeper sends the run again, still QUEUED, once it has waited AUTOGRADER_SWEEP_AFTER_SECONDS.
    """
    from portal.grading.tasks import grade_run  # the task module imports this one

    try:
        grade_run.apply_async((run_id,), soft_time_limit=soft, time_limit=hard)
    except BrokerUnavailable as exc:
        logger.warning("run %s queued but not sent (broker: %s); the sweeper sends it", run_id, exc)


@transaction.atomic(savepoint=False)  # joins the caller's transaction; never a savepoint
def submission_status_refresh(submission_id: int) -> str:
    """Write ``Submission.status`` from the submission's newest run; the only writer of it.

    The status is stored (pages filter and count by it) but never set by hand: every change
    of a run's status calls this in the same transaction. The submission row is locked
    first, so two workers finishing two runs of one attempt write in turn, and the later
    one reads what the earlier one committed. Only the newest run counts: an old re-run that
    ends late changes nothing. Returns the status.
    """
    submission = Submission.objects.select_for_update().only("status").get(pk=submission_id)
    newest = (
        GradingRun.objects.filter(submission_id=submission_id)
        .order_by("-number")
        .values_list("status", flat=True)
        .first()
    )
    status = SUBMISSION_STATUS[newest] if newest else Submission.Status.QUEUED
    if submission.status != status:
        Submission.objects.filter(pk=submission_id).update(
            status=status, status_changed_at=timezone.now()
        )
    return status


@transaction.atomic
def grading_run_enqueue(*, submission: Submission, requested_by: User | None) -> GradingRun:
    """Add a queued run for ``submission`` and send it to a worker once the row is committed.

    The database is the source of truth: if the broker loses the message, the sweeper
    (``tasks.sweep_stuck_runs``) finds the run still queued and sends it again.
    """
    locked = (
        Submission.objects.select_for_update().select_related("assignment").get(pk=submission.pk)
    )
    number = (locked.runs.aggregate(n=Max("number"))["n"] or 0) + 1
    now = timezone.now()
    run = GradingRun.objects.create(
        submission=locked, number=number, queued_at=now, requested_by=requested_by
    )
    submission_status_refresh(locked.pk)
    _send(run.pk, locked.assignment)
    return run


@transaction.atomic
def attempt_submit(
    *, assignment: Assignment, student: User, upload: UploadedFile, now: datetime | None = None
) -> Submission:
    """A student's notebook: checked and stored as a new attempt, and queued for grading.

    One transaction: the attempt (``submissions.services.submission_create``) and its first
    run exist together or not at all. Raises ``UploadRejected`` before anything is written.
    """
    submission = submission_create(assignment=assignment, student=student, upload=upload, now=now)
    _first_run_enqueue(submission, requested_by=student)
    return submission


def _first_run_enqueue(submission: Submission, *, requested_by: User) -> GradingRun:
    """Run 1 of an attempt created in the current transaction, sent once it commits.

    What ``grading_run_enqueue`` does for any submission, without what only an older one
    needs: no other transaction can see the attempt yet (nothing to lock), it has no run
    (the number is 1), and its status is already "queued", the model's default, which is
    what ``submission_status_refresh`` would write for a queued run. Five queries fewer on
    the upload's path, which a deadline burst runs hundreds of times a minute.
    """
    run = GradingRun.objects.create(
        submission=submission, number=1, queued_at=timezone.now(), requested_by=requested_by
    )
    _send(run.pk, submission.assignment)
    return run


def project_attempt_submit(
    *, assignment: Assignment, student: User, url: str, ref: str = "", now: datetime | None = None
) -> Submission:
    """A student's final project: ``url`` at ``ref`` pinned to a commit, then queued.

    The repository is resolved before the transaction (it talks to the git server); the
    attempt and its first run are then written together. Raises ``UploadRejected``.
    """
    now = now or timezone.now()
    resolved = repository_resolve(assignment=assignment, student=student, url=url, ref=ref, now=now)
    with transaction.atomic():
        submission = project_submission_create(
            assignment=assignment, student=student, resolved=resolved, ref=ref, now=now
        )
        _first_run_enqueue(submission, requested_by=student)
    return submission


def submission_rerun(*, submission: Submission, requested_by: User | None) -> GradingRun:
    """Grade ``submission`` again (new image, fixed tests...); earlier runs are kept."""
    return grading_run_enqueue(submission=submission, requested_by=requested_by)


def assignment_rerun(*, assignment: Assignment, requested_by: User | None) -> int:
    """One new queued run for the latest submission of each student; how many were queued."""
    latest = (
        Submission.objects.filter(assignment=assignment, student=OuterRef("student"))
        .order_by("-attempt")
        .values("pk")[:1]
    )
    submissions = Submission.objects.filter(assignment=assignment, pk=Subquery(latest)).order_by(
        "pk"
    )
    count = 0
    for submission in submissions:
        grading_run_enqueue(submission=submission, requested_by=requested_by)
        count += 1
    return count


# -- one attempt, as the worker sees it -------------------------------------------------------


@transaction.atomic
def grading_run_claim(*, run_id: int) -> GradingRun | None:
    """Take ``run_id`` for this worker, or None if another one has it or it is finished."""
    now = timezone.now()
    claimed = GradingRun.objects.filter(
        pk=run_id,
        status__in=[GradingRun.Status.QUEUED, GradingRun.Status.WAITING],
    ).update(
        status=GradingRun.Status.RUNNING,
        started_at=now,
        lease_until=resilience.lease_expiry(now),
        tries=F("tries") + 1,
    )
    if not claimed:
        return None
    run = GradingRun.objects.select_related("submission__assignment").get(pk=run_id)
    submission_status_refresh(run.submission_id)
    metrics.grading_claimed(assignment=run.submission.assignment.slug)
    return run


def project_rubric(assignment: Assignment) -> list[RubricCriterion]:
    return [
        RubricCriterion(
            key=c.key,
            title=c.title,
            max_points=float(c.max_points),
            check=c.check_name,
            params=dict(c.check_params),
            levels=[
                {"points": float(level["points"]), "description": level.get("description", "")}
                for level in c.levels
            ],
        )
        for c in assignment.criteria.order_by("order", "pk")
    ]


def sandbox_prefix(run: GradingRun) -> str:
    """The start of the names of the containers of this claim of ``run``: `docker ps` says
    whose each is, and the sweeper removes those of a claim whose worker died."""
    kind = "project" if run.submission.assignment.kind == Assignment.Kind.PROJECT else "nb"
    return f"{kind}-run{run.pk}-{run.tries}-"


def grading_run_autograde(*, run: GradingRun) -> NotebookResult | ProjectResult:
    """Grade the submission of ``run`` in the sandbox.

    Raises ``autograder.errors.InfrastructureError`` (a subclass) when our side failed: the
    sandbox, the grader, an input the worker cannot read, the course's own grading inputs.
    Anything else that escapes is a bug of ours and fails the task loudly.
    """
    submission = run.submission
    assignment = submission.assignment
    if assignment.kind == Assignment.Kind.PROJECT:
        return _grade_project(run, submission, assignment)
    with local_inputs(submission) as inputs:
        return autograde(
            inputs.source,
            inputs.submission,
            limits=grading_limits(assignment),
            image=settings.AUTOGRADER_IMAGE,
            name=sandbox_prefix(run) + secrets.token_hex(3),
            max_notebook_bytes=(
                assignment.max_upload_bytes or settings.AUTOGRADER_MAX_UPLOAD_BYTES
            ),
            data_files=inputs.data_files,
            holdout=inputs.holdout,
            pool=sandbox_pool.current(),
        )


def _grade_project(
    run: GradingRun, submission: Submission, assignment: Assignment
) -> ProjectResult:
    from autograder.dependencies import settings_from_env
    from autograder.projects import grade_repo  # git and the checks: only for projects

    install = dataclasses.replace(
        settings_from_env(),
        index_url=settings.AUTOGRADER_PACKAGE_INDEX_URL,
        seconds=settings.AUTOGRADER_INSTALL_SECONDS,
        max_mb=settings.AUTOGRADER_INSTALL_MAX_MB,
    )
    return grade_repo(
        submission.repo_url,
        sha=submission.commit_sha,
        ref=submission.repo_ref or None,
        rubric=project_rubric(assignment),
        image=settings.AUTOGRADER_IMAGE,
        limits=grading_limits(assignment),
        allowed=settings.AUTOGRADER_GIT_ALLOWED_URLS,
        name=sandbox_prefix(run) + secrets.token_hex(3),
        max_repo_bytes=settings.AUTOGRADER_MAX_REPO_MB * 1024 * 1024,
        install=install,
    )


@transaction.atomic
def grading_run_finish(*, run: GradingRun, result: NotebookResult | ProjectResult) -> bool:
    """Store the grade of ``run`` in one transaction; False if the run is no longer ours."""
    if not _still_ours(run):
        logger.warning("run %s was taken over while grading; result dropped", run.pk)
        return False
    now = timezone.now()
    run.status = GradingRun.Status.DONE
    run.finished_at = now
    run.grade_status = str(result.status)
    run.image = result.image[:100]
    run.limits = result.limits.to_dict()
    run.resources = dataclasses.asdict(result.resources)
    project = isinstance(result, ProjectResult)
    run.exit_reason = "" if project else str(result.exit_reason)
    run.message = result.message
    run.tampered = [] if project else justifications.tampered_summary(result.tampered)
    run.feedback_notebook = None if project else result.feedback_notebook
    run.staff_feedback_notebook = None if project else result.staff_feedback_notebook
    run.cell_results = [] if project else justifications.cell_results(result)
    run.logs_excerpt = result.logs_excerpt[-LOGS_MAX_CHARS:]
    run.error = ""
    run.holdout_value = None if project else (result.holdout or {}).get("value")
    if result.status == GradeStatus.INVALID:
        # Upload validation should have refused it; a final answer, with the reason and
        # no scores (a zero would read as a grade).
        run.total = None
        run.max_total = None
    else:
        run.total = Decimal(str(round(result.total, 2)))
        run.max_total = Decimal(str(round(result.max_total, 2)))
        criteria = run.submission.assignment.criteria.order_by("order", "pk")
        lines = (
            justifications.project_lines(criteria, result)
            if project
            else justifications.score_lines(criteria, result)
        )
        CriterionScore.objects.bulk_create(
            [
                CriterionScore(
                    run=run,
                    criterion=line.criterion,
                    points=line.points,
                    auto_points=line.points,
                    max_points=line.max_points,
                    justification=line.justification,
                    evidence=line.evidence,
                )
                for line in lines
            ]
        )
    run.save(
        update_fields=[
            "status",
            "finished_at",
            "grade_status",
            "image",
            "limits",
            "resources",
            "exit_reason",
            "message",
            "tampered",
            "feedback_notebook",
            "staff_feedback_notebook",
            "cell_results",
            "logs_excerpt",
            "error",
            "total",
            "max_total",
            "holdout_value",
        ]
    )
    if run.total is not None:
        signals.run_graded.send(sender=GradingRun, run=run)
    submission_status_refresh(run.submission_id)
    if settings.MLFLOW_LOGGING_ENABLED:
        # After the commit, so the task reads the stored run; robust: a broker failure is
        # logged and never turns a stored grade into a failed task (the backfill catches up).
        transaction.on_commit(lambda: _send_to_mlflow(run.pk), robust=True)
    metrics.grading_finished(
        assignment=run.submission.assignment.slug,
        status=run.status,
        outcome=run.grade_status,
        started_at=run.started_at,
    )
    return True


def _send_to_mlflow(run_id: int) -> None:
    """Log the run to MLflow on the maintenance queue, never on the grading one: a grading
    worker that logged every run it stored (an MLflow client, a tracking store, the
    feedback uploaded as an artifact) would grade that much less during a deadline burst,
    and a grade waits for nobody's bookkeeping. The maintenance worker has time for it."""
    from portal.grading import tasks  # the task module imports this one

    tasks.log_grading_run_to_mlflow.apply_async((run_id,), queue=settings.MAINTENANCE_QUEUE)


def grading_run_fault(*, run: GradingRun, reason: str) -> str:
    """An infrastructure fault on this worker's try: "waiting" (retry it later), "error"
    (that was the last try) or "lost" (the run is no longer this worker's)."""
    logger.warning("run %s, try %s: infrastructure fault: %s", run.pk, run.tries, reason)
    if run.tries >= settings.AUTOGRADER_MAX_TRIES:
        outcome = "error" if grading_run_fail(run=run, reason=reason) else "lost"
    else:
        outcome = "waiting" if grading_run_wait(run=run, reason=reason) else "lost"
    metrics.grading_fault(
        assignment=run.submission.assignment.slug, outcome=outcome, started_at=run.started_at
    )
    return outcome


@transaction.atomic
def grading_run_wait(*, run: GradingRun, reason: str) -> bool:
    """An infrastructure fault: show "aguardando corretor" until the retry. False if lost."""
    if not _still_ours(run):
        return False
    GradingRun.objects.filter(pk=run.pk).update(
        status=GradingRun.Status.WAITING, error=reason[:ERROR_MAX_CHARS]
    )
    submission_status_refresh(run.submission_id)
    return True


@transaction.atomic
def grading_run_fail(*, run: GradingRun, reason: str) -> bool:
    """Retries exhausted: "erro de correção" for instructors to act on, never a zero."""
    if not _still_ours(run):
        return False
    now = timezone.now()
    GradingRun.objects.filter(pk=run.pk).update(
        status=GradingRun.Status.ERROR, error=reason[:ERROR_MAX_CHARS], finished_at=now
    )
    submission_status_refresh(run.submission_id)
    signals.run_failed.send(sender=GradingRun, run=run)
    return True


def _still_ours(run: GradingRun) -> bool:
    """Lock the row and check it is RUNNING under the claim this worker made."""
    return (
        GradingRun.objects.select_for_update()
        .filter(pk=run.pk, status=GradingRun.Status.RUNNING, tries=run.tries)
        .exists()
    )


# -- the sweeper ------------------------------------------------------------------------------


def grading_runs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Re-send runs whose message was lost or whose worker died; counts per cause.

    - QUEUED longer than AUTOGRADER_SWEEP_AFTER_SECONDS: the broker lost the message (or
      the queue is long: the duplicate is then a no-op thanks to the claim). ``queued_at``
      is moved to now, so a run is re-sent at most once per period.
    - RUNNING with its lease past (``lease_until``): its worker stopped renewing it, so it
      was killed (SIGKILL, hard time limit, machine lost). The run goes back to QUEUED
      (conditionally on the same claim and lease) and is re-sent; the dead claim's containers
      are removed. A redelivery of the original message later finds the run claimed or DONE
      and does nothing; a worker that was only slow finds its claim gone and stores nothing.
      A run claimed before leases existed (no ``lease_until``) is judged by the task's hard
      limit + margin instead.
    - WAITING longer than the hard limit + the longest backoff + the sweep period: the
      retry message was lost.
    """
    now = now or timezone.now()
    after = timedelta(seconds=settings.AUTOGRADER_SWEEP_AFTER_SECONDS)
    counts = {"queued": 0, "running": 0, "waiting": 0}
    stale_queued = GradingRun.objects.filter(
        status=GradingRun.Status.QUEUED, queued_at__lt=now - after
    )
    for run in stale_queued.select_related("submission__assignment"):
        counts["queued"] += _requeue(run, GradingRun.Status.QUEUED, now, queued_at=run.queued_at)
    expired = GradingRun.objects.filter(status=GradingRun.Status.RUNNING, lease_until__lt=now)
    for run in expired.select_related("submission__assignment"):
        claim = {"tries": run.tries, "lease_until": run.lease_until}
        if _requeue(run, GradingRun.Status.RUNNING, now, **claim):
            counts["running"] += 1
            _remove_sandboxes(run)
    backoff = timedelta(seconds=settings.AUTOGRADER_RETRY_BACKOFF_MAX_SECONDS)
    stuck = GradingRun.objects.filter(
        Q(status=GradingRun.Status.WAITING)
        | Q(status=GradingRun.Status.RUNNING, lease_until__isnull=True)
    ).select_related("submission__assignment")
    for run in stuck:
        dead_after = _dead_after(run.submission.assignment)
        if run.status == GradingRun.Status.WAITING:
            dead_after += backoff + after
        if run.started_at is None or run.started_at >= now - dead_after:
            continue
        counts[run.status] += _requeue(
            run, run.status, now, started_at=run.started_at, tries=run.tries
        )
    if any(counts.values()):
        logger.warning("sweeper re-sent runs: %s", counts)
    queue = GradingRun.objects.filter(status=GradingRun.Status.QUEUED).aggregate(
        depth=Count("pk"), oldest=Min("queued_at")
    )
    metrics.sweep_finished(
        counts=counts, queue_depth=queue["depth"], oldest_queued_at=queue["oldest"]
    )
    return counts


@transaction.atomic
def _requeue(run: GradingRun, status: str, now: datetime, **unchanged: object) -> int:
    """Back to QUEUED and re-sent, unless the run changed since we read it."""
    moved = GradingRun.objects.filter(pk=run.pk, status=status, **unchanged).update(
        status=GradingRun.Status.QUEUED, queued_at=now
    )
    if moved:
        submission_status_refresh(run.submission_id)
        _send(run.pk, run.submission.assignment)
    return moved


def _remove_sandboxes(run: GradingRun) -> None:
    """Remove the containers of the dead claim ``run`` (running or exited, any age) from this
    host's Docker; a claim of another host's worker leaves them to that host's sweep."""
    if not settings.AUTOGRADER_SWEEP_CONTAINERS:
        return
    try:
        remove_stale_containers(older_than_s=0, name_prefix=sandbox_prefix(run))
    except SandboxError as exc:  # Docker down: the stale-container rule removes them later
        logger.warning("run %s: could not remove its sandbox containers: %s", run.pk, exc)


def stale_container_age_seconds() -> int:
    """Sandbox containers older than this belong to no live task: the longest hard limit."""
    longest = Assignment.objects.aggregate(w=Max("wall_timeout_seconds"))["w"] or 0
    wall = max(longest, settings.AUTOGRADER_WALL_TIMEOUT_SECONDS)
    return 2 * wall + SOFT_MARGIN_SECONDS + HARD_MARGIN_SECONDS + DEAD_WORKER_MARGIN_SECONDS

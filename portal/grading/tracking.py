"""Every finished grading run, logged to MLflow: one experiment per assignment, one MLflow
run per GradingRun, so the course's grading can be compared and reproduced like any model
run (inputs, image, limits, scores, resources, feedback).

Why an explicit ``MlflowClient(tracking_uri=...)`` and never ``mlflow.set_tracking_uri``:
the portal's workers serve every course from one process, and MLflow's module-level state
(active run, global URI) would leak between tasks. MLflow is imported inside the functions:
its import takes more than a second and most processes (web, tests) never need it.

Idempotent: a run whose ``mlflow_run_id`` is set is not logged again; a run logged to
MLflow whose id was never stored (the worker died in between) is found again by its
``portal.grading_run_id`` tag and reused if it was finished, or deleted and logged anew if
it was left half-written. Students appear only by their id (tag ``student_id``): no name,
no e-mail, no repository URL.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from kombu.utils.url import maybe_sanitize_url

from portal.assessments.models import Assignment
from portal.grading.models import GradingRun
from portal.grading.scoring import Grade, grade_of

if TYPE_CHECKING:
    from mlflow import MlflowClient

logger = logging.getLogger(__name__)

EXPERIMENT_PREFIX = "mle"
RUN_ID_TAG = "portal.grading_run_id"
SUBMISSION_TAG = "portal.submission_id"
# A local SQLite store keeps its artifacts next to the database file (MLflow's own default
# would be ./mlruns under whatever directory the worker was started in).
LOCAL_ARTIFACTS_DIR = "mlflow-artifacts"
FEEDBACK_ARTIFACT = "feedback.ipynb"  # the students' graded notebook
LEGACY_FEEDBACK_ARTIFACT = "feedback.html"  # nbgrader's HTML, runs graded before
JUSTIFICATIONS_ARTIFACT = "justifications.json"


class TrackingError(Exception):
    """MLflow could not be reached or refused the run: the task retries, grading never fails."""


class NotTrackable(Exception):
    """The run cannot be logged (missing, or not finished): retrying would not help."""


# -- what is logged ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    """Everything one MLflow run holds, computed from the database alone (no MLflow here)."""

    experiment: str
    run_name: str
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    artifacts: dict[str, str]  # artifact file name -> text
    start_ms: int
    end_ms: int


def experiment_name(assignment: Assignment) -> str:
    """``mle/<course>/<assignment>``: one experiment per assignment, stable across runs."""
    return f"{EXPERIMENT_PREFIX}/{assignment.course.slug}/{assignment.slug}"


def _ms(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment else 0


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def run_record(run: GradingRun) -> RunRecord:
    """What ``run`` looks like in MLflow (its submission, assignment and course loaded)."""
    submission = run.submission
    assignment = submission.assignment
    project = assignment.kind == Assignment.Kind.PROJECT
    params = {
        "assignment_kind": assignment.kind,
        "attempt": str(submission.attempt),
        "run_number": str(run.number),
        "image": run.image or "",
    }
    if project:
        params["commit_sha"] = submission.commit_sha
    else:
        params["input_sha256"] = submission.sha256
        if assignment.source_sha256:
            params["source_sha256"] = assignment.source_sha256
    for key, value in sorted((run.limits or {}).items()):
        params[f"limit.{key}"] = str(value)

    scores = list(run.scores.all())
    metrics: dict[str, float | None] = {
        f"criterio.{score.criterion.key}": _number(score.points) for score in scores
    }
    resources = run.resources or {}
    grade = grade_of(run)
    metrics.update(
        {
            "total": _number(run.total),
            "max_total": _number(run.max_total),
            "total_after_penalty": _number(grade.total),
            "penalty_percent": _number(grade.penalty_percent),
            "cpu_seconds": _number(resources.get("cpu_s")),
            "peak_memory_mb": _number(resources.get("peak_mem_mb")),
            "wall_seconds": _number(resources.get("wall_s")),
            "holdout_value": run.holdout_value,
        }
    )

    tags = {
        "student_id": str(submission.student_id),
        "status": run.grade_status or run.status,
        "course": assignment.course.slug,
        "assignment": assignment.slug,
        RUN_ID_TAG: str(run.pk),
        SUBMISSION_TAG: str(submission.pk),
    }
    if run.exit_reason:
        tags["exit_reason"] = run.exit_reason

    artifacts = {
        JUSTIFICATIONS_ARTIFACT: json.dumps(
            _justifications(run, scores, grade), ensure_ascii=False, indent=2
        )
    }
    if run.feedback_notebook is not None:
        artifacts[FEEDBACK_ARTIFACT] = json.dumps(run.feedback_notebook, ensure_ascii=False)
    elif run.feedback_html:
        artifacts[LEGACY_FEEDBACK_ARTIFACT] = run.feedback_html
    return RunRecord(
        experiment=experiment_name(assignment),
        run_name=f"aluno {submission.student_id} · tentativa {submission.attempt} "
        f"· correção {run.number}",
        params=params,
        metrics={key: value for key, value in metrics.items() if value is not None},
        tags=tags,
        artifacts=artifacts,
        start_ms=_ms(run.started_at or run.queued_at),
        end_ms=_ms(run.finished_at),
    )


def _justifications(run: GradingRun, scores: list, grade: Grade) -> dict[str, Any]:
    return {
        "grading_run": run.pk,
        "status": run.grade_status,
        "message": run.message,
        "total": _number(run.total),
        "max_total": _number(run.max_total),
        "penalty_percent": _number(grade.penalty_percent),
        "criteria": [
            {
                "key": score.criterion.key,
                "title": score.criterion.title,
                "points": _number(score.points),
                "max_points": _number(score.max_points),
                "justification": score.justification,
                "evidence": score.evidence,
                "source": score.source,
            }
            for score in scores
        ],
    }


# -- logging -----------------------------------------------------------------------------------


def log_grading_run(run_id: int, *, tracking_uri: str | None = None) -> str:
    """Log the finished GradingRun ``run_id`` to MLflow once; its MLflow run id.

    Raises NotTrackable when the run is missing or not DONE, TrackingError when MLflow
    failed (unreachable server, unwritable store): the caller decides whether to retry.
    """
    run = _load(run_id)
    if run.mlflow_run_id:
        return run.mlflow_run_id
    uri = tracking_uri or settings.MLFLOW_TRACKING_URI
    record = run_record(run)
    try:
        logged = _log(record, uri)
    except _mlflow_errors() as exc:
        raise TrackingError(
            f"could not log grading run {run_id} to MLflow at {display_uri(uri)}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    stored = GradingRun.objects.filter(pk=run.pk, mlflow_run_id="").update(mlflow_run_id=logged)
    if stored:
        return logged
    # Another worker (a redelivery, the backfill) logged and stored it meanwhile.
    winner = GradingRun.objects.values_list("mlflow_run_id", flat=True).get(pk=run.pk)
    if winner != logged:
        try:
            _client(uri).delete_run(logged)
        except _mlflow_errors() as exc:
            logger.warning(
                "duplicate MLflow run %s of grading run %s left: %s", logged, run_id, exc
            )
    return winner


def _load(run_id: int) -> GradingRun:
    try:
        run = (
            GradingRun.objects.select_related("submission__assignment__course")
            .prefetch_related("scores__criterion")
            .get(pk=run_id)
        )
    except GradingRun.DoesNotExist:
        raise NotTrackable(f"grading run {run_id} does not exist") from None
    if run.status != GradingRun.Status.DONE:
        raise NotTrackable(f"grading run {run_id} is {run.status}, not done")
    return run


def _mlflow_errors() -> tuple[type[BaseException], ...]:
    """What a failing store or server raises through the client (never a bare Exception)."""
    from mlflow.exceptions import MlflowException
    from requests import RequestException

    errors: list[type[BaseException]] = [MlflowException, RequestException, OSError]
    try:
        from sqlalchemy.exc import SQLAlchemyError

        errors.append(SQLAlchemyError)
    except ImportError:  # mlflow-skinny without the SQL store: only servers
        pass
    return tuple(errors)


def _client(uri: str) -> MlflowClient:
    from mlflow import MlflowClient

    sqlite_file = _sqlite_path(uri)
    if sqlite_file is not None:
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    # registry_uri too: else MLflow resolves it from its global state.
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _log(record: RunRecord, uri: str) -> str:
    from mlflow.entities import Metric, Param, RunStatus, ViewType

    client = _client(uri)
    experiment_id = _experiment_id(client, record.experiment, _artifact_location(uri))
    found = client.search_runs(
        [experiment_id],
        filter_string=(
            f"tags.`{RUN_ID_TAG}` = '{record.tags[RUN_ID_TAG]}' and "
            f"tags.`{SUBMISSION_TAG}` = '{record.tags[SUBMISSION_TAG]}'"
        ),
        run_view_type=ViewType.ACTIVE_ONLY,
        max_results=10,
    )
    for previous in found:
        if previous.info.status == RunStatus.to_string(RunStatus.FINISHED):
            return previous.info.run_id
        client.delete_run(previous.info.run_id)  # half-written by a worker that died

    # The tags go in with the run: a crash after this line leaves a run we can find.
    mlflow_run = client.create_run(
        experiment_id, start_time=record.start_ms, tags=record.tags, run_name=record.run_name
    )
    run_id = mlflow_run.info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(key, value, record.end_ms, 0) for key, value in record.metrics.items()],
        params=[Param(key, value) for key, value in record.params.items()],
    )
    for name, text in record.artifacts.items():
        client.log_text(run_id, text, name)
    client.set_terminated(
        run_id, status=RunStatus.to_string(RunStatus.FINISHED), end_time=record.end_ms
    )
    return run_id


def _experiment_id(client: MlflowClient, name: str, artifact_location: str | None) -> str:
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            return client.create_experiment(name, artifact_location=artifact_location)
        except MlflowException as exc:  # created by another worker in between
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                raise
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
    return experiment.experiment_id


def _sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///path`` URI (None: another store, or in memory)."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return None
    path = uri[len(prefix) :].split("?", 1)[0]
    return None if not path or path == ":memory:" else Path(path)


def _artifact_location(uri: str) -> str | None:
    sqlite_file = _sqlite_path(uri)
    if sqlite_file is None:
        return None  # a server decides (proxied artifacts), as does any other store
    return (sqlite_file.resolve().parent / LOCAL_ARTIFACTS_DIR).as_uri()


# -- showing it --------------------------------------------------------------------------------


def display_uri(uri: str) -> str:
    """``uri`` without a password, safe for a page or a log line (kombu's sanitiser)."""
    return maybe_sanitize_url(uri)


def run_ui_url(mlflow_run_id: str) -> str:
    """The run's page in the MLflow UI ("" when MLFLOW_UI_URL is not set).

    MLflow's ``#/runs/<run id>`` page redirects to ``#/experiments/<id>/runs/<run id>``;
    the portal does not store the experiment id, and asking MLflow for it would make the
    attempt page depend on MLflow being up.
    """
    base = settings.MLFLOW_UI_URL.rstrip("/")
    if not base or not mlflow_run_id:
        return ""
    return f"{base}/#/runs/{mlflow_run_id}"

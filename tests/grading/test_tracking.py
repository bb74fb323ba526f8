"""MLflow tracking of grading runs, against a real SQLite tracking store in tmp_path.

MLflow itself is never mocked: the tests read what was logged back with an MlflowClient.
The sandbox is replaced by canned results (``services.autograde`` is the boundary, as in
test_services.py). MLflow's first migration of a new store takes seconds, so one migrated
store is made per session and copied for each test.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from autograder.results import (
    CellResult,
    CriterionOutcome,
    GradeStatus,
    Limits,
    NotebookResult,
    ProjectResult,
    Resources,
)
from portal.assessments.models import Assignment
from portal.celery import app
from portal.grading import services, tasks, tracking
from portal.grading.models import GradingRun
from tests.autograder import notebooks as nb
from tests.factories import AssignmentFactory, CriterionFactory, SubmissionFactory
from tests.support.graded_assignment import stored_submission

pytestmark = pytest.mark.django_db

FEEDBACK = {
    "cells": [{"cell_type": "markdown", "metadata": {}, "source": "teste_normaliza: passou"}],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


# -- the store ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory) -> Path:
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()  # creates the tables
    return path


@pytest.fixture
def tracking_uri(migrated_store, tmp_path, settings) -> str:
    path = tmp_path / "mlflow" / "mlflow.db"
    path.parent.mkdir()
    shutil.copy(migrated_store, path)
    settings.MLFLOW_TRACKING_URI = f"sqlite:///{path}"
    settings.MLFLOW_LOGGING_ENABLED = True
    return settings.MLFLOW_TRACKING_URI


@pytest.fixture
def unreachable_uri(tmp_path, settings) -> str:
    """A store that cannot be opened: its folder would have to be made inside a file."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.MLFLOW_TRACKING_URI = f"sqlite:///{blocker}/mlflow.db"
    settings.MLFLOW_LOGGING_ENABLED = True
    return settings.MLFLOW_TRACKING_URI


def mlflow_client(uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri)


def logged_runs(uri: str, experiment: str) -> list:
    client = mlflow_client(uri)
    found = client.get_experiment_by_name(experiment)
    return [] if found is None else client.search_runs([found.experiment_id])


def artifact_text(uri: str, run_id: str, name: str, tmp_path: Path) -> str:
    target = tmp_path / "downloads" / run_id
    target.mkdir(parents=True, exist_ok=True)
    return Path(mlflow_client(uri).download_artifacts(run_id, name, str(target))).read_text()


# -- graded runs -------------------------------------------------------------------------------


def _notebook_result() -> NotebookResult:
    cells = [
        CellResult("teste_normaliza", 2, 2, False, True, "o teste `teste_normaliza` passou"),
        CellResult(
            "teste_conta_palavras", 1, 3, False, False, "o teste `teste_conta_palavras` falhou"
        ),
        CellResult("resposta_escala", 0, 1, True, None, "a resposta aguarda correção manual"),
    ]
    return NotebookResult(
        status=GradeStatus.GRADED,
        total=3,
        max_total=6,
        cells=cells,
        message="nota 3 de 6",
        image="sha256:abc",
        feedback_notebook=FEEDBACK,
        limits=Limits(memory_mb=512, cpus=0.5, wall_seconds=120, cell_timeout_seconds=30),
        resources=Resources(cpu_s=3.5, peak_mem_mb=180.0, wall_s=9.25),
        holdout={"metric": "roc_auc", "value": 0.8123},
    )


def _finished(run: GradingRun, result) -> GradingRun:
    claimed = services.grading_run_claim(run_id=run.pk)
    assert services.grading_run_finish(run=claimed, result=result)
    run.refresh_from_db()
    return run


@pytest.fixture
def submission(assignment, alice):
    return stored_submission(assignment, alice, nb.source_notebook(), attempt=1)


@pytest.fixture
def queued_run(submission) -> GradingRun:
    return services.grading_run_enqueue(submission=submission, requested_by=None)


@pytest.fixture
def notebook_run(queued_run) -> GradingRun:
    return _finished(queued_run, _notebook_result())


@pytest.fixture
def project_run(course, alice) -> GradingRun:
    due = timezone.now() - timedelta(days=2)
    assignment = AssignmentFactory(
        course=course,
        slug="projeto-final",
        kind="project",
        source_notebook="",
        due_at=due,
        late_penalty_percent_per_day=10,
    )
    for order, (key, points, manual) in enumerate(
        [("readme", 2, False), ("testes", 3, False), ("apresentacao", 5, True)]
    ):
        CriterionFactory(
            assignment=assignment, key=key, max_points=points, manual=manual, order=order
        )
    submission = SubmissionFactory(
        assignment=assignment,
        student=alice,
        attempt=1,
        file="",
        sha256="",
        repo_url="https://github.com/alice-aluna/projeto",
        commit_sha="a" * 40,
        submitted_at=due + timedelta(hours=30),
    )  # two started days late: 20 %
    result = ProjectResult(
        status=GradeStatus.GRADED,
        url=submission.repo_url,
        ref="main",
        commit="a" * 40,
        total=4,
        max_total=10,
        image="sha256:def",
        criteria=[
            CriterionOutcome(
                "readme", 2, 2, "README com instruções de execução", ["README.md"], "readme"
            ),
            CriterionOutcome(
                "testes",
                2,
                3,
                "2 de 3 testes passaram",
                ["tests/test_api.py: 2 passed, 1 failed"],
                "tests",
            ),
        ],
        limits=Limits(memory_mb=2048, cpus=2.0, wall_seconds=900, cell_timeout_seconds=60),
        resources=Resources(cpu_s=40.0, peak_mem_mb=700.0, wall_s=95.0),
    )
    run = services.grading_run_enqueue(submission=submission, requested_by=None)
    return _finished(run, result)


# -- what is logged ----------------------------------------------------------------------------


def test_a_notebook_run_is_logged_with_its_inputs_scores_resources_and_feedback(
    notebook_run, tracking_uri, alice, tmp_path
) -> None:
    mlflow_run_id = tracking.log_grading_run(notebook_run.pk)

    notebook_run.refresh_from_db()
    assert notebook_run.mlflow_run_id == mlflow_run_id
    logged = mlflow_client(tracking_uri).get_run(mlflow_run_id)
    experiment = mlflow_client(tracking_uri).get_experiment(logged.info.experiment_id)
    assert experiment.name == "mle/mle/semana-1"
    assert logged.info.status == "FINISHED"
    params = logged.data.params
    assert params["input_sha256"] == notebook_run.submission.sha256
    assert len(notebook_run.submission.sha256) == 64
    assert "commit_sha" not in params
    assert (params["image"], params["assignment_kind"]) == ("sha256:abc", "notebook")
    assert (params["attempt"], params["run_number"]) == ("1", "1")
    assert (params["limit.memory_mb"], params["limit.cpus"]) == ("512", "0.5")
    assert (params["limit.wall_seconds"], params["limit.cell_timeout_seconds"]) == ("120", "30")
    metrics = logged.data.metrics
    assert metrics["criterio.teste_normaliza"] == 2
    assert metrics["criterio.teste_conta_palavras"] == 1
    assert "criterio.resposta_escala" not in metrics  # an instructor grades it: no points yet
    assert (metrics["total"], metrics["max_total"], metrics["penalty_percent"]) == (3, 6, 0)
    assert (metrics["cpu_seconds"], metrics["peak_memory_mb"], metrics["wall_seconds"]) == (
        3.5,
        180.0,
        9.25,
    )
    assert metrics["holdout_value"] == pytest.approx(0.8123)
    tags = logged.data.tags
    assert (tags["student_id"], tags["status"]) == (str(alice.pk), "graded")
    assert tags[tracking.RUN_ID_TAG] == str(notebook_run.pk)

    assert json.loads(artifact_text(tracking_uri, mlflow_run_id, "feedback.ipynb", tmp_path)) == (
        FEEDBACK
    )
    justifications = json.loads(
        artifact_text(tracking_uri, mlflow_run_id, "justifications.json", tmp_path)
    )
    by_key = {c["key"]: c for c in justifications["criteria"]}
    assert by_key["teste_conta_palavras"]["points"] == 1
    assert by_key["teste_conta_palavras"]["max_points"] == 3
    assert "falhou" in by_key["teste_conta_palavras"]["justification"]
    assert by_key["resposta_escala"]["points"] is None


def test_the_student_is_only_an_id_in_mlflow(
    notebook_run, project_run, tracking_uri, alice
) -> None:
    for run in (notebook_run, project_run):
        logged = mlflow_client(tracking_uri).get_run(tracking.log_grading_run(run.pk))
        values = [*logged.data.params.values(), *logged.data.tags.values(), logged.info.run_name]
        for personal in (alice.full_name, alice.email, "alice-aluna"):
            assert not any(personal.lower() in value.lower() for value in values), personal


def test_a_project_run_is_logged_with_its_commit_penalty_and_evidence(
    project_run, tracking_uri, tmp_path
) -> None:
    mlflow_run_id = tracking.log_grading_run(project_run.pk)

    logged = mlflow_client(tracking_uri).get_run(mlflow_run_id)
    assert logged.data.params["commit_sha"] == "a" * 40
    assert "input_sha256" not in logged.data.params
    assert logged.data.params["assignment_kind"] == "project"
    metrics = logged.data.metrics
    assert (metrics["criterio.readme"], metrics["criterio.testes"]) == (2, 2)
    assert "criterio.apresentacao" not in metrics
    assert (metrics["total"], metrics["max_total"]) == (4, 10)
    assert metrics["penalty_percent"] == 20
    assert metrics["total_after_penalty"] == pytest.approx(3.2)
    assert metrics["cpu_seconds"] == 40.0
    assert "holdout_value" not in metrics
    artifacts = {a.path for a in mlflow_client(tracking_uri).list_artifacts(mlflow_run_id)}
    assert artifacts == {"justifications.json"}  # no notebook, no feedback page
    justifications = json.loads(
        artifact_text(tracking_uri, mlflow_run_id, "justifications.json", tmp_path)
    )
    readme = next(c for c in justifications["criteria"] if c["key"] == "readme")
    assert readme["evidence"] == ["README.md"]
    assert readme["justification"] == "README com instruções de execução"
    experiment = mlflow_client(tracking_uri).get_experiment(logged.info.experiment_id)
    assert experiment.name == "mle/mle/projeto-final"


# -- once, and only finished runs --------------------------------------------------------------


def test_a_run_is_logged_once(notebook_run, tracking_uri) -> None:
    first = tracking.log_grading_run(notebook_run.pk)
    assert tracking.log_grading_run(notebook_run.pk) == first
    assert tasks.log_grading_run_to_mlflow.apply(args=(notebook_run.pk,)).get() == "logged"
    assert [r.info.run_id for r in logged_runs(tracking_uri, "mle/mle/semana-1")] == [first]


def test_a_run_logged_whose_id_was_lost_is_found_again(notebook_run, tracking_uri) -> None:
    first = tracking.log_grading_run(notebook_run.pk)
    # The worker died between MLflow's answer and the database update.
    GradingRun.objects.filter(pk=notebook_run.pk).update(mlflow_run_id="")
    assert tracking.log_grading_run(notebook_run.pk) == first
    assert len(logged_runs(tracking_uri, "mle/mle/semana-1")) == 1
    notebook_run.refresh_from_db()
    assert notebook_run.mlflow_run_id == first


def test_a_half_written_mlflow_run_is_replaced(notebook_run, tracking_uri, tmp_path) -> None:
    client = mlflow_client(tracking_uri)
    experiment_id = client.create_experiment(
        "mle/mle/semana-1", artifact_location=tmp_path.as_uri()
    )
    half = client.create_run(
        experiment_id,
        tags={
            tracking.RUN_ID_TAG: str(notebook_run.pk),
            tracking.SUBMISSION_TAG: str(notebook_run.submission_id),
        },
    ).info.run_id

    logged = tracking.log_grading_run(notebook_run.pk)

    assert logged != half
    assert [r.info.run_id for r in logged_runs(tracking_uri, "mle/mle/semana-1")] == [logged]
    assert client.get_run(half).info.lifecycle_stage == "deleted"


def test_a_run_still_grading_is_not_logged(queued_run, tracking_uri) -> None:
    with pytest.raises(tracking.NotTrackable, match="queued"):
        tracking.log_grading_run(queued_run.pk)
    assert tasks.log_grading_run_to_mlflow.apply(args=(queued_run.pk,)).get() == "skipped"
    assert logged_runs(tracking_uri, "mle/mle/semana-1") == []


def test_the_task_does_nothing_when_logging_is_off(notebook_run, tracking_uri, settings) -> None:
    settings.MLFLOW_LOGGING_ENABLED = False
    assert tasks.log_grading_run_to_mlflow.apply(args=(notebook_run.pk,)).get() == "disabled"
    assert logged_runs(tracking_uri, "mle/mle/semana-1") == []


# -- MLflow down -------------------------------------------------------------------------------


def test_an_unwritable_store_is_a_clear_tracking_error(notebook_run, unreachable_uri) -> None:
    with pytest.raises(
        tracking.TrackingError, match=f"grading run {notebook_run.pk} to MLflow at sqlite:///"
    ):
        tracking.log_grading_run(notebook_run.pk)
    notebook_run.refresh_from_db()
    assert notebook_run.mlflow_run_id == ""


def test_a_server_that_does_not_answer_is_a_tracking_error(
    notebook_run, settings, monkeypatch
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MLFLOW_TRACKING_URI = f"http://127.0.0.1:{port}"
    with pytest.raises(tracking.TrackingError, match=f"127.0.0.1:{port}"):
        tracking.log_grading_run(notebook_run.pk)


def test_the_task_retries_with_celerys_jittered_backoff_up_to_an_hour() -> None:
    task = tasks.log_grading_run_to_mlflow
    assert task.autoretry_for == (tracking.TrackingError, SoftTimeLimitExceeded)
    assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter) == (30, 3600, True)
    assert task.max_retries == 10
    assert tracking.NotTrackable not in task.autoretry_for  # nothing to retry: skipped


def test_the_task_retries_then_gives_up_and_logs_later(
    notebook_run, unreachable_uri, tracking_uri, migrated_store, monkeypatch, settings, caplog
) -> None:
    settings.MLFLOW_TRACKING_URI = unreachable_uri
    attempts = []
    log = tracking.log_grading_run
    monkeypatch.setattr(
        tracking, "log_grading_run", lambda run_id: attempts.append(run_id) or log(run_id)
    )
    monkeypatch.setattr(tasks.log_grading_run_to_mlflow, "max_retries", 2)
    with caplog.at_level(logging.WARNING, logger="portal.grading.tasks"):
        result = tasks.log_grading_run_to_mlflow.apply(args=(notebook_run.pk,))  # eager
    assert result.failed()
    assert isinstance(result.result, tracking.TrackingError)
    assert attempts == [notebook_run.pk] * 3  # the first try and two retries
    ours = [r.getMessage() for r in caplog.records if r.name == "portal.grading.tasks"]
    assert ours and "after 3 attempts, given up" in ours[-1]
    notebook_run.refresh_from_db()
    assert notebook_run.mlflow_run_id == ""

    settings.MLFLOW_TRACKING_URI = tracking_uri  # MLflow is back
    assert tasks.log_grading_run_to_mlflow.apply(args=(notebook_run.pk,)).get() == "logged"
    notebook_run.refresh_from_db()
    assert notebook_run.mlflow_run_id


@pytest.fixture
def eager_celery():
    """``delay`` runs the task in this process (the hook's MLflow task, here)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def autograde_returns(monkeypatch):
    monkeypatch.setattr(services, "autograde", lambda *args, **kwargs: _notebook_result())


def test_grading_is_stored_and_done_while_mlflow_is_down(
    queued_run,
    unreachable_uri,
    eager_celery,
    autograde_returns,
    monkeypatch,
    django_capture_on_commit_callbacks,
) -> None:
    monkeypatch.setattr(tasks.log_grading_run_to_mlflow, "max_retries", 1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert tasks.grade_run.apply(args=(queued_run.pk,)).get() == "done"
    assert len(callbacks) == 1  # the MLflow task, sent after the grade was committed
    queued_run.refresh_from_db()
    assert (queued_run.status, queued_run.total) == (GradingRun.Status.DONE, Decimal(3))
    assert queued_run.scores.count() == 3
    assert queued_run.mlflow_run_id == ""


def test_a_graded_run_is_logged_to_mlflow_after_commit(
    queued_run, tracking_uri, eager_celery, autograde_returns, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.grade_run.apply(args=(queued_run.pk,)).get() == "done"
        queued_run.refresh_from_db()
        assert queued_run.mlflow_run_id == ""  # not before the grade is committed
    queued_run.refresh_from_db()
    assert [r.info.run_id for r in logged_runs(tracking_uri, "mle/mle/semana-1")] == [
        queued_run.mlflow_run_id
    ]


def test_no_task_is_sent_when_logging_is_off(
    queued_run, settings, autograde_returns, django_capture_on_commit_callbacks
) -> None:
    settings.MLFLOW_LOGGING_ENABLED = False
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert tasks.grade_run.apply(args=(queued_run.pk,)).get() == "done"
    assert callbacks == []


# -- the backfill ------------------------------------------------------------------------------


def test_the_backfill_logs_every_done_run_without_an_mlflow_run(
    notebook_run, project_run, submission, tracking_uri, capsys
) -> None:
    already = tracking.log_grading_run(notebook_run.pk)
    still_queued = services.submission_rerun(submission=submission, requested_by=None)

    call_command("mlflow_backfill")

    assert "1 grading run(s) logged" in capsys.readouterr().out
    project_run.refresh_from_db()
    assert project_run.mlflow_run_id
    notebook_run.refresh_from_db()
    assert notebook_run.mlflow_run_id == already
    still_queued.refresh_from_db()
    assert still_queued.mlflow_run_id == ""
    call_command("mlflow_backfill")
    assert "0 grading run(s) logged" in capsys.readouterr().out
    assert len(logged_runs(tracking_uri, "mle/mle/semana-1")) == 1
    assert len(logged_runs(tracking_uri, "mle/mle/projeto-final")) == 1


def test_the_backfill_stops_with_a_clear_error_when_mlflow_is_down(
    notebook_run, unreachable_uri
) -> None:
    with pytest.raises(CommandError, match="0 of 1 run"):
        call_command("mlflow_backfill")
    notebook_run.refresh_from_db()
    assert notebook_run.mlflow_run_id == ""


# -- the attempt page --------------------------------------------------------------------------


def _attempt_page(client, user, run: GradingRun, *, manager: bool) -> str:
    submission = run.submission
    url = reverse(
        "classroom:submission",
        args=[submission.assignment.course.slug, submission.assignment.slug, submission.attempt],
    )
    client.force_login(user)
    response = client.get(f"{url}?aluno={submission.student_id}" if manager else url)
    assert response.status_code == 200
    return response.content.decode()


def test_instructors_get_a_link_to_the_mlflow_run(client, bruno, notebook_run, settings) -> None:
    GradingRun.objects.filter(pk=notebook_run.pk).update(mlflow_run_id="abc123")
    settings.MLFLOW_UI_URL = "https://mlflow.curso.example"
    page = _attempt_page(client, bruno, notebook_run, manager=True)
    assert 'href="https://mlflow.curso.example/#/runs/abc123"' in page
    assert "mlflow ui" not in page


def test_without_a_ui_instructors_see_the_run_id_and_the_store(
    client, bruno, notebook_run, settings, tmp_path
) -> None:
    GradingRun.objects.filter(pk=notebook_run.pk).update(mlflow_run_id="abc123")
    settings.MLFLOW_UI_URL = ""
    settings.MLFLOW_TRACKING_URI = f"sqlite:///{tmp_path}/mlflow.db"
    page = _attempt_page(client, bruno, notebook_run, manager=True)
    assert "<code>abc123</code>" in page
    assert f"mlflow ui --backend-store-uri sqlite:///{tmp_path}/mlflow.db" in page


def test_a_server_password_is_never_shown(client, bruno, notebook_run, settings) -> None:
    GradingRun.objects.filter(pk=notebook_run.pk).update(mlflow_run_id="abc123")
    settings.MLFLOW_UI_URL = ""
    settings.MLFLOW_TRACKING_URI = "https://portal:s3cret@mlflow.curso.example:5000"
    page = _attempt_page(client, bruno, notebook_run, manager=True)
    assert "s3cret" not in page
    assert "https://portal:**@mlflow.curso.example:5000" in page  # kombu masks it
    assert "mlflow ui --backend-store-uri" not in page  # a server is its own UI


def test_students_never_see_mlflow(client, alice, notebook_run, settings) -> None:
    assert notebook_run.submission.assignment.release_mode == Assignment.ReleaseMode.AUTO
    GradingRun.objects.filter(pk=notebook_run.pk).update(mlflow_run_id="abc123")
    settings.MLFLOW_UI_URL = "https://mlflow.curso.example"
    page = _attempt_page(client, alice, notebook_run, manager=False)
    assert "Nota: 3 de 6" in page  # the grade is visible, MLflow is not
    assert "abc123" not in page and "mlflow" not in page.lower()

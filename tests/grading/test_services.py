"""Grading services, selectors and the task's decisions, against the real database.

The sandbox is replaced by canned NotebookResults here (``autograde`` is the boundary);
test_worker.py runs the same paths through a real worker, Redis and containers.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu.asynchronous.timer import Timer

from autograder import messages, sweep
from autograder.errors import InfrastructureError
from autograder.notebook_report import NotebookRunError
from autograder.project_run import ProjectRunError
from autograder.results import CellResult, GradeStatus, Limits, NotebookResult
from autograder.sandbox import SandboxError
from portal.assessments.models import Assignment
from portal.celery import app
from portal.grading import inputs, resilience, selectors, services, tasks
from portal.grading.host_sweep import HostSandboxSweep
from portal.grading.models import CriterionScore, GradingRun
from portal.submissions.models import Submission
from tests.autograder import notebooks as nb
from tests.factories import SubmissionFactory, UserFactory
from tests.support.attempts import upload
from tests.support.graded_assignment import stored_submission


def _graded(status: GradeStatus = GradeStatus.GRADED) -> NotebookResult:
    cells = [
        CellResult("teste_normaliza", 2, 2, False, True, "o teste `teste_normaliza` passou"),
        CellResult(
            "teste_conta_palavras", 3, 3, False, True, "o teste `teste_conta_palavras` passou"
        ),
        CellResult("resposta_escala", 0, 1, True, None, "a resposta aguarda correção manual"),
    ]
    return NotebookResult(
        status=status,
        total=5,
        max_total=6,
        cells=cells,
        message="nota 5 de 6",
        image="sha256:abc",
        limits=Limits(wall_seconds=120),
    )


def _result(status: GradeStatus, message: str) -> NotebookResult:
    return NotebookResult(status=status, total=0, max_total=6, message=message)


@pytest.fixture
def submission(assignment, alice):
    return stored_submission(assignment, alice, nb.source_notebook())


@pytest.fixture
def run(submission):
    return services.grading_run_enqueue(submission=submission, requested_by=None)


@pytest.fixture
def autograde_returns(monkeypatch):
    """Replace the sandbox with a list of canned outcomes (a result or an exception)."""
    outcomes: list = []

    def fake(*args, **kwargs):
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(services, "autograde", fake)
    return outcomes


# -- enqueue and claim -----------------------------------------------------------------------


def test_enqueue_adds_a_numbered_queued_run_and_queues_the_submission(submission) -> None:
    first = services.grading_run_enqueue(submission=submission, requested_by=None)
    second = services.grading_run_enqueue(submission=submission, requested_by=None)
    assert (first.number, second.number) == (1, 2)
    assert first.status == GradingRun.Status.QUEUED
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED


def test_enqueue_sends_the_task_with_time_limits_after_commit(
    submission, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    sent = []
    monkeypatch.setattr(tasks.grade_run, "apply_async", lambda args, **kw: sent.append((args, kw)))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_enqueue(submission=submission, requested_by=None)
        assert sent == []  # not before the row is committed
    assert sent == [((run.pk,), {"soft_time_limit": 2 * 120 + 60, "time_limit": 2 * 120 + 90})]


def test_an_upload_queues_run_1_and_sends_it_after_commit(
    assignment, alice, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    sent = []
    monkeypatch.setattr(tasks.grade_run, "apply_async", lambda args, **kw: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.attempt_submit(assignment=assignment, student=alice, upload=upload())
        assert sent == []  # not before the row is committed
    [run] = submission.runs.all()
    assert (run.number, run.status, run.requested_by) == (1, GradingRun.Status.QUEUED, alice)
    assert sent == [(run.pk,)]
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED
    # the next run of the same attempt is numbered after it, as any re-run
    assert services.submission_rerun(submission=submission, requested_by=None).number == 2


def test_a_run_is_claimed_once(run) -> None:
    claimed = services.grading_run_claim(run_id=run.pk)
    assert claimed is not None
    assert claimed.tries == 1
    assert claimed.status == GradingRun.Status.RUNNING
    assert services.grading_run_claim(run_id=run.pk) is None
    assert Submission.objects.get(pk=run.submission_id).status == Submission.Status.RUNNING


def test_limits_come_from_the_assignment_then_the_settings(assignment, settings) -> None:
    settings.AUTOGRADER_MEMORY_MB = 777
    limits = services.grading_limits(assignment)
    assert limits.wall_seconds == 120
    assert limits.cell_timeout_seconds == 30
    assert limits.memory_mb == 777


# -- finishing -------------------------------------------------------------------------------


def test_a_stored_grade_is_logged_to_mlflow_by_the_maintenance_worker_not_a_grader(
    run, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    settings.MLFLOW_LOGGING_ENABLED = True
    sent = []
    monkeypatch.setattr(
        tasks.log_grading_run_to_mlflow, "apply_async", lambda args, **kw: sent.append((args, kw))
    )
    claimed = services.grading_run_claim(run_id=run.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.grading_run_finish(run=claimed, result=_graded())
        assert sent == []  # the task reads the stored run: only once it is committed
    assert sent == [((run.pk,), {"queue": settings.MAINTENANCE_QUEUE})]


def test_a_grade_is_stored_with_one_score_per_criterion(run) -> None:
    claimed = services.grading_run_claim(run_id=run.pk)
    assert services.grading_run_finish(run=claimed, result=_graded())
    run.refresh_from_db()
    assert run.status == GradingRun.Status.DONE
    assert (run.total, run.max_total, run.grade_status) == (Decimal(5), Decimal(6), "graded")
    assert run.limits["wall_seconds"] == 120
    assert run.finished_at is not None
    scores = {s.criterion.key: s for s in run.scores.select_related("criterion")}
    assert scores["teste_conta_palavras"].points == Decimal(3)
    assert scores["resposta_escala"].points is None
    assert "aguarda correção do instrutor" in scores["resposta_escala"].justification.lower()
    assert Submission.objects.get(pk=run.submission_id).status == Submission.Status.GRADED


def test_the_held_out_metric_is_kept_on_the_run_and_justified_in_its_criterion(run) -> None:
    from tests.factories import CriterionFactory

    assignment = run.submission.assignment
    CriterionFactory(
        assignment=assignment,
        key="avaliacao_oculta",
        max_points=3,
        grade_ids=["avaliacao_oculta"],
        order=99,
    )
    result = _graded()
    message = (
        "ROC AUC de 0,812 no conjunto de avaliação oculto (1400 linhas); a faixa "
        "≥ 0,8 vale 3 de 3 pontos."
    )
    result.cells.append(CellResult("avaliacao_oculta", 3, 3, False, True, message))
    result.holdout = {
        "metric": "roc_auc",
        "value": 0.8123,
        "expected": 1400,
        "matched": 1400,
        "problem": "",
    }
    claimed = services.grading_run_claim(run_id=run.pk)
    assert services.grading_run_finish(run=claimed, result=result)
    run.refresh_from_db()
    assert run.holdout_value == pytest.approx(0.8123)
    score = run.scores.get(criterion__key="avaliacao_oculta")
    assert (score.points, score.justification) == (Decimal(3), message)


def test_an_invalid_notebook_finishes_the_run_without_scores(run) -> None:
    claimed = services.grading_run_claim(run_id=run.pk)
    services.grading_run_finish(
        run=claimed, result=_result(GradeStatus.INVALID, "o arquivo não é um notebook")
    )
    run.refresh_from_db()
    assert run.status == GradingRun.Status.DONE
    assert run.total is None
    assert run.message == "o arquivo não é um notebook"
    assert not run.scores.exists()


def test_a_worker_that_lost_its_claim_cannot_store_a_second_grade(run) -> None:
    old = services.grading_run_claim(run_id=run.pk)
    # The sweeper decided the first worker was dead and another worker claimed the run.
    GradingRun.objects.filter(pk=run.pk).update(status=GradingRun.Status.QUEUED)
    new = services.grading_run_claim(run_id=run.pk)
    assert services.grading_run_finish(run=new, result=_graded())
    assert not services.grading_run_finish(run=old, result=_graded())
    assert CriterionScore.objects.filter(run=run).count() == 3


def test_an_old_rerun_finishing_late_does_not_change_the_submission_status(submission) -> None:
    first = services.grading_run_enqueue(submission=submission, requested_by=None)
    claimed = services.grading_run_claim(run_id=first.pk)
    services.submission_rerun(submission=submission, requested_by=None)
    services.grading_run_finish(run=claimed, result=_graded())
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED  # the newest run decides


@pytest.mark.parametrize(
    ("run_status", "expected"),
    [
        (GradingRun.Status.QUEUED, Submission.Status.QUEUED),
        (GradingRun.Status.RUNNING, Submission.Status.RUNNING),
        (GradingRun.Status.DONE, Submission.Status.GRADED),
        (GradingRun.Status.WAITING, Submission.Status.WAITING),
        (GradingRun.Status.ERROR, Submission.Status.ERROR),
    ],
)
def test_the_submission_status_is_the_status_of_its_newest_run(
    submission, run_status, expected
) -> None:
    now = timezone.now()
    GradingRun.objects.create(submission=submission, number=2, status=run_status, queued_at=now)
    GradingRun.objects.create(
        submission=submission, number=1, status=GradingRun.Status.DONE, queued_at=now
    )

    assert services.submission_status_refresh(submission.pk) == expected
    submission.refresh_from_db()
    assert submission.status == expected


def test_an_attempt_without_a_run_yet_is_queued(submission) -> None:
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.ERROR)

    assert services.submission_status_refresh(submission.pk) == Submission.Status.QUEUED


# -- the task's decisions --------------------------------------------------------------------


def test_the_task_grades_a_run_and_a_redelivery_does_nothing(run, autograde_returns) -> None:
    autograde_returns.append(_graded())
    assert tasks.grade_run.apply(args=(run.pk,)).get() == "done"
    assert tasks.grade_run.apply(args=(run.pk,)).get() == "not-claimed"
    run.refresh_from_db()
    assert (run.status, run.tries) == (GradingRun.Status.DONE, 1)
    assert run.scores.count() == 3


@pytest.mark.parametrize("status", [GradeStatus.TIMEOUT, GradeStatus.OOM])
def test_a_student_fault_is_a_grade_and_is_not_retried(run, autograde_returns, status) -> None:
    autograde_returns.append(_graded(status))
    assert tasks.grade_run.apply(args=(run.pk,)).get() == "done"
    run.refresh_from_db()
    assert (run.status, run.tries, run.grade_status) == ("done", 1, str(status))


def test_an_infrastructure_fault_waits_then_is_retried(run, autograde_returns) -> None:
    autograde_returns.extend(
        [
            SandboxError("Docker is unreachable"),
            NotebookRunError(messages.message("error.no_result", detail="ausente")),
            _graded(),
        ]
    )
    tasks.grade_run.apply(args=(run.pk,))  # eager: the retries run inline
    run.refresh_from_db()
    assert (run.status, run.tries) == (GradingRun.Status.DONE, 3)
    assert run.scores.count() == 3


def test_after_the_last_try_the_run_is_an_error_never_a_zero(
    run, autograde_returns, settings
) -> None:
    settings.AUTOGRADER_MAX_TRIES = 3
    autograde_returns.append(
        NotebookRunError(messages.message("error.runner", detail="o sandbox não pôde rodar"))
    )
    tasks.grade_run.apply(args=(run.pk,))
    run.refresh_from_db()
    assert (run.status, run.tries, run.total) == (GradingRun.Status.ERROR, 3, None)
    assert "o sandbox não pôde rodar" in run.error
    assert not run.scores.exists()
    assert Submission.objects.get(pk=run.submission_id).status == Submission.Status.ERROR


def test_a_project_runner_fault_is_retried_like_any_fault_of_ours(
    run, monkeypatch, settings
) -> None:
    from autograder import projects

    Assignment.objects.filter(pk=run.submission.assignment_id).update(kind=Assignment.Kind.PROJECT)
    settings.AUTOGRADER_MAX_TRIES = 2
    calls = []

    def runner_left_no_result(*args, **kwargs):
        calls.append(kwargs["sha"])
        raise ProjectRunError("the project runner's result is missing")

    monkeypatch.setattr(projects, "grade_repo", runner_left_no_result)

    assert tasks.grade_run.apply(args=(run.pk,)).get() == "error"  # retried, then given up
    run.refresh_from_db()
    assert (run.status, run.tries, len(calls)) == (GradingRun.Status.ERROR, 2, 2)
    assert "result is missing" in run.error


@pytest.mark.parametrize(
    ("max_tries", "reason"), [(1, "1 tentativa sem sucesso"), (2, "2 tentativas sem sucesso")]
)
def test_a_run_past_its_last_try_says_how_many_tries_failed(
    run, settings, max_tries, reason
) -> None:
    settings.AUTOGRADER_MAX_TRIES = max_tries
    GradingRun.objects.filter(pk=run.pk).update(tries=max_tries)  # the sweeper brought it back

    tasks.grade_run.apply(args=(run.pk,))

    run.refresh_from_db()
    assert (run.status, run.error) == (GradingRun.Status.ERROR, reason)


def test_an_input_the_worker_cannot_read_waits_instead_of_grading(run, settings) -> None:
    from django.core.files.storage import default_storage

    default_storage.delete(run.submission.file.name)  # storage lost it; the student did not
    settings.AUTOGRADER_MAX_TRIES = 1

    tasks.grade_run.apply(args=(run.pk,))

    run.refresh_from_db()
    assert (run.status, run.total) == (GradingRun.Status.ERROR, None)
    assert not run.scores.exists()


def test_incomplete_held_out_files_of_the_course_are_a_fault_of_ours(assignment, tmp_path) -> None:
    assignment.holdout = {
        "metric": "roc_auc",
        "thresholds": [[0.8, 3]],
        "predictions": "p.csv",
        "id_column": "id",
        "key": "conjunto_oculto",
    }
    with pytest.raises(inputs.GradingInputsUnusable, match="held-out"):
        inputs.assignment_files(assignment, tmp_path)
    assert issubclass(inputs.GradingInputsUnusable, InfrastructureError)


def test_a_bug_of_ours_fails_the_task_loudly_and_is_not_retried(run, autograde_returns) -> None:
    autograde_returns.append(KeyError("grade_id"))

    with pytest.raises(KeyError):
        tasks.grade_run.apply(args=(run.pk,)).get()

    run.refresh_from_db()
    assert (run.status, run.tries, run.error) == (GradingRun.Status.RUNNING, 1, "")


def test_a_waiting_run_shows_the_submission_as_waiting(run) -> None:
    claimed = services.grading_run_claim(run_id=run.pk)
    services.grading_run_wait(run=claimed, reason="Docker is unreachable")
    run.refresh_from_db()
    assert run.status == GradingRun.Status.WAITING
    assert Submission.objects.get(pk=run.submission_id).status == Submission.Status.WAITING


def test_backoff_doubles_up_to_its_cap(settings) -> None:
    settings.AUTOGRADER_RETRY_BACKOFF_SECONDS = 30
    settings.AUTOGRADER_RETRY_BACKOFF_MAX_SECONDS = 100
    assert [services.retry_countdown(n) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


# -- the sweeper -----------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(tasks.grade_run, "apply_async", lambda args, **kw: ids.append(args[0]))
    return ids


def test_the_sweeper_resends_a_run_queued_too_long(
    run, sent, settings, django_capture_on_commit_callbacks
) -> None:
    later = timezone.now() + timedelta(seconds=settings.AUTOGRADER_SWEEP_AFTER_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.grading_runs_sweep()["queued"] == 0  # fresh: left alone
        assert services.grading_runs_sweep(now=later)["queued"] == 1
        assert services.grading_runs_sweep(now=later)["queued"] == 0  # once per period
    assert sent == [run.pk]


def test_the_sweeper_requeues_a_running_run_whose_lease_ran_out(
    run, sent, settings, django_capture_on_commit_callbacks
) -> None:
    claimed = services.grading_run_claim(run_id=run.pk)
    lease = timedelta(seconds=settings.AUTOGRADER_LEASE_SECONDS)
    soon = timezone.now() + lease - timedelta(seconds=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.grading_runs_sweep(now=soon)["running"] == 0
        GradingRun.objects.filter(pk=run.pk).update(lease_until=timezone.now())  # time passes
        assert resilience.lease_renew(claimed)  # ... and the worker's heartbeat renews it
        assert services.grading_runs_sweep(now=soon)["running"] == 0
        dead = timezone.now() + lease + timedelta(seconds=1)
        assert services.grading_runs_sweep(now=dead)["running"] == 1
    run.refresh_from_db()
    assert run.status == GradingRun.Status.QUEUED
    assert sent == [run.pk]
    assert not resilience.lease_renew(claimed)  # the dead claim cannot take it back
    assert services.grading_run_claim(run_id=run.pk).tries == 2


def test_a_running_run_without_a_lease_is_requeued_after_the_hard_limit(
    run, sent, django_capture_on_commit_callbacks
) -> None:
    # Claimed by a worker of the release before leases.
    services.grading_run_claim(run_id=run.pk)
    GradingRun.objects.filter(pk=run.pk).update(lease_until=None)
    hard = services.task_time_limits(run.submission.assignment)[1]
    soon = timezone.now() + timedelta(seconds=hard)
    dead = timezone.now() + timedelta(seconds=hard + services.DEAD_WORKER_MARGIN_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.grading_runs_sweep(now=soon)["running"] == 0
        assert services.grading_runs_sweep(now=dead)["running"] == 1
    assert sent == [run.pk]


def test_the_sweeper_resends_a_waiting_run_whose_retry_was_lost(run, sent) -> None:
    claimed = services.grading_run_claim(run_id=run.pk)
    services.grading_run_wait(run=claimed, reason="Docker is unreachable")
    assert services.grading_runs_sweep(now=timezone.now() + timedelta(hours=2))["waiting"] == 1
    assert GradingRun.objects.get(pk=run.pk).status == GradingRun.Status.QUEUED


def test_the_sweeper_leaves_finished_runs_alone(run, sent, autograde_returns) -> None:
    autograde_returns.append(_graded())
    tasks.grade_run.apply(args=(run.pk,))
    counts = services.grading_runs_sweep(now=timezone.now() + timedelta(days=1))
    assert counts == {"queued": 0, "running": 0, "waiting": 0}


@pytest.fixture
def sweeps(monkeypatch) -> list[int]:
    """The ages of the host sweeps made, with Docker's side replaced by a spy."""
    ages: list[int] = []
    monkeypatch.setattr(
        sweep, "remove_stale_containers", lambda *, older_than_s: ages.append(older_than_s) or 2
    )
    return ages


def test_every_worker_sweeps_its_own_host_when_it_starts_and_then_on_its_timer(
    run, sweeps, settings
) -> None:
    settings.AUTOGRADER_HOST_SWEEP_INTERVAL_SECONDS = 120
    worker = SimpleNamespace(timer=Timer())
    step = HostSandboxSweep(worker)
    assert HostSandboxSweep in app.steps["worker"]

    step.start(worker)

    # Longer than any task's hard limit, so live containers of other workers are kept.
    assert sweeps == [services.stale_container_age_seconds()]
    assert sweeps[0] > services.task_time_limits(run.submission.assignment)[1]
    [scheduled] = worker.timer.queue
    assert 110 < scheduled.eta - time.monotonic() <= 120
    step.stop(worker)
    assert scheduled.entry.canceled


def test_a_worker_on_a_host_without_docker_leaves_containers_alone(run, sweeps, settings) -> None:
    settings.AUTOGRADER_SWEEP_CONTAINERS = False
    worker = SimpleNamespace(timer=Timer())
    HostSandboxSweep(worker).start(worker)
    claimed = services.grading_run_claim(run_id=run.pk)
    GradingRun.objects.filter(pk=claimed.pk).update(lease_until=timezone.now() - timedelta(1))

    assert services.grading_runs_sweep()["running"] == 1  # re-sent, containers untouched
    assert sweeps == [] and not worker.timer.queue


# -- re-runs and selectors -------------------------------------------------------------------


def test_an_assignment_rerun_queues_the_latest_submission_of_each_student(
    assignment, alice, submission
) -> None:
    newer = SubmissionFactory(assignment=assignment, student=alice, attempt=submission.attempt + 1)
    bob = SubmissionFactory(assignment=assignment, student=UserFactory(username="bob"))
    first = services.grading_run_enqueue(submission=submission, requested_by=None)
    assert services.assignment_rerun(assignment=assignment, requested_by=None) == 2
    assert set(GradingRun.objects.exclude(pk=first.pk).values_list("submission", flat=True)) == {
        newer.pk,
        bob.pk,
    }
    assert GradingRun.objects.filter(pk=first.pk).exists()  # old runs are kept


def test_latest_run_is_the_newest_number(submission) -> None:
    assert selectors.latest_run(submission) is None
    services.grading_run_enqueue(submission=submission, requested_by=None)
    second = services.submission_rerun(submission=submission, requested_by=None)
    assert selectors.latest_run(submission) == second


def test_progress_counts_the_latest_run_of_each_submission(assignment, alice, run) -> None:
    SubmissionFactory(assignment=assignment, student=UserFactory(username="bob"))  # no run
    done = stored_submission(assignment, UserFactory(username="carol"), {})
    services.grading_run_enqueue(submission=done, requested_by=None)
    GradingRun.objects.filter(submission=done).update(status=GradingRun.Status.DONE)
    services.submission_status_refresh(done.pk)  # as every change of a run's status does
    progress = selectors.assignment_progress(assignment)
    assert progress == {"queued": 2, "running": 0, "done": 1, "waiting": 0, "error": 0, "total": 3}


def test_beat_sends_the_sweeper_to_the_maintenance_queue_every_interval(settings) -> None:
    from portal.celery import app

    entry = app.conf.beat_schedule["sweep-stuck-grading-runs"]
    interval = settings.AUTOGRADER_SWEEP_INTERVAL_SECONDS
    assert (entry["task"], entry["schedule"]) == (tasks.sweep_stuck_runs.name, float(interval))
    assert entry["options"]["expires"] < interval  # a sweep not taken is replaced by the next
    route = app.amqp.router.route({}, tasks.sweep_stuck_runs.name)
    assert route["queue"].name == settings.MAINTENANCE_QUEUE
    assert app.amqp.router.route({}, tasks.grade_run.name)["queue"].name == "grading"


def test_the_admin_rerun_action_queues_a_new_run_and_keeps_the_old(admin_client, run) -> None:
    response = admin_client.post(
        reverse("admin:grading_gradingrun_changelist"),
        {"action": "rerun", "_selected_action": [run.pk]},
    )
    assert response.status_code == 302
    runs = GradingRun.objects.filter(submission=run.submission).order_by("number")
    assert [(r.number, r.status) for r in runs] == [(1, "queued"), (2, "queued")]

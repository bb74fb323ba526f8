"""Grading through a real Celery worker process, a real Redis and real containers.

One worker (prefork, one child) serves the module through its own Redis database; it talks
to Docker through a socket proxy the tests can stop. The rows are committed
(``transaction=True``) because the worker reads them through its own connection.
"""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import docker
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from autograder.sandbox import POOL_LABEL
from portal.grading import services, tasks
from portal.grading.models import CriterionScore, GradingRun
from portal.grading.services import attempt_submit
from portal.submissions.models import Submission
from tests.autograder import notebooks as nb
from tests.grading.worker import *  # noqa: F403 - the worker fixtures
from tests.grading.worker import wait_for
from tests.support.graded_assignment import stored_submission
from tests.support.sandboxes import sandbox_runs

pytestmark = [pytest.mark.docker, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

GRADE_TIMEOUT_S = 90


def _run_of(submission: Submission) -> GradingRun:
    return GradingRun.objects.get(submission=submission)


def _status(run: GradingRun) -> str:
    run.refresh_from_db()
    return run.status


def _wait_done(run: GradingRun) -> GradingRun:
    wait_for(
        lambda: _status(run) in (GradingRun.Status.DONE, GradingRun.Status.ERROR),
        timeout=GRADE_TIMEOUT_S,
        what=f"run {run.pk} to finish",
    )
    return run


def _scores(run: GradingRun) -> dict[str, CriterionScore]:
    return {s.criterion.key: s for s in run.scores.select_related("criterion")}


def test_an_upload_is_graded_by_the_worker_with_justified_scores(
    worker, assignment, alice, release
) -> None:
    upload = SimpleUploadedFile("entrega.ipynb", json.dumps(nb.correct(release)).encode())
    started = time.monotonic()
    submission = attempt_submit(assignment=assignment, student=alice, upload=upload)
    run = _wait_done(_run_of(submission))
    elapsed = time.monotonic() - started
    print(f"\nenqueue -> graded: {elapsed:.1f} s")  # the report's figure (pytest -s)

    assert (run.status, run.grade_status, run.tries) == ("done", "graded", 1)
    assert (run.total, run.max_total) == (Decimal(5), Decimal(6))
    assert run.image.startswith("sha256:")
    scores = _scores(run)
    assert scores["teste_normaliza"].points == Decimal(2)
    assert scores["teste_conta_palavras"].points == Decimal(3)
    assert "teste_conta_palavras` passou" in scores["teste_conta_palavras"].justification
    assert scores["resposta_escala"].points is None
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED


def test_a_failing_test_is_a_grade_with_the_failure_explained(
    worker, assignment, alice, release
) -> None:
    submission = stored_submission(assignment, alice, nb.partly_wrong(release))
    run = _wait_done(services.grading_run_enqueue(submission=submission, requested_by=None))
    assert (run.status, run.total, run.tries) == ("done", Decimal(3), 1)
    justification = _scores(run)["teste_normaliza"].justification
    assert "falhou" in justification
    assert "esperado média 0" in justification


def test_with_docker_unreachable_the_run_waits_and_is_graded_when_it_returns(
    worker, docker_proxy, assignment, alice, release
) -> None:
    submission = stored_submission(assignment, alice, nb.correct(release))
    docker_proxy.stop()
    try:
        run = services.grading_run_enqueue(submission=submission, requested_by=None)
        wait_for(
            lambda: _status(run) == GradingRun.Status.WAITING,
            timeout=30,
            what="the run to wait for Docker",
        )
        submission.refresh_from_db()
        assert submission.status == Submission.Status.WAITING
        assert run.total is None
        assert "Docker" in run.error or "sandbox" in run.error
        wait_for(lambda: GradingRun.objects.get(pk=run.pk).tries >= 2, timeout=30, what="a retry")
    finally:
        docker_proxy.start()
    _wait_done(run)
    assert (run.status, run.total) == ("done", Decimal(5))
    assert run.tries >= 3
    assert run.scores.count() == 3
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED


def _sandbox_of(client: docker.DockerClient, run: GradingRun) -> str | None:
    running = sandbox_runs(client, prefix=f"nb-run{run.pk}-", stopped=False)
    return running[0] if running else None


def test_a_worker_killed_mid_grade_leaves_a_run_the_sweeper_grades_exactly_once(
    workers, worker, docker_client, sandbox_leftovers, assignment, alice, release
) -> None:
    slow = nb._hostile_conta("import time\ntime.sleep(8)")(release)
    submission = stored_submission(assignment, alice, slow)
    run = services.grading_run_enqueue(submission=submission, requested_by=None)
    container = wait_for(
        lambda: _sandbox_of(docker_client, run), timeout=30, what="the sandbox container"
    )
    sandbox_leftovers.append(container)
    worker.kill()
    assert _status(run) == GradingRun.Status.RUNNING  # nobody will finish this claim

    replacement = workers.running()
    time.sleep(1)
    assert _status(run) == GradingRun.Status.RUNNING  # a new worker alone does not help
    dead = timezone.now() + services._dead_after(assignment) + timedelta(seconds=1)
    assert services.grading_runs_sweep(now=dead)["running"] == 1
    _wait_done(run)
    assert (run.status, run.tries, run.total) == ("done", 2, Decimal(5))

    # The killed worker's message comes back one day (Redis visibility timeout): no-op.
    tasks.grade_run.delay(run.pk)
    wait_for(
        lambda: "'not-claimed'" in replacement.output(), timeout=30, what="the redelivered message"
    )
    assert GradingRun.objects.filter(submission=submission).count() == 1
    assert CriterionScore.objects.filter(run__submission=submission).count() == 3
    run.refresh_from_db()
    assert run.tries == 2


def test_a_lost_broker_message_is_graded_by_the_sweeper(
    worker, assignment, alice, release, settings
) -> None:
    submission = stored_submission(assignment, alice, nb.correct(release))
    long_ago = timezone.now() - timedelta(seconds=settings.AUTOGRADER_SWEEP_AFTER_SECONDS + 1)
    # The row is committed, the message never reaches Redis.
    run = GradingRun.objects.create(submission=submission, number=1, queued_at=long_ago)
    time.sleep(1)
    assert _status(run) == GradingRun.Status.QUEUED
    assert services.grading_runs_sweep()["queued"] == 1
    _wait_done(run)
    assert (run.status, run.total, run.tries) == ("done", Decimal(5), 1)


# -- the warm pool (autograder/pool.py, portal/grading/sandbox_pool.py) ----------------------


def _warm_containers(client: docker.DockerClient, worker) -> list[str]:
    """Names of the warm containers whose owner is the worker's child process."""
    children = Path(f"/proc/{worker.process.pid}/task/{worker.process.pid}/children")
    owners = {f"{socket.gethostname()}:{pid}" for pid in children.read_text().split()}
    containers = client.containers.list(all=True, sparse=True, filters={"label": POOL_LABEL})
    return [
        c.attrs["Names"][0].lstrip("/")
        for c in containers
        if c.attrs["Labels"].get(POOL_LABEL) in owners
    ]


def test_a_worker_grades_in_a_warm_container_and_removes_its_pool_when_it_stops(
    workers, worker, docker_client, assignment, alice, release
) -> None:
    first = stored_submission(assignment, alice, nb.correct(release))
    _wait_done(services.grading_run_enqueue(submission=first, requested_by=None))
    # After a grading the worker's child keeps one container ready for the next.
    ready = wait_for(
        lambda: _warm_containers(docker_client, worker), timeout=60, what="a warm container"
    )
    assert len(ready) == 1

    second = stored_submission(assignment, alice, nb.partly_wrong(release))
    run = _wait_done(services.grading_run_enqueue(submission=second, requested_by=None))
    assert (run.status, run.total) == ("done", Decimal(3))
    assert "esperado média 0" in _scores(run)["teste_normaliza"].justification
    # It was used for that grading (single use: gone) and replaced by another.
    assert ready[0] not in sandbox_runs(docker_client)
    replaced = wait_for(
        lambda: _warm_containers(docker_client, worker), timeout=60, what="the replacement"
    )
    assert replaced != ready

    worker.stop()  # a warm shutdown closes the child's pool
    assert not set(replaced) & set(sandbox_runs(docker_client))


def test_a_killed_workers_warm_containers_are_removed_when_a_worker_starts(
    workers, worker, docker_client, sandbox_leftovers, assignment, alice, release
) -> None:
    submission = stored_submission(assignment, alice, nb.correct(release))
    _wait_done(services.grading_run_enqueue(submission=submission, requested_by=None))
    left = wait_for(
        lambda: _warm_containers(docker_client, worker), timeout=60, what="a warm container"
    )
    sandbox_leftovers.extend(left)
    worker.kill()  # no shutdown: the pool cannot remove its containers
    assert set(left) <= set(sandbox_runs(docker_client))

    workers.running()  # the host sweep at a worker's start knows their owner is gone
    wait_for(
        lambda: not set(left) & set(sandbox_runs(docker_client)),
        timeout=30,
        what="the orphaned warm containers to be removed",
    )

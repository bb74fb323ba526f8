"""Faults injected into real processes while attempts are graded: every attempt is graded
exactly once, no upload gets an error page, and a stuck run is sent again within seconds.

The module runs its own Redis server (so it can stop it without touching anyone else's), a
maintenance worker with beat embedded (the sweeper, on its own queue) and grading workers, as
``runportal`` and production do, with the intervals shortened by settings: a heartbeat every
second, a 4 s lease, a sweep every 2 s.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import docker
import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.celery import app
from portal.classroom.management.commands.runportal import worker_commands
from portal.grading import services
from portal.grading.models import CriterionScore, GradingRun
from portal.submissions.models import Submission
from tests.autograder import notebooks as nb
from tests.factories import UserFactory
from tests.grading.worker import *  # noqa: F403 - the worker fixtures
from tests.grading.worker import Worker, Workers, wait_for
from tests.support.graded_assignment import stored_submission
from tests.support.sandboxes import sandbox_runs

pytestmark = [pytest.mark.docker, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HEARTBEAT_S = 1
LEASE_S = 4
SWEEP_INTERVAL_S = 2
SWEEP_AFTER_S = 6
GRADE_TIMEOUT_S = 120


class RedisServer:
    """A redis-server of this module's own on a free port, which a test may stop and start."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(self._answers, timeout=10, what="redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url).ping())
        except redis.ConnectionError:
            return False


@pytest.fixture(scope="module")
def redis_server(scratch) -> Iterator[RedisServer]:
    server = RedisServer(scratch)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def broker_url(redis_server) -> Iterator[str]:
    """Overrides worker.py's: the test process and the workers use the module's Redis."""
    previous = app.conf.broker_url
    app.conf.broker_url = redis_server.url
    app._pool = None
    app.amqp._producer_pool = None
    yield redis_server.url
    app.conf.broker_url = previous
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(scope="module")
def worker_extra_env(scratch) -> dict[str, str]:
    return {
        "AUTOGRADER_HEARTBEAT_SECONDS": str(HEARTBEAT_S),
        "AUTOGRADER_LEASE_SECONDS": str(LEASE_S),
        "AUTOGRADER_SWEEP_INTERVAL_SECONDS": str(SWEEP_INTERVAL_S),
        "AUTOGRADER_SWEEP_AFTER_SECONDS": str(SWEEP_AFTER_S),
        "AUTOGRADER_STORE_BACKOFF_SECONDS": "0.5",
        "PORTAL_VAR_DIR": str(scratch / "var"),  # beat's schedule file
        "MLFLOW_LOGGING_ENABLED": "false",
    }


def _queue_args(command: list[str]) -> list[str]:
    """The queue and beat options runportal gives a worker (its -n is the test's own)."""
    start = command.index("-Q")
    args = command[start:]
    name = args.index("-n")
    return args[:name] + args[name + 2 :]


@pytest.fixture(scope="module")
def roles() -> dict[str, list[str]]:
    grading, maintenance = (_queue_args(command) for command in worker_commands())
    return {"grading": grading, "maintenance": maintenance}


@pytest.fixture(scope="module")
def sweeper(workers: Workers, roles, scratch) -> Worker:
    """runportal's maintenance worker: the sweeper's queue, beat embedded."""
    (scratch / "var").mkdir(exist_ok=True)
    args = [*roles["maintenance"]]
    args[args.index("--schedule") + 1] = str(scratch / "var" / "celerybeat-schedule")
    return workers.start(*args, role="maintenance")


@pytest.fixture
def grader(workers: Workers, roles, sweeper) -> Iterator[Worker]:
    """A grading worker of this test's own (a test may kill it); stopped at the end."""
    worker = workers.start(*roles["grading"])
    yield worker
    worker.stop()


def _refresh(run: GradingRun) -> GradingRun:
    run.refresh_from_db()
    return run


def _wait_done(run: GradingRun, timeout: float = GRADE_TIMEOUT_S) -> GradingRun:
    wait_for(
        lambda: _refresh(run).status in (GradingRun.Status.DONE, GradingRun.Status.ERROR),
        timeout=timeout,
        what=f"run {run.pk} to finish",
        interval=0.5,
    )
    return run


def _assert_graded_once(submission: Submission, *, tries: int = 1) -> GradingRun:
    run = GradingRun.objects.get(submission=submission)  # one run: nothing queued twice
    assert (run.status, run.total, run.tries) == ("done", Decimal(5), tries)
    assert CriterionScore.objects.filter(run__submission=submission).count() == 3
    return run


def _sandboxes(client: docker.DockerClient, run: GradingRun) -> list[str]:
    """Names of the containers of ``run`` (running or exited)."""
    return sandbox_runs(client, prefix=f"nb-run{run.pk}-")


def _slow(release, seconds: int) -> dict:
    return nb._hostile_conta(f"import time\ntime.sleep({seconds})")(release)


# -- 12: a backlog longer than the sweep interval ---------------------------------------------


def test_the_sweeper_runs_while_a_grading_backlog_outlasts_its_interval(
    grader, assignment, release
) -> None:
    backlog = [
        stored_submission(assignment, UserFactory(username=f"aluno{i}"), _slow(release, 6))
        for i in range(3)
    ]
    runs = [services.grading_run_enqueue(submission=s, requested_by=None) for s in backlog]
    wait_for(
        lambda: _refresh(runs[0]).status == GradingRun.Status.RUNNING,
        timeout=60,
        what="the backlog to start",
    )
    # A run whose message the broker lost, found while the grading worker is busy.
    lost = stored_submission(assignment, UserFactory(username="perdido"), nb.correct(release))
    long_ago = timezone.now() - timedelta(hours=1)
    lost_run = GradingRun.objects.create(submission=lost, number=1, queued_at=long_ago)

    wait_for(
        lambda: _refresh(lost_run).queued_at > long_ago,
        timeout=4 * SWEEP_INTERVAL_S,
        what="the sweeper to send the lost run again",
    )
    # ... in the middle of the backlog.
    assert all(_refresh(run).status != GradingRun.Status.DONE for run in runs[1:])

    for run in [*runs, lost_run]:
        _wait_done(run)
    for submission in [*backlog, lost]:
        _assert_graded_once(submission)  # re-sent queued runs are no-ops once claimed


# -- 13: Redis stopped during an upload -------------------------------------------------------


def test_an_upload_while_redis_is_down_is_received_and_graded_once_it_is_back(
    client, redis_server, grader, assignment, alice, release
) -> None:
    client.force_login(alice)
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])
    upload = SimpleUploadedFile("entrega.ipynb", json.dumps(nb.correct(release)).encode())
    redis_server.stop()
    try:
        response = client.post(url, {"file": upload}, follow=True)
    finally:
        redis_server.start()

    assert response.status_code == 200
    assert "Tentativa 1 recebida" in response.content.decode()
    submission = Submission.objects.get(student=alice)
    run = GradingRun.objects.get(submission=submission)
    assert run.status == GradingRun.Status.QUEUED  # stored, its message never sent

    _wait_done(run)  # the sweeper sends it once it has waited AUTOGRADER_SWEEP_AFTER_SECONDS
    _assert_graded_once(submission)
    assert Submission.objects.filter(student=alice).count() == 1


# -- 14: a grading worker killed mid-grade ----------------------------------------------------


def test_a_worker_killed_mid_grade_loses_its_lease_and_the_run_is_graded_again_once(
    grader, workers, roles, docker_client, sandbox_leftovers, client, assignment, alice, release
) -> None:
    submission = stored_submission(assignment, alice, _slow(release, 20))
    run = services.grading_run_enqueue(submission=submission, requested_by=None)
    [container] = wait_for(
        lambda: _sandboxes(docker_client, run), timeout=60, what="the sandbox container"
    )
    sandbox_leftovers.append(container)
    grader.kill()
    killed = time.monotonic()

    # No grading worker alive: the sweeper finds the lease past and queues the run again.
    wait_for(
        lambda: _refresh(run).status == GradingRun.Status.QUEUED,
        timeout=LEASE_S + 3 * SWEEP_INTERVAL_S,
        what="the sweeper to take the run back",
    )
    assert time.monotonic() - killed < LEASE_S + 3 * SWEEP_INTERVAL_S
    wait_for(
        lambda: not _sandboxes(docker_client, run), timeout=10, what="the dead run's container"
    )
    client.force_login(alice)
    status_url = reverse(
        "classroom:status", args=[assignment.course.slug, assignment.slug, submission.attempt]
    )
    page = client.get(status_url).content.decode()
    assert "será corrigida de novo" in page

    replacement = workers.start(*roles["grading"])
    try:
        _wait_done(run)
    finally:
        replacement.stop()
    _assert_graded_once(submission, tries=2)


# -- 15: the database connection dropped mid-grade --------------------------------------------


def _drop_other_connections() -> int:
    """pg_terminate_backend on every connection to the test database but this process's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_database_connection_dropped_mid_grade_does_not_lose_the_result(
    grader, docker_client, assignment, alice, release
) -> None:
    submission = stored_submission(assignment, alice, _slow(release, 5))
    run = services.grading_run_enqueue(submission=submission, requested_by=None)
    wait_for(lambda: _sandboxes(docker_client, run), timeout=60, what="the sandbox container")
    assert _drop_other_connections() >= 1  # the grading worker's, the sweeper's

    _wait_done(run)
    _assert_graded_once(submission)  # stored by the claim that graded it, not graded again
    assert "database connection lost" in grader.output()

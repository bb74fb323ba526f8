"""Latency of a burst through one worker (not part of the suite: name the file to run it).

    .venv/bin/pytest tests/grading/bench_burst.py -s -q

Prints p50/p95 of enqueue -> graded (``finished_at - queued_at``) for BURST submissions
sent at once to one worker (prefork, one child).
"""

from __future__ import annotations

import os
import statistics
import time

import pytest

from portal.grading import services
from portal.grading.models import GradingRun
from tests.autograder import notebooks as nb
from tests.factories import UserFactory
from tests.grading.worker import *  # noqa: F403 - the worker fixtures
from tests.grading.worker import wait_for
from tests.support.graded_assignment import stored_submission

pytestmark = [pytest.mark.docker, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BURST = int(os.environ.get("GRADING_BURST", "20"))


def test_a_burst_through_one_worker(worker, assignment, release) -> None:
    notebook = nb.correct(release)
    submissions = [
        stored_submission(assignment, UserFactory(username=f"aluno{i}"), notebook)
        for i in range(BURST)
    ]
    started = time.monotonic()
    for submission in submissions:
        services.grading_run_enqueue(submission=submission, requested_by=None)
    wait_for(
        lambda: GradingRun.objects.filter(status="done").count() == BURST,
        timeout=60 + 15 * BURST,
        what="the burst",
        interval=0.5,
    )
    wall = time.monotonic() - started
    runs = GradingRun.objects.all()
    latencies = sorted((run.finished_at - run.queued_at).total_seconds() for run in runs)
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(
        f"\nburst of {BURST}, one worker: wall {wall:.1f} s, "
        f"p50 {p50:.1f} s, p95 {p95:.1f} s, max {latencies[-1]:.1f} s, "
        f"throughput {BURST / wall * 60:.1f}/min"
    )
    assert all(run.total == 5 for run in runs)

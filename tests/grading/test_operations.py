"""The operations page (admins) and the status page (everyone), against the real database and
broker: what is queued, what failed and why, how long gradings take, who is grading."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.grading import operations
from portal.grading.models import GradingRun
from tests.factories import AssignmentFactory, SubmissionFactory

OPS = reverse("grading:operations")
STATUS = reverse("grading:status")


def _run(assignment, student, status: str, *, ago: dt.timedelta, took_s: float = 0, **fields):
    now = timezone.now()
    submission = SubmissionFactory(assignment=assignment, student=student)
    started = now - ago if status != GradingRun.Status.QUEUED else None
    return GradingRun.objects.create(
        submission=submission,
        number=1,
        status=status,
        queued_at=now - ago,
        started_at=started,
        finished_at=started + dt.timedelta(seconds=took_s) if started and took_s else None,
        **fields,
    )


@pytest.fixture
def runs(course, alice):
    notebook = AssignmentFactory(course=course, slug="semana-2", title="Semana 2")
    return {
        "queued": _run(notebook, alice, "queued", ago=dt.timedelta(minutes=3)),
        "failed": _run(
            notebook,
            alice,
            "error",
            ago=dt.timedelta(hours=2),
            took_s=1,
            tries=5,
            error="Docker indisponível: connection refused\ntraceback...",
        ),
        "fast": _run(notebook, alice, "done", ago=dt.timedelta(hours=1), took_s=2, tries=1),
        "slow": _run(
            notebook,
            alice,
            "done",
            ago=dt.timedelta(hours=1),
            took_s=10,
            tries=2,
            grade_status="timeout",
        ),
        "old": _run(notebook, alice, "done", ago=dt.timedelta(days=3), took_s=99),
    }


def test_the_snapshot_counts_the_queue_failures_timings_and_retries(runs) -> None:
    snap = operations.snapshot(ask_workers=False)

    assert (snap.queued, snap.running, snap.waiting) == (1, 0, 0)
    assert 170 <= snap.oldest_queued_seconds <= 200
    assert dict(snap.by_status) == {"Na fila": 1, "Erro de correção": 1, "Concluída": 2}
    assert snap.failures == [("Docker indisponível: connection refused", 1)]
    assert snap.outcomes == [("tempo esgotado", 1)]
    assert snap.retries == 4 + 1  # tries beyond the first, last 24 h only
    [timing] = snap.timings
    assert (timing.assignment, timing.runs, timing.p50, timing.p95) == ("Semana 2", 2, 2.0, 10.0)
    assert sum(hour.count for hour in snap.per_hour) == 4 and len(snap.per_hour) == 24
    assert max(hour.height for hour in snap.per_hour) == 100


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert (operations.percentile(values, 50), operations.percentile(values, 95)) == (50, 95)
    assert operations.percentile([7.0], 95) == 7.0


def test_an_admin_reads_the_operations_page_and_nobody_else_does(
    client, runs, carla, bruno, alice
) -> None:
    client.force_login(carla)
    page = client.get(OPS)
    text = re.sub(r"\s+", " ", page.content.decode())

    assert page.status_code == 200
    assert "data-queued>1<" in text and "Docker indisponível: connection refused" in text
    assert "Nenhum worker respondeu" in text  # no worker runs in this test
    assert '<meta http-equiv="refresh" content="30">' in text
    for someone in (bruno, alice):  # an instructor, a student
        client.force_login(someone)
        assert client.get(OPS).status_code == 403
    client.logout()
    assert client.get(OPS).status_code == 302


def test_the_footer_status_is_a_page_for_people(client, carla) -> None:
    page = client.get(STATUS)
    text = re.sub(r"\s+", " ", page.content.decode())

    assert page.status_code == 200 and "Status do portal" in text
    assert 'Banco de dados</dt> <dd><span class="badge badge--ok">funcionando' in text
    # No worker answers here: the page says grading is unavailable, not "all fine".
    assert 'Correção automática (workers)</dt> <dd><span class="badge badge--danger">' in text
    assert f'href="{STATUS}"' in text and OPS not in text  # footer; no ops link for anyone
    client.force_login(carla)
    assert OPS in client.get(STATUS).content.decode()

"""Datadog metrics: the DogStatsD datagrams a real UDP socket receives, by name and tags."""

from __future__ import annotations

import json
import re
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from autograder.results import GradeStatus, NotebookResult
from portal.core import metrics
from portal.grading import services
from portal.grading.models import GradingRun
from tests.support.attempts import answer_bytes, post_upload

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "datadog"


class Agent:
    """A stand-in for the Datadog agent: the datagrams sent to its UDP port, parsed."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(2)
        self.port = self.sock.getsockname()[1]

    def received(self, name: str) -> list[tuple[str, str, dict[str, str]]]:
        """Every datagram read so far and until one named ``name`` arrives: (name, type, tags)."""
        seen = []
        while True:
            for line in self.sock.recv(65535).decode().splitlines():
                metric, rest = line.split(":", 1)
                fields = rest.split("|")
                tags = next((f[1:] for f in fields if f.startswith("#")), "")
                pairs = dict(tag.split(":", 1) for tag in tags.split(",") if tag)
                seen.append((metric, fields[1], pairs))
            if any(metric == name for metric, _, _ in seen):
                return seen

    def one(self, name: str) -> tuple[str, dict[str, str]]:
        sent = [(kind, tags) for metric, kind, tags in self.received(name) if metric == name]
        assert len(sent) == 1, sent
        return sent[0]


@pytest.fixture
def agent(settings):
    agent = Agent()
    settings.DD_AGENT_HOST = "127.0.0.1"
    settings.DD_DOGSTATSD_PORT = agent.port
    settings.DOGSTATSD_URL = ""
    settings.DD_ENV = "test"
    yield agent
    agent.sock.close()


def test_a_request_sends_its_latency_by_view_and_status(agent, client, db) -> None:
    client.get(reverse("healthz"))

    kind, tags = agent.one("mle.http.request.duration")
    assert kind == "h"
    assert tags["view"] == "healthz"
    assert tags["status"] == "200"
    assert tags["method"] == "GET"
    assert tags["env"] == "test"
    assert tags["service"] == "mle-portal"


def test_a_url_that_matches_no_view_is_tagged_unresolved(agent, client) -> None:
    client.get("/no-such-page-xyz/")

    _, tags = agent.one("mle.http.request.duration")
    assert (tags["view"], tags["status"]) == ("unresolved", "404")


def test_an_accepted_upload_is_counted(agent, client, alice, assignment) -> None:
    post_upload(client, alice, assignment, answer_bytes())

    kind, tags = agent.one("mle.uploads")
    assert kind == "c"
    assert tags["result"] == "accepted"
    assert tags["kind"] == "notebook"


def test_a_refused_upload_is_counted_with_its_message_id(agent, client, alice, assignment) -> None:
    response = post_upload(client, alice, assignment, b"isto nao e um notebook")

    assert response.status_code == 400
    _, tags = agent.one("mle.uploads")
    assert tags["result"] == "refused"
    assert tags["reason"] == "upload.not_json"


def test_a_finished_run_sends_its_duration_and_final_status(agent, client, alice, assignment):
    post_upload(client, alice, assignment, answer_bytes())
    run = services.grading_run_claim(run_id=GradingRun.objects.get().pk)
    result = NotebookResult(status=GradeStatus.GRADED, total=5, max_total=6, message="nota 5")

    assert services.grading_run_finish(run=run, result=result)

    received = agent.received("mle.grading.runs")
    by_name = {metric: (kind, tags) for metric, kind, tags in received}
    assert by_name["mle.grading.claimed"][1]["assignment"] == "aquecimento"
    assert by_name["mle.grading.duration"][0] == "h"
    assert by_name["mle.grading.duration"][1]["outcome"] == "graded"
    assert by_name["mle.grading.duration"][1]["assignment"] == "aquecimento"
    assert by_name["mle.grading.runs"][1]["status"] == "done"


def test_an_infrastructure_fault_counts_a_retry(agent, client, alice, assignment) -> None:
    post_upload(client, alice, assignment, answer_bytes())
    run = services.grading_run_claim(run_id=GradingRun.objects.get().pk)

    assert services.grading_run_fault(run=run, reason="docker down") == "waiting"

    _, tags = agent.one("mle.grading.retries")
    assert tags["assignment"] == "aquecimento"


def test_a_sweep_sends_its_actions_and_the_queue(agent, client, alice, assignment, settings):
    post_upload(client, alice, assignment, answer_bytes())
    later = timezone.now() + timedelta(seconds=settings.AUTOGRADER_SWEEP_AFTER_SECONDS + 1)

    assert services.grading_runs_sweep(now=later)["queued"] == 1

    received = agent.received("mle.grading.queue.oldest_age_seconds")
    by_name = {metric: (kind, tags) for metric, kind, tags in received}
    assert by_name["mle.sweeper.requeued"][0] == "c"
    assert by_name["mle.sweeper.requeued"][1]["kind"] == "queued"
    assert by_name["mle.grading.queue.depth"][0] == "g"
    assert by_name["mle.grading.queue.oldest_age_seconds"][0] == "g"
    depth = [line for line in received if line[0] == "mle.grading.queue.depth"]
    assert len(depth) == 1


def test_nothing_is_sent_without_an_agent(settings, client, db) -> None:
    settings.DD_AGENT_HOST = ""
    settings.DOGSTATSD_URL = ""

    assert metrics.agent_address() is None
    assert client.get(reverse("healthz")).status_code == 200


def test_dogstatsd_url_names_the_agent(settings) -> None:
    settings.DD_AGENT_HOST = ""
    settings.DOGSTATSD_URL = "udp://dd-agent.internal:9125"

    assert metrics.agent_address() == ("dd-agent.internal", 9125)


def test_a_broken_metrics_setting_never_breaks_a_request(settings, client, db) -> None:
    settings.DOGSTATSD_URL = "tcp://nowhere"

    assert client.get(reverse("healthz")).status_code == 200


def test_the_dashboard_and_monitors_use_only_metrics_the_portal_sends() -> None:
    referenced = set()
    for name in ("dashboard.json", "monitors.json"):
        text = json.dumps(json.loads((DEPLOY / name).read_text()))
        for name in re.findall(r"\bmle\.[a-z0-9_.]+[a-z_]", text):
            # Datadog's own series of a histogram: .count, .avg, .95percentile ...
            referenced.add(re.sub(r"\.(count|avg|median|max|95percentile)$", "", name))

    assert referenced
    assert referenced <= metrics.METRICS
    monitors = json.loads((DEPLOY / "monitors.json").read_text())
    assert len(monitors) == 4

"""Two hosts: the web on one, a grading worker on another, sharing only PostgreSQL, Redis and
an S3 bucket (moto's server). A notebook uploaded over HTTP is graded by the other host and
its feedback shown; neither host's own disk holds a file of the media storage.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests
from django.conf import settings
from django.test import Client
from django.urls import reverse

from autograder.notebooks import prepare_source
from portal.submissions.models import Submission
from tests.autograder import notebooks as nb
from tests.grading.worker import Worker, database_url, wait_for
from tests.support.graded_assignment import (  # noqa: F401 - fixtures
    assignment,
    docker_client,
    grader_image,
    media_root,
)
from tests.support.hosts import WebHost, host_env
from tests.support.s3 import s3_environment

pytestmark = [
    pytest.mark.usefixtures("s3_media"),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL")
        or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs the real PostgreSQL and Redis of `make test`",
    ),
]
REDIS_DB = int(os.environ.get("TWO_HOSTS_TEST_REDIS_DB", "12"))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def shared(transactional_db, s3_server, s3_media, grader_image) -> dict[str, str]:  # noqa: F811
    """What the hosts share: the test database, a Redis database and the bucket."""
    broker = urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{REDIS_DB}"))
    redis.Redis.from_url(broker).flushdb()
    return {
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker,
        "AUTOGRADER_IMAGE": grader_image,
        "DEBUG": "false",
        "SECURE_COOKIES": "false",  # plain HTTP between the test and gunicorn
        "MLFLOW_LOGGING_ENABLED": "false",
        **s3_environment(s3_server.url, s3_media),
    }


@pytest.fixture
def web(shared, tmp_path):
    host = WebHost(host_env(tmp_path / "web", shared), tmp_path / "web.log")
    try:
        wait_for(host.ready, timeout=60, what="the web host")
        yield host
    finally:
        host.stop()


@pytest.fixture
def grading_host(shared, tmp_path):
    worker = Worker(
        env=host_env(tmp_path / "grading-host", shared),
        log=tmp_path / "grading-host.log",
        name="grading-host",
        args=["-Q", "grading"],
    )
    try:
        yield worker
    finally:
        worker.stop()


def _signed_in(user) -> requests.Session:
    """A browser's session for ``user``: the session row is in the shared database."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set(
        settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value
    )
    return session


def test_a_notebook_uploaded_to_the_web_host_is_graded_by_another_host(
    web,
    grading_host,
    assignment,  # noqa: F811 - imported above
    grader_image,  # noqa: F811
    alice,
    s3_server,
    s3_media,
    tmp_path,
) -> None:
    browser = _signed_in(alice)
    page = f"{web.url}{reverse('classroom:assignment', args=['mle', assignment.slug])}"
    form = browser.get(page, timeout=30)
    assert form.status_code == 200, form.text[:500]
    source = nb.write(nb.source_notebook(), tmp_path / "fonte.ipynb")
    release = nb.read(
        prepare_source(
            source,
            image=os.environ.get("AUTOGRADER_IMAGE", "mle-grader:latest"),
            cache_dir=tmp_path,
        ).release_path
    )
    notebook = json.dumps(nb.correct(release)).encode()

    sent = browser.post(
        page,
        data={"csrfmiddlewaretoken": CSRF.search(form.text).group(1)},
        files={"file": ("entrega.ipynb", notebook, "application/x-ipynb+json")},
        timeout=30,
    )

    assert sent.status_code == 200 and sent.url.rstrip("/").endswith("/1"), sent.text[:500]
    submission = Submission.objects.get(student=alice)
    assert submission.file.name in s3_server.keys(s3_media, "submissions/")
    wait_for(
        lambda: (
            Submission.objects.get(pk=submission.pk).status
            in {Submission.Status.GRADED, Submission.Status.ERROR}
        ),
        timeout=180,
        what="the grading host",
    )
    run = submission.runs.get()
    assert (run.status, run.error) == ("done", "")
    assert run.total == Decimal(5) and run.scores.count() == 3
    assert "grading-host" in grading_host.output()

    attempt = browser.get(sent.url, timeout=30)
    feedback = browser.get(f"{sent.url.rstrip('/')}/feedback/", timeout=30)
    assert attempt.status_code == 200 and "teste_normaliza" in attempt.text
    assert feedback.status_code == 200 and "teste_conta_palavras" in feedback.text
    for host in ("web", "grading-host"):  # their own disks hold no media file
        assert not any((tmp_path / host / "media").rglob("*")), host

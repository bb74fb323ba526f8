from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal.celery import app
from tests.support.graded_assignment import (  # noqa: F401 - fixtures
    assignment,
    criteria,
    docker_client,
    grader_image,
    media_root,
)


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks sent after commit run right there (e-mails land in ``mail.outbox``)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def send_now(django_capture_on_commit_callbacks, eager_tasks):
    """``with send_now():`` commits' callbacks run, and the deliveries they send with them."""
    return lambda: django_capture_on_commit_callbacks(execute=True)

"""LOG_FORMAT=json: one JSON object per line, with the request, user, task and run ids."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.urls import reverse

from portal.celery import app
from portal.core.logs import JsonFormatter
from tests.core.test_settings import manage

logger = logging.getLogger("tests.core.logs")


@app.task(name="tests.core.test_logs.note_run")
def note_run(run_id: int) -> None:
    logger.info("grading run %s", run_id)


@pytest.fixture
def lines():
    """The JSON lines the root logger writes while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_request_logs_its_request_id_and_user_id_and_echoes_the_id(client, alice, course, lines):
    client.force_login(alice)
    url = reverse("classroom:week", kwargs={"course_slug": course.slug, "number": 99})
    response = client.get(url, headers={"X-Request-ID": "edge-4f2a9c"})

    assert response.status_code == 404
    assert response["X-Request-ID"] == "edge-4f2a9c"
    [line] = [line for line in lines() if line["logger"] == "django.request"]
    assert line["level"] == "WARNING"
    assert line["message"].startswith("Not Found")
    assert line["request_id"] == "edge-4f2a9c"
    assert line["user_id"] == alice.pk
    assert "time" in line


def test_a_request_without_an_id_gets_one_and_lines_after_it_have_none(client, lines):
    response = client.get("/pagina-que-nao-existe/")

    rid = response["X-Request-ID"]
    assert len(rid) == 32
    [line] = [line for line in lines() if line["logger"] == "django.request"]
    assert line["request_id"] == rid
    assert "user_id" not in line  # nobody signed in
    logger.info("after the request")
    assert "request_id" not in lines()[-1]


@pytest.mark.parametrize(
    "hostile", ["abc\r\nX-Admin: yes", 'fake\n{"level": "CRITICAL"}', "a" * 500, "a b"]
)
def test_a_hostile_request_id_is_replaced(client, db, hostile):
    # Django's test client would refuse a header with a newline: put it in the WSGI environ.
    response = client.get("/pagina-que-nao-existe/", HTTP_X_REQUEST_ID=hostile)

    rid = response["X-Request-ID"]
    assert rid != hostile
    assert len(rid) == 32 and rid.isalnum()


def test_an_exception_is_one_line_with_the_traceback_as_a_field():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    try:
        try:
            int("forty-two")
        except ValueError:
            logger.exception("not a number\nat all")
    finally:
        logger.removeHandler(handler)

    [text] = stream.getvalue().splitlines()
    line = json.loads(text)
    assert line["level"] == "ERROR"
    assert line["message"] == "not a number\nat all"
    assert line["exception"].startswith("Traceback (most recent call last)")
    assert "ValueError: invalid literal for int()" in line["exception"]


def test_a_task_logs_its_task_id_and_run_id_and_forgets_them_after(lines):
    result = note_run.apply(args=[42])

    logger.info("after the task")
    during, after = [line for line in lines() if line["logger"] == logger.name]
    assert during["message"] == "grading run 42"
    assert during["task_id"] == result.id
    assert during["run_id"] == 42
    assert "task_id" not in after and "run_id" not in after


def test_a_task_called_with_the_run_id_by_name_logs_it_too(lines):
    note_run.apply(kwargs={"run_id": 7})

    [line] = [line for line in lines() if line["logger"] == logger.name]
    assert line["run_id"] == 7


def test_log_format_json_configures_the_json_lines_in_a_real_process():
    code = "import logging; logging.getLogger('portal.x').warning('from\\nthe shell')"
    result = manage("shell", "-c", code, env={"LOG_FORMAT": "json"})

    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stderr.splitlines() if "portal.x" in text]
    assert line["logger"] == "portal.x"
    assert line["message"] == "from\nthe shell"


def test_text_stays_the_default_and_a_typo_in_log_format_fails_at_start_up():
    code = "import logging; logging.getLogger('portal.x').warning('plain')"
    plain = manage("shell", "-c", code, env={})
    typo = manage("check", env={"LOG_FORMAT": "jsn"})

    assert plain.returncode == 0, plain.stderr
    assert " WARNING portal.x plain" in plain.stderr
    assert typo.returncode != 0
    assert "LOG_FORMAT must be text or json" in typo.stderr

"""What intake bounds besides the size: notebooks nbgrader could not hold (cells, outputs,
nesting), attempts piling up for one student, and a student whose uploads keep being refused.
Each refusal is a message on the upload page, never a 500, and leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid

import nbformat
import pytest
from django.utils import timezone

from portal.grading.models import GradingRun
from portal.grading.services import attempt_submit, submission_status_refresh
from portal.submissions.messages import UploadRejected
from portal.submissions.models import Submission
from tests.support.attempts import (
    answer_bytes,
    assert_refused,
    graded,
    post_upload,
    upload,
)


def _answer() -> dict:
    return json.loads(answer_bytes())


# -- what nbgrader could not hold -------------------------------------------------------------


def test_a_notebook_of_90000_tiny_markdown_cells_is_refused_before_grading(
    client, alice, assignment, media
):
    notebook = _answer()
    tiny = {"cell_type": "markdown", "metadata": {}, "source": "x"}
    notebook["cells"] += [tiny] * 90_000
    data = json.dumps(notebook, separators=(",", ":")).encode()
    assert len(data) < 5 * 1024 * 1024  # under the size cap: the size alone lets it in

    response = post_upload(client, alice, assignment, data)

    cells = len(notebook["cells"])
    assert_refused(response, "upload.too_many_cells", f"O notebook tem {cells} células", media)
    assert "o limite é de 2000 células" in response.content.decode()


def test_cell_outputs_over_the_limit_are_refused_with_how_to_clear_them(
    client, settings, alice, assignment, media
):
    settings.AUTOGRADER_MAX_OUTPUT_BYTES = 100_000
    notebook = _answer()
    code = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    code["outputs"] = [nbformat.v4.new_output("stream", name="stdout", text="y" * 150_000)]

    response = post_upload(client, alice, assignment, json.dumps(notebook).encode())

    assert_refused(response, "upload.outputs_too_big", "Restart &amp; Clear Output", media)


def test_the_cell_limit_is_a_setting(client, settings, alice, assignment, media):
    settings.AUTOGRADER_MAX_NOTEBOOK_CELLS = len(_answer()["cells"]) - 1

    response = post_upload(client, alice, assignment, answer_bytes())

    assert_refused(response, "upload.too_many_cells", "O notebook tem", media)


@pytest.mark.parametrize("depth", [496, 5_000, 200_000])
def test_deeply_nested_json_gets_a_message_not_a_server_error(
    client, alice, assignment, media, depth
):
    notebook = _answer()
    notebook["metadata"]["aninhado"] = "PLACEHOLDER"
    text = json.dumps(notebook).replace('"PLACEHOLDER"', "[" * depth + "]" * depth)

    response = post_upload(client, alice, assignment, text.encode())

    assert_refused(response, "upload.too_deep", "aninhadas demais", media)


def test_a_notebook_within_every_bound_is_accepted(alice, assignment, media):
    notebook = _answer()
    notebook["cells"] += [nbformat.v4.new_markdown_cell("nota") for _ in range(500)]

    submission = attempt_submit(
        assignment=assignment, student=alice, upload=upload(json.dumps(notebook).encode())
    )

    assert submission.attempt == 1


# -- pending attempts per student and assignment -------------------------------------------------


def _move(submission: Submission, status: str) -> None:
    GradingRun.objects.filter(submission=submission).update(status=status)
    submission_status_refresh(submission.pk)


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (GradingRun.Status.QUEUED, "Na fila"),
        (GradingRun.Status.RUNNING, "Corrigindo"),
        (GradingRun.Status.WAITING, "Aguardando corretor"),
    ],
)
def test_a_new_attempt_while_the_last_one_is_pending_is_refused_naming_it(
    client, alice, assignment, media, status, label
):
    first = attempt_submit(assignment=assignment, student=alice, upload=upload())
    _move(first, status)

    response = post_upload(client, alice, assignment, answer_bytes())

    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-message-id="upload.pending"' in page
    assert f"Sua tentativa 1 ainda não terminou de ser corrigida ({label})" in page
    assert Submission.objects.count() == 1


def test_once_the_pending_attempt_is_graded_or_failed_the_next_is_accepted(
    alice, assignment, media
):
    first = attempt_submit(assignment=assignment, student=alice, upload=upload())
    graded(first)
    second = attempt_submit(assignment=assignment, student=alice, upload=upload())
    _move(second, GradingRun.Status.ERROR)

    third = attempt_submit(assignment=assignment, student=alice, upload=upload())

    assert third.attempt == 3


def test_another_students_pending_attempt_does_not_block_alice(alice, dora, assignment, media):
    attempt_submit(assignment=assignment, student=dora, upload=upload())

    assert attempt_submit(assignment=assignment, student=alice, upload=upload()).attempt == 1


def test_the_pending_cap_is_a_setting(settings, alice, assignment, media):
    settings.SUBMISSIONS_MAX_PENDING = 2
    attempt_submit(assignment=assignment, student=alice, upload=upload())
    attempt_submit(assignment=assignment, student=alice, upload=upload())

    with pytest.raises(UploadRejected) as info:
        attempt_submit(assignment=assignment, student=alice, upload=upload())

    assert info.value.message_id == "upload.pending"


# -- refused attempts, throttled --------------------------------------------------------------


@pytest.fixture
def redis_cache(settings):
    """The Django cache on the real Redis, under a key prefix of this test's own."""
    url = os.environ.get("REDIS_URL")
    if url:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            }
        }
    settings.SUBMISSIONS_REJECTED_MAX = 3
    settings.SUBMISSIONS_REJECTED_WINDOW_SECONDS = 600


def test_after_too_many_refused_uploads_the_student_is_told_to_wait_without_a_check(
    redis_cache, alice, dora, assignment, media
):
    start = timezone.now()
    for seconds in range(3):
        with pytest.raises(UploadRejected) as info:
            attempt_submit(
                assignment=assignment,
                student=alice,
                upload=upload(b"nao e json"),
                now=start + dt.timedelta(seconds=seconds),
            )
        assert info.value.message_id == "upload.not_json"

    good = upload()
    with pytest.raises(UploadRejected) as info:
        attempt_submit(
            assignment=assignment, student=alice, upload=good, now=start + dt.timedelta(seconds=5)
        )

    assert info.value.message_id == "upload.throttled"
    assert "3 tentativas recusadas" in str(info.value)
    assert "Aguarde" in str(info.value)
    assert good.file.tell() == 0  # refused before the file was even read
    assert Submission.objects.count() == 0
    # dora is not held back by alice's refusals
    assert attempt_submit(assignment=assignment, student=dora, upload=upload()).attempt == 1
    later = start + dt.timedelta(seconds=601)
    assert attempt_submit(assignment=assignment, student=alice, upload=upload(), now=later)


def test_the_throttle_page_is_a_message_on_the_upload_page(
    client, redis_cache, alice, assignment, media
):
    for _ in range(3):
        post_upload(client, alice, assignment, b"x", "resposta.py")

    response = post_upload(client, alice, assignment, answer_bytes())

    assert_refused(response, "upload.throttled", "Aguarde", media)

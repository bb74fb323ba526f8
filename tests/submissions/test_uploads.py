"""Uploading a notebook: every bad upload is refused with its message and leaves nothing
behind; a good one is stored unmodified and queued for grading."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import nbformat
import pytest
from django.urls import reverse
from django.utils import timezone

from portal.grading.models import GradingRun
from portal.grading.services import attempt_submit
from portal.submissions import validation
from portal.submissions.messages import UploadRejected
from portal.submissions.models import Submission
from tests.support.attempts import (
    answer_bytes,
    assert_refused,
    graded,
    post_upload,
    stored_files,
    upload,
)


def _nb(**changes) -> bytes:
    notebook = json.loads(answer_bytes())
    notebook.update(changes)
    return json.dumps(notebook).encode()


def _without_cell(grade_id: str) -> bytes:
    notebook = json.loads(answer_bytes())
    notebook["cells"] = [
        c
        for c in notebook["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") != grade_id
    ]
    return json.dumps(notebook).encode()


QUERIES_PER_UPLOAD = 12  # was 20 before the first run was made directly

BAD_UPLOADS = {
    "wrong extension": ("resposta.py", answer_bytes(), "upload.extension", "extensão .ipynb"),
    "empty file": ("vazio.ipynb", b"", "upload.empty", "está vazio"),
    "not UTF-8": (
        "latin1.ipynb",
        '{"nbformat": 4, "x": "ação"}'.encode("latin-1"),
        "upload.not_json",
        "não é um JSON em UTF-8",
    ),
    "not JSON": ("texto.ipynb", b"isto nao e json", "upload.not_json", "não é um JSON em UTF-8"),
    "nbformat 3": ("antigo.ipynb", _nb(nbformat=3), "upload.not_nbformat4", "nbformat 4"),
    "schema-invalid nbformat 4": (
        "quebrado.ipynb",
        _nb(cells="nada"),
        "upload.not_nbformat4",
        "nbformat 4",
    ),
    "a grade cell deleted": (
        "sem-teste.ipynb",
        _without_cell("teste_conta_palavras"),
        "upload.missing_cells",
        "teste_conta_palavras",
    ),
}


@pytest.mark.parametrize("case", BAD_UPLOADS.values(), ids=BAD_UPLOADS.keys())
def test_each_bad_upload_gets_its_message_and_stores_nothing(
    client, alice, assignment, media, case
):
    name, data, message_id, text = case

    response = post_upload(client, alice, assignment, data, name)

    assert_refused(response, message_id, text, media)


def test_an_upload_over_the_size_cap_is_refused_without_reading_it_all(alice, assignment, media):
    assignment.max_upload_bytes = 1000
    assignment.save(update_fields=["max_upload_bytes"])
    big = upload(b"{" + b" " * 50_000 + b"}")

    with pytest.raises(UploadRejected) as info:
        attempt_submit(assignment=assignment, student=alice, upload=big)

    assert info.value.message_id == "upload.too_big"
    assert "limite de 1 KB desta entrega" in str(info.value)
    assert big.file.tell() == 1001  # cap + 1 bytes read, not the whole file
    assert Submission.objects.count() == 0
    assert stored_files(media) == []


def test_the_site_wide_size_cap_applies_when_the_assignment_has_none(
    settings, alice, assignment, media
):
    settings.AUTOGRADER_MAX_UPLOAD_BYTES = 100

    with pytest.raises(UploadRejected) as info:
        attempt_submit(assignment=assignment, student=alice, upload=upload())

    assert info.value.message_id == "upload.too_big"
    assert stored_files(media) == []


def test_a_good_upload_creates_attempt_1_then_2_each_with_a_queued_run(alice, assignment, media):
    data = answer_bytes()

    def assert_stored_and_queued(submission: Submission) -> None:
        submission.refresh_from_db()
        assert submission.status == Submission.Status.QUEUED
        assert submission.sha256 == hashlib.sha256(data).hexdigest()
        assert submission.size_bytes == len(data)
        assert submission.original_name == "aquecimento.ipynb"
        assert submission.file.name == (
            f"submissions/{submission.sha256[:2]}/{submission.sha256}.ipynb"
        )
        with submission.file.open("rb") as handle:
            assert handle.read() == data  # unmodified
        runs = list(submission.runs.all())
        assert [(r.number, r.status, r.requested_by) for r in runs] == [
            (1, GradingRun.Status.QUEUED, alice)
        ]

    first = attempt_submit(assignment=assignment, student=alice, upload=upload(data))
    assert_stored_and_queued(first)
    graded(first)  # else the second is refused: the first would still be pending
    second = attempt_submit(assignment=assignment, student=alice, upload=upload(data))
    assert_stored_and_queued(second)

    assert [first.attempt, second.attempt] == [1, 2]
    # content-addressed: the same bytes are stored once
    assert len(stored_files(media)) == 1


def test_the_grading_task_is_sent_only_once_the_upload_is_committed(
    alice, assignment, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attempt_submit(assignment=assignment, student=alice, upload=upload())

    assert len(callbacks) == 1


def test_the_upload_page_redirects_to_the_new_attempt(client, alice, assignment, media):
    client.force_login(alice)
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])

    response = client.post(url, {"file": upload()}, follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "classroom:submission", args=[assignment.course.slug, assignment.slug, 1]
    )
    assert "Tentativa 1 recebida" in response.content.decode()
    assert "Na fila" in response.content.decode()


@pytest.mark.parametrize(("minutes_after_due", "late"), [(-5, False), (10, False), (20, True)])
def test_an_upload_is_late_only_after_the_due_date_plus_the_grace_period(
    alice, assignment, media, minutes_after_due, late
):
    assignment.late_grace_minutes = 15
    assignment.save(update_fields=["late_grace_minutes"])
    now = assignment.due_at + dt.timedelta(minutes=minutes_after_due)

    submission = attempt_submit(assignment=assignment, student=alice, upload=upload(), now=now)

    assert submission.is_late is late


def test_nothing_is_accepted_after_the_hard_deadline(client, alice, assignment, media):
    assignment.due_at = timezone.now() - dt.timedelta(days=2)
    assignment.hard_deadline_at = timezone.now() - dt.timedelta(minutes=1)
    assignment.save(update_fields=["due_at", "hard_deadline_at"])
    client.force_login(alice)
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])

    response = client.post(url, {"file": upload()})

    assert response.status_code == 400
    assert "O prazo final desta entrega terminou" in response.content.decode()
    assert Submission.objects.count() == 0
    assert stored_files(media) == []


def test_a_late_upload_before_the_hard_deadline_is_accepted_and_flagged(alice, assignment, media):
    assignment.due_at = timezone.now() - dt.timedelta(days=1)
    assignment.hard_deadline_at = timezone.now() + dt.timedelta(days=1)
    assignment.save(update_fields=["due_at", "hard_deadline_at"])

    submission = attempt_submit(assignment=assignment, student=alice, upload=upload())

    assert submission.is_late


def test_a_second_upload_too_soon_says_how_long_to_wait(alice, assignment, media):
    assignment.min_seconds_between_attempts = 600
    assignment.save(update_fields=["min_seconds_between_attempts"])
    start = timezone.now()
    graded(attempt_submit(assignment=assignment, student=alice, upload=upload(), now=start))

    with pytest.raises(UploadRejected) as info:
        attempt_submit(
            assignment=assignment,
            student=alice,
            upload=upload(),
            now=start + dt.timedelta(seconds=30),
        )

    assert info.value.message_id == "upload.rate_limited"
    assert "Aguarde 10 minutos" in str(info.value)
    assert Submission.objects.count() == 1

    later = attempt_submit(
        assignment=assignment, student=alice, upload=upload(), now=start + dt.timedelta(seconds=601)
    )
    assert later.attempt == 2


def test_only_students_of_the_course_may_upload(client, bruno, charlie, carla, assignment, media):
    for user in (bruno, charlie, carla):
        with pytest.raises(UploadRejected) as info:
            attempt_submit(assignment=assignment, student=user, upload=upload())
        assert info.value.message_id == "upload.not_student"
    client.force_login(bruno)
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])
    response = client.post(url, {"file": upload()})
    assert response.status_code == 400
    assert "Só alunos matriculados" in response.content.decode()
    assert Submission.objects.count() == 0
    assert stored_files(media) == []


def test_the_upload_form_is_accessible_and_accepts_only_notebooks(client, alice, assignment):
    client.force_login(alice)
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])

    page = client.get(url).content.decode()

    assert 'enctype="multipart/form-data"' in page
    assert 'accept=".ipynb,application/x-ipynb+json"' in page
    assert '<label for="id_file">' in page
    assert 'aria-describedby="id_file_helptext"' in page
    assert 'id="id_file_helptext"' in page


def test_the_refusal_is_translated_for_someone_who_chose_english(
    client, settings, alice, assignment, media
):
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])

    response = client.post(url, {"file": upload(b"x", "resposta.py")})

    assert (
        "The file must be a Jupyter notebook with the .ipynb extension" in response.content.decode()
    )


def test_a_notebook_is_validated_once_from_the_json_already_parsed(
    alice, assignment, media, monkeypatch
):
    data, validated = answer_bytes(), []
    sent = upload(data)
    real_validate = nbformat.validate

    def counted(notebook, *args, **kwargs):
        validated.append(type(notebook))
        return real_validate(notebook, *args, **kwargs)

    def reads(*args, **kwargs):
        raise AssertionError("the upload was parsed a second time")

    monkeypatch.setattr(validation.nbformat, "validate", counted)
    monkeypatch.setattr(validation.nbformat, "reads", reads)

    submission = attempt_submit(assignment=assignment, student=alice, upload=sent)

    assert validated == [dict]
    monkeypatch.undo()
    with submission.file.open("rb") as handle:
        assert handle.read() == data  # stored as sent, whatever validation read


def test_an_upload_costs_a_fixed_number_of_queries(
    client, alice, assignment, media, django_assert_num_queries
):
    """Session, user, the assignment's page checks, then one transaction: the enrolment
    locked, the student's last attempt, the attempt and its first run (no savepoints)."""
    client.force_login(alice)
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])
    graded(attempt_submit(assignment=assignment, student=alice, upload=upload()))

    with django_assert_num_queries(QUERIES_PER_UPLOAD):
        response = client.post(url, {"file": upload()})

    assert response.status_code == 302
    assert Submission.objects.filter(student=alice).count() == 2

"""A worker grades from copies it makes through the storage API (portal/grading/inputs.py).

Against a real S3 endpoint (moto's server) and the real database: nothing reads a local path
of the media storage, the course's files are fetched once per host, and a file the worker
cannot read is an infrastructure fault, never a grade.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from autograder.errors import InputUnavailable
from portal.assessments.models import AssignmentFile
from portal.grading import services, tasks
from portal.grading.inputs import local_inputs
from portal.grading.models import GradingRun
from portal.submissions import throttle
from portal.submissions.models import Submission
from tests.autograder import notebooks as nb
from tests.support.graded_assignment import stored_submission
from tests.support.s3 import s3_storage_setting

pytestmark = pytest.mark.usefixtures("s3_media")

DATA = b"x,y\n1,2\n"


def _stored(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


@pytest.fixture(autouse=True)
def _inputs_cache(settings, tmp_path):
    settings.GRADING_INPUTS_CACHE_DIR = tmp_path / "inputs-cache"


@pytest.fixture
def data_file(assignment) -> AssignmentFile:
    name = default_storage.save("assignments/files/dados.csv", ContentFile(DATA))
    return AssignmentFile.objects.create(
        assignment=assignment,
        role=AssignmentFile.Role.DATA,
        name="dados.csv",
        file=name,
        sha256=hashlib.sha256(DATA).hexdigest(),
        size_bytes=len(DATA),
    )


@pytest.fixture
def submission(assignment, alice) -> Submission:
    return stored_submission(assignment, alice, nb.source_notebook())


def test_the_worker_grades_copies_of_the_objects_and_nothing_is_on_the_local_disk(
    s3_server, s3_media, submission, data_file, media_root
) -> None:
    keys = s3_server.keys(s3_media)
    assert submission.file.name in keys and data_file.file.name in keys
    with local_inputs(submission) as inputs:
        assert inputs.submission.read_bytes() == _stored(submission.file)
        assert inputs.source.read_bytes() == _stored(submission.assignment.source_notebook)
        assert [(p.name, p.read_bytes()) for p in inputs.data_files] == [("dados.csv", DATA)]
        folder = inputs.submission.parent
    assert not folder.exists()  # the attempt's copies go with it
    assert not any(media_root.rglob("*"))  # the media storage is the bucket, not a folder


def test_the_course_files_are_fetched_once_per_host(
    s3_server, s3_media, submission, data_file, assignment, alice
) -> None:
    with local_inputs(submission):
        pass
    client = s3_server.client()
    for key in (assignment.source_notebook.name, data_file.file.name):
        client.delete_object(Bucket=s3_media, Key=key)  # from now on only the cache has them
    second = stored_submission(assignment, alice, nb.source_notebook(), attempt=99)
    with local_inputs(second) as inputs:
        assert inputs.data_files[0].read_bytes() == DATA


def test_a_missing_object_is_an_infrastructure_fault_and_never_a_grade(
    s3_server, s3_media, submission, settings
) -> None:
    s3_server.client().delete_object(Bucket=s3_media, Key=submission.file.name)
    run = services.grading_run_enqueue(submission=submission, requested_by=None)
    claimed = services.grading_run_claim(run_id=run.pk)
    with pytest.raises(InputUnavailable, match=submission.file.name):
        services.grading_run_autograde(run=claimed)

    settings.AUTOGRADER_MAX_TRIES = 2  # the claim above was the first: one more, the last
    GradingRun.objects.filter(pk=run.pk).update(status=GradingRun.Status.QUEUED)
    tasks.grade_run.apply(args=(run.pk,))
    run.refresh_from_db()
    assert (run.status, run.total, run.grade_status) == (GradingRun.Status.ERROR, None, "")
    assert "could not read" in run.error
    assert not run.scores.exists()


def test_bytes_that_are_not_the_recorded_ones_are_refused(s3_server, s3_media, submission) -> None:
    s3_server.client().put_object(Bucket=s3_media, Key=submission.file.name, Body=b"{}")
    with pytest.raises(InputUnavailable, match="not the recorded file"), local_inputs(submission):
        pass


def test_a_storage_that_does_not_answer_makes_the_run_wait(
    submission, settings, monkeypatch, s3_media
) -> None:
    run = services.grading_run_enqueue(submission=submission, requested_by=None)
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_setting(closed, s3_media, monkeypatch),
    }
    claimed = services.grading_run_claim(run_id=run.pk)
    with pytest.raises(InputUnavailable, match="could not read"):
        services.grading_run_autograde(run=claimed)
    services.grading_run_wait(run=claimed, reason="storage")
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.WAITING


def test_an_upload_while_the_storage_is_down_says_so_and_records_nothing(
    client, alice, assignment, settings, monkeypatch, s3_media
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_setting("http://127.0.0.1:9", s3_media, monkeypatch),
    }
    client.force_login(alice)
    url = reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug])
    upload = ContentFile(json.dumps(nb.source_notebook()).encode(), name="entrega.ipynb")

    response = client.post(url, {"file": upload})

    assert response.status_code == 503
    assert "o armazenamento do portal não respondeu" in response.content.decode()
    assert not Submission.objects.exists()
    assert response.context["upload_error"].message_id == "upload.storage_unavailable"
    # The outage is not counted against her: the next upload is not throttled for it.
    assert not throttle._recent(alice.pk, timezone.now(), 3600)

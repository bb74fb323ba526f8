"""MEDIA_STORAGE and the one way files leave the storage (portal/core/storage.py)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile

from portal.core.storage import S3_BACKEND, StorageReadError, copy_to, media_storage
from portal.submissions.models import Submission


def test_the_laptop_default_is_the_local_folder() -> None:
    assert media_storage("filesystem")["BACKEND"].endswith("FileSystemStorage")


@pytest.mark.parametrize(
    ("kind", "env", "error"),
    [
        ("disk", {}, "MEDIA_STORAGE must be 'filesystem' or 's3', got 'disk'"),
        ("s3", {}, "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
    ],
)
def test_a_storage_configuration_that_cannot_work_stops_the_start(
    kind, env, error, monkeypatch
) -> None:
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)
    with pytest.raises(ImproperlyConfigured, match=error):
        media_storage(kind)


def test_s3_reads_django_storages_variables_and_keys_from_files(monkeypatch, tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "mle-media")
    monkeypatch.setenv("AWS_S3_REGION_NAME", "sa-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY_FILE", str(secret))
    monkeypatch.delenv("AWS_S3_ENDPOINT_URL", raising=False)

    config = media_storage("s3")

    options = config["OPTIONS"]
    assert config["BACKEND"] == S3_BACKEND
    assert (options["bucket_name"], options["region_name"]) == ("mle-media", "sa-east-1")
    assert (options["access_key"], options["secret_key"]) == ("AKIAEXAMPLE", "s3cr3t")
    assert "endpoint_url" not in options  # AWS itself
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False


def _field(name: str) -> FieldFile:
    return Submission(file=name).file


def test_a_copy_is_whole_and_checked_against_its_recorded_digest(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    name = default_storage.save("submissions/x.ipynb", ContentFile(b"{}"))
    good = hashlib.sha256(b"{}").hexdigest()

    assert copy_to(_field(name), tmp_path / "a", sha256=good).read_bytes() == b"{}"

    with pytest.raises(StorageReadError, match="not the recorded file"):
        copy_to(_field(name), tmp_path / "b", sha256="0" * 64)
    with pytest.raises(StorageReadError, match=r"could not read submissions/gone\.ipynb"):
        copy_to(_field("submissions/gone.ipynb"), tmp_path / "c")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "media") == ["a"]

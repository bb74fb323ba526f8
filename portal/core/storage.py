"""The media storage: where uploads, course files and grading inputs live.

``MEDIA_STORAGE=filesystem`` (the default) keeps them under ``MEDIA_ROOT`` on one machine;
``MEDIA_STORAGE=s3`` keeps them in a private S3 bucket (django-storages) that the web and the
workers of several hosts share, configured by django-storages' usual variables. The keys may
come from files (``AWS_ACCESS_KEY_ID_FILE``); without keys boto3 finds the host's or task's
role. Objects are private: users read them only through the portal's views, which check who
may read what, so the storage never hands out a public URL.

Code never reads ``FieldFile.path`` (an S3 object has none): it opens files through the
storage API, and a worker copies what it grades into a folder of its own
(``portal/grading/inputs.py``). :data:`STORAGE_ERRORS` is what a read can raise when the
storage, not the caller, failed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ImproperlyConfigured

from portal.core.env import envint, envsecret, envstr

__all__ = ["STORAGE_ERRORS", "StorageReadError", "copy_to", "link_or_copy", "media_storage"]

FILESYSTEM = "filesystem"
S3 = "s3"
S3_BACKEND = "storages.backends.s3.S3Storage"
# A signed URL is never handed to users today; if one is, it lives this long.
SIGNED_URL_SECONDS = 300

# A missing object, a refused or unreachable endpoint, a full or unreadable disk.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (OSError, BotoCoreError, ClientError)


class StorageReadError(Exception):
    """A stored file could not be copied out whole; ``str()`` says which and why."""


def media_storage(kind: str) -> dict[str, Any]:
    """The ``STORAGES["default"]`` entry for ``MEDIA_STORAGE=kind``."""
    if kind == FILESYSTEM:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != S3:
        raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'filesystem' or 's3', got {kind!r}")
    bucket = envstr("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "default_acl": None,  # the bucket's own: private, with public access blocked
        "querystring_auth": True,
        "querystring_expire": envint("AWS_QUERYSTRING_EXPIRE", SIGNED_URL_SECONDS),
        "file_overwrite": False,
        "signature_version": "s3v4",
        # A storage that does not answer is an infrastructure fault within seconds, not a
        # request or a grading that hangs: uploads say so, gradings wait and are retried.
        "client_config": Config(
            connect_timeout=envint("AWS_S3_CONNECT_TIMEOUT", 5),
            read_timeout=envint("AWS_S3_READ_TIMEOUT", 30),
            retries={"max_attempts": envint("AWS_S3_MAX_ATTEMPTS", 3), "mode": "standard"},
        ),
    }
    optional = {
        "endpoint_url": envstr("AWS_S3_ENDPOINT_URL"),  # MinIO, moto, another S3 service
        "region_name": envstr("AWS_S3_REGION_NAME"),
        "addressing_style": envstr("AWS_S3_ADDRESSING_STYLE"),  # "path" for most non-AWS
        "access_key": envsecret("AWS_ACCESS_KEY_ID"),
        "secret_key": envsecret("AWS_SECRET_ACCESS_KEY"),
        "location": envstr("AWS_LOCATION"),  # a prefix inside a shared bucket
    }
    options.update({key: value for key, value in optional.items() if value})
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def copy_to(field: Any, destination: Path, *, sha256: str = "") -> Path:
    """Copy the stored file of ``field`` (a FieldFile) to ``destination``, whole or not at all.

    The bytes go to a neighbour first and are renamed into place, so a reader of
    ``destination`` never sees half a file. With ``sha256`` the copy must match it. Raises
    :class:`StorageReadError` when the object is missing, the storage cannot be reached or the
    bytes are not the recorded ones.
    """
    partial = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.partial")
    digest = hashlib.sha256()
    try:
        with field.storage.open(field.name, "rb") as source, partial.open("wb") as out:
            while chunk := source.read(1024 * 1024):
                digest.update(chunk)
                out.write(chunk)
    except STORAGE_ERRORS as exc:
        partial.unlink(missing_ok=True)
        raise StorageReadError(f"could not read {field.name} from storage: {exc}") from exc
    if sha256 and digest.hexdigest() != sha256:
        partial.unlink(missing_ok=True)
        raise StorageReadError(
            f"{field.name} in storage is not the recorded file "
            f"(sha256 {digest.hexdigest()[:12]}, expected {sha256[:12]})"
        )
    os.replace(partial, destination)
    return destination


def link_or_copy(source: Path, destination: Path) -> Path:
    """``destination`` with the bytes of ``source``: a hard link when both share a disk."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)
    return destination

"""An S3 endpoint on this machine: moto's server mode speaks the S3 HTTP protocol.

:class:`S3Server` runs ``python -m moto.server`` in a process of its own, so the test
process, a web process and worker processes all reach the same buckets over HTTP, as hosts
share a bucket in production. :func:`s3_environment` is the environment that points the
portal at a bucket there (``MEDIA_STORAGE=s3``), for a subprocess or for ``settings``.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from portal.core.storage import S3, media_storage
from tests.autograder.git_server import free_port

REGION = "us-east-1"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class S3Server:
    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"moto server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                return True
        except OSError:
            return False

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        )

    def bucket(self) -> str:
        """A new empty bucket."""
        name = f"mle-media-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        listing = self.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for item in listing.get("Contents", [])]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def s3_environment(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "MEDIA_STORAGE": S3,
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_S3_ADDRESSING_STYLE": "path",
        # A storage that does not answer must show up within a test's patience.
        "AWS_S3_CONNECT_TIMEOUT": "2",
        "AWS_S3_MAX_ATTEMPTS": "1",
        **KEYS,
    }


def s3_storage_setting(endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """``STORAGES["default"]`` for the bucket, read from the same variables as production."""
    for name, value in s3_environment(endpoint, bucket).items():
        monkeypatch.setenv(name, value)
    return media_storage(S3)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    server = S3Server(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def s3_media(s3_server, settings, monkeypatch) -> Iterator[str]:
    """The test process's media storage is a new bucket of the S3 server; yields its name."""
    bucket = s3_server.bucket()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_setting(s3_server.url, bucket, monkeypatch),
    }
    yield bucket

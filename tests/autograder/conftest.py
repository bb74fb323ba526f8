"""Fixtures for tests that run real containers (mark them ``@pytest.mark.docker``).

- ``docker_client``: a client of the local Docker daemon. When Docker is unreachable the test
  is skipped on a laptop but *fails* under CI (the ``CI`` environment variable is set): CI
  must run the sandbox tests, not silently skip them.
- ``grader_image``: the grading image's name, from ``AUTOGRADER_IMAGE`` (default
  ``mle-grader:latest``), checked to exist with the same skip-or-fail rule.
- ``sandbox_name``: a fresh run name per test; any container left with that name is removed
  afterwards, so a failing test does not leave containers behind.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import docker
import docker.errors
import pytest
import requests

from autograder.sandbox import RUN_LABEL
from tests.autograder.git_server import git_server  # noqa: F401 - a local git HTTP server

DEFAULT_IMAGE = "mle-grader:latest"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: container tests must run here)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env()
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        _unavailable(f"Docker is unreachable: {exc}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def grader_image(docker_client: docker.DockerClient) -> str:
    image = os.environ.get("AUTOGRADER_IMAGE", DEFAULT_IMAGE)
    try:
        docker_client.images.get(image)
    except docker.errors.ImageNotFound:
        _unavailable(f"image {image} is missing: build it with `make sandbox-image`")
    return image


def containers_named(client: docker.DockerClient, name: str) -> list:
    """Every container of the run ``name`` (by label), running or not."""
    return client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={name}"})


@pytest.fixture
def sandbox_name(docker_client: docker.DockerClient) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    leftovers = containers_named(docker_client, name)
    # Also a container a test made by hand with this name but without our labels.
    with contextlib.suppress(docker.errors.NotFound):
        leftovers.append(docker_client.containers.get(name))
    for container in leftovers:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)

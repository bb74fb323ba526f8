"""The container fixtures of the autograder tests (skip on a laptop without Docker, fail
under CI)."""

from tests.autograder.conftest import docker_client, grader_image  # noqa: F401

from collections.abc import Iterator

import pytest

from tests.autograder.git_server import GitServer, running_git_server
from tests.support.graded_assignment import (  # noqa: F401 - fixtures
    assignment,
    criteria,
    docker_client,
    grader_image,
    media_root,
)


@pytest.fixture(scope="module")
def served() -> Iterator[GitServer]:
    """A git server on localhost for the module's final-project repositories."""
    with running_git_server() as server:
        yield server

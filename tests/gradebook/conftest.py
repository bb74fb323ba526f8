import pytest
from django.core.files.storage import default_storage

from portal.gradebook import pending
from tests.gradebook.sheets import graded
from tests.support.graded_assignment import (  # noqa: F401 - fixtures
    assignment,
    criteria,
    docker_client,
    grader_image,
    media_root,
)


@pytest.fixture(autouse=True)
def _private_media(media_root):  # noqa: F811 - imported above
    """Imports waiting for confirmation are kept in the media storage: a folder per test."""


def waiting_imports() -> list[str]:
    """The names of the imports the media storage keeps for a confirmation."""
    if not default_storage.exists(pending.FOLDER):
        return []
    return default_storage.listdir(pending.FOLDER)[1]


@pytest.fixture
def alice_run(assignment, alice):  # noqa: F811 - the fixture above
    return graded(assignment, alice)


@pytest.fixture
def instructor(client, bruno):
    client.force_login(bruno)
    return client

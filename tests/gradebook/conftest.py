import pytest

from tests.gradebook.sheets import graded
from tests.support.graded_assignment import (  # noqa: F401 - fixtures
    assignment,
    criteria,
    docker_client,
    grader_image,
    media_root,
)


@pytest.fixture(autouse=True)
def _pending_dir(settings, tmp_path):
    settings.SPREADSHEET_IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def alice_run(assignment, alice):  # noqa: F811 - the fixture above
    return graded(assignment, alice)


@pytest.fixture
def instructor(client, bruno):
    client.force_login(bruno)
    return client

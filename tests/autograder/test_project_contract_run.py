"""projeto.yaml in a real container: the model the API needs is trained by the project's own
``train`` command (no network, as the student) before the tests and the API, which run by its
``test`` and ``serve`` commands; a failing training is named in the justification.

The fixtures are in ``projects_contract.py``; the rubric is the course's, reduced to the two
criteria that run the project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.projects import grade_repo
from autograder.results import GradeStatus, Limits
from autograder.rubric import load_rubric
from tests.autograder import projects_contract
from tests.autograder.projects import serve

ROOT = Path(__file__).resolve().parents[2]
RUNNING = [
    c
    for c in load_rubric(ROOT / "course_content" / "final_project" / "rubric.yaml")
    if c.key in ("testes", "serving")
]
LIMITS = Limits(memory_mb=1024, cpus=1.0, wall_seconds=300)

pytestmark = pytest.mark.docker


def _grade(git_server, grader_image, name, builder):
    url, _ = serve(git_server, name, builder)
    result = grade_repo(
        url, rubric=RUNNING, image=grader_image, limits=LIMITS, allowed=(git_server.base_url,)
    )
    assert result.status is GradeStatus.GRADED, result.message
    return {c.key: c for c in result.criteria}


def test_a_model_trained_by_the_contract_serves_and_passes_its_tests(git_server, grader_image):
    graded = _grade(
        git_server, grader_image, "caio/contrato", projects_contract.trained_by_contract
    )

    serving, tests = graded["serving"], graded["testes"]
    assert serving.points == 15, serving.justification
    assert f"o treino (`{projects_contract.TRAIN_COMMAND}`, do projeto.yaml) rodou" in (
        serving.justification
    )
    assert projects_contract.MODEL_FILE in serving.justification
    assert f"comando `serve` do projeto.yaml: `{projects_contract.SERVE_COMMAND}`" in (
        serving.justification
    )
    assert tests.points == 5, tests.justification
    assert f"{projects_contract.CONTRACT_TESTS} passaram" in tests.justification
    assert f"comando `test` do projeto.yaml: `{projects_contract.TEST_COMMAND}`" in (
        tests.justification
    )


def test_a_failing_training_is_named_and_the_api_that_needs_it_gets_nothing(
    git_server, grader_image
):
    graded = _grade(git_server, grader_image, "caio/treino-falha", projects_contract.train_fails)

    serving, tests = graded["serving"], graded["testes"]
    assert serving.points == 0
    assert projects_contract.TRAIN_ERROR in serving.justification
    assert "a API provavelmente precisa do modelo" in serving.justification
    assert tests.points == 2.5  # the tests that need no model still pass
    assert "tests/test_api.py" in tests.justification

"""A final project graded end to end: a repository served by a real git server on localhost,
cloned at its commit, run in the grading container, filled in by every check of the real
rubric. Justifications and timings go to ``test-artifacts/project-grading.json`` (for the
README and the closing note); nothing here asserts a duration."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.projects import grade_repo
from autograder.results import GradeStatus, Limits, ProjectResult
from autograder.rubric import load_rubric
from tests.autograder import projects
from tests.autograder.git_server import GitServer, ZeroFile, make_repo
from tests.autograder.projects import serve

ROOT = Path(__file__).resolve().parents[2]
RUBRIC_PATH = ROOT / "course_content" / "final_project" / "rubric.yaml"
RUBRIC = load_rubric(RUBRIC_PATH)
LIMITS = Limits(memory_mb=2048, cpus=1.0, wall_seconds=600)
ARTIFACT = ROOT / "test-artifacts" / "project-grading.json"

pytestmark = pytest.mark.docker


def _grade(server: GitServer, name: str, builder, grader_image: str) -> tuple[ProjectResult, float]:
    url, _sha = serve(server, name, builder)
    began = time.monotonic()
    result = grade_repo(
        url, rubric=RUBRIC, image=grader_image, limits=LIMITS, allowed=(server.base_url,)
    )
    return result, time.monotonic() - began


def _record(name: str, result: ProjectResult, seconds: float) -> None:
    data = json.loads(ARTIFACT.read_text()) if ARTIFACT.exists() else {}
    data[name] = {
        "total": result.total,
        "max_total": result.max_total,
        "seconds": round(seconds, 1),
        "timings": result.timings,
        "criteria": {c.key: [c.points, c.max_points, c.justification] for c in result.criteria},
    }
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(data, indent=1, ensure_ascii=False))


def _explain(result: ProjectResult) -> str:
    lines = [f"{result.status} {result.total}/{result.max_total}: {result.message}"]
    lines += [f"  {c.key}: {c.points}/{c.max_points} {c.justification}" for c in result.criteria]
    return "\n".join([*lines, result.logs_excerpt[-2000:]])


def test_a_strong_project_gets_the_automatic_points_with_evidence(git_server, grader_image):
    result, seconds = _grade(git_server, "ana/churn", projects.strong, grader_image)
    _record("strong", result, seconds)
    assert result.status is GradeStatus.GRADED, _explain(result)
    by_key = {c.key: c for c in result.criteria}
    assert by_key["dados-features"].points is None  # the instructors grade it
    for criterion in result.criteria:
        if criterion.points is not None:
            assert criterion.points == criterion.max_points, _explain(result)
            assert criterion.justification, criterion.key
            # a clean lint has nothing to point at; every other check cites files or numbers
            assert criterion.evidence or criterion.key == "qualidade-codigo", criterion.key
    assert f"{projects.STRONG_TESTS} testes" in by_key["testes"].justification
    assert "/health" in by_key["serving"].justification
    assert "p95" in by_key["serving"].justification
    assert result.total == 90 and result.max_total == 100
    assert len(result.commit) == 40


def test_a_weak_project_gets_little_and_is_told_what_is_missing(git_server, grader_image):
    result, seconds = _grade(git_server, "bia/fraco", projects.weak, grader_image)
    _record("weak", result, seconds)
    assert result.status is GradeStatus.GRADED, _explain(result)
    assert result.total <= 10, _explain(result)
    by_key = {c.key: c for c in result.criteria}
    assert "Objetivo" in by_key["readme"].justification
    assert by_key["serving"].points == 0 and by_key["testes"].points == 0


def test_failing_tests_are_named(git_server, grader_image):
    result, seconds = _grade(git_server, "caio/falhas", projects.failing_tests, grader_image)
    _record("failing_tests", result, seconds)
    tests = next(c for c in result.criteria if c.key == "testes")
    assert 0 < tests.points < tests.max_points, _explain(result)
    for name in projects.FAILING_TESTS:
        assert name in tests.justification


def test_an_api_that_never_starts_is_reported_with_its_reason(git_server, grader_image):
    result, seconds = _grade(git_server, "duda/api", projects.api_never_starts, grader_image)
    _record("api_never_starts", result, seconds)
    serving = next(c for c in result.criteria if c.key == "serving")
    assert serving.points == 0, _explain(result)
    assert "não subiu" in serving.justification or "não respondeu" in serving.justification
    tests = next(c for c in result.criteria if c.key == "testes")
    assert f"{projects.API_NEVER_STARTS_TESTS} passaram" in tests.justification, _explain(result)
    assert "todos passaram" in tests.justification


def test_network_access_and_a_fork_bomb_in_the_tests_are_contained(git_server, grader_image):
    result, seconds = _grade(git_server, "eve/hostil", projects.hostile_tests, grader_image)
    _record("hostile_tests", result, seconds)
    assert result.status is GradeStatus.GRADED, _explain(result)
    tests = next(c for c in result.criteria if c.key == "testes")
    assert tests.points < tests.max_points, _explain(result)
    assert "test_" in tests.justification


def test_a_200_mb_file_makes_the_repository_ungradable_with_a_reason(git_server, grader_image):
    url, _sha = make_repo(
        git_server,
        "fred/grande",
        {"README.md": "# grande\n", "dados/base.bin": ZeroFile(200 * 2**20)},
    )
    result = grade_repo(
        url,
        rubric=RUBRIC,
        image=grader_image,
        limits=LIMITS,
        allowed=(git_server.base_url,),
        max_repo_bytes=100 * 2**20,
    )
    assert result.status is GradeStatus.INVALID
    assert "MB" in result.message and result.total == 0


def test_the_cli_prints_the_json_the_issue_asks_for(git_server, grader_image):
    url, sha = serve(git_server, "gabi/cli", projects.weak)
    env = {
        "AUTOGRADER_GIT_ALLOWED_URLS": git_server.base_url,
        "AUTOGRADER_IMAGE": grader_image,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade-repo",
            "--url",
            url,
            "--rubric",
            str(RUBRIC_PATH),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["status"], data["commit"], data["max_total"]) == ("graded", sha, 100.0)
    assert {c["key"] for c in data["criteria"]} == {c.key for c in RUBRIC}
    for criterion in data["criteria"]:
        assert set(criterion) >= {"key", "points", "max_points", "justification", "evidence"}
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade-repo",
            "--url",
            "file:///etc",
            "--rubric",
            str(RUBRIC_PATH),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1 and "entrada inválida" in refused.stderr

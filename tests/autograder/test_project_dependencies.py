"""The install step, end to end: real pip against a real (local) package index, the wheels
installed in the grading container without network, the project's tests run against them.

The fixture projects are in ``projects_deps.py``, their packages in ``package_index.py``.
Each grading uses the course rubric's "Testes automatizados" criterion only, so a case costs
one install and one short run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.dependencies import InstallSettings, prepare_environment
from autograder.dependencies.index import IndexUnavailable, why_unavailable
from autograder.errors import InfrastructureError
from autograder.projects import grade_repo
from autograder.results import GradeStatus, Limits
from autograder.rubric import load_rubric
from tests.autograder import projects_deps
from tests.autograder.package_index import running_index
from tests.autograder.projects import serve

ROOT = Path(__file__).resolve().parents[2]
RUBRIC = load_rubric(ROOT / "course_content" / "final_project" / "rubric.yaml")
TESTS_CRITERION = [c for c in RUBRIC if c.key == "testes"]
LIMITS = Limits(memory_mb=1024, cpus=1.0, wall_seconds=300)

pytestmark = pytest.mark.docker


@pytest.fixture
def index(tmp_path: Path):
    with running_index(tmp_path / "index") as url:
        yield InstallSettings(index_url=url, cache_dir=tmp_path / "cache", seconds=120)


def _grade(git_server, grader_image, name, builder, install, rubric=TESTS_CRITERION):
    url, _ = serve(git_server, name, builder)
    result = grade_repo(
        url,
        rubric=rubric,
        image=grader_image,
        limits=LIMITS,
        allowed=(git_server.base_url,),
        install=install,
    )
    assert result.status is GradeStatus.GRADED, result.message
    return result.criteria[0]


def test_utf16_requirements_are_installed_and_the_tests_pass(git_server, grader_image, index):
    outcome = _grade(git_server, grader_image, "ana/utf16", projects_deps.utf16_requirements, index)

    assert outcome.points == 5, outcome.justification
    text = outcome.justification
    assert f"{projects_deps.UTF16_TESTS} testes" in text
    assert "2 pacotes instalados de requirements.txt (UTF-16)" in text
    assert "Python 3.11, a versão mais próxima disponível na correção" in text
    assert "declara 3.10 em Dockerfile: `FROM python:3.10-slim`" in text


def test_a_package_pinned_below_the_images_release_does_not_break_pytest(
    git_server, grader_image, index
):
    """The image's platformdirs declares a pytest plugin the pinned release lacks; pytest
    would load it from the image's metadata and stop before any test ran."""
    outcome = _grade(
        git_server, grader_image, "ana/pinned", projects_deps.pinned_below_the_image, index
    )

    assert outcome.points == 5, outcome.justification
    assert "instalado: platformdirs==4.3.8" in outcome.evidence


def test_an_app_in_a_plain_src_folder_is_served_with_the_installed_packages(
    git_server, grader_image, index
):
    serving = [c for c in RUBRIC if c.key == "serving"]

    outcome = _grade(
        git_server, grader_image, "ana/src-app", projects_deps.app_in_src_folder, index, serving
    )

    assert outcome.points == 15, outcome.justification
    assert "src/app.py" in outcome.justification


def test_without_the_install_step_the_same_project_loses_the_points(git_server, grader_image):
    outcome = _grade(
        git_server, grader_image, "ana/utf16-off", projects_deps.utf16_requirements, None
    )

    assert outcome.points == 0, outcome.justification
    assert "mle_fixture_plot" in outcome.justification
    assert "instalação desativada" in outcome.justification


def test_a_dependency_only_published_as_source_is_named_and_not_held_against_the_student(
    git_server, grader_image, index
):
    outcome = _grade(
        git_server, grader_image, "bia/sdist", projects_deps.sdist_only_dependency, index
    )

    text = outcome.justification
    assert outcome.points == 5, text  # judged on the tests that could run
    assert "mle-fixture-sdist==1.0.0 (sem wheel para Python 3.11: o índice só tem código" in text
    assert "não conta como falha do projeto" in text
    assert "tests/test_relatorio.py" in text
    assert "1 pacote instalado" not in text and "2 pacotes instalados" in text


def test_the_environment_is_cached_by_what_was_asked(tmp_path, grader_image, index):
    repo = projects_deps.utf16_requirements(tmp_path / "repo")

    first = prepare_environment(repo, settings=index, image=grader_image, limits=LIMITS)
    stored = first.site.parent / "report.json"
    written = stored.stat().st_mtime_ns
    second = prepare_environment(repo, settings=index, image=grader_image, limits=LIMITS)
    (repo / "requirements.txt").write_text("mle-fixture-base==1.0.0\n")
    third = prepare_environment(repo, settings=index, image=grader_image, limits=LIMITS)

    assert (first.cache, second.cache, third.cache) == ("miss", "hit", "miss")
    assert first.installed == ["mle-fixture-base==2.0.0", "mle-fixture-plot==1.0.0"]
    assert second.site == first.site and (first.site / "mle_fixture_plot").is_dir()
    assert third.installed == ["mle-fixture-base==1.0.0"]
    assert stored.stat().st_mtime_ns == written  # the hit rebuilt nothing


def test_what_is_over_the_size_cap_is_not_installed(tmp_path, grader_image, index):
    repo = projects_deps.utf16_requirements(tmp_path / "repo")
    small = InstallSettings(index_url=index.index_url, cache_dir=index.cache_dir, max_mb=0)

    report = prepare_environment(repo, settings=small, image=grader_image, limits=LIMITS)

    assert report.status == "failed" and report.site is None
    assert "limite de 0 MB" in report.reason  # while downloading, or once unpacked


def test_an_unreachable_index_is_ours_to_retry_and_nothing_is_cached(tmp_path, grader_image):
    repo = projects_deps.utf16_requirements(tmp_path / "repo")
    closed = InstallSettings(
        index_url="http://127.0.0.1:9/simple", cache_dir=tmp_path / "cache", seconds=60
    )

    with pytest.raises(IndexUnavailable):
        prepare_environment(repo, settings=closed, image=grader_image, limits=LIMITS)

    assert issubclass(IndexUnavailable, InfrastructureError)  # the grading is retried
    assert not [p for p in (tmp_path / "cache" / "envs").iterdir() if p.is_dir()]


def test_a_version_with_no_wheel_names_the_newest_releases_that_have_one(index):
    reason = why_unavailable("mle-fixture-base==3.0", index.index_url, "3.11")

    assert reason == (
        "sem wheel para Python 3.11 que atenda `==3.0` (as mais novas que há: 1.0.0, 2.0.0)"
    )

"""One contract for faults on our side (autograder/errors.py): every one of them reaches the
caller as an InfrastructureError (retry, never a grade); the student's faults stay results;
our own bugs are never disguised as either.

No Docker here: where a test needs the grading container to misbehave, the sandbox is
replaced by a stand-in that reports a clean exit and leaves no result file behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder import grading_container, notebooks, projects, repos
from autograder.checks.cloudformation import CfnLintUnavailable
from autograder.checks.code_quality import RuffUnavailable
from autograder.errors import InfrastructureError, InputUnavailable
from autograder.holdout import HoldoutSpec
from autograder.notebook_report import MalformedResult, NotebookRunError
from autograder.notebooks import (
    PreparedSource,
    PrepareError,
    ResultFileError,
    SourceNotebookError,
    autograde,
)
from autograder.project_run import ProjectRunError
from autograder.repos import RepoError, RepoUnavailable
from autograder.results import ExitReason, GradeStatus, Limits, Resources, SandboxResult
from autograder.rubric import load_rubric
from autograder.sandbox import SandboxError
from tests.autograder import notebooks as nb
from tests.autograder import projects as fixture_projects
from tests.autograder.git_server import GitServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "fault",
    [
        SandboxError,
        PrepareError,
        NotebookRunError,
        ResultFileError,
        MalformedResult,
        ProjectRunError,
        RepoUnavailable,
        InputUnavailable,
    ],
)
def test_every_fault_on_our_side_is_an_infrastructure_error(fault: type[Exception]) -> None:
    assert issubclass(fault, InfrastructureError)


@pytest.mark.parametrize(
    "fault",
    [
        SourceNotebookError,
        RepoError,
        CfnLintUnavailable,
        RuffUnavailable,
    ],
)
def test_what_is_not_retried_is_not_an_infrastructure_error(fault: type[Exception]) -> None:
    assert not issubclass(fault, InfrastructureError)


def test_a_result_is_always_an_answer_about_the_students_work() -> None:
    """No status says "our side failed": that is an exception, so it cannot be stored."""
    assert {status.value for status in GradeStatus} == {"graded", "timeout", "oom", "invalid"}


def test_only_the_retryable_repository_errors_are_infrastructure_errors() -> None:
    for kind in repos.MESSAGES:
        error = repos.repo_error(
            kind,
            url="https://github.com/ana/x",
            ref="main",
            seconds=1,
            reason="x",
            allowed="x",
            limit="1 MB",
            found="2 MB",
        )
        assert isinstance(error, RepoError), kind  # `except RepoError` still sees them all
        assert isinstance(error, InfrastructureError) is (kind in repos.RETRYABLE), kind
        assert error.retryable is (kind in repos.RETRYABLE), kind


def test_a_retryable_kind_cannot_be_raised_as_the_students_fault() -> None:
    with pytest.raises(ValueError, match="repo_error"):
        RepoError("unreachable", url="https://github.com/ana/x")


# -- notebooks ----------------------------------------------------------------------------------


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return nb.write(nb.source_notebook(), tmp_path / "fonte.ipynb")


def test_a_submission_file_missing_from_storage_is_infrastructure_not_invalid(
    source: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputUnavailable, match=r"entrega\.ipynb"):
        autograde(
            source,
            tmp_path / "entrega.ipynb",
            limits=Limits(),
            image="x",
            cache_dir=tmp_path / "cache",
        )


def test_a_source_notebook_missing_from_storage_is_infrastructure(tmp_path: Path) -> None:
    submission = nb.write(nb.correct(nb.source_notebook()), tmp_path / "entrega.ipynb")
    with pytest.raises(InputUnavailable, match=r"fonte\.ipynb"):
        autograde(tmp_path / "fonte.ipynb", submission, limits=Limits(), image="x")


def test_missing_data_and_held_out_files_are_infrastructure(source: Path, tmp_path: Path) -> None:
    submission = nb.write(nb.correct(nb.source_notebook()), tmp_path / "entrega.ipynb")
    with pytest.raises(InputUnavailable, match="arquivo de dados não encontrado"):
        autograde(
            source, submission, limits=Limits(), image="x", data_files=[tmp_path / "dados.csv"]
        )
    features = tmp_path / "x.csv"
    features.write_text("customerID,a\n1,2\n")
    holdout = HoldoutSpec(features=features, labels=tmp_path / "y.csv", thresholds=((0.8, 2),))
    with pytest.raises(InputUnavailable, match="conjunto oculto não encontrado"):
        autograde(source, submission, limits=Limits(), image="x", holdout=holdout)


def test_an_unparseable_submission_is_still_the_students_invalid_input(
    source: Path, tmp_path: Path
) -> None:
    submission = tmp_path / "entrega.ipynb"
    submission.write_text("{ não é json")
    result = autograde(source, submission, limits=Limits(), image="x")
    assert result.status is GradeStatus.INVALID


def _quiet_sandbox(*args: object, **kwargs: object) -> SandboxResult:
    """The container exited cleanly and wrote nothing (a runner bug, a full disk...)."""
    return SandboxResult(
        exit_reason=ExitReason.OK,
        exit_code=0,
        logs="Traceback: boom\n",
        logs_truncated=False,
        resources=Resources(),
        image="sha256:abc",
        container_name=str(kwargs.get("name", "")),
    )


def _prepared(tmp_path: Path) -> PreparedSource:
    entry = tmp_path / "preparado"
    entry.mkdir()
    nb.write(nb.source_notebook(), entry / "release.ipynb")
    (entry / "gradebook.db").write_bytes(b"")
    return PreparedSource("0" * 64, entry, "sha256:abc")


def test_a_run_without_a_result_file_reaches_the_caller_as_infrastructure(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notebooks, "prepare_source", lambda *a, **k: _prepared(tmp_path))
    monkeypatch.setattr(grading_container, "run_in_sandbox", _quiet_sandbox)
    submission = nb.write(nb.correct(nb.source_notebook()), tmp_path / "entrega.ipynb")
    with pytest.raises(InfrastructureError) as raised:
        autograde(source, submission, limits=Limits(), image="x")
    assert isinstance(raised.value, ResultFileError)
    assert raised.value.message.id == "error.no_result"
    assert "Traceback: boom" in raised.value.logs


def test_a_bug_of_ours_while_grading_a_notebook_is_not_swallowed(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object, **kwargs: object) -> PreparedSource:
        raise KeyError("release_path")

    monkeypatch.setattr(notebooks, "prepare_source", bug)
    submission = nb.write(nb.correct(nb.source_notebook()), tmp_path / "entrega.ipynb")
    with pytest.raises(KeyError, match="release_path"):
        autograde(source, submission, limits=Limits(), image="x")


# -- final projects -----------------------------------------------------------------------------

RUBRIC = load_rubric(ROOT / "course_content" / "final_project" / "rubric.yaml")


def test_a_project_run_without_a_result_reaches_the_caller_as_infrastructure(
    git_server: GitServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _sha = fixture_projects.serve(git_server, "ana/sem-resultado", fixture_projects.weak)
    monkeypatch.setattr(grading_container, "run_in_sandbox", _quiet_sandbox)
    with pytest.raises(InfrastructureError) as raised:
        projects.grade_repo(
            url, rubric=RUBRIC, image="x", limits=Limits(), allowed=(git_server.base_url,)
        )
    assert isinstance(raised.value, ProjectRunError)
    assert "wrote no result" in str(raised.value)
    assert "Traceback: boom" in str(raised.value)


def test_an_unreachable_git_host_reaches_the_caller_as_infrastructure() -> None:
    with pytest.raises(InfrastructureError) as raised:
        projects.grade_repo(
            "http://127.0.0.1:9/ana/x",
            rubric=RUBRIC,
            image="x",
            limits=Limits(),
            allowed=("http://127.0.0.1:9/",),
        )
    assert isinstance(raised.value, RepoUnavailable)
    assert raised.value.kind == "unreachable"


def test_a_repository_the_student_must_fix_is_still_an_invalid_result() -> None:
    result = projects.grade_repo(
        "file:///etc", rubric=RUBRIC, image="x", limits=Limits(), allowed=("https://github.com/",)
    )
    assert result.status is GradeStatus.INVALID
    assert "github.com" in result.message


def test_a_bug_of_ours_while_grading_a_project_is_not_swallowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def bug(*args: object, **kwargs: object) -> repos.Resolved:
        raise TypeError("resolve() got an unexpected keyword argument")

    monkeypatch.setattr(repos, "resolve", bug)
    with pytest.raises(TypeError, match="unexpected keyword"):
        projects.grade_repo(
            "https://github.com/ana/x",
            rubric=RUBRIC,
            image="x",
            limits=Limits(),
            allowed=("https://github.com/",),
        )

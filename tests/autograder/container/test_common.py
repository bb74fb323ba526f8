"""What both container commands share (autograder/container/common.py), on the host.

The result file and reading as the student decide what the host believes about a run, so the
one copy both runners use is tested here: where the two old copies had drifted (one gave up
on an ``OSError`` of ``setpriv``, the other crashed; one cut an oversized result into
invalid JSON), the behaviour kept is the one that always leaves the host a readable answer.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import grading_container
from autograder.container import DIRECTORY, common, runner

# -- every container module runs on the image's Python alone --------------------------------------

# nbgrader's own process: the only modules that may import the image's packages.
IN_NBGRADER = {"grader_ext", "nbgrader_process"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    names |= {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    }
    return names


@pytest.mark.parametrize("path", sorted(DIRECTORY.glob("*.py")), ids=lambda path: path.stem)
def test_container_modules_import_only_the_standard_library_and_each_other(path: Path) -> None:
    """They run in the container before anything of the student's, with the image's Python,
    and only autograder/container is mounted: nothing else of ``autograder`` is there."""
    siblings = {f"autograder.container.{p.stem}" for p in DIRECTORY.glob("*.py")}
    siblings.add("autograder.container")
    foreign = {
        name
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names and name not in siblings
    }
    if path.stem in IN_NBGRADER:
        assert not {name for name in foreign if name.startswith("autograder")}
    else:
        assert foreign == set()


def test_the_host_runs_the_modules_where_it_mounts_them() -> None:
    assert f"{grading_container.RUNNER_ROOT}/autograder/container" == (
        grading_container.RUNNER_TARGET
    )
    assert grading_container.runner_command("runner", "prepare") == [
        "python",
        "-P",
        "-m",
        "autograder.container.runner",
        "prepare",
    ]
    # nbgrader's config puts the same root on its sys.path to import grader_ext.
    assert runner.PACKAGE_ROOT / "autograder" / "container" == runner.HERE == DIRECTORY


# -- text -----------------------------------------------------------------------------------------


def test_clip_keeps_the_end_without_terminal_colours() -> None:
    assert common.clip("\x1b[31mFAILED\x1b[0m tests/x.py", 100) == "FAILED tests/x.py"
    assert common.clip("a" * 50 + "fim", 3) == "…fim"


# -- reading what the student wrote ---------------------------------------------------------------


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory the student's uid can traverse (pytest's own tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="mle-common-"))
    path.chmod(0o755)
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


@pytest.mark.skipif(os.geteuid() != 0, reason="setpriv to another uid needs root")
def test_read_as_student_reads_only_what_the_student_may(shared_dir: Path) -> None:
    public = shared_dir / "previsoes.csv"
    public.write_bytes(b"customerID,previsao\n1,0.5\n")
    public.chmod(0o644)
    secret = shared_dir / "rotulos.csv"
    secret.write_bytes(b"customerID,churn\n1,1\n")
    secret.chmod(0o600)
    assert common.read_as_student(public, 1024) == b"customerID,previsao\n1,0.5\n"
    assert common.read_as_student(public, 5) == b"custom"  # max_bytes + 1: the caller sees
    assert common.read_as_student(secret, 1024) is None
    assert common.read_as_student(shared_dir / "ausente.csv", 1024) is None


def test_read_as_student_gives_none_when_setpriv_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "junit.xml"
    path.write_text("<testsuites/>")
    monkeypatch.setattr(common, "SETPRIV", str(tmp_path / "sem-setpriv"))
    assert common.read_as_student(path, 1024) is None  # an OSError, not a crash of the runner


# -- the result file ------------------------------------------------------------------------------


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(common, "OUT", tmp_path)
    return tmp_path


def _written(out: Path) -> dict:
    return json.loads((out / common.RESULT_FILE).read_bytes())


def test_the_result_is_json_with_its_schema_readable_by_the_host(out: Path) -> None:
    common.write_result({"status": "ok", "n": 1}, max_bytes=1000)
    assert _written(out) == {"schema": common.RESULT_SCHEMA, "status": "ok", "n": 1}
    assert (out / common.RESULT_FILE).stat().st_mode & 0o777 == 0o644


def test_the_result_is_never_written_twice_nor_through_a_symlink(out: Path) -> None:
    common.write_result({"status": "ok"}, max_bytes=1000)
    with pytest.raises(FileExistsError):
        common.write_result({"status": "error"}, max_bytes=1000)
    (out / common.RESULT_FILE).unlink()
    target = out / "alvo.json"
    (out / common.RESULT_FILE).symlink_to(target)
    with pytest.raises(FileExistsError):
        common.write_result({"status": "ok"}, max_bytes=1000)
    assert not target.exists()


def test_an_oversized_result_is_cut_step_by_step_only_as_far_as_needed(out: Path) -> None:
    steps: list[str] = []

    def drop_log(result: dict) -> None:
        steps.append("log")
        result["log"] = ""

    def drop_feedback(result: dict) -> None:
        steps.append("feedback")
        result["feedback"] = ""

    common.write_result(
        {"status": "ok", "log": "x" * 500, "feedback": "y" * 100},
        max_bytes=300,
        shrink=(drop_log, drop_feedback),
    )
    assert steps == ["log"]
    assert _written(out) == {"schema": 1, "status": "ok", "log": "", "feedback": "y" * 100}


def test_a_result_still_too_big_becomes_an_error_never_cut_json(out: Path) -> None:
    common.write_result(
        {"status": "ok", "grades": ["z" * 5000]}, max_bytes=1000, shrink=(lambda result: None,)
    )
    written = _written(out)  # valid JSON, within the cap
    assert (out / common.RESULT_FILE).stat().st_size <= 1000
    assert written["status"] == "error"
    assert "passa de 1000" in written["error"]


def test_odd_values_are_reported_as_text_instead_of_losing_the_result(out: Path) -> None:
    common.write_result({"status": "ok", "path": Path("/aluno/projeto")}, max_bytes=1000)
    assert _written(out)["path"] == "/aluno/projeto"

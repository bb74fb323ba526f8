"""A submission that exhausts the container's memory is the student's grade, whichever process
died: the kernel (``test_notebooks.py``), nbgrader itself, or the runner. Never an
infrastructure fault retried with back-off."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder import messages
from autograder.notebook_report import Payload, from_run
from autograder.notebooks import ResultFileError, autograde, prepare_source
from autograder.results import ExitReason, GradeStatus, Limits
from tests.autograder import notebooks as nb
from tests.autograder.test_notebooks import _context, _sandbox  # memory limit 256 MB

# A real grading under this limit: the release is prepared with it too.
LIMITS = Limits(memory_mb=256, pids=128, wall_seconds=240, cell_timeout_seconds=10, tmpfs_mb=256)


def _assert_out_of_memory_grade(result, memory_mb: int) -> None:
    assert result.status is GradeStatus.OOM
    assert result.message_id == "summary.oom_no_scores"
    assert f"memória esgotada (limite de {memory_mb} MB)" in result.message
    assert result.total == 0.0
    assert result.max_total == nb.MAX_TOTAL
    assert [cell.grade_id for cell in result.cells] == list(nb.POINTS)
    assert [cell.points for cell in result.cells] == [0.0, 0.0, 0.0]
    assert all(f"limite de {memory_mb} MB" in cell.message for cell in result.cells)


def test_nbgrader_killed_for_memory_is_the_students_oom_grade_not_a_retry() -> None:
    payload = Payload.parse(
        {"schema": 1, "status": "error", "error": "nbgrader autograde falhou", "log_tail": "..."}
    )

    result = from_run(_sandbox(oom_killed=True, logs="Killed\n"), payload, None, _context())

    _assert_out_of_memory_grade(result, 256)
    assert result.logs_excerpt  # instructors still see what the container printed


def test_the_runner_killed_for_memory_without_a_result_file_is_an_oom_grade() -> None:
    problem = ResultFileError(messages.message("error.no_result", detail="ausente"))
    sandbox = _sandbox(ExitReason.OOM, exit_code=137, oom_killed=True)

    result = from_run(sandbox, None, problem, _context())

    _assert_out_of_memory_grade(result, 256)
    assert result.exit_reason is ExitReason.OOM


@pytest.mark.docker
def test_a_notebook_too_big_for_nbgrader_is_graded_out_of_memory_in_a_real_container(
    grader_image: str, tmp_path: Path
) -> None:
    """Tens of thousands of tiny Markdown cells: the kernel has nothing to do, but nbgrader's
    own process (reading, executing and writing it) outgrows the memory limit and the
    OOM killer ends it. The container reports the OOM; the result is a grade."""
    cache = tmp_path / "cache"
    source = nb.write(nb.source_notebook(), tmp_path / "fonte.ipynb")
    prepared = prepare_source(source, image=grader_image, cache_dir=cache, limits=LIMITS)
    submission = nb.correct(nb.read(prepared.release_path))
    submission.cells.extend(nbformat.v4.new_markdown_cell("x") for _ in range(60_000))
    path = nb.write(submission, tmp_path / "enorme.ipynb")

    result = autograde(
        source,
        path,
        limits=LIMITS,
        image=grader_image,
        cache_dir=cache,
        max_notebook_bytes=10 * 1024 * 1024,
    )

    _assert_out_of_memory_grade(result, LIMITS.memory_mb)
    assert result.resources.peak_mem_mb >= LIMITS.memory_mb * 0.9

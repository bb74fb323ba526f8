"""The notebook grader (autograder/notebooks.py and friends).

Host-side tests first (validation, result file, status and messages, no Docker); then the
hostile notebooks, each graded in a real container (``@pytest.mark.docker``). Those share one
release (prepared once) and are graded three at a time, so the whole set costs about as
much as its slowest few cases.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from autograder import grading_container, notebooks
from autograder.container.hidden_tests import notebook_text
from autograder.errors import InfrastructureError
from autograder.notebook_report import Context, NotebookRunError, Payload, SourceInfo, from_run
from autograder.notebooks import (
    ResultFileError,
    autograde,
    prepare_source,
    read_result_file,
    sanitized_submission,
)
from autograder.results import (
    ExitReason,
    GradeStatus,
    Limits,
    NotebookResult,
    Resources,
    SandboxResult,
)
from autograder.sandbox import SandboxError
from autograder.validate import (
    NotebookError,
    check_submission,
    errors,
    parse_notebook,
    validate_source,
)
from tests.autograder import notebooks as nb
from tests.autograder.warm import WarmOnly

# -- validation of the source notebook ------------------------------------------------------------


def _problems(notebook: nb.Notebook) -> set[str]:
    return {
        problem.message_id for problem in errors(validate_source(json.loads(json.dumps(notebook))))
    }


def test_the_fixture_source_notebook_is_valid() -> None:
    assert validate_source(json.loads(json.dumps(nb.source_notebook()))) == []


def test_duplicate_grade_ids_make_a_source_unusable() -> None:
    source = nb.source_notebook()
    nb.cell(source, "conta_palavras").metadata["nbgrader"]["grade_id"] = "normaliza"
    assert "validate.duplicate_grade_id" in _problems(source)


def test_a_graded_cell_without_points_makes_a_source_unusable() -> None:
    source = nb.source_notebook()
    del nb.cell(source, "teste_normaliza").metadata["nbgrader"]["points"]
    assert _problems(source) == {"validate.no_points"}


def test_a_source_without_autograder_tests_is_unusable() -> None:
    source = nb.source_notebook()
    source.cells = [
        c
        for c in source.cells
        if not c.metadata.get("nbgrader", {}).get("grade") or c.cell_type == "markdown"
    ]
    assert _problems(source) == {"validate.no_tests"}


def test_solution_and_hidden_test_regions_that_would_leak_are_errors() -> None:
    source = nb.source_notebook()
    nb.cell(source, "importacoes").metadata["nbgrader"]["locked"] = False
    source.cells[0].source += "\n### BEGIN SOLUTION\nresposta\n### END SOLUTION"
    nb.cell(
        source, "normaliza"
    ).source += "\n### BEGIN HIDDEN TESTS\nassert 1\n### END HIDDEN TESTS"
    nb.cell(source, "conta_palavras").source = "### BEGIN SOLUTION\nx = 1\n"
    assert _problems(source) == {
        "validate.solution_outside",
        "validate.hidden_outside",
        "validate.unbalanced_solution",
    }


def test_a_markdown_grade_cell_must_be_an_answer() -> None:
    source = nb.source_notebook()
    nb.cell(source, "resposta_escala").metadata["nbgrader"]["solution"] = False
    assert _problems(source) == {"validate.markdown_grade_not_solution"}


@pytest.mark.parametrize(
    ("data", "message_id"),
    [
        (b"isto nao e json", "invalid.not_json"),
        (b"[1, 2]", "invalid.not_json"),
        (
            json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": []}).encode(),
            "invalid.not_nbformat4",
        ),
        (
            json.dumps(
                {
                    "nbformat": 4,
                    "nbformat_minor": 5,
                    "metadata": {},
                    "cells": [{"cell_type": "code", "source": "x", "metadata": {}}],
                }
            ).encode(),
            "invalid.schema",
        ),
    ],
)
def test_unusable_files_are_refused_with_a_reason(data: bytes, message_id: str) -> None:
    with pytest.raises(NotebookError) as refused:
        parse_notebook(data)
    assert refused.value.message_id == message_id


def test_a_notebook_of_another_assignment_is_refused() -> None:
    other = nb.source_notebook()
    for cell in other.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"]["grade_id"] += "_outra"
    reason = check_submission(json.loads(json.dumps(other)), nb.source_notebook())
    assert reason is not None and reason.id == "invalid.wrong_assignment"
    assert "teste_normaliza" in reason.text


# -- unusable input never reaches Docker ----------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG...", "não é JSON válido"),
        (json.dumps({"nbformat": 3, "worksheets": []}).encode(), "nbformat 4"),
    ],
)
def test_unusable_submissions_are_invalid_without_running_a_container(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    source = nb.write(nb.source_notebook(), tmp_path / "fonte.ipynb")
    submission = tmp_path / "entrega.ipynb"
    submission.write_bytes(content)
    result = autograde(
        source,
        submission,
        limits=Limits(),
        image="imagem-que-nao-existe:0",
        cache_dir=tmp_path / "cache",
    )
    assert result.status is GradeStatus.INVALID
    assert expected in result.message
    assert result.max_total == nb.MAX_TOTAL
    assert result.cells == []


def test_an_oversized_submission_is_invalid(tmp_path: Path) -> None:
    source = nb.write(nb.source_notebook(), tmp_path / "fonte.ipynb")
    submission = nb.write(nb.source_notebook(), tmp_path / "entrega.ipynb")
    result = autograde(source, submission, limits=Limits(), image="x", max_notebook_bytes=100)
    assert result.status is GradeStatus.INVALID
    assert "o limite é" in result.message


# -- the copy that is graded ----------------------------------------------------------------------


def test_the_graded_copy_has_the_instructors_nbgrader_metadata() -> None:
    release = json.loads(json.dumps(nb.source_notebook()))
    submission = copy.deepcopy(release)
    test = next(
        c
        for c in submission["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") == "teste_normaliza"
    )
    test["metadata"]["nbgrader"].update(points=100, grade=False)
    submission["cells"].append(
        {
            "cell_type": "code",
            "source": "x",
            "metadata": {"nbgrader": {"grade_id": "inventada", "schema_version": 99}},
            "outputs": [],
            "execution_count": None,
        }
    )
    graded = sanitized_submission(submission, release)
    meta = next(
        c
        for c in graded["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") == "teste_normaliza"
    )["metadata"]["nbgrader"]
    assert (meta["points"], meta["grade"]) == (2.0, True)
    assert "nbgrader" not in graded["cells"][-1]["metadata"]
    assert test["metadata"]["nbgrader"]["points"] == 100  # the upload itself is untouched


# -- the result file ------------------------------------------------------------------------------


def test_a_missing_result_file_is_an_infrastructure_error(tmp_path: Path) -> None:
    with pytest.raises(ResultFileError) as error:
        read_result_file(tmp_path / "result.json")
    assert error.value.message.id == "error.no_result"


def test_an_oversized_result_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"x": "a" * 2000}))
    with pytest.raises(ResultFileError) as error:
        read_result_file(path, max_bytes=1000)
    assert error.value.message.id == "error.result_too_big"


def test_a_result_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(b"\x80\x04\x95 pickle")
    with pytest.raises(ResultFileError) as error:
        read_result_file(path)
    assert error.value.message.id == "error.result_malformed"


def test_the_host_and_the_runner_agree_on_paths_and_names() -> None:
    from autograder.container import common, runner

    assert str(common.IN) == grading_container.IN_TARGET
    assert str(common.OUT) == grading_container.OUT_TARGET
    assert str(common.RESULT_FILE) == notebooks.RESULT_FILE
    assert runner.RESULT_MAX_BYTES < notebooks.RESULT_MAX_BYTES
    assert str(common.STUDENT_ROOT) in grading_container.TMPFS_PATHS
    assert runner.HERE.name == "container"


def test_the_runner_is_mounted_from_a_private_copy_under_the_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograder.container import DIRECTORY

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    mounted = grading_container.runner_source()
    assert mounted.parent == tmp_path / f"mle-autograder-{os.getuid()}"
    assert mounted.parent.stat().st_mode & 0o777 == 0o700
    assert mounted.stat().st_mode & 0o777 == 0o755
    originals = sorted(DIRECTORY.glob("*.py"))
    assert [p.name for p in sorted(mounted.iterdir())] == [p.name for p in originals]
    assert all((mounted / p.name).read_bytes() == p.read_bytes() for p in originals)

    shutil.rmtree(mounted)  # a temporary-file cleaner passed by
    assert grading_container.runner_source() == mounted and (mounted / "runner.py").exists()

    mounted.parent.chmod(0o777)  # anyone could plant a runner there
    with pytest.raises(SandboxError, match="not be writable by others"):
        grading_container.runner_source()


# -- the per-cell output cap (runs in nbgrader's process, in the container) ---------------------


def test_the_output_cap_keeps_what_decides_the_score() -> None:
    pytest.importorskip("nbgrader")
    from nbformat.notebooknode import from_dict

    from autograder.container import grader_ext

    cell = from_dict(
        {
            "cell_type": "code",
            "outputs": [
                {"output_type": "display_data", "metadata": {}, "data": {"text/html": "x" * 5000}},
                {"output_type": "stream", "name": "stderr", "text": "aviso\n" * 1000},
                {
                    "output_type": "error",
                    "ename": "AssertionError",
                    "evalue": "esperado 2",
                    "traceback": ["linha"] * 2000,
                },
            ],
        }
    )
    grader_ext.cap_outputs(cell, 4000)
    kinds = [output["output_type"] for output in cell.outputs]
    assert kinds == ["stream", "error", "stream"]  # stderr and the error stay: they score 0
    assert cell.outputs[1]["ename"] == "AssertionError"
    assert "removida pelo corretor" in cell.outputs[2]["text"]
    assert sum(len(json.dumps(o)) for o in cell.outputs) < 3 * 4000


# -- status and messages, from made-up runs -------------------------------------------------------

LIMITS = Limits(memory_mb=256, pids=64, wall_seconds=40, cell_timeout_seconds=5)


def _sandbox(reason: ExitReason = ExitReason.OK, **changes: object) -> SandboxResult:
    base = SandboxResult(
        exit_reason=reason,
        exit_code=0,
        logs="",
        logs_truncated=False,
        resources=Resources(1.0, 100.0, 4.0),
        image="sha256:abc",
        container_name="nb-test",
    )
    return replace(base, **changes)


def _context() -> Context:
    source = json.loads(json.dumps(nb.source_notebook()))
    return Context(limits=LIMITS, source=SourceInfo.from_notebook(source))


def _grade(gid: str, score: float, max_score: float, **extra: object) -> dict:
    return {
        "grade_id": gid,
        "score": score,
        "max_score": max_score,
        "auto_score": score,
        "manual_score": None,
        "needs_manual_grade": False,
        "cell_type": "code",
        **extra,
    }


def _payload(
    events: list[dict] | None = None, cells: list[dict] | None = None, conta: float = 0.0
) -> Payload:
    return Payload.parse(
        {
            "schema": 1,
            "status": "ok",
            "grades": [
                _grade("teste_normaliza", 2.0, 2.0),
                _grade("teste_conta_palavras", conta, 3.0),
                _grade(
                    "resposta_escala",
                    0.0,
                    1.0,
                    auto_score=None,
                    needs_manual_grade=True,
                    cell_type="markdown",
                ),
            ],
            "cells": cells or [],
            "events": events or [],
        }
    )


def _cell(result: NotebookResult, gid: str):
    return next(cell for cell in result.cells if cell.grade_id == gid)


def test_a_failing_test_is_named_with_its_exception() -> None:
    cells = [
        {
            "cell_index": 7,
            "grade_id": "teste_conta_palavras",
            "errors": [
                {
                    "ename": "AssertionError",
                    "evalue": "esperado 2 ocorrências de 'o', obtido 1",
                    "traceback": "Traceback...\nAssertionError: esperado 2",
                }
            ],
            "stderr": "",
        }
    ]
    result = from_run(_sandbox(), _payload(cells=cells), None, _context())
    assert result.status is GradeStatus.GRADED
    assert (result.total, result.max_total) == (2.0, 6.0)
    assert _cell(result, "teste_conta_palavras").message == (
        "o teste `teste_conta_palavras` falhou: AssertionError: esperado 2 ocorrências de 'o', "
        "obtido 1"
    )
    assert _cell(result, "teste_normaliza").passed is True
    assert _cell(result, "resposta_escala").passed is None
    assert result.needs_manual_grade == ["resposta_escala"]
    assert result.message.startswith("nota 2 de 6: o teste `teste_conta_palavras` falhou")


def test_a_kernel_killed_by_the_oom_killer_is_status_oom_naming_the_limit() -> None:
    events = [
        {
            "kind": "kernel-died",
            "cell_index": 6,
            "grade_id": "conta_palavras",
            "cause": "oom",
            "signal": 9,
        },
        {
            "kind": "not-executed",
            "cell_index": 7,
            "grade_id": "teste_conta_palavras",
            "because": "kernel-died",
        },
    ]
    cells = [
        {
            "cell_index": 7,
            "grade_id": "teste_conta_palavras",
            "errors": [{"ename": "AutograderNaoExecutada", "evalue": "", "traceback": ""}],
            "stderr": "",
        }
    ]
    result = from_run(_sandbox(oom_killed=True), _payload(events, cells), None, _context())
    assert result.status is GradeStatus.OOM
    assert _cell(result, "teste_conta_palavras").message == (
        "o teste `teste_conta_palavras` não foi executado: memória esgotada (limite de 256 MB) "
        "na célula `conta_palavras`"
    )
    assert "memória esgotada (limite de 256 MB)" in result.message


def test_the_run_deadline_is_status_timeout_with_what_ran_scored() -> None:
    events = [
        {"kind": "deadline", "cell_index": 6, "grade_id": "conta_palavras", "started": True},
        {
            "kind": "not-executed",
            "cell_index": 7,
            "grade_id": "teste_conta_palavras",
            "because": "deadline",
        },
    ]
    cells = [{"cell_index": 7, "grade_id": "teste_conta_palavras", "errors": [], "stderr": ""}]
    result = from_run(_sandbox(), _payload(events, cells), None, _context())
    assert result.status is GradeStatus.TIMEOUT
    assert result.total == 2.0
    assert "limite de tempo de 40 s atingido" in _cell(result, "teste_conta_palavras").message


def test_a_container_killed_at_the_wall_clock_is_a_timeout_with_every_cell_zero() -> None:
    result = from_run(_sandbox(ExitReason.TIMEOUT, exit_code=137), None, None, _context())
    assert result.status is GradeStatus.TIMEOUT
    assert result.total == 0.0 and result.max_total == nb.MAX_TOTAL
    assert [c.points for c in result.cells] == [0.0, 0.0, 0.0]
    assert "limite de tempo de 40 s atingido" in result.cells[0].message


def test_a_run_without_a_result_file_is_an_error_never_a_zero() -> None:
    from autograder import messages

    problem = ResultFileError(messages.message("error.no_result", detail="ausente"))
    with pytest.raises(ResultFileError) as raised:
        from_run(_sandbox(ExitReason.KILLED, exit_code=137), None, problem, _context())
    assert isinstance(raised.value, InfrastructureError)  # retried, never a result (no zero)
    assert "sem arquivo de resultado" in str(raised.value)


def test_a_runner_that_reports_an_nbgrader_failure_is_an_error() -> None:
    payload = Payload.parse(
        {
            "schema": 1,
            "status": "error",
            "error": "nbgrader autograde falhou",
            "log_tail": "Traceback...\nsqlite3.OperationalError: disk I/O",
        }
    )
    with pytest.raises(NotebookRunError) as raised:
        from_run(_sandbox(), payload, None, _context())
    assert isinstance(raised.value, InfrastructureError)
    assert "sqlite3.OperationalError: disk I/O" in str(raised.value)


def test_a_result_file_with_a_wrong_shape_is_refused() -> None:
    from autograder.notebook_report import MalformedResult

    for raw in (
        {"schema": 2, "status": "ok"},
        {"schema": 1, "status": "ok", "grades": []},
        {"schema": 1, "status": "ok", "grades": [{"grade_id": "x", "score": "10"}]},
    ):
        with pytest.raises(MalformedResult):
            Payload.parse(raw)


# -- hostile notebooks in real containers ---------------------------------------------------------

FAST = Limits(
    memory_mb=512,
    cpus=1.0,
    pids=128,
    wall_seconds=60,
    cell_timeout_seconds=5,
    tmpfs_mb=64,
    output_bytes=64 * 1024,
)


@dataclass(frozen=True)
class Case:
    build: Callable[[nb.Notebook], nb.Notebook]
    limits: Limits = FAST


def reports_identity(release: nb.Notebook) -> nb.Notebook:
    """Prints who the kernel runs as (uid, groups, capabilities, oom score, directory)."""
    code = """\
import os
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
print("ID", os.getuid(), os.geteuid(), os.getgid(), os.getgroups(), status["CapEff"].strip(),
      status["CapPrm"].strip(), open("/proc/self/oom_score_adj").read().strip(), os.getcwd(),
      os.environ.get("HOME"), sorted(k for k in os.environ if "JUPYTER_PATH" in k))"""
    nb_ = nb.correct(release)
    nb.cell(nb_, "conta_palavras").source = code + "\n\n" + nb.CONTA
    return nb_


CASES: dict[str, Case] = {
    "correct": Case(nb.correct),
    "partly_wrong": Case(nb.partly_wrong),
    "identity": Case(reports_identity),
    "infinite_loop": Case(nb.infinite_loop),
    "memory_bomb": Case(nb.memory_bomb, replace(FAST, memory_mb=256)),
    "fork_bomb": Case(nb.fork_bomb, replace(FAST, pids=64)),
    "network": Case(nb.network_attempt),
    "writes_outside": Case(nb.writes_outside_scratch),
    "deletes_test": Case(nb.deletes_test_cell),
    "edits_locked": Case(nb.edits_locked_cells),
    "fake_result": Case(nb.fake_result_json_wrong),
    "writes_gradebook": Case(nb.writes_gradebook),
    "kills_kernel": Case(nb.kills_own_kernel),
    "always_equal": Case(nb.always_equal_wins),
    "hides_tracebacks": Case(nb.hides_tracebacks),
    "input_transformer": Case(nb.input_transformer),
    "ignores_sigint": Case(nb.sigint_ignoring_loop),
    "reads_hidden": Case(nb.reads_hidden_tests),
    "million_lines": Case(
        nb.million_lines, replace(FAST, cell_timeout_seconds=60, wall_seconds=120)
    ),
    "display_flood": Case(nb.display_flood),
    "slow_total": Case(nb.slow_total, replace(FAST, cell_timeout_seconds=60, wall_seconds=20)),
}


def uses(case: str) -> Callable:
    """Marks a test as needing the graded result of ``case`` (the fixture grades those only)."""

    def mark(test: Callable) -> Callable:
        test.grading_case = case
        return pytest.mark.docker(test)

    return mark


@dataclass
class Graded:
    futures: dict[str, Future] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def __call__(self, case: str) -> NotebookResult:
        return self.futures[case].result()


@pytest.fixture(scope="module")
def graded(
    request: pytest.FixtureRequest, grader_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Graded]:
    """Grades every case a selected test of this module uses, three containers at a time,
    each in a warm container of the pool (the way a worker grades once it has graded once);
    ``tests/autograder/test_pool.py`` compares the cold and the warm paths."""
    wanted = {
        getattr(item.function, "grading_case", None)
        for item in request.session.items
        if item.module is request.module
    } - {None}
    workdir = tmp_path_factory.mktemp("hostile")
    cache = tmp_path_factory.getbasetemp() / "notebook-cache"
    source = nb.write(nb.source_notebook(), workdir / "fonte.ipynb")
    prepared = prepare_source(source, image=grader_image, cache_dir=cache, limits=FAST)
    release = nb.read(prepared.release_path)
    result = Graded()

    def grade(case: str) -> NotebookResult:
        submission = nb.write(CASES[case].build(release), workdir / f"{case}.ipynb")
        started = time.monotonic()
        graded_result = autograde(
            source,
            submission,
            limits=CASES[case].limits,
            image=grader_image,
            cache_dir=cache,
            pool=warm,
        )
        result.seconds[case] = round(time.monotonic() - started, 1)
        return graded_result

    # The slow ones first, so they overlap with the quick ones.
    order = sorted(
        wanted,
        key=lambda c: (
            CASES[c].limits.cell_timeout_seconds
            + ("sigint" in c or "loop" in c or "total" in c) * 100
        ),
        reverse=True,
    )
    warm = WarmOnly()
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            result.futures = {case: pool.submit(grade, case) for case in order}
            yield result
    finally:
        warm.close()
    assert warm.taken == len(wanted)
    print("\nsegundos por correção:", json.dumps(result.seconds, sort_keys=True))


def _feedback_text(result: NotebookResult) -> str:
    """What the student's graded notebook shows as text."""
    return notebook_text(result.feedback_notebook or {})


def _feedback_lines(result: NotebookResult, prefix: str) -> list[str]:
    text = _feedback_text(result)
    return [line.strip() for line in text.splitlines() if line.strip().startswith(prefix)]


def _kinds(result: NotebookResult) -> set[tuple[str, str]]:
    return {(finding.kind, finding.cell) for finding in result.tampered}


@uses("correct")
def test_a_correct_notebook_gets_full_marks(graded: Graded) -> None:
    result = graded("correct")
    assert result.status is GradeStatus.GRADED
    assert (result.total, result.max_total) == (nb.AUTO_POINTS, nb.MAX_TOTAL)
    assert [c.passed for c in result.cells] == [True, True, None]
    assert result.needs_manual_grade == ["resposta_escala"]
    assert result.tampered == []
    assert result.image.startswith("sha256:")
    assert result.resources.wall_s > 0
    # The graded notebook is for students: the hidden tests stay hidden...
    feedback = _feedback_text(result)
    assert "o gato e o rato" in feedback  # a visible test
    assert "valores iguais devem virar zero" not in feedback
    assert "HIDDEN TESTS" not in feedback
    # ...and in the instructors' copy
    assert "valores iguais devem virar zero" in notebook_text(result.staff_feedback_notebook or {})
    assert result.message == (
        "nota 5 de 6: todos os testes automáticos passaram; 1 resposta aguarda correção manual"
    )


@uses("partly_wrong")
def test_a_partly_wrong_notebook_names_the_failing_test(graded: Graded) -> None:
    result = graded("partly_wrong")
    assert result.status is GradeStatus.GRADED
    assert result.total == 3.0
    wrong = _cell(result, "teste_normaliza")
    assert (wrong.points, wrong.passed) == (0.0, False)
    assert wrong.message == (
        "o teste `teste_normaliza` falhou: AssertionError: esperado média 0, obtido 4.0"
    )
    assert "AssertionError" in wrong.error


@uses("identity")
def test_the_kernel_runs_as_the_unprivileged_student_uid(graded: Graded) -> None:
    result = graded("identity")
    [line] = _feedback_lines(result, "ID ")
    assert line == (
        "ID 1001 1001 1001 [] 0000000000000000 0000000000000000 1000 /aluno/trabalho /aluno/home []"
    )
    assert result.total == nb.AUTO_POINTS


@uses("infinite_loop")
def test_an_infinite_loop_times_out_its_cell_and_the_rest_is_graded(graded: Graded) -> None:
    result = graded("infinite_loop")
    assert result.status is GradeStatus.GRADED
    assert result.total == 2.0
    assert _cell(result, "teste_conta_palavras").message == (
        "o teste `teste_conta_palavras` excedeu o limite de tempo de 5 s por célula"
    )


@uses("memory_bomb")
def test_a_memory_bomb_kills_the_kernel_not_nbgrader(graded: Graded) -> None:
    result = graded("memory_bomb")
    assert result.status is GradeStatus.OOM
    assert _cell(result, "teste_normaliza").points == 2.0  # scored before the bomb
    assert _cell(result, "teste_conta_palavras").points == 0.0
    assert "memória esgotada (limite de 256 MB)" in _cell(result, "teste_conta_palavras").message
    assert "memória esgotada (limite de 256 MB)" in result.message
    assert result.feedback_notebook  # nbgrader survived to write the feedback


@uses("fork_bomb")
def test_a_fork_bomb_is_bounded_by_the_pids_limit_and_graded(graded: Graded) -> None:
    result = graded("fork_bomb")
    assert result.status is GradeStatus.GRADED
    assert result.total == 2.0
    assert "a célula `conta_palavras` atingiu o limite de 64 processos" in result.notes
    failed = _cell(result, "teste_conta_palavras")
    assert failed.points == 0.0
    assert failed.message.startswith("o teste `teste_conta_palavras` falhou: ")
    assert "a célula `conta_palavras` atingiu o limite de 64 processos" in failed.message
    assert result.resources.wall_s < FAST.wall_seconds


@uses("network")
def test_network_access_fails_inside_and_the_notebook_is_graded(graded: Graded) -> None:
    result = graded("network")
    assert result.total == nb.AUTO_POINTS
    lines = _feedback_lines(result, "REDE") + _feedback_lines(result, "SOCKET")
    assert len(lines) == 3
    assert all("FALHOU" in line for line in lines), lines


@uses("writes_outside")
def test_writing_outside_the_scratch_area_fails(graded: Graded) -> None:
    result = graded("writes_outside")
    assert result.total == nb.AUTO_POINTS
    lines = _feedback_lines(result, "ESCRITA")
    assert len(lines) == 7
    assert all("NEGADA" in line for line in lines), lines


@uses("deletes_test")
def test_a_deleted_test_cell_is_restored_and_reported(graded: Graded) -> None:
    result = graded("deletes_test")
    assert ("deleted-test-cell", "teste_normaliza") in _kinds(result)
    restored = _cell(result, "teste_normaliza")
    assert restored.points == 2.0  # nbgrader re-adds the cell from the source and runs it
    assert "foi apagada e restaurada a partir do original" in restored.message
    assert "adultera" not in result.message  # the findings are for the instructor


@uses("edits_locked")
def test_edited_test_and_locked_cells_are_restored_and_reported(graded: Graded) -> None:
    result = graded("edits_locked")
    assert {
        ("edited-test-cell", "teste_normaliza"),
        ("edited-locked-cell", "importacoes"),
    } <= _kinds(result)
    restored = _cell(result, "teste_normaliza")
    assert restored.points == 0.0  # the original test ran against the wrong normaliza
    assert restored.message.startswith("o teste `teste_normaliza` falhou: AssertionError")
    assert "foi editada e restaurada a partir do original" in restored.message


@uses("fake_result")
def test_a_fake_result_printed_by_the_notebook_has_no_effect(graded: Graded) -> None:
    result = graded("fake_result")
    assert result.status is GradeStatus.GRADED
    assert result.total == 3.0
    assert _cell(result, "teste_normaliza").message == (
        "o teste `teste_normaliza` falhou: AssertionError: esperado média 0, obtido 4.0"
    )


@uses("writes_gradebook")
def test_the_gradebook_and_result_file_cannot_be_written(graded: Graded) -> None:
    result = graded("writes_gradebook")
    assert result.total == 3.0  # wrong normaliza still fails, the rest is intact
    lines = _feedback_lines(result, "NEGADO")
    assert len(lines) == 6 and all("PermissionError" in line for line in lines), lines
    assert _feedback_lines(result, "GRAVOU") == []
    assert _feedback_lines(result, "ACHADOS") == ["ACHADOS []"]


@uses("kills_kernel")
def test_a_notebook_that_kills_its_kernel_is_graded_up_to_there(graded: Graded) -> None:
    result = graded("kills_kernel")
    assert result.status is GradeStatus.GRADED
    assert result.total == 2.0
    assert _cell(result, "teste_conta_palavras").message == (
        "o teste `teste_conta_palavras` não foi executado: o kernel foi encerrado (sinal 9) "
        "na célula `conta_palavras`"
    )
    assert ("signals", "conta_palavras") in _kinds(result)


@uses("always_equal")
def test_an_always_true_eq_is_flagged(graded: Graded) -> None:
    result = graded("always_equal")
    assert ("always-equal", "conta_palavras") in _kinds(result)
    assert _cell(result, "teste_conta_palavras").passed is True  # what nbgrader scores
    assert "adultera" not in result.message  # the findings are for the instructor


@uses("hides_tracebacks")
def test_a_showtraceback_override_is_flagged_and_the_test_still_fails(graded: Graded) -> None:
    result = graded("hides_tracebacks")
    assert ("traceback-override", "normaliza") in _kinds(result)
    hidden = _cell(result, "teste_normaliza")
    assert hidden.points == 0.0  # the kernel still reports the error, without a traceback
    assert hidden.message == (
        "o teste `teste_normaliza` falhou: AssertionError: esperado média 0, obtido 4.0"
    )


@uses("input_transformer")
def test_an_input_transformer_is_flagged(graded: Graded) -> None:
    result = graded("input_transformer")
    assert ("input-transformer", "normaliza") in _kinds(result)
    # It does defeat the asserts (nbgrader scores what the kernel reports): hence the flag.
    assert result.total == nb.AUTO_POINTS


@uses("ignores_sigint")
def test_a_loop_that_ignores_sigint_still_ends_in_a_grade(graded: Graded) -> None:
    result = graded("ignores_sigint")
    assert result.status is GradeStatus.GRADED
    assert result.total == 2.0
    assert _cell(result, "teste_conta_palavras").message == (
        "o teste `teste_conta_palavras` excedeu o limite de tempo de 5 s por célula e não "
        "atendeu à interrupção; o kernel foi encerrado"
    )
    assert result.resources.wall_s < 30


@uses("reads_hidden")
def test_hidden_tests_cannot_be_read_and_still_count(graded: Graded) -> None:
    result = graded("reads_hidden")
    assert _feedback_lines(result, "ACHOU_TESTES_OCULTOS") == ["ACHOU_TESTES_OCULTOS False"]
    lines = _feedback_lines(result, "NEGADO")
    assert len(lines) == 4 and all("PermissionError" in line for line in lines), lines
    assert _cell(result, "teste_conta_palavras").message == (
        "o teste `teste_conta_palavras` falhou: AssertionError: a contagem não deve diferenciar "
        "maiúsculas"
    )


@uses("million_lines")
def test_a_million_lines_of_output_are_capped_and_graded(graded: Graded) -> None:
    result = graded("million_lines")
    assert result.status is GradeStatus.GRADED
    assert result.total == nb.AUTO_POINTS
    assert "... Output truncated ..." in _feedback_text(result)  # nbgrader's LimitOutput
    assert len(json.dumps(result.feedback_notebook)) < 1024 * 1024


@uses("display_flood")
def test_megabytes_of_rich_output_are_dropped_and_the_notebook_graded(graded: Graded) -> None:
    result = graded("display_flood")
    assert result.total == nb.AUTO_POINTS
    feedback = _feedback_text(result)
    assert "removida pelo corretor: limite de 1048576 bytes por célula" in feedback
    assert len(json.dumps(result.feedback_notebook)) < 2 * 1024 * 1024


@uses("slow_total")
def test_the_whole_run_deadline_scores_what_ran(graded: Graded) -> None:
    result = graded("slow_total")
    assert result.status is GradeStatus.TIMEOUT
    assert result.total == 2.0
    assert _cell(result, "teste_conta_palavras").message == (
        "o teste `teste_conta_palavras` não foi executado: limite de tempo de 20 s atingido"
    )
    assert result.message.startswith("limite de tempo de 20 s atingido")
    assert result.resources.wall_s < 20


@pytest.mark.docker
def test_the_release_leaves_portuguese_placeholders_where_the_solutions_were(
    grader_image: str, tmp_path: Path
) -> None:
    source = nb.write(nb.source_notebook(), tmp_path / "fonte.ipynb")
    release = nb.read(
        prepare_source(source, image=grader_image, cache_dir=tmp_path, limits=FAST).release_path
    )
    assert nb.cell(release, "normaliza").source.endswith(
        '(média 0)."""\n    # SEU CÓDIGO AQUI\n    raise NotImplementedError()'
    )
    assert nb.cell(release, "resposta_escala").source == "SUA RESPOSTA AQUI"
    assert "YOUR" not in json.dumps(release)


@pytest.mark.docker
def test_the_release_and_gradebook_are_prepared_once_per_source(
    grader_image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = nb.write(nb.source_notebook(), tmp_path / "fonte.ipynb")
    first = prepare_source(source, image=grader_image, cache_dir=tmp_path, limits=FAST)
    release = first.release_path.read_text()
    assert "BEGIN SOLUTION" not in release and "BEGIN HIDDEN TESTS" not in release
    assert "a contagem não deve diferenciar" not in release
    assert first.gradebook_path.stat().st_size > 0

    def no_container(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached release should have been used")

    monkeypatch.setattr(grading_container, "run_in_sandbox", no_container)
    again = prepare_source(source, image=grader_image, cache_dir=tmp_path, limits=FAST)
    assert again == first

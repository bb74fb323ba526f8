"""``python -m autograder``: validate, release, grade-notebook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.__main__ import EXIT_INFRA, EXIT_INVALID, EXIT_OK, main, memory_mb, table
from autograder.results import CellResult, GradeStatus, NotebookResult, TamperFinding
from tests.autograder import notebooks as nb

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The real entry point, in a child process, as an instructor would run it."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return nb.write(nb.source_notebook(), tmp_path / "fonte.ipynb")


# -- validate -------------------------------------------------------------------------------------


def test_validate_accepts_a_usable_source(source: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["validate", str(source)]) == EXIT_OK
    assert capsys.readouterr().out.strip() == f"{source}: ok"


def test_validate_prints_every_problem_and_fails(tmp_path: Path) -> None:
    broken = nb.source_notebook()
    nb.cell(broken, "conta_palavras").metadata["nbgrader"]["grade_id"] = "normaliza"
    del nb.cell(broken, "teste_normaliza").metadata["nbgrader"]["points"]
    path = nb.write(broken, tmp_path / "quebrado.ipynb")
    done = run_cli("validate", str(path))
    assert done.returncode == EXIT_INVALID
    assert "erro: teste_normaliza: a célula avaliada `teste_normaliza` não define `points`" in (
        done.stdout
    )
    assert "erro: normaliza: `grade_id` `normaliza` repetido (2 células)" in done.stdout
    assert done.stderr.strip() == f"{path}: inutilizável (2 erros)"


def test_validate_refuses_a_file_that_is_not_a_notebook(tmp_path: Path) -> None:
    path = tmp_path / "x.ipynb"
    path.write_text("{not json")
    assert main(["validate", str(path)]) == EXIT_INVALID


# -- grade-notebook without a container -----------------------------------------------------------


def test_an_unusable_submission_exits_1_with_one_line_on_stderr(
    source: Path, tmp_path: Path
) -> None:
    submission = tmp_path / "entrega.ipynb"
    submission.write_text("não é um notebook")
    done = run_cli(
        "grade-notebook", "--source", str(source), "--submission", str(submission), "--json"
    )
    assert done.returncode == EXIT_INVALID
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("entrada inválida: o arquivo não é um notebook: não é JSON válido")


def test_an_infrastructure_error_exits_3(source: Path, tmp_path: Path) -> None:
    release_like = nb.correct(nb.source_notebook())
    submission = nb.write(release_like, tmp_path / "entrega.ipynb")
    done = run_cli(
        "grade-notebook",
        "--source",
        str(source),
        "--submission",
        str(submission),
        "--image",
        "mle-imagem-que-nao-existe:0",
        env={"AUTOGRADER_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert done.returncode == EXIT_INFRA
    assert "erro de infraestrutura" in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("erro de infraestrutura: image 'mle-imagem-que-nao-existe:0'")
    assert done.stdout == ""


def test_a_submission_missing_from_storage_exits_3_not_1(source: Path, tmp_path: Path) -> None:
    done = run_cli(
        "grade-notebook",
        "--source",
        str(source),
        "--submission",
        str(tmp_path / "sumiu.ipynb"),
        "--json",
    )
    assert done.returncode == EXIT_INFRA
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("erro de infraestrutura: could not read ") and "sumiu.ipynb" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1g", 1024),
        ("512m", 512),
        ("512MB", 512),
        ("2GiB", 2048),
        ("300", 300),
    ],
)
def test_memory_sizes_read_like_dockers(text: str, expected: int) -> None:
    assert memory_mb(text) == expected


def test_the_table_shows_scores_messages_and_findings() -> None:
    result = NotebookResult(
        status=GradeStatus.GRADED,
        total=2.0,
        max_total=5.0,
        cells=[
            CellResult("teste_normaliza", 2.0, 2.0, False, True, "o teste passou"),
            CellResult("teste_conta", 0.0, 3.0, False, False, "o teste `teste_conta` falhou: X"),
        ],
        tampered=[TamperFinding("signals", "conta", 2, "os.kill(os.getpid(), 9)", "usa `os.kill`")],
        message="nota 2 de 5",
    )
    text = table(result)
    assert "Nota: 2 de 5" in text
    assert "teste_conta            0/3  falhou" in text
    assert "- [signals] conta, linha 2: usa `os.kill` — os.kill(os.getpid(), 9)" in text


# -- with the grading container -------------------------------------------------------------------


@pytest.mark.docker
def test_release_then_grade_notebook_prints_json(
    grader_image: str, source: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = {
        "AUTOGRADER_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "notebook-cache"),
        "AUTOGRADER_IMAGE": grader_image,
    }
    student = tmp_path / "aluno.ipynb"
    done = run_cli("release", "--source", str(source), "--output", str(student), env=env)
    assert done.returncode == EXIT_OK, done.stderr
    released = nb.read(student)
    assert "BEGIN SOLUTION" not in json.dumps(released)
    assert "BEGIN HIDDEN TESTS" not in json.dumps(released)

    submission = nb.write(nb.partly_wrong(released), tmp_path / "entrega.ipynb")
    done = run_cli(
        "grade-notebook",
        "--source",
        str(source),
        "--submission",
        str(submission),
        "--timeout",
        "10",
        "--memory",
        "512m",
        "--json",
        env=env,
    )
    assert done.returncode == EXIT_OK, done.stderr
    result = json.loads(done.stdout)
    assert {
        "status",
        "total",
        "max_total",
        "cells",
        "needs_manual_grade",
        "tampered",
        "resources",
        "image",
    } <= set(result)
    assert (result["status"], result["total"], result["max_total"]) == ("graded", 3.0, 6.0)
    assert result["cells"][0] == {
        "grade_id": "teste_normaliza",
        "points": 0.0,
        "max_points": 2.0,
        "manual": False,
        "passed": False,
        "message_id": "cell.failed",
        "message": "o teste `teste_normaliza` falhou: AssertionError: esperado média 0, obtido 4.0",
        "error": result["cells"][0]["error"],
    }
    assert set(result["resources"]) == {"cpu_s", "peak_mem_mb", "wall_s"}
    assert result["image"].startswith("sha256:")
    assert result["limits"]["cell_timeout_seconds"] == 10

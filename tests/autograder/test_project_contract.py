"""The project contract (autograder/project_contract.py): ``projeto.yaml`` read on the host
without trusting it. A bad field is dropped and named in pt-BR, never an exception."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from autograder.project_contract import MAX_CONTRACT_BYTES, Contract, read_contract

FULL = """
    python: "3.11"
    install: requirements.txt
    train: python train.py
    serve: uvicorn app.main:app --port 8000
    test: pytest -q tests
    port: 8000
    train_seconds: 120
"""


def write(repo: Path, text: str, name: str = "projeto.yaml") -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return repo


def test_a_repository_without_the_file_has_no_contract(tmp_path):
    assert read_contract(tmp_path) is None


def test_every_key_is_read(tmp_path):
    contract = read_contract(write(tmp_path, FULL))
    assert contract == Contract(
        file="projeto.yaml",
        python="3.11",
        install="requirements.txt",
        train="python train.py",
        serve="uvicorn app.main:app --port 8000",
        test="pytest -q tests",
        port=8000,
        train_seconds=120.0,
        problems=[],
    )


def test_running_params_carry_only_what_is_declared(tmp_path):
    contract = read_contract(write(tmp_path, FULL))
    assert contract is not None
    assert contract.running_params() == {
        "train": {"command": "python train.py", "timeout_seconds": 120.0},
        "tests": {"command": "pytest -q tests"},
        "serving": {"command": "uvicorn app.main:app --port 8000", "port": 8000},
    }
    only_serve = read_contract(write(tmp_path / "b", "serve: flask --app app run\n"))
    assert only_serve is not None
    assert only_serve.running_params() == {"serving": {"command": "flask --app app run"}}


def test_the_yml_spelling_is_accepted_and_yaml_wins_when_both_exist(tmp_path):
    contract = read_contract(write(tmp_path, "train: python t.py\n", "projeto.yml"))
    assert contract is not None and (contract.file, contract.train) == (
        "projeto.yml",
        "python t.py",
    )
    write(tmp_path, "train: python outro.py\n")
    contract = read_contract(tmp_path)
    assert contract is not None and (contract.file, contract.train) == (
        "projeto.yaml",
        "python outro.py",
    )
    assert contract.problems == ["há projeto.yaml e projeto.yml: foi usado só o projeto.yaml"]


def test_invalid_yaml_is_a_problem_with_its_line(tmp_path):
    contract = read_contract(write(tmp_path, "train: python t.py\nserve: [uvicorn\n"))
    assert contract is not None and contract.train is None and contract.serve is None
    [problem] = contract.problems
    assert problem.startswith("projeto.yaml não é YAML válido: ")
    assert "linha" in problem


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "projeto.yaml está vazio"),
        ("- python train.py\n", "projeto.yaml deve ser um mapeamento de chaves"),
        ("just a string\n", "projeto.yaml deve ser um mapeamento de chaves"),
    ],
)
def test_a_document_that_is_not_a_mapping_is_a_problem(tmp_path, text, problem):
    contract = read_contract(write(tmp_path, text))
    assert contract is not None and contract.running_params() == {}
    assert contract.problems[0].startswith(problem)


def test_unknown_keys_are_named_with_the_keys_that_exist(tmp_path):
    contract = read_contract(write(tmp_path, "servir: uvicorn a:app\ntrain: python t.py\n"))
    assert contract is not None and contract.train == "python t.py" and contract.serve is None
    assert contract.problems == [
        "projeto.yaml: chave desconhecida 'servir' "
        "(use python, install, train, serve, test, port, train_seconds)"
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("serve: [uvicorn, a:app]", "`serve` deve ser um texto (um comando), não uma lista"),
        ("test: 3", "`test` deve ser um texto (um comando), não um número"),
        ("train: {run: x}", "`train` deve ser um texto (um comando), não um mapeamento"),
        ("train:", "`train` deve ser um texto (um comando), não vazio"),
        ("train: '   '", "`train` está vazio"),
        ("port: oito mil", "`port` deve ser um número de porta entre 1 e 65535"),
        ("port: 70000", "`port` deve ser um número de porta entre 1 e 65535, não 70000"),
        ("port: true", "`port` deve ser um número de porta entre 1 e 65535"),
        ("train_seconds: -5", "`train_seconds` deve ser um número de segundos maior que zero"),
        ("train_seconds: .nan", "`train_seconds` deve ser um número de segundos maior que zero"),
        ("train_seconds: muito", "`train_seconds` deve ser um número de segundos"),
        ("python: [3, 11]", '`python` deve ser a versão como texto ("3.11"), não uma lista'),
    ],
)
def test_a_field_of_the_wrong_type_is_dropped_with_a_problem(tmp_path, line, problem):
    contract = read_contract(write(tmp_path, f"{line}\ninstall: requirements.txt\n"))
    assert contract is not None and contract.install == "requirements.txt"  # the rest is kept
    assert [p for p in contract.problems if p.startswith(problem)], contract.problems
    key = line.split(":")[0]
    assert getattr(contract, key) is None


def test_a_multi_line_command_is_refused(tmp_path):
    text = "train: |\n  python prepara.py\n  python treina.py\n"
    contract = read_contract(write(tmp_path, text))
    assert contract is not None and contract.train is None
    assert contract.problems == [
        "`train` deve ser um comando de uma linha só (junte os passos com &&)"
    ]


def test_a_folded_command_is_one_line(tmp_path):
    text = "train: >\n  python treina.py\n  --epocas 3\n"
    contract = read_contract(write(tmp_path, text))
    assert contract is not None and contract.train == "python treina.py --epocas 3"


def test_a_command_over_500_characters_is_refused(tmp_path):
    contract = read_contract(write(tmp_path, f"serve: uvicorn a:app {'x' * 500}\n"))
    assert contract is not None and contract.serve is None
    assert contract.problems == ["`serve` passa de 500 caracteres"]


def test_numbers_written_as_text_are_accepted(tmp_path):
    contract = read_contract(write(tmp_path, "port: '8080'\ntrain_seconds: '90'\n"))
    assert contract is not None and (contract.port, contract.train_seconds) == (8080, 90.0)
    assert contract.problems == []


def test_a_python_version_read_as_a_number_is_kept_and_the_student_told(tmp_path):
    contract = read_contract(write(tmp_path, "python: 3.10\n"))
    assert contract is not None and contract.python == "3.1"
    assert contract.problems == [
        '`python` foi lido como o número 3.1: escreva entre aspas ("3.11")'
    ]


def test_train_seconds_over_the_maximum_is_capped(tmp_path):
    contract = read_contract(write(tmp_path, "train: python t.py\ntrain_seconds: 99999\n"))
    assert contract is not None and contract.train_seconds == 1800.0
    assert contract.problems == ["`train_seconds` passa do máximo de 1800 s: usado 1800"]


def test_a_huge_file_is_not_read(tmp_path):
    write(tmp_path, "train: python t.py\n" + "# comentário\n" * (MAX_CONTRACT_BYTES // 10))
    contract = read_contract(tmp_path)
    assert contract is not None and contract.train is None
    assert contract.problems == ["projeto.yaml passa de 64 KB e não foi lido"]


def test_a_symlink_is_not_followed(tmp_path):
    secret = write(tmp_path / "fora", "train: cat /etc/shadow\n") / "projeto.yaml"
    repo = tmp_path / "repo"
    repo.mkdir()
    os.symlink(secret, repo / "projeto.yaml")
    contract = read_contract(repo)
    assert contract is not None and contract.train is None
    assert contract.problems == [
        "projeto.yaml é um link simbólico e não foi lido (use um arquivo comum)"
    ]


def test_a_directory_named_like_the_file_is_a_problem(tmp_path):
    (tmp_path / "projeto.yaml").mkdir()
    contract = read_contract(tmp_path)
    assert contract is not None
    assert contract.problems == ["projeto.yaml não é um arquivo comum e não foi lido"]


def test_yaml_tags_that_would_run_code_are_refused(tmp_path):
    text = "train: !!python/object/apply:os.system ['touch /tmp/pwned']\n"
    contract = read_contract(write(tmp_path, text))
    assert contract is not None and contract.train is None
    assert contract.problems[0].startswith("projeto.yaml não é YAML válido: ")


def test_aliases_are_not_expanded_into_messages(tmp_path):
    text = "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nserve: *c\n"
    contract = read_contract(write(tmp_path, text))
    assert contract is not None and contract.serve is None
    assert all(len(problem) < 200 for problem in contract.problems)

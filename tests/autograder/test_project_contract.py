"""The project contract (autograder/project_contract.py): ``projeto.yaml`` read on the host
without trusting it. A bad field is dropped and named in pt-BR, never an exception."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from autograder.checks import serving as serving_check
from autograder.checks.base import CheckContext
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


# -- what the serving check says about the contract ------------------------------------------------

SERVING_PARAMS = {"p95_ms_full": 200, "p95_ms_partial": 1000}


def serving_report(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "source": "projeto.yaml",
        "command": "uvicorn app.main:app --port 8000",
        "mode": "declarado",
        "served_with": "uvicorn app.main:app",
        "found": True,
        "app": {
            "file": "app/main.py",
            "module": "app.main",
            "attribute": "app",
            "framework": "fastapi",
            "factory": False,
        },
        "started": True,
        "startup_seconds": 1.0,
        "health": {"path": "/health", "status": 200, "body": "{}"},
        "predict": {
            "path": "/predict",
            "status": 200,
            "body_sent": {"x": 1.0},
            "response": '{"y": 1, "model_version": "1"}',
        },
        "invalid": {"path": "/predict", "status": 422, "body_sent": {"x": "a"}},
        "latency": {
            "method": "POST",
            "path": "/predict",
            "requests": 50,
            "failures": 0,
            "p50_ms": 2.0,
            "p95_ms": 4.0,
        },
        "log_tail": "",
        "reason": "",
    }
    report.update(changes)
    return report


TRAINED = {
    "ran": True,
    "command": "python train.py",
    "exit_code": 0,
    "timed_out": False,
    "seconds": 4.4,
    "output_tail": "salvo",
    "reason": "",
    "new_files": ["models/model.joblib"],
    "new_files_total": 1,
}


def grade_serving(run: dict[str, Any], repo: Path = Path("/nenhum")) -> Any:
    context = CheckContext(repo=repo, params=SERVING_PARAMS, max_points=15, run=run)
    return serving_check.check(context)


def test_the_serving_justification_names_the_serve_command_and_the_training():
    outcome = grade_serving({"serving": serving_report(), "train": TRAINED})
    assert outcome.fraction == 1.0
    assert outcome.justification.endswith(
        " API iniciada pelo comando `serve` do projeto.yaml: `uvicorn app.main:app --port 8000`"
        " (servida pelo corretor como `uvicorn app.main:app`). Antes dos testes e da API, o"
        " treino (`python train.py`, do projeto.yaml) rodou em 4,4 s com código 0 e gerou"
        " models/model.joblib."
    )
    assert "gerado: models/model.joblib" in outcome.evidence


def test_without_a_contract_it_says_the_app_was_discovered():
    run = {"serving": serving_report(source="descoberta", command=None, mode="descoberta")}
    outcome = grade_serving(run)
    assert outcome.justification.endswith(
        "Sem projeto.yaml: app encontrado por descoberta em app/main.py."
    )


def test_a_contract_without_serve_says_the_app_was_still_discovered(tmp_path):
    write(tmp_path, "train: python train.py\n")
    run = {"serving": serving_report(source="descoberta", command=None, mode="descoberta")}
    outcome = grade_serving(run, tmp_path)
    assert outcome.justification.endswith(
        "Sem `serve` no projeto.yaml: app encontrado por descoberta em app/main.py."
    )
    assert "sem projeto.yaml" not in outcome.justification.lower()


def test_a_failed_training_is_quoted_and_blamed_for_the_missing_model():
    train = {
        **TRAINED,
        "exit_code": 1,
        "seconds": 0.1,
        "reason": "o treino terminou com código 1",
        "output_tail": "lendo dados\nTraceback\nFileNotFoundError: dados/treino.csv\n",
        "new_files": [],
    }
    serving = serving_report(
        started=False,
        exit_code=1,
        reason="a API encerrou ao iniciar (código 1)",
        log_tail="FileNotFoundError: models/model.joblib",
    )
    outcome = grade_serving({"serving": serving, "train": train})
    assert outcome.fraction == 0.0
    assert (
        "O treino do projeto.yaml (`python train.py`) falhou em 0,1 s: o treino terminou com"
        " código 1 (fim da saída: lendo dados | Traceback | FileNotFoundError: dados/treino.csv);"
        " a API provavelmente precisa do modelo que ele deveria gerar." in outcome.justification
    )


def test_an_api_missing_its_model_without_a_contract_is_told_about_train():
    serving = serving_report(
        source="descoberta",
        mode="descoberta",
        started=False,
        exit_code=1,
        reason="a API encerrou ao iniciar (código 1)",
        log_tail="FileNotFoundError: models/model.joblib",
    )
    outcome = grade_serving({"serving": serving})
    assert "declare `train` e `serve` em um projeto.yaml" in outcome.justification


def test_a_command_served_as_written_names_its_port():
    serving = serving_report(
        mode="comando",
        command="cd servico && uvicorn api:app --port 8100",
        port=8100,
        app={"file": None, "module": None, "attribute": None, "framework": None},
    )
    outcome = grade_serving({"serving": serving})
    assert outcome.justification.startswith("API na porta 8100 subiu em 1,0 s")
    assert "`cd servico && uvicorn api:app --port 8100`, testada na porta 8100." in (
        outcome.justification
    )


def test_nothing_found_says_what_was_tried_and_suggests_the_contract(tmp_path):
    reason = "nenhuma aplicação FastAPI ou Flask encontrada em 2 arquivos .py (procurado x)"
    run = {"serving": {"source": "descoberta", "found": False, "reason": reason}}
    outcome = grade_serving(run, tmp_path)
    assert outcome.justification == (
        f"Sem API: {reason}. Para não depender da descoberta, crie um projeto.yaml na raiz com"
        " os comandos `train` e `serve` (por exemplo, `serve: uvicorn app.main:app --port"
        " 8000`)."
    )
    write(tmp_path, "train: python t.py\nservir: uvicorn a:app\n")
    outcome = grade_serving(run, tmp_path)
    assert "Declare no projeto.yaml o comando `serve`" in outcome.justification
    assert outcome.justification.endswith(
        "Problemas no projeto.yaml, ignorados na correção: projeto.yaml: chave desconhecida"
        " 'servir' (use python, install, train, serve, test, port, train_seconds)."
    )

"""Checks that real projects showed to be implausible (docs/calibration.md), each reproduced
with a few synthetic files: a lower-case ``dockerfile``, whitespace-only lint findings, an
empty skeleton, a GitHub Actions token piped to ``docker login``, ``import json`` taken for
structured logs, and a stray ``test.txt`` that pytest reads as a doctest.

The checks run with the course rubric's params and levels (``test_checks_static.grade``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autograder.checks import code_quality
from autograder.checks import tests as tests_check
from autograder.checks.base import CheckContext
from autograder.container import project_tests
from tests.autograder.test_checks_static import grade, write
from tests.autograder.test_project_run import TESTS_PARAMS, canned_tests

GOOD_DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
USER app
HEALTHCHECK CMD curl -f http://localhost:8000/health
CMD ["uvicorn", "app:app"]
"""
BARE_DOCKERFILE = (
    'FROM python:3.11-slim\nCOPY . .\nRUN pip install -r requirements.txt\nCMD ["x"]\n'
)


# -- containerizacao: where the Dockerfile is ------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "dockerfile",
        "Dockerfile.api",
        "api.Dockerfile",
        "docker/Dockerfile",
        "deploy/Dockerfile",
        "deploy/dockerfile",
        "Containerfile",
    ],
)
def test_dockerfile_is_found_under_the_names_docker_build_accepts(tmp_path, name):
    write(tmp_path, name, GOOD_DOCKERFILE)
    points, outcome = grade("containerizacao", tmp_path)
    assert points >= 8, outcome.justification
    assert outcome.justification.startswith(f"{name} analisado")


def test_dockerfile_at_the_root_is_preferred_and_the_others_are_named(tmp_path):
    write(tmp_path, "docker/Dockerfile", BARE_DOCKERFILE)
    write(tmp_path, "Dockerfile.api", BARE_DOCKERFILE)
    write(tmp_path, "Dockerfile", GOOD_DOCKERFILE)
    points, outcome = grade("containerizacao", tmp_path)
    assert points >= 8
    assert outcome.justification.startswith(
        "Dockerfile analisado (outros: Dockerfile.api, docker/Dockerfile)"
    )


def test_dockerfile_plain_name_wins_over_a_variant_in_the_same_directory(tmp_path):
    write(tmp_path, "docker/api.Dockerfile", BARE_DOCKERFILE)
    write(tmp_path, "docker/Dockerfile", GOOD_DOCKERFILE)
    _, outcome = grade("containerizacao", tmp_path)
    assert outcome.justification.startswith("docker/Dockerfile analisado")


def test_dockerfile_notes_and_ignore_files_are_not_dockerfiles(tmp_path):
    write(tmp_path, "Dockerfile.md", "# Como construir a imagem\n")
    write(tmp_path, "Dockerfile.dockerignore", ".venv\n")
    points, outcome = grade("containerizacao", tmp_path)
    assert points == 0
    assert outcome.justification.startswith("Nenhum Dockerfile encontrado")
    assert "dockerfile, Dockerfile.*" in outcome.justification


# -- qualidade-codigo ------------------------------------------------------------------------

TIDY_MODULE = '''\
"""Features do modelo."""


def dobra(valor: float) -> float:
    return valor * 2


def soma(a: float, b: float) -> float:
    return a + b
'''


def tidy_package(repo: Path) -> Path:
    write(repo, "src/churn/__init__.py", "")
    write(repo, "src/churn/features.py", TIDY_MODULE)
    write(repo, "src/churn/modelo.py", TIDY_MODULE)
    return repo


def test_whitespace_findings_are_named_but_not_counted(tmp_path):
    repo = tidy_package(tmp_path)
    spaced = "\n".join(line + "   " if line else "    " for line in TIDY_MODULE.splitlines())
    write(repo, "src/churn/api.py", spaced)  # W291, W293 on every line, W292 at the end
    points, outcome = grade("qualidade-codigo", repo)
    assert points == 5, outcome.justification
    assert "0 achados, 0,0 por 1.000 linhas" in outcome.justification
    assert "avisos só de espaços em branco (W291, W292, W293), não contados" in (
        outcome.justification
    )
    assert not any("W29" in item for item in outcome.evidence)


def test_whitespace_does_not_hide_real_findings(tmp_path):
    repo = tidy_package(tmp_path)
    write(repo, "src/churn/ruido.py", "".join(f"import os as m{i}   \n" for i in range(10)))
    points, outcome = grade("qualidade-codigo", repo)
    assert points == 2.5
    assert "10 achados" in outcome.justification and "F401 (10)" in outcome.justification
    assert "10 avisos só de espaços em branco (W291)" in outcome.justification


def test_a_skeleton_of_empty_files_gets_zero_with_the_reason(tmp_path):
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/main.py", "")
    write(tmp_path, "ml/train.py", '"""Treino do modelo (a fazer)."""\n# TODO\npass\n')
    points, outcome = grade("qualidade-codigo", tmp_path)
    assert points == 0
    assert outcome.justification.startswith(
        "3 arquivos Python sem nenhuma instrução de código (vazios ou só comentários e "
        "docstrings): não há código para avaliar."
    )
    assert "0 achados" not in outcome.justification


GKE_WORKFLOW = """\
jobs:
  deploy:
    steps:
      - name: Google Auth
        id: auth
        uses: 'google-github-actions/auth@v2'
        with:
          token_format: 'access_token'
          workload_identity_provider: ${{ secrets.GCP_WORKLOAD_IDENTITY_PROVIDER }}
      - name: Docker Auth
        run: |-
          echo ${{ steps.auth.outputs.access_token }} | docker login -u oauth2 --password-stdin
      - run: echo "${{ secrets.DOCKER_PASSWORD }}" | docker login -u ana --password-stdin
        env:
          API_TOKEN: "${{ secrets.API_TOKEN }}"
          client_secret: 'client_secret'
"""


def test_github_actions_expressions_and_password_stdin_are_not_secrets(tmp_path):
    write(tmp_path, ".github/workflows/deploy.yml", GKE_WORKFLOW)
    assert code_quality.find_secrets(tmp_path) == []


def test_a_token_written_in_a_workflow_is_still_a_secret(tmp_path):
    leaked = GKE_WORKFLOW + '          HF_TOKEN: "hf_q8Zk2LmN4pR7sT1vW3xY5"\n'
    leaked += "          AWS_ACCESS_KEY_ID: AKIAQ2Z7EXAMPLE4WXYZ\n"
    write(tmp_path, ".github/workflows/deploy.yml", leaked)
    assert code_quality.find_secrets(tmp_path) == [
        ".github/workflows/deploy.yml:17 (senha ou token em texto)",
        ".github/workflows/deploy.yml:18 (chave de acesso AWS)",
    ]


def sized(repo: Path, relative: str, megabytes: float) -> None:
    target = repo / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        handle.truncate(int(megabytes * 1024 * 1024))


def test_generated_files_committed_are_named_without_costing_points(tmp_path):
    repo = tidy_package(tmp_path)
    before, _ = grade("qualidade-codigo", repo)
    sized(repo, "src/churn/__pycache__/features.cpython-311.pyc", 0.01)
    sized(repo, "src/churn/__pycache__/modelo.cpython-311.pyc", 0.01)
    sized(repo, "modelos/modelo.pkl", 2)
    sized(repo, "modelos/pequeno.joblib", 0.5)
    sized(repo, "dados/brutos/clientes.csv", 6)
    sized(repo, "dados/amostra.csv", 1)
    write(repo, "mlruns/0/meta.yaml", "name: Default\n")
    sized(repo, ".venv/lib/dados.csv", 8)  # an ignored tree: not the project's
    points, outcome = grade("qualidade-codigo", repo)
    assert points == before == 5
    assert (
        "arquivos gerados versionados: 2 arquivos .pyc (src/churn/__pycache__), "
        "dados/brutos/clientes.csv (6,0 MB), modelos/modelo.pkl (2,0 MB), "
        "mlruns/ com execuções do MLflow (não tiram pontos aqui"
    ) in outcome.justification
    assert "pequeno.joblib" not in outcome.justification
    assert "amostra.csv" not in outcome.justification and ".venv" not in outcome.justification


# -- monitoracao: structured logs are logs written as JSON -----------------------------------

API_WITHOUT_JSON_LOGS = """\
import json
import logging

from pydantic import BaseModel

logging.basicConfig(level=logging.INFO, format="%(asctime)s - %(levelname)s - %(message)s")


class Cliente(BaseModel):
    idade: int

    class Config:
        json_schema_extra = {"example": {"idade": 42}}


def read_json(caminho):
    with open(caminho) as arquivo:
        return json.load(arquivo)


def write_json(caminho, dados):
    with open(caminho, "w") as arquivo:
        arquivo.write(json.dumps(dados))


def prever(cliente):
    logging.info(f"previsão para {cliente}")
    return json.dumps({"churn": 0.3})
"""


def test_json_in_responses_schemas_and_file_helpers_is_not_structured_logging(tmp_path):
    write(tmp_path, "app/main.py", API_WITHOUT_JSON_LOGS)
    points, outcome = grade("monitoracao", tmp_path)
    assert points == 0, outcome.justification
    assert outcome.evidence == []
    assert outcome.justification.startswith("Logs estruturados: nada encontrado no código")


def test_an_old_rubric_listing_json_does_not_count_import_json(tmp_path):
    write(tmp_path, "app/main.py", API_WITHOUT_JSON_LOGS)
    old_signals = {"logs": ["json", "structlog"], "drift": ["ks_2samp"]}
    points, outcome = grade("monitoracao", tmp_path, signals=old_signals)
    assert points == 0 and outcome.evidence == []


@pytest.mark.parametrize(
    ("code", "cited"),
    [
        (
            "import json, logging\n\n\nclass Linha(logging.Formatter):\n"
            "    def format(self, record):\n"
            "        return json.dumps({'msg': record.getMessage()})\n",
            "log.py:4 Linha (gera JSON)",
        ),
        (
            "import logging\nfrom pythonjsonlogger import jsonlogger\n\n"
            "handler = logging.StreamHandler()\nhandler.setFormatter(jsonlogger.JsonFormatter())\n",
            "log.py:2 pythonjsonlogger",
        ),
        (
            "import structlog\n\nlog = structlog.get_logger()\n",
            "log.py:1 structlog",
        ),
        (
            "import sys\nfrom loguru import logger\n\nlogger.add(sys.stdout, serialize=True)\n",
            "log.py:4 serialize=True",
        ),
        (
            "import logging\n\nlogging.basicConfig(\n"
            '    format=\'{"hora": "%(asctime)s", "msg": "%(message)s"}\'\n)\n',
            "log.py:3 basicConfig com formato JSON",
        ),
        (
            "import json\nimport logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
            "def prever(x):\n    logger.info(json.dumps({'evento': 'previsao', 'x': x}))\n",
            "log.py:8 logger.info(json.dumps(...))",
        ),
    ],
    ids=["formatter", "python-json-logger", "structlog", "loguru", "format-string", "json-line"],
)
def test_logs_written_as_json_are_structured_logging(tmp_path, code, cited):
    write(tmp_path, "log.py", code)
    points, outcome = grade("monitoracao", tmp_path)
    assert points == 5, outcome.justification
    assert cited in outcome.evidence


def test_json_dumps_printed_or_shown_is_not_a_log(tmp_path):
    write(
        tmp_path,
        "painel.py",
        "import json\nimport logging\n\nimport streamlit as st\n\n"
        "st.info(json.dumps({'a': 1}))\nprint(json.dumps({'a': 1}))\n",
    )
    points, outcome = grade("monitoracao", tmp_path)
    assert points == 0 and outcome.evidence == []


# -- testes: a stray test*.txt is read as a doctest ------------------------------------------


def pytest_junit(repo: Path) -> bytes:
    """pytest's JUnit report for ``repo``, with the options the project container adds."""
    junit = repo.parent / "junit.xml"
    options = ["-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
    subprocess.run(
        [sys.executable, "-m", "pytest", *options, "--continue-on-collection-errors", str(repo)],
        cwd=repo,
        capture_output=True,
        check=False,
        timeout=120,
    )
    return junit.read_bytes()


def test_a_text_file_pytest_reads_as_a_doctest_is_not_a_broken_test_module(tmp_path):
    repo = tmp_path / "p"
    (repo / "dados").mkdir(parents=True)
    (repo / "test.txt").write_bytes("olá\r\n".encode("utf-16"))  # a Windows `echo > test.txt`
    (repo / "dados" / "test_clientes.txt").write_bytes("id;idade\r\n".encode("utf-16"))
    write(repo, "tests/test_modelo.py", "def test_prevê():\n    assert 1 + 1 == 2\n")
    write(repo, "tests/test_quebrado.py", "import modulo_que_nao_existe\n")
    files = {
        "test.txt",
        "dados/test_clientes.txt",
        "tests/test_modelo.py",
        "tests/test_quebrado.py",
    }
    summary = project_tests.summarize_junit(project_tests.parse_junit(pytest_junit(repo)), files)
    assert [item["name"] for item in summary["doctest_errors"]] == [
        "dados/test_clientes.txt",
        "test.txt",
    ]
    assert [item["name"] for item in summary["collection_errors"]] == ["tests/test_quebrado.py"]
    assert (summary["passed"], summary["errors"]) == (1, 0)


def test_a_doctest_file_alone_lowers_no_level_and_says_what_to_do():
    run = canned_tests(
        exit_code=1,  # pytest's, for the unreadable test.txt alone
        doctest_errors=[{"name": "test.txt", "message": "UnicodeDecodeError: 'utf-8' codec"}],
    )
    outcome = tests_check.check(
        CheckContext(repo=Path("."), params=TESTS_PARAMS, max_points=5, run=run)
    )
    assert outcome.fraction == 1.0, outcome.justification
    assert (
        "O pytest tentou ler test.txt como doctest (arquivos test*.txt são doctests por padrão) "
        "e não conseguiu, o que não conta como teste quebrado: renomeie o arquivo ou configure "
        "`--doctest-glob` no pytest."
    ) in outcome.justification
    assert "não pôde ser coletado" not in outcome.justification
    assert "doctest ilegível: test.txt" in outcome.evidence


def test_a_doctest_file_does_not_hide_a_failing_test():
    run = canned_tests(
        exit_code=1,
        passed=11,
        failed=1,
        failures=[{"name": "tests/test_api.py::test_predict", "kind": "falha", "message": "x"}],
        doctest_errors=[{"name": "test.txt", "message": "UnicodeDecodeError"}],
    )
    outcome = tests_check.check(
        CheckContext(repo=Path("."), params=TESTS_PARAMS, max_points=5, run=run)
    )
    assert outcome.fraction == 0.5
    assert "tentou ler test.txt como doctest" in outcome.justification

"""The static final-project checks (readme, mlflow, packaging, monitoring, code_quality).

They read a checkout on the host and never run it, so these tests need no Docker: each check
runs on the fixture projects of ``tests/autograder/projects.py`` (and on targeted bad cases
derived from them) with the criterion's real ``params`` and levels from the course rubric,
and the points come from ``points_for`` exactly as the grader computes them. cfn-lint and
ruff run for real, as subprocesses.
"""

from __future__ import annotations

import ast
import importlib
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from autograder.checks import code_quality, dockerfile, mlflow, monitoring, repofiles
from autograder.checks.base import CheckContext, CheckOutcome, points_for
from tests.autograder import projects

RUBRIC = Path(__file__).resolve().parents[2] / "course_content" / "final_project" / "rubric.yaml"
CRITERIA = {item["key"]: item for item in yaml.safe_load(RUBRIC.read_text())["criteria"]}


def grade(key: str, repo: Path, **params: Any) -> tuple[float, CheckOutcome]:
    """Run the criterion's check on ``repo``: (points by the rubric levels, outcome)."""
    criterion = CRITERIA[key]
    module = importlib.import_module(f"autograder.checks.{criterion['check']}")
    context = CheckContext(
        repo=repo, params={**criterion["params"], **params}, max_points=float(criterion["points"])
    )
    outcome = module.check(context)
    assert 0.0 <= outcome.fraction <= 1.0
    return points_for(outcome.fraction, context.max_points, criterion["levels"]), outcome


@pytest.fixture
def strong(tmp_path: Path) -> Path:
    return projects.strong(tmp_path / "forte")


@pytest.fixture
def weak(tmp_path: Path) -> Path:
    return projects.weak(tmp_path / "fraco")


def write(repo: Path, relative: str, text: str) -> Path:
    target = repo / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def test_every_static_check_is_a_rubric_criterion():
    checks = {item.get("check") for item in CRITERIA.values()}
    assert {"readme", "mlflow", "packaging", "monitoring", "code_quality"} <= checks


# -- readme ----------------------------------------------------------------------------------


def test_readme_strong_gets_full_points(strong):
    points, outcome = grade("readme", strong)
    assert points == 10
    assert "Objetivo, Dados, Como executar, Arquitetura, Resultados" in outcome.justification
    assert "diagrama de arquitetura presente" in outcome.justification
    assert "seções: 5/5" in outcome.evidence


def test_readme_weak_gets_zero_and_says_what_is_missing(weak):
    points, outcome = grade("readme", weak)
    assert points == 0
    assert "faltam: Objetivo, Dados, Como executar, Arquitetura, Resultados" in (
        outcome.justification
    )
    assert "3 palavras" in outcome.justification
    assert "pelo menos 400 palavras (faltam 397)" in outcome.justification


def test_readme_missing_a_section_is_partial(strong):
    readme = strong / "README.md"
    readme.write_text(readme.read_text().replace("## Resultados", "## Números"))
    points, outcome = grade("readme", strong)
    assert points == 5
    assert "faltam: Resultados" in outcome.justification
    assert "acrescente as seções Resultados" in outcome.justification


def test_readme_sections_must_be_headings_not_words(tmp_path):
    words = " ".join(["texto"] * 450)
    write(
        tmp_path,
        "README.md",
        "# Projeto\n\nObjetivo, dados, como executar, arquitetura e "
        f"resultados estão todos aqui em prosa. {words} https://example.org\n",
    )
    points, outcome = grade("readme", tmp_path)
    assert points == 0
    assert "nenhuma das seções pedidas foi encontrada" in outcome.justification


def test_readme_short_and_without_commands_is_partial(tmp_path):
    write(
        tmp_path,
        "README.md",
        "\n".join(
            f"{title}\n{'=' * len(title)}\n\nTexto curto.\n"
            for title in ("Objetivo", "Dados", "Como executar", "Arquitetura", "Resultados")
        ),
    )
    points, outcome = grade("readme", tmp_path)
    assert points == 5  # setext headings count; too short, no commands
    assert "seções encontradas: Objetivo, Dados, Como executar, Arquitetura, Resultados" in (
        outcome.justification
    )
    assert "comandos exatos" in outcome.justification


def test_readme_badge_is_not_an_architecture_diagram(strong):
    readme = strong / "README.md"
    text = readme.read_text()
    start = text.index("```\ndados brutos")
    end = text.index("```", start + 3) + 3
    readme.write_text(
        "![CI](https://github.com/x/y/actions/workflows/ci.yml/badge.svg)\n"
        + text[:start]
        + text[end:]
    )
    points, outcome = grade("readme", strong)
    assert points == 8
    assert "acrescente um diagrama de arquitetura" in outcome.justification


def test_readme_absent(tmp_path):
    write(tmp_path, "main.py", "print('oi')\n")
    points, outcome = grade("readme", tmp_path)
    assert points == 0
    assert outcome.justification.startswith("Nenhum README encontrado")


# -- mlflow ----------------------------------------------------------------------------------


def test_mlflow_strong_gets_full_points(strong):
    points, outcome = grade("modelagem-mlflow", strong)
    assert points == 15
    assert "src/churn/train.py:" in outcome.justification
    assert "src/churn/train.py:29 log_model (registered_model_name)" in outcome.evidence
    assert any(item.endswith("set_registered_model_alias") for item in outcome.evidence)


def test_mlflow_weak_gets_zero(weak):
    points, outcome = grade("modelagem-mlflow", weak)
    assert points == 0
    assert outcome.justification.startswith("0 chamadas de tracking")


def test_mlflow_only_in_comments_and_strings_counts_for_nothing(tmp_path):
    write(
        tmp_path,
        "treino.py",
        '''
"""Treina com mlflow.start_run() e mlflow.log_metric (um dia)."""
# mlflow.log_param("alpha", 1); mlflow.register_model("runs:/x", "m")
NOTA = "mlflow.log_model(modelo, 'model', registered_model_name='m')"


def log_metric(nome, valor):   # a student's own function, not MLflow's
    print(nome, valor)


log_metric("acc", 0.9)
''',
    )
    points, outcome = grade("modelagem-mlflow", tmp_path)
    assert points == 0
    assert outcome.evidence == []
    assert "citado em treino.py, mas só em texto ou comentário" in outcome.justification


def test_mlflow_calls_resolved_through_imports_and_aliases():
    source = """
import mlflow as mf
import mlflow.sklearn as mls
from mlflow import log_metric as lm
from mlflow.tracking import MlflowClient
from mlflow import *

with mf.start_run(nested=True):
    lm("auc", 0.8)
    mls.log_model(modelo, "model", registered_model_name="churn")
    mls.log_model(modelo, "model", registered_model_name=None)


class Treino:
    def __init__(self):
        self.cliente = MlflowClient()

    def promove(self):
        self.cliente.transition_model_version_stage("churn", 1, "Production")


MlflowClient().set_registered_model_alias("churn", "champion", 1)
log_params({"a": 1})
"""
    calls = mlflow.calls_in_source(source, "x.py")
    apis = [(call.api, call.where) for call in calls if call.api != "MlflowClient"]
    assert apis == [
        ("start_run", "x.py:8"),
        ("log_metric", "x.py:9"),
        ("log_model", "x.py:10"),
        ("log_model", "x.py:11"),
        ("transition_model_version_stage", "x.py:19"),
        ("set_registered_model_alias", "x.py:22"),
        ("log_params", "x.py:23"),
    ]
    registers = [call.registers for call in calls if call.api == "log_model"]
    assert registers == [True, False]
    assert calls[0].nested is True


def test_mlflow_tracking_without_registry_is_partial(tmp_path):
    write(
        tmp_path,
        "treino.py",
        """
import mlflow

with mlflow.start_run():
    mlflow.log_param("alpha", 0.1)
    mlflow.log_metric("rmse", 1.2)
""",
    )
    write(
        tmp_path,
        "analise.ipynb",
        '{"cells": [{"cell_type": "code", "source": '
        '["%matplotlib inline\\n", "import mlflow\\n", "mlflow.log_metric(\\"r2\\", 0.5)"]}]}',
    )
    points, outcome = grade("modelagem-mlflow", tmp_path)
    assert points == 7.5
    assert "4 chamadas de tracking" in outcome.justification
    assert "analise.ipynb:célula 1:3" in outcome.justification
    assert "registre o modelo final no Model Registry" in outcome.justification


# -- packaging: Dockerfile -------------------------------------------------------------------


def test_dockerfile_strong_gets_full_points(strong):
    points, outcome = grade("containerizacao", strong)
    assert points == 10
    assert "python:3.11.9-slim (linha 1, fixada)" in outcome.justification
    assert "usuário não root 'app' (linha 7)" in outcome.justification
    assert "Dockerfile:9 HEALTHCHECK" in outcome.evidence


def test_dockerfile_weak_gets_zero(weak):
    points, outcome = grade("containerizacao", weak)
    assert points == 0
    assert outcome.justification.startswith("Nenhum Dockerfile encontrado")


def test_dockerfile_latest_as_root_is_partial(tmp_path):
    write(
        tmp_path,
        "Dockerfile",
        "FROM python:latest\nCOPY . .\n"
        'RUN pip install -r requirements.txt\nCMD ["python", "app.py"]\n',
    )
    points, outcome = grade("containerizacao", tmp_path)
    assert points == 5
    assert "python:latest (linha 1, sem versão fixa)" in outcome.justification
    assert "roda como root" in outcome.justification
    assert "fixe a versão da imagem base" in outcome.justification


def test_dockerfile_one_improvement_left_meets(strong):
    dockerfile = strong / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("USER app\n", ""))
    points, outcome = grade("containerizacao", strong)
    assert points == 8
    assert "crie um usuário sem privilégios" in outcome.justification


def test_dockerfile_without_start_command_is_partial(strong):
    dockerfile = strong / "Dockerfile"
    dockerfile.write_text(
        "\n".join(
            line for line in dockerfile.read_text().splitlines() if not line.startswith("CMD")
        )
    )
    points, outcome = grade("containerizacao", strong)
    assert points == 5
    assert "falta CMD ou ENTRYPOINT" in outcome.justification


def test_dockerfile_parsing_args_stages_and_continuations():
    facts = dockerfile.inspect_dockerfile(
        "Dockerfile",
        """
ARG PY=3.11
FROM python:${PY}-slim AS build
RUN pip install \\
    --no-cache-dir -r requirements.txt
FROM build
USER 10001
# a comment
ENTRYPOINT ["uvicorn"]
""",
    )
    assert facts.bases == [(3, "python:3.11-slim")]  # `FROM build` is a stage, not an image
    assert facts.stages == 2 and facts.install == 4
    assert facts.user == (7, "10001") and facts.start == (9, "ENTRYPOINT")


# -- packaging: CI ---------------------------------------------------------------------------


def test_ci_strong_gets_full_points(strong):
    points, outcome = grade("ci-cd", strong)
    assert points == 10
    assert "gatilhos pull_request, push; lint ('Lint'), testes ('Testes')" in (
        outcome.justification
    )


def test_ci_weak_gets_zero(weak):
    points, outcome = grade("ci-cd", weak)
    assert points == 0
    assert outcome.justification.startswith("Nenhum workflow de CI encontrado")


def test_ci_invalid_yaml_is_partial(strong):
    write(strong, ".github/workflows/deploy.yml", "on: [push\njobs:\n  x: {\n")
    points, outcome = grade("ci-cd", strong)
    assert points == 5
    assert "YAML inválido ou sem jobs: .github/workflows/deploy.yml (linha" in (
        outcome.justification
    )


def test_ci_installing_tools_is_not_running_them(tmp_path):
    write(
        tmp_path,
        ".github/workflows/ci.yaml",
        """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: pip install ruff pytest
      - run: python -m pytest
""",
    )
    points, outcome = grade("ci-cd", tmp_path)
    assert points == 5
    assert "acrescente etapas de lint" in outcome.justification
    assert "dispare o workflow de testes em push e em pull_request" in outcome.justification


def test_ci_lint_and_tests_without_cache_or_build_meets(tmp_path):
    write(
        tmp_path,
        ".github/workflows/ci.yml",
        """
on:
  push:
  pull_request:
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: flake8 src
      - run: pytest -q
""",
    )
    points, outcome = grade("ci-cd", tmp_path)
    assert points == 8
    assert "ative o cache de dependências" in outcome.justification


# -- packaging: CloudFormation ---------------------------------------------------------------

BROKEN_TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketNam: dados-churn
"""


def test_cloudformation_strong_gets_full_points(strong):
    points, outcome = grade("iac", strong)
    assert points == 10
    assert "cfn-lint: 0 erros (máximo 0)" in outcome.justification
    assert "3 recursos, 2 parâmetros, 2 outputs, 2 com tags" in outcome.justification


def test_cloudformation_weak_gets_zero(weak):
    points, outcome = grade("iac", weak)
    assert points == 0
    assert outcome.justification.startswith("Nenhum template CloudFormation")


def test_cloudformation_with_lint_error_is_partial(strong):
    write(strong, "infra/storage.yml", BROKEN_TEMPLATE)
    points, outcome = grade("iac", strong)
    assert points == 5
    assert "cfn-lint: 1 erro (máximo 0)" in outcome.justification
    assert "infra/storage.yml:6 E3002" in outcome.justification
    assert "BucketNam" in outcome.justification


def test_cloudformation_valid_but_bare_meets(tmp_path):
    write(tmp_path, "template.json", '{"Resources": {"Fila": {"Type": "AWS::SQS::Queue"}}}')
    points, outcome = grade("iac", tmp_path)
    assert points == 8
    assert "parametrize o template" in outcome.justification
    assert "exponha os valores úteis em Outputs" in outcome.justification


def test_cloudformation_ignores_the_students_cfnlintrc(tmp_path):
    write(tmp_path, "infra/t.yaml", BROKEN_TEMPLATE)
    write(tmp_path, ".cfnlintrc", "ignore_checks:\n  - E3002\n")
    write(tmp_path, "infra/.cfnlintrc", "ignore_checks:\n  - E3002\n")
    points, _ = grade("iac", tmp_path)
    assert points == 5


# -- monitoring ------------------------------------------------------------------------------


def test_monitoring_strong_gets_full_points(strong):
    points, outcome = grade("monitoracao", strong)
    assert points == 10
    assert "src/churn/monitoring.py:13 JSONFormatter" in outcome.justification
    assert "src/churn/monitoring.py:8 ks_2samp" in outcome.justification
    assert "PSI_ALERT = 0.2" in outcome.justification


def test_monitoring_weak_gets_zero(weak):
    points, outcome = grade("monitoracao", weak)
    assert points == 0
    assert "drift: nada encontrado no código" in outcome.justification


def test_monitoring_ignores_comments_strings_and_stdlib_lookalikes(tmp_path):
    write(
        tmp_path,
        "app.py",
        '''
"""Aqui teremos logs JSON, métricas statsd e drift por PSI."""
import json
from collections import Counter

import numpy as np

# TODO: prometheus_client Histogram, ks_2samp
contagem = Counter("abc")
hist = np.histogram([1, 2, 3])
print(json.dumps({"drift": "psi"}))
''',
    )
    points, outcome = grade("monitoracao", tmp_path)
    assert points == 0
    assert outcome.evidence == []


def test_monitoring_one_signal_is_partial(tmp_path):
    write(
        tmp_path,
        "drift.py",
        "from scipy.stats import ks_2samp\n\n\n"
        "def verifica(a, b):\n    return ks_2samp(a, b).pvalue < 0.01\n",
    )
    points, outcome = grade("monitoracao", tmp_path)
    assert points == 5
    assert "drift: 2 evidências (drift.py:1 ks_2samp, drift.py:5 ks_2samp)" in (
        outcome.justification
    )
    assert "configure logs em JSON" in outcome.justification


def test_monitoring_keyword_matching():
    assert monitoring.matches("json", "JSONFormatter")
    assert monitoring.matches("drift", "detect_drift")
    assert monitoring.matches("python-json-logger", "python-json-logger")
    assert monitoring.matches("Histogram", "Histogram")
    assert not monitoring.matches("Histogram", "histogram")
    assert not monitoring.matches("psi", "epsilon")


# -- code quality ----------------------------------------------------------------------------


def test_code_quality_strong_gets_full_points(strong):
    points, outcome = grade("qualidade-codigo", strong)
    assert points == 5
    assert "0 achados, 0,0 por 1.000 linhas" in outcome.justification
    assert "pacotes: src/churn" in outcome.justification


def test_code_quality_weak_gets_zero(weak):
    points, outcome = grade("qualidade-codigo", weak)
    assert points == 0
    assert "5 achados, 263,2 por 1.000 linhas" in outcome.justification
    assert "organize o código em um pacote" in outcome.justification


def test_code_quality_hard_coded_aws_key_is_zero_and_not_echoed(tmp_path):
    repo = projects.leaked_secret(tmp_path / "p")
    points, outcome = grade("qualidade-codigo", repo)
    assert points == 0
    assert "src/churn/config.py:3 (chave de acesso AWS)" in outcome.justification
    assert projects.LEAKED_AWS_KEY not in outcome.justification + " ".join(outcome.evidence)


def test_code_quality_large_file_is_zero(tmp_path):
    repo = projects.large_file(tmp_path / "p", size_mb=60)
    points, outcome = grade("qualidade-codigo", repo)
    assert points == 0
    assert "dados/dump.bin (60 MB)" in outcome.justification


def test_code_quality_secret_kinds(tmp_path):
    write(tmp_path, "deploy/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n")
    write(
        tmp_path,
        "config.py",
        'DB_PASSWORD = "s3nh4-d0-b4nc0"\n'
        'API_TOKEN = os.environ["API_TOKEN"]\nSENHA = "changeme-please"\n',
    )
    assert code_quality.find_secrets(tmp_path) == [
        "config.py:1 (senha ou token em texto)",
        "deploy/id_rsa:1 (chave privada)",
    ]


def test_code_quality_ignores_the_students_ruff_config(weak):
    write(weak, "pyproject.toml", '[tool.ruff]\nexclude = ["*"]\n[tool.ruff.lint]\nselect = []\n')
    write(weak, "ruff.toml", 'exclude = ["*.py"]\n')
    points, outcome = grade("qualidade-codigo", weak)
    assert "5 achados" in outcome.justification
    assert points == 0


def test_code_quality_modular_but_noisy_is_partial(strong):
    noisy = "\n".join(f"import os as m{index}" for index in range(10))
    write(strong, "src/churn/ruido.py", noisy + "\n")
    points, outcome = grade("qualidade-codigo", strong)
    assert points == 2.5
    assert "F401 (10)" in outcome.justification


# -- reading the checkout safely -------------------------------------------------------------


def test_symlinks_out_of_the_repository_are_never_read(strong, tmp_path):
    outside = write(
        tmp_path,
        "fora/segredo.py",
        'import mlflow\nmlflow.register_model("x", "y")\nKEY = "AKIAABCDEFGHIJKLMNOP"\n',
    )
    (strong / "README.md").unlink()
    os.symlink("/etc/passwd", strong / "README.md")
    os.symlink("/etc/passwd", strong / "src" / "churn" / "senhas.py")
    os.symlink(outside, strong / "src" / "churn" / "fora.py")
    os.symlink(outside.parent, strong / "fora")
    os.mkfifo(strong / "infra" / "fila.yaml")
    names = {repofiles.relative(strong, path) for path in repofiles.walk(strong)}
    assert not names & {
        "README.md",
        "src/churn/senhas.py",
        "src/churn/fora.py",
        "fora/segredo.py",
        "infra/fila.yaml",
    }
    assert repofiles.read_bytes(strong / "src" / "churn" / "senhas.py") is None
    outputs = []
    for key in (
        "readme",
        "modelagem-mlflow",
        "containerizacao",
        "ci-cd",
        "iac",
        "monitoracao",
        "qualidade-codigo",
    ):
        points, outcome = grade(key, strong)
        outputs.append(outcome.justification + " ".join(outcome.evidence))
        if key == "readme":
            assert points == 0 and "Nenhum README" in outcome.justification
        if key == "qualidade-codigo":
            assert points == 5  # the key behind the link was not read
    assert not any("root:" in text or "fora.py" in text or "senhas" in text for text in outputs)


def test_oversized_files_are_not_read(tmp_path):
    big = write(tmp_path, "gigante.py", "x = 1\n" * 200_000)
    assert repofiles.read_text(big) is None
    assert repofiles.read_text(big, limit=2_000_000) is not None


def test_glob_match():
    assert repofiles.glob_match("template.yaml", ["**/*.yaml"])
    assert repofiles.glob_match("infra/a/b.yaml", ["**/*.yaml"])
    assert repofiles.glob_match(".github/workflows/ci.yml", [".github/workflows/*.yml"])
    assert not repofiles.glob_match(".github/workflows/x/ci.yml", [".github/workflows/*.yml"])
    assert not repofiles.glob_match("infra/a.yml", ["**/*.yaml"])


# -- the fixture projects themselves ---------------------------------------------------------


@pytest.mark.parametrize(
    "builder",
    [
        projects.strong,
        projects.weak,
        projects.failing_tests,
        projects.missing_dependency,
        projects.api_never_starts,
        projects.hostile_tests,
        projects.leaked_secret,
        projects.english_readme,
        projects.committed_mlruns,
    ],
)
def test_fixture_projects_are_small_and_valid_python(builder, tmp_path):
    repo = builder(tmp_path / "p")
    files = repofiles.walk(repo)
    assert sum(path.stat().st_size for path in files) < 40_000
    for path in files:
        if path.suffix == ".py":
            ast.parse(path.read_text(), filename=str(path))

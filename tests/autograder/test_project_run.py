"""The checks ``tests`` and ``serving``, and the project container that feeds them.

The first half grades canned run reports (the shape of ``autograder/project_run.py``) and
exercises the runner's pure helpers (app discovery, JSON-schema examples, JUnit parsing) on
the host; the second half (``@pytest.mark.docker``) runs the fixture projects of
``tests/autograder/projects.py`` in real grading containers.
"""

from __future__ import annotations

import copy
import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import docker
import pytest

from autograder.checks import serving as serving_check
from autograder.checks import tests as tests_check
from autograder.checks.base import CheckContext
from autograder.container import common, project_tree
from autograder.grading_container import IN_TARGET, OUT_TARGET
from autograder.project_run import (
    REPO_TARGET,
    ProjectRunError,
    run_project,
)
from autograder.results import Limits
from tests.autograder import projects
from tests.autograder.conftest import containers_named

SERVING_PARAMS = {
    "health_paths": ["/health", "/healthz", "/saude"],
    "predict_paths": ["/predict", "/prever", "/predicao"],
    "requests": 50,
    "p95_ms_full": 200,
    "p95_ms_partial": 1000,
    "startup_seconds": 60,
}
TESTS_PARAMS = {"timeout_seconds": 240, "min_tests": 5}


def grade(module: Any, run: dict[str, Any], params: dict[str, Any]) -> Any:
    return module.check(CheckContext(repo=Path("."), params=params, max_points=10, run=run))


# -- canned reports -------------------------------------------------------------------------------


def canned_tests(**changes: Any) -> dict[str, Any]:
    report = {
        "ran": True,
        "exit_code": 0,
        "timed_out": False,
        "timeout_seconds": 240.0,
        "seconds": 3.4,
        "total": 12,
        "passed": 12,
        "failed": 0,
        "errors": 0,
        "skipped": 0,
        "failures": [],
        "collection_errors": [],
        "missing_modules": [],
        "unimportable_project_modules": [],
        "bad_options": [],
        "no_tests": False,
        "test_files": 3,
        "junit": "ok",
        "output_tail": "",
        "reason": "",
        "by_file": [
            {"file": "tests/test_api.py", "passed": 4, "total": 4},
            {"file": "tests/test_features.py", "passed": 8, "total": 8},
        ],
    }
    report.update(changes)
    return {"status": "ok", "tests": report}


def canned_serving(**changes: Any) -> dict[str, Any]:
    report = {
        "found": True,
        "app": {
            "file": "src/api.py",
            "module": "api",
            "attribute": "app",
            "framework": "fastapi",
            "factory": False,
        },
        "candidates": [],
        "started": True,
        "startup_seconds": 1.23,
        "exit_code": None,
        "health": {"path": "/health", "status": 200, "body": '{"status":"ok"}'},
        "health_tried": [{"path": "/health", "status": 200}],
        "openapi": True,
        "predict": {
            "path": "/predict",
            "method": "POST",
            "status": 200,
            "body_sent": {"x": 1.0},
            "response": '{"y":0.3,"model_version":"3"}',
            "from_schema": True,
        },
        "invalid": {"path": "/predict", "status": 422, "body_sent": {"x": "não"}, "response": "{}"},
        "latency": {
            "method": "POST",
            "path": "/predict",
            "requests": 50,
            "failures": 0,
            "p50_ms": 3.1,
            "p95_ms": 5.0,
            "max_ms": 7.0,
        },
        "errors": [],
        "log_tail": "",
        "reason": "",
    }
    report.update(changes)
    return {"status": "ok", "serving": report}


class TestTestsCheck:
    def test_all_passing_with_api_and_unit_tests_supera(self):
        outcome = grade(tests_check, canned_tests(), TESTS_PARAMS)
        assert outcome.fraction == 1.0
        assert outcome.justification.startswith("12 testes em 3,4 s: 12 passaram: todos passaram")
        assert "pytest: código de saída 0" in outcome.evidence

    def test_only_non_api_tests_atende(self):
        run = canned_tests(by_file=[{"file": "tests/test_model.py", "passed": 12, "total": 12}])
        outcome = grade(tests_check, run, TESTS_PARAMS)
        assert outcome.fraction == 0.8
        assert "não há testes da API" in outcome.justification

    def test_failures_are_named(self):
        run = canned_tests(
            exit_code=1,
            passed=11,
            failed=1,
            failures=[
                {"name": "tests/test_api.py::test_predict", "kind": "falha", "message": "assert"}
            ],
        )
        outcome = grade(tests_check, run, TESTS_PARAMS)
        assert outcome.fraction == 0.5
        assert outcome.justification == (
            "12 testes em 3,4 s: 11 passaram, 1 falhou (tests/test_api.py::test_predict)."
        )
        assert "falhou: tests/test_api.py::test_predict" in outcome.evidence

    def test_missing_dependency_is_reported_as_such(self):
        run = canned_tests(
            exit_code=1,
            total=8,
            passed=8,
            missing_modules=["catboost"],
            collection_errors=[{"name": "tests/test_cat.py", "message": "x"}],
        )
        outcome = grade(tests_check, run, TESTS_PARAMS)
        assert outcome.fraction == 0.5
        assert "Dependência ausente no ambiente de correção: catboost" in outcome.justification
        assert "tests/test_cat.py" in outcome.justification

    def test_no_tests_found(self):
        run = canned_tests(exit_code=5, no_tests=True, total=0, passed=0, by_file=[], test_files=0)
        outcome = grade(tests_check, run, TESTS_PARAMS)
        assert outcome.fraction == 0.0
        assert outcome.justification == "Nenhum teste encontrado."

    def test_few_tests_is_partial(self):
        run = canned_tests(total=2, passed=2)
        outcome = grade(tests_check, run, TESTS_PARAMS)
        assert outcome.fraction == 0.5
        assert "o mínimo esperado é 5 testes" in outcome.justification

    def test_none_passing_is_zero(self):
        run = canned_tests(exit_code=1, total=3, passed=0, failed=3)
        assert grade(tests_check, run, TESTS_PARAMS).fraction == 0.0

    def test_timeout_is_zero_with_the_limit(self):
        run = canned_tests(exit_code=None, timed_out=True, junit="missing", timeout_seconds=240)
        outcome = grade(tests_check, run, TESTS_PARAMS)
        assert outcome.fraction == 0.0
        assert "tempo limite de 4 min e foram interrompidos" in outcome.justification

    def test_a_report_contradicting_the_exit_code_is_not_believed(self):
        outcome = grade(tests_check, canned_tests(exit_code=1), TESTS_PARAMS)
        assert outcome.fraction == 0.5
        assert "não confere" in outcome.justification

    def test_container_that_died_before_reporting(self):
        run = {"status": "oom", "reason": "o projeto esgotou a memória do contêiner (1024 MB)"}
        outcome = grade(tests_check, run, TESTS_PARAMS)
        assert outcome.fraction == 0.0
        assert "esgotou a memória" in outcome.justification


class TestServingCheck:
    def test_everything_right_supera(self):
        outcome = grade(serving_check, canned_serving(), SERVING_PARAMS)
        assert outcome.fraction == 1.0
        assert outcome.justification == (
            "API FastAPI em src/api.py (app) subiu em 1,2 s; GET /health 200; POST /predict 200;"
            " entrada inválida 422; latência p50 3,1 ms, p95 5,0 ms em 50 requisições"
            " (POST /predict)."
        )

    def test_slow_p95_atende(self):
        run = canned_serving()
        run["serving"]["latency"].update(p50_ms=150.0, p95_ms=350.0)
        outcome = grade(serving_check, run, SERVING_PARAMS)
        assert outcome.fraction == 0.8
        assert "p95 350,0 ms" in outcome.justification
        assert "Latência p95 acima da meta de 200 ms" in outcome.justification

    def test_very_slow_p95_is_partial(self):
        run = canned_serving()
        run["serving"]["latency"].update(p95_ms=1500.0)
        assert grade(serving_check, run, SERVING_PARAMS).fraction == 0.5

    def test_invalid_input_accepted_atende(self):
        run = canned_serving()
        run["serving"]["invalid"]["status"] = 200
        outcome = grade(serving_check, run, SERVING_PARAMS)
        assert outcome.fraction == 0.8
        assert "entrada inválida 200" in outcome.justification

    def test_invalid_input_crashing_the_app_says_so(self):
        run = canned_serving()
        run["serving"]["invalid"]["status"] = 500
        outcome = grade(serving_check, run, SERVING_PARAMS)
        assert outcome.fraction == 0.8
        assert "erro interno (500)" in outcome.justification

    def test_only_health_is_partial(self):
        run = canned_serving()
        run["serving"]["predict"].update(status=500, response="Internal Server Error")
        outcome = grade(serving_check, run, SERVING_PARAMS)
        assert outcome.fraction == 0.5
        assert "POST /predict 500" in outcome.justification
        assert "Só parte dos endpoints" in outcome.justification

    def test_not_started_quotes_the_log(self):
        run = canned_serving(
            started=False,
            startup_seconds=None,
            exit_code=1,
            health=None,
            predict=None,
            invalid=None,
            latency=None,
            reason="a API encerrou ao iniciar (código 1)",
            log_tail="Traceback\nFileNotFoundError: models/m.joblib\n",
        )
        outcome = grade(serving_check, run, SERVING_PARAMS)
        assert outcome.fraction == 0.0
        assert outcome.justification == (
            "API FastAPI em src/api.py (app) não subiu: a API encerrou ao iniciar (código 1)."
            " Últimas linhas do log: Traceback | FileNotFoundError: models/m.joblib"
        )

    def test_no_app(self):
        run = canned_serving(
            found=False,
            app=None,
            started=False,
            reason="nenhuma aplicação FastAPI ou Flask encontrada no código",
        )
        outcome = grade(serving_check, run, SERVING_PARAMS)
        assert outcome.fraction == 0.0
        assert outcome.justification.startswith("Sem API: nenhuma aplicação")

    def test_container_that_died_before_reporting(self):
        run = {"status": "timeout", "reason": "o projeto passou do tempo limite do contêiner"}
        outcome = grade(serving_check, run, SERVING_PARAMS)
        assert outcome.fraction == 0.0
        assert "tempo limite" in outcome.justification


# -- the host and the container agree ------------------------------------------------------------


def test_container_paths_agree_with_the_runner():
    assert str(project_tree.REPO) == REPO_TARGET
    assert str(common.IN) == IN_TARGET
    assert str(common.OUT) == OUT_TARGET


# -- real containers ------------------------------------------------------------------------------

PARAMS = {
    "tests": {"timeout_seconds": 120, "min_tests": 5},
    "serving": {**SERVING_PARAMS, "startup_seconds": 40},
}
LIMITS = Limits(wall_seconds=240)
BOMB_SECONDS = 8

FLASK_APP = """
    from flask import Flask, jsonify, request


    def create_app():
        app = Flask(__name__)

        @app.get("/healthz")
        def health():
            return jsonify(status="ok")

        @app.post("/prever")
        def prever():
            data = request.get_json(silent=True) or {}
            try:
                idade = float(data["idade"])
                renda = float(data["renda"])
            except (KeyError, TypeError, ValueError):
                return jsonify(erro="entrada inválida"), 400
            return jsonify(score=idade * 0.01 + renda * 0.001, model_version="2")

        return app
"""


def run(tree: Path, image: str, name: str, client: docker.DockerClient) -> dict[str, Any]:
    report, sandbox = run_project(
        tree, params=copy.deepcopy(PARAMS), image=image, limits=LIMITS, name=name, client=client
    )
    assert report["status"] == "ok", report
    assert sandbox.exit_code == 0
    json.dumps(report)  # plain JSON all the way down
    return report


def outcomes(report: dict[str, Any]) -> tuple[Any, Any]:
    return (
        grade(tests_check, report, PARAMS["tests"]),
        grade(serving_check, report, PARAMS["serving"]),
    )


@pytest.mark.docker
def test_strong_project_passes_and_serves(tmp_path, grader_image, sandbox_name, docker_client):
    report = run(projects.strong(tmp_path / "p"), grader_image, sandbox_name, docker_client)
    tests, serving = report["tests"], report["serving"]
    assert (tests["total"], tests["passed"], tests["exit_code"]) == (
        projects.STRONG_TESTS,
        projects.STRONG_TESTS,
        0,
    )
    assert serving["app"]["file"] == projects.STRONG_APP_FILE
    assert f"{serving['app']['module']}:{serving['app']['attribute']}" == projects.STRONG_APP
    assert serving["health"]["status"] == 200
    assert serving["predict"]["status"] == 200 and serving["predict"]["from_schema"]
    assert "churn_probability" in serving["predict"]["response"]
    assert serving["invalid"]["status"] == 422
    latency = serving["latency"]
    assert latency["requests"] == SERVING_PARAMS["requests"] and latency["failures"] == 0
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["max_ms"]
    graded_tests, graded_serving = outcomes(report)
    assert graded_tests.fraction == 1.0, graded_tests.justification
    assert graded_serving.fraction == 1.0, graded_serving.justification
    assert graded_serving.justification.startswith(
        "API FastAPI em src/churn/api.py (app) subiu em "
    )


@pytest.mark.docker
def test_failing_tests_are_named(tmp_path, grader_image, sandbox_name, docker_client):
    report = run(projects.failing_tests(tmp_path / "p"), grader_image, sandbox_name, docker_client)
    tests = report["tests"]
    assert (tests["passed"], tests["failed"], tests["exit_code"]) == (
        projects.STRONG_TESTS,
        len(projects.FAILING_TESTS),
        1,
    )
    names = [failure["name"] for failure in tests["failures"]]
    assert names == [f"tests/test_regressao.py::{name}" for name in projects.FAILING_TESTS]
    graded, _ = outcomes(report)
    assert graded.fraction == 0.5
    for name in projects.FAILING_TESTS:
        assert f"tests/test_regressao.py::{name}" in graded.justification


@pytest.mark.docker
def test_missing_dependency_is_named(tmp_path, grader_image, sandbox_name, docker_client):
    report = run(
        projects.missing_dependency(tmp_path / "p"), grader_image, sandbox_name, docker_client
    )
    assert report["tests"]["missing_modules"] == ["catboost"]
    assert report["tests"]["passed"] == projects.STRONG_TESTS  # the rest still ran
    graded, _ = outcomes(report)
    assert "dependência ausente no ambiente de correção: catboost" in graded.justification.lower()


@pytest.mark.docker
def test_api_that_never_starts_reports_its_log(tmp_path, grader_image, sandbox_name, docker_client):
    report = run(
        projects.api_never_starts(tmp_path / "p"), grader_image, sandbox_name, docker_client
    )
    serving = report["serving"]
    assert serving["found"] and not serving["started"]
    assert serving["exit_code"] not in (None, 0)
    assert "modelo.joblib" in serving["log_tail"]
    assert report["tests"]["passed"] == projects.API_NEVER_STARTS_TESTS
    _, graded = outcomes(report)
    assert graded.fraction == 0.0
    assert "não subiu" in graded.justification
    assert "FileNotFoundError" in graded.justification


@pytest.mark.docker
def test_hostile_tests_are_contained(tmp_path, grader_image, sandbox_name, docker_client):
    tree = projects.hostile_tests(tmp_path / "p")
    (tree / "tests" / "test_bomba.py").write_text(
        textwrap.dedent(projects.fork_bomb_test(BOMB_SECONDS))
    )
    report = run(tree, grader_image, sandbox_name, docker_client)
    tests = report["tests"]
    assert tests["ran"] and tests["junit"] == "ok"
    failed = {failure["name"]: failure["message"] for failure in tests["failures"]}
    assert "Network is unreachable" in failed["tests/test_hostil.py::test_rede_externa"]
    # The bomb ran as the student for its whole time and hit the pids limit, not the host.
    assert tests["seconds"] >= BOMB_SECONDS
    assert {"file": "tests/test_bomba.py", "passed": 1, "total": 1} in tests["by_file"]
    # ...and the grader went on: the API still started and answered after it.
    assert report["serving"]["started"] and report["serving"]["predict"]["status"] == 200
    assert containers_named(docker_client, sandbox_name) == []
    assert subprocess.run(["true"], check=False).returncode == 0  # the host can still fork


@pytest.mark.docker
def test_flask_factory_app_is_served(tmp_path, grader_image, sandbox_name, docker_client):
    tree = tmp_path / "p"
    (tree / "servico").mkdir(parents=True)
    (tree / "servico" / "app.py").write_text(textwrap.dedent(FLASK_APP))
    report = run(tree, grader_image, sandbox_name, docker_client)
    serving = report["serving"]
    assert serving["app"] == {
        "file": "servico/app.py",
        "module": "servico.app",
        "attribute": "create_app",
        "framework": "flask",
        "factory": True,
    }
    assert serving["health"]["path"] == "/healthz"
    assert (serving["predict"]["path"], serving["predict"]["status"]) == ("/prever", 200)
    assert serving["predict"]["body_sent"] == {"idade": 1.0, "renda": 1.0}
    assert serving["invalid"]["status"] == 400
    _, graded = outcomes(report)
    assert graded.fraction == 1.0, graded.justification
    assert report["tests"]["no_tests"] and report["tests"]["exit_code"] == 5


@pytest.mark.docker
def test_weak_project_has_neither(tmp_path, grader_image, sandbox_name, docker_client):
    report = run(projects.weak(tmp_path / "p"), grader_image, sandbox_name, docker_client)
    graded_tests, graded_serving = outcomes(report)
    assert (graded_tests.fraction, graded_serving.fraction) == (0.0, 0.0)
    assert graded_tests.justification == "Nenhum teste encontrado."
    assert not report["serving"]["found"]


@pytest.mark.docker
def test_tests_are_stopped_within_the_wall_clock(
    tmp_path, grader_image, sandbox_name, docker_client
):
    tree = projects.strong(tmp_path / "p")
    (tree / "tests" / "test_lento.py").write_text(
        "import time\n\ndef test_x():\n    time.sleep(60)\n"
    )
    params = {"tests": {"timeout_seconds": 120}, "serving": {"startup_seconds": 20}}
    report, sandbox = run_project(
        tree,
        params=params,
        image=grader_image,
        limits=Limits(wall_seconds=75),
        name=sandbox_name,
        client=docker_client,
    )
    # The tests get the wall clock less the API's share (20 + 30 s) and the runner's reserve
    # (8 s): they are stopped there, and the container still ends by itself with a report.
    assert report["status"] == "ok" and sandbox.exit_reason == "ok"
    assert report["tests"]["timed_out"] and report["tests"]["timeout_seconds"] <= 17
    assert report["serving"]["started"]
    graded = grade(tests_check, report, PARAMS["tests"])
    assert graded.fraction == 0.0 and "tempo limite" in graded.justification


def test_missing_repository_is_an_infrastructure_error(tmp_path):
    with pytest.raises(ProjectRunError):
        run_project(tmp_path / "nada", params={}, image="x", limits=LIMITS)


SLOW_APP = """
    import time

    from fastapi import FastAPI
    from pydantic import BaseModel

    app = FastAPI()


    class Entrada(BaseModel):
        valor: float


    @app.get("/health")
    def health():
        return {"status": "ok"}


    @app.post("/predict")
    def predict(entrada: Entrada):
        time.sleep(2)
        return {"y": entrada.valor, "model_version": "1"}
"""


@pytest.mark.docker
def test_slow_api_is_measured_within_the_wall_clock(
    tmp_path, grader_image, sandbox_name, docker_client
):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "main.py").write_text(textwrap.dedent(SLOW_APP))
    params = {"serving": {**SERVING_PARAMS, "startup_seconds": 10}}
    report, sandbox = run_project(
        tmp_path / "p",
        params=params,
        image=grader_image,
        limits=Limits(wall_seconds=45),
        name=sandbox_name,
        client=docker_client,
    )
    assert report["status"] == "ok" and sandbox.exit_reason == "ok"
    assert not report["tests"]["ran"]  # 45 s leave nothing for tests after the API's share
    latency = report["serving"]["latency"]
    assert 3 <= latency["requests"] < SERVING_PARAMS["requests"]  # stopped at the deadline
    assert latency["p95_ms"] >= 2000
    graded = grade(serving_check, report, SERVING_PARAMS)
    assert graded.fraction == 0.5
    assert "Latência p95 acima de 1000 ms" in graded.justification
    assert f"das {SERVING_PARAMS['requests']} requisições couberam no tempo" in graded.justification


@pytest.mark.docker
def test_memory_hog_in_the_tests_is_a_reason(tmp_path, grader_image, sandbox_name, docker_client):
    tree = projects.strong(tmp_path / "p")
    (tree / "tests" / "test_memoria.py").write_text(
        "def test_memoria():\n    pedacos = []\n    while True:\n"
        "        pedacos.append(bytearray(b'x') * (64 * 1024 * 1024))\n"
    )
    report, _ = run_project(
        tree,
        params=copy.deepcopy(PARAMS),
        image=grader_image,
        limits=Limits(wall_seconds=240, memory_mb=512),
        name=sandbox_name,
        client=docker_client,
    )
    # The kernel's OOM killer ends pytest, not the runner: the report still comes, and the
    # API is still probed afterwards.
    assert report["status"] == "ok"
    tests = report["tests"]
    assert tests["exit_code"] == -9 and "SIGKILL" in tests["reason"]
    assert report["serving"]["started"]
    graded = grade(tests_check, report, PARAMS["tests"])
    assert graded.fraction == 0.0
    assert "SIGKILL" in graded.justification

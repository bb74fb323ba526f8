"""The commands a projeto.yaml declares, read by the container steps on the host: which
``serve`` names an app the grader serves itself (project_api.app_from_command), which
``test`` is pytest (project_tests.pytest_arguments), and what a failed discovery says it
tried (project_serving). Nothing is run here; tests/autograder/test_project_run.py runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.container import project_api, project_serving, project_tests

FASTAPI = "from fastapi import FastAPI\napp = FastAPI()\n"
FLASK_FACTORY = (
    "from flask import Flask\ndef create_app():\n    a = Flask(__name__)\n    return a\n"
)


def tree(root: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return sorted(files)


def named(command: str, root: Path, files: list[str], **kwargs: bool) -> tuple | None:
    app = project_api.app_from_command(command, root, files, **kwargs)
    if app is None:
        return None
    keys = ("file", "module", "attribute", "framework", "factory", "server", "pythonpath")
    return tuple(app[key] for key in keys)


# -- serve ------------------------------------------------------------------------------------


SERVED = {
    "app/__init__.py": "",
    "app/main.py": FASTAPI,
    "web/__init__.py": "",
    "web/fabrica.py": FLASK_FACTORY,
}
FASTAPI_APP = ("app/main.py", "app.main", "app", "fastapi", False)
FLASK_FACTORY_APP = ("web/fabrica.py", "web.fabrica", "create_app", "flask", True)


@pytest.mark.parametrize(
    ("command", "server", "app"),
    [
        ("uvicorn app.main:app --port 8000", "uvicorn", FASTAPI_APP),
        (
            "python -m uvicorn app.main:app --host 0.0.0.0 --port 8000 --reload",
            "uvicorn",
            FASTAPI_APP,
        ),
        ("python3 -m uvicorn --port 8000 app.main:app", "uvicorn", FASTAPI_APP),
        (".venv/bin/uvicorn app.main:app", "uvicorn", FASTAPI_APP),
        (
            "gunicorn -k uvicorn.workers.UvicornWorker -b 0.0.0.0:8000 app.main:app",
            "gunicorn",
            FASTAPI_APP,
        ),
        ("fastapi run app/main.py --port 8000", "fastapi", FASTAPI_APP),
        ("fastapi dev app/main.py", "fastapi", FASTAPI_APP),
        # a Flask factory is found in the file the command names
        ("flask --app web.fabrica run --port 5000", "flask", FLASK_FACTORY_APP),
        ("flask --app 'web.fabrica:create_app()' run", "flask", FLASK_FACTORY_APP),
        ("python -m flask --app web/fabrica.py run", "flask", FLASK_FACTORY_APP),
        ("FLASK_APP=web.fabrica flask run", "flask", FLASK_FACTORY_APP),
        ("gunicorn 'web.fabrica:create_app()' --bind 0.0.0.0:5000", "gunicorn", FLASK_FACTORY_APP),
    ],
)
def test_the_app_a_serve_command_names_is_served_by_the_grader(tmp_path, command, server, app):
    files = tree(tmp_path, SERVED)
    assert named(command, tmp_path, files) == (*app, server, "")


def test_uvicorn_app_dir_and_the_src_layout_find_the_module(tmp_path):
    files = tree(tmp_path, {"src/churn/__init__.py": "", "src/churn/api.py": FASTAPI})
    expected = ("src/churn/api.py", "churn.api", "app", "fastapi", False, "uvicorn")
    assert named("uvicorn churn.api:app --app-dir src", tmp_path, files) == (*expected, "src")
    assert named("uvicorn churn.api:app", tmp_path, files, src_layout=True) == (*expected, "")


def test_fastapi_cli_puts_the_first_directory_that_is_not_a_package_on_the_path(tmp_path):
    files = tree(tmp_path, {"servico/api.py": "from fastapi import FastAPI\napi = FastAPI()\n"})
    assert named("fastapi run servico/api.py", tmp_path, files) == (
        "servico/api.py",
        "api",
        "api",
        "fastapi",
        False,
        "fastapi",
        "servico",
    )
    # without a path, fastapi-cli's own defaults
    files = tree(tmp_path / "b", {"main.py": FASTAPI})
    assert named("fastapi run", tmp_path / "b", files)[:3] == ("main.py", "main", "app")


@pytest.mark.parametrize(
    "command",
    [
        "cd servico && uvicorn api:app",
        "uvicorn api:app --port $PORT",
        "python serve.py",
        "streamlit run app.py",
        "uvicorn --port 8000",
        "flask run",
        "uvicorn 'api:app",
        "",
    ],
)
def test_other_commands_run_as_written(tmp_path, command):
    files = tree(tmp_path, {"api.py": FASTAPI})
    assert project_api.app_from_command(command, tmp_path, files) is None


def test_a_module_outside_the_project_is_still_served_by_name(tmp_path):
    app = project_api.app_from_command("uvicorn pacote.api:app", tmp_path, [])
    assert app is not None and (app["file"], app["module"], app["framework"]) == (
        None,
        "pacote.api",
        "fastapi",
    )


@pytest.mark.parametrize(
    ("command", "port"),
    [
        ("uvicorn a:app --port 8100", 8100),
        ("python serve.py --port=9000", 9000),
        ("gunicorn -b 0.0.0.0:5001 a:app", 5001),
        ("gunicorn --bind=127.0.0.1:5002 a:app", 5002),
        ("python serve.py", None),
        ("uvicorn a:app --port 99999", None),
    ],
)
def test_the_port_a_command_binds(command, port):
    assert project_api.declared_port(command) == port


def test_the_port_param_falls_back_to_8000():
    assert project_serving._port(8080) == 8080
    assert project_serving._port(None) == project_serving._port("x") == 8000
    assert project_serving._port(0) == project_serving._port(70000) == 8000


# -- test -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "arguments"),
    [
        ("pytest", []),
        ("pytest -q tests", ["-q", "tests"]),
        ("python -m pytest tests/unit -k 'not lento'", ["tests/unit", "-k", "not lento"]),
        ("python3 -m pytest -x", ["-x"]),
        ("python3.11 -m pytest", []),
        ("py.test tests", ["tests"]),
    ],
)
def test_a_pytest_command_keeps_the_students_arguments(command, arguments):
    assert project_tests.pytest_arguments(command) == arguments


@pytest.mark.parametrize(
    "command",
    [
        "make test",
        "cd tests && pytest",
        "pytest tests > saida.txt",
        "pytest $ARGS",
        "python rodar_testes.py",
        "python -m unittest",
        "pytest 'tests",
    ],
)
def test_anything_else_is_a_shell_command(command):
    assert project_tests.pytest_arguments(command) is None


def test_our_options_come_after_the_students(tmp_path):
    assert project_tests.OUR_OPTIONS[-2:] == (
        f"--junitxml={project_tests.JUNIT}",
        "--continue-on-collection-errors",
    )


# -- discovery that finds nothing says what it tried -------------------------------------------


def test_discovery_reports_the_files_it_read_and_those_it_could_not(tmp_path):
    files = tree(
        tmp_path,
        {"analise.py": "import flask\nprint(1)\n", "src/quebrado.py": "def (:\n"},
    )
    tried: dict = {}
    assert project_api.find_apps(tmp_path, files, tried=tried) == []
    assert tried == {
        "looked_for": project_api.LOOKED_FOR,
        "python_files": 2,
        "parsed": 1,
        "syntax_errors": ["src/quebrado.py"],
        "too_large": [],
        "not_parsed": 0,
    }
    reason = project_serving._nothing_found(tried)
    assert reason.startswith("nenhuma aplicação FastAPI ou Flask encontrada em 2 arquivos .py")
    assert "create_app" in reason and reason.endswith("não lidos: src/quebrado.py")
    assert project_serving._nothing_found({"python_files": 0}).endswith("não tem arquivos .py")


def test_a_step_killed_by_a_signal_says_which_and_suspects_memory_for_sigkill():
    assert project_tests.killed_by(-9, "o treino") == (
        "o treino foi encerrado pelo sinal SIGKILL (memória ou limite de processos esgotados?)"
    )
    assert project_tests.killed_by(-15, "o pytest") == "o pytest foi encerrado pelo sinal SIGTERM"

"""What a project declares it needs, read from the checkout without running anything of it;
and how the tests criterion explains the environment (no container here: the install step
itself runs in tests/autograder/test_project_dependencies.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.checks import run_criterion
from autograder.dependencies.declared import (
    DeclaredPython,
    closest_python,
    declared_python,
    declared_requirements,
    decode,
)
from autograder.dependencies.install import platforms
from autograder.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[2]
TESTS = next(
    c
    for c in load_rubric(ROOT / "course_content" / "final_project" / "rubric.yaml")
    if c.key == "testes"
)


def _repo(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return tmp_path


# -- encodings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "label"),
    [
        ("pandas==2.2.3\r\n".encode("utf-16"), "UTF-16"),  # PowerShell's `pip freeze >`
        ("pandas==2.2.3\n".encode("utf-16-le"), "UTF-16"),  # no BOM
        ("pandas==2.2.3\n".encode("utf-16-be"), "UTF-16"),
        (b"\xef\xbb\xbfpandas==2.2.3\n", "UTF-8 com BOM"),
        ("pandas==2.2.3  # análise\n".encode("cp1252"), "cp1252"),
        (b"pandas==2.2.3\n", "UTF-8"),
    ],
)
def test_requirements_are_read_in_any_encoding_editors_leave(data, label):
    text, found = decode(data)

    assert found == label
    assert text.strip().startswith("pandas==2.2.3")


def test_a_utf16_requirements_file_gives_its_requirements(tmp_path):
    repo = _repo(
        tmp_path,
        {"requirements.txt": "seaborn==0.13.2\r\nfastapi==0.115.0\r\n".encode("utf-16")},
    )

    declared = declared_requirements(repo)

    assert declared.requirements == ["seaborn==0.13.2", "fastapi==0.115.0"]
    assert declared.sources == ["requirements.txt (UTF-16)"]


# -- requirements files: includes and what is refused ---------------------------------------------


def test_includes_are_followed_inside_the_repository_only(tmp_path):
    repo = _repo(
        tmp_path,
        {
            "requirements.txt": "-r requirements/base.txt\npandas>=2  # dados\n",
            "requirements/base.txt": "numpy==2.1.1 \\\n  ; python_version >= '3.9'\n"
            "-r ../requirements.txt\n-c ../constraints.txt\n",
            "constraints.txt": "scipy<2\n",
            "requirements-dev.txt": "pytest==8.3.3 --hash=sha256:abc\n-r ../../etc/passwd\n",
        },
    )

    declared = declared_requirements(repo)

    assert declared.requirements == [
        'numpy==2.1.1; python_version >= "3.9"',
        "pandas>=2",
        "pytest==8.3.3",
    ]
    assert declared.constraints == ["scipy<2"]
    assert any("../../etc/passwd` não encontrado" in note for note in declared.skipped)


def test_options_urls_and_local_paths_never_reach_pip(tmp_path):
    repo = _repo(
        tmp_path,
        {
            "requirements.txt": "\n".join(
                [
                    "--index-url http://evil.example/simple",
                    "--extra-index-url=http://evil.example/simple",
                    "--trusted-host evil.example",
                    "-f http://evil.example/wheels",
                    "-e .",
                    "git+https://github.com/x/y.git",
                    "foo @ https://evil.example/foo-1.0-py3-none-any.whl",
                    "./libs/local_pkg",
                    "not a requirement!!",
                    "requests==2.32.3",
                ]
            )
        },
    )

    declared = declared_requirements(repo)

    assert declared.requirements == ["requests==2.32.3"]
    assert len(declared.skipped) == 9
    assert all("evil" not in r for r in declared.requirements + declared.constraints)


def test_a_symlinked_requirements_file_is_not_read(tmp_path):
    (tmp_path / "outside.txt").write_text("secret==1\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("-r linked.txt\n")
    (repo / "linked.txt").symlink_to(tmp_path / "outside.txt")

    declared = declared_requirements(repo)

    assert declared.requirements == []
    assert any("linked.txt" in note for note in declared.skipped)


# -- pyproject.toml, environment.yml, projeto.yaml's install --------------------------------------


def test_pyproject_dependencies_and_its_test_extras(tmp_path):
    repo = _repo(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "churn"\ndependencies = ["fastapi>=0.110"]\n'
            '[project.optional-dependencies]\ntest = ["pytest>=8", "churn[api]"]\n'
            'docs = ["mkdocs"]\n'
        },
    )

    declared = declared_requirements(repo)

    assert declared.requirements == ["fastapi>=0.110", "pytest>=8"]
    assert declared.sources == ["pyproject.toml [project.dependencies] + [test]"]


def test_environment_yml_gives_its_pip_section(tmp_path):
    repo = _repo(
        tmp_path,
        {
            "environment.yml": "name: churn\ndependencies:\n  - python=3.10\n  - pandas=2.1\n"
            "  - pip\n  - pip:\n    - mlflow==2.16.2\n    - evidently\n"
        },
    )

    declared = declared_requirements(repo)

    assert declared.requirements == ["mlflow==2.16.2", "evidently"]
    assert declared.sources == ["environment.yml (seção pip)"]
    assert declared_python(repo) == DeclaredPython(
        "3.10", "==3.10.*", "environment.yml: `python=3.10`"
    )


def test_requirements_files_win_over_pyproject(tmp_path):
    repo = _repo(
        tmp_path,
        {
            "requirements.txt": "pandas==2.2.3\n",
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["polars"]\n',
        },
    )

    assert declared_requirements(repo).requirements == ["pandas==2.2.3"]


def test_the_contract_install_command_names_what_to_read(tmp_path):
    repo = _repo(
        tmp_path,
        {
            "requirements.txt": "pandas==2.2.3\n",
            "deploy/requirements-api.txt": "fastapi==0.115.0\n",
        },
    )

    declared = declared_requirements(
        repo, "pip install -r deploy/requirements-api.txt uvicorn --index-url http://x"
    )

    assert declared.requirements == ["fastapi==0.115.0", "uvicorn"]
    assert any("--index-url" in note for note in declared.skipped)
    other = declared_requirements(repo, "make install")
    assert other.requirements == ["pandas==2.2.3"]
    assert any("não é um `pip install`" in note for note in other.skipped)


# -- the Python version ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "version", "source"),
    [
        ({".python-version": "3.10.12\n"}, "3.10", ".python-version: `3.10.12`"),
        ({"runtime.txt": "python-3.9.18\n"}, "3.9", "runtime.txt: `python-3.9.18`"),
        (
            {"Dockerfile": "FROM --platform=linux/amd64 python:3.12-slim AS build\n"},
            "3.12",
            "Dockerfile: `FROM --platform=linux/amd64 python:3.12-slim AS build`",
        ),
        (
            {"pyproject.toml": '[project]\nname = "x"\nrequires-python = "==3.10.*"\n'},
            "3.10",
            'pyproject.toml: `requires-python = "==3.10.*"`',
        ),
    ],
)
def test_the_declared_python_version_and_where_it_is_said(tmp_path, files, version, source):
    declared = declared_python(_repo(tmp_path, files))

    assert declared is not None
    assert (declared.version, declared.source) == (version, source)


def test_the_contract_python_comes_first(tmp_path):
    repo = _repo(tmp_path, {"Dockerfile": "FROM python:3.9\n"})

    assert declared_python(repo, "3.11").source == "projeto.yaml: `python: 3.11`"
    assert declared_python(_repo(tmp_path / "none", {"README.md": "oi"})) is None


def test_the_closest_interpreter_is_chosen():
    def exact(version):
        return DeclaredPython(version, f"=={version}.*", "x")

    def spec(specifier):
        return DeclaredPython(None, specifier, "x")

    assert closest_python(exact("3.10"), ["3.11"]) == "3.11"
    assert closest_python(exact("3.10"), ["3.9", "3.11", "3.12"]) == "3.11"  # tie: newer
    assert closest_python(exact("3.12"), ["3.10", "3.11", "3.12"]) == "3.12"
    assert closest_python(spec(">=3.9,<3.12"), ["3.10", "3.11", "3.12"]) == "3.11"
    assert closest_python(spec(">=3.13"), ["3.10", "3.11"]) == "3.11"
    assert closest_python(None, ["3.10", "3.11"]) == "3.11"


def test_wheels_are_asked_for_every_manylinux_the_image_runs():
    tags = platforms("2.36")

    assert tags[0].startswith("manylinux_2_36_") and tags[-1].startswith("manylinux1_")
    assert any(t.startswith("manylinux2014_") for t in tags)


# -- the tests criterion reads the install report -------------------------------------------------


def _run(tests: dict, install: dict) -> dict:
    base = {
        "ran": True,
        "exit_code": 1,
        "junit": "ok",
        "seconds": 1.0,
        "passed": 5,
        "failed": 2,
        "errors": 0,
        "skipped": 0,
        "total": 7,
        "collection_errors": [],
        "missing_modules": ["seaborn"],
        "by_file": [
            {"file": "tests/test_api.py", "passed": 2, "total": 2},
            {"file": "tests/test_features.py", "passed": 3, "total": 3},
        ],
        "failures": [
            {"name": f"tests/test_graficos.py::test_{n}", "kind": "falha",
             "message": "ModuleNotFoundError: No module named 'seaborn'"}
            for n in ("a", "b")
        ],
    }  # fmt: skip
    return {"tests": {**base, **tests}, "install": install}


INSTALL = {
    "status": "partial",
    "python": "3.11",
    "declared_python": {
        "version": "3.11",
        "specifier": "==3.11.*",
        "source": "runtime.txt: `3.11`",
    },
    "sources": ["requirements.txt (UTF-16)"],
    "requirements": ["seaborn==0.13.2", "fastapi==0.115.0"],
    "installed": ["fastapi==0.115.0", "starlette==0.38.6"],
    "unavailable": [{"requirement": "seaborn==0.13.2", "reason": "sem wheel para Python 3.11"}],
}


def test_tests_failing_only_for_an_uninstallable_package_are_not_the_students_failure(tmp_path):
    outcome = run_criterion(TESTS, tmp_path, _run({}, INSTALL))

    assert outcome.points == 5, outcome.justification
    assert "2 testes não avaliados" in outcome.justification
    assert "seaborn==0.13.2 (sem wheel para Python 3.11)" in outcome.justification
    assert "Python 3.11, conforme o projeto declara (runtime.txt: `3.11`)" in outcome.justification


def test_the_same_failures_without_the_install_report_cost_points(tmp_path):
    outcome = run_criterion(TESTS, tmp_path, _run({}, {}))

    assert outcome.points == 2.5
    assert "dependência ausente no ambiente de correção: seaborn" in outcome.justification.lower()


def test_an_undeclared_dependency_is_the_students_to_declare(tmp_path):
    install = {**INSTALL, "status": "ok", "unavailable": [], "requirements": ["fastapi"]}

    outcome = run_criterion(TESTS, tmp_path, _run({}, install))

    assert outcome.points == 2.5
    assert "dependência não declarada: seaborn" in outcome.justification.lower()


def test_when_no_test_can_be_judged_the_instructors_grade_it(tmp_path):
    run = _run({"passed": 0, "total": 2, "by_file": []}, INSTALL)

    outcome = run_criterion(TESTS, tmp_path, run)

    assert outcome.points is None
    assert outcome.justification.startswith("Nenhum teste pôde ser avaliado")


def test_a_range_that_admits_the_interpreter_is_not_called_the_closest():
    from autograder.checks.environment import describe

    def sentence(declared):
        return describe({"install": {**INSTALL, "declared_python": declared}})

    inside = sentence({"version": None, "specifier": ">=3.10", "source": "pyproject.toml: x"})
    outside = sentence({"version": "3.10", "specifier": "==3.10.*", "source": "Dockerfile: y"})

    assert "Python 3.11, conforme o projeto declara (pyproject.toml: x)" in inside
    assert "a versão mais próxima disponível na correção (o projeto declara 3.10" in outside


def test_an_api_that_fails_only_for_an_uninstallable_package_goes_to_the_instructors(tmp_path):
    serving = next(
        c
        for c in load_rubric(ROOT / "course_content" / "final_project" / "rubric.yaml")
        if c.key == "serving"
    )
    report = {
        "found": True,
        "started": False,
        "source": "descoberta",
        "app": {"file": "app/main.py", "attribute": "app", "framework": "fastapi"},
        "reason": "a API encerrou ao iniciar (código 1)",
        "log_tail": "ModuleNotFoundError: No module named 'seaborn'",
    }

    blocked = run_criterion(serving, tmp_path, {"serving": report, "install": INSTALL})
    own = run_criterion(serving, tmp_path, {"serving": report, "install": {}})

    assert blocked.points is None
    assert "seaborn==0.13.2 (sem wheel para Python 3.11)" in blocked.justification
    assert own.points == 0  # not declared or not installed by us: the student's to fix


def test_a_lower_case_dockerfile_in_a_folder_still_declares_the_version(tmp_path):
    repo = _repo(tmp_path, {"docker/dockerfile": "FROM python:3.9-slim AS api\n"})

    declared = declared_python(repo)

    assert declared is not None
    assert (declared.version, declared.source) == (
        "3.9",
        "docker/dockerfile: `FROM python:3.9-slim AS api`",
    )


def test_the_evidence_lists_the_interpreter_and_the_packages(tmp_path):
    outcome = run_criterion(TESTS, tmp_path, _run({}, INSTALL))

    assert "Python 3.11" in outcome.evidence
    assert "instalado: fastapi==0.115.0" in outcome.evidence
    assert "não instalável: seaborn==0.13.2" in outcome.evidence


def test_uv_dependency_groups_bring_the_test_tools(tmp_path):
    repo = _repo(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "churn"\ndependencies = ["pandas>=2"]\n'
            '[dependency-groups]\ntest = ["pytest>=8"]\n'
            'dev = ["ruff", "pytest-cov>=5", {include-group = "test"}]\n'
        },
    )

    declared = declared_requirements(repo)

    assert declared.requirements == ["pandas>=2", "pytest>=8", "ruff", "pytest-cov>=5"]
    assert declared.sources == [
        "pyproject.toml [project.dependencies] + [dependency-groups.test] + [dependency-groups.dev]"
    ]

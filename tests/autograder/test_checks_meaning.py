"""The project checks read what a repository *means*, not how it happens to be spelled
(issue 17, items 3 and 4).

- README sections are found by their names in Portuguese or English, whatever the emoji,
  numbering or Markdown around them, and the justification quotes the heading each one was
  found under.
- Generated and vendored trees (``mlruns/``, ``.venv/``, ``node_modules/``, ``build/``...) are
  not the student's project for any check, and the code cells of notebooks are, for every
  check that reads code.

The static checks run on the host like ``test_checks_static.py`` (same ``grade`` helper and
course rubric); the last test grades two fixture projects end to end in the grading container.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.checks import code_quality, repofiles, run_criterion
from autograder.checks.readme import _without_title, assign_sections, heading_words, parse
from autograder.projects import grade_repo
from autograder.results import GradeStatus, Limits
from autograder.rubric import RubricCriterion, load_rubric
from tests.autograder import projects
from tests.autograder.test_checks_static import CRITERIA, RUBRIC, grade, write

SECTIONS: dict[str, list[str]] = CRITERIA["readme"]["params"]["sections"]


def section_of(heading: str) -> str | None:
    """The section a lone heading counts for, with the course rubric's names."""
    found = assign_sections([heading], SECTIONS)
    keys = [key for key, index in found.items() if index is not None]
    assert len(keys) <= 1, keys
    return keys[0] if keys else None


def notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(projects.notebook_json(cells), encoding="utf-8")
    return path


# -- README headings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("Objetivo", "objetivo"),
        ("🎯 Overview", "objetivo"),
        ("Sobre o projeto", "objetivo"),
        ("1. Introdução", "objetivo"),
        ("Problem Statement", "objetivo"),
        ("Visão geral", "objetivo"),
        ("📦 Dataset", "dados"),
        ("Data Sources", "dados"),
        ("Fonte de dados", "dados"),
        ("## Step 2: Data", "dados"),
        ("⚙️ 3. Setup Instructions", "como_executar"),
        ("1) Installation", "como_executar"),
        ("Setup", "como_executar"),
        ("Getting Started", "como_executar"),
        ("Quick start", "como_executar"),
        ("🚀 How to run", "como_executar"),
        ("Como rodar localmente", "como_executar"),
        ("Instalação e execução", "como_executar"),
        ("**[Usage](#usage)**", "como_executar"),
        ("III. Arquitetura", "arquitetura"),
        ("Project Structure", "arquitetura"),
        ("Estrutura do projeto", "arquitetura"),
        ("🏗️ System Design", "arquitetura"),
        ("📊 Results & Metrics", "resultados"),
        ("Result", "resultados"),
        ("Métrica", "resultados"),
        ("Model Performance", "resultados"),
        ("Avaliação do modelo", "resultados"),
    ],
)
def test_a_heading_counts_for_its_section_in_portuguese_or_english(heading, section):
    assert section_of(heading) == section


@pytest.mark.parametrize(
    "heading",
    ["Update", "Metadata", "Testing", "API Endpoints", "Geral: visão do produto", "Agradecimentos"],
)
def test_a_heading_that_only_contains_a_name_inside_a_word_counts_for_nothing(heading):
    # "data" is not a word of "update" nor of "metadata"; "visão geral" is a phrase, not two words
    assert section_of(heading) is None


def test_heading_words_drop_emoji_numbering_markup_punctuation_accents_and_plurals():
    assert heading_words("⚙️ 3. Setup Instructions") == ["setup", "instruction"]
    assert heading_words("1️⃣ Introdução") == ["introducao"]
    assert heading_words("III. Métricas") == ["metrica"]
    assert heading_words("IV) Results") == ["result"]
    assert heading_words("Civil. Dados") == ["civil", "dado"]  # a word, not a roman numeral
    assert heading_words("<h2 align='center'>Passo 3 - Instalação</h2>") == ["instalacao"]
    assert heading_words("Step 2: `Como executar`") == ["como", "executar"]
    assert heading_words("**[Getting Started](#getting-started)** {#start}") == [
        "getting",
        "started",
    ]
    assert heading_words("Instalações") == ["instalacao"]
    assert heading_words("3D plots") == ["3d", "plot"]  # a number that is part of a word stays


def test_a_heading_that_fits_one_section_better_goes_to_it():
    headings = ["Data & Architecture", "Project Structure", "🎯 Overview", "MLflow runs", "Setup"]
    found = assign_sections(headings, SECTIONS)
    assert found["arquitetura"] == 1  # "Project Structure" is wholly architecture
    assert found["dados"] == 0
    assert found["como_executar"] == 4  # "Setup", not half of "MLflow runs"
    assert found["resultados"] is None


def test_a_heading_serves_two_sections_only_when_one_has_no_heading_of_its_own():
    found = assign_sections(["Overview", "Data & Architecture", "Usage"], SECTIONS)
    assert found["dados"] == found["arquitetura"] == 1
    assert assign_sections(["Overview", "Data & Architecture", "Usage"], SECTIONS) == found


def test_the_earlier_of_two_equal_headings_is_taken():
    found = assign_sections(["Resultados", "Results"], SECTIONS)
    assert found["resultados"] == 0


# -- the README criterion on whole READMEs ---------------------------------------------------


@pytest.fixture
def english(tmp_path: Path) -> Path:
    return projects.english_readme(tmp_path / "english")


def test_an_english_readme_with_emoji_and_numbered_headings_gets_full_points(english):
    points, outcome = grade("readme", english)
    assert points == 10, outcome.justification
    quoted = ", ".join(
        f'{label} ("{heading}")' for label, heading in projects.ENGLISH_HEADINGS.items()
    )
    assert f"seções encontradas: {quoted};" in outcome.justification
    assert "seção Como executar: '⚙️ 3. Setup Instructions'" in outcome.evidence
    assert "limitações discutidas" in outcome.justification


def test_a_heading_spelled_like_its_section_is_not_quoted_again(tmp_path):
    repo = projects.strong(tmp_path / "p")
    _, outcome = grade("readme", repo)
    assert "seções encontradas: Objetivo, Dados, Como executar, Arquitetura, Resultados;" in (
        outcome.justification
    )


def test_commands_under_the_subsections_of_how_to_run_count(english):
    readme = english / "README.md"
    text = readme.read_text()
    assert "### 1) Installation\n\n```bash" in text  # the commands are only in subsections
    _, outcome = grade("readme", english)
    assert "comandos" not in outcome.justification


def test_commands_in_another_section_do_not_count_for_how_to_run(english):
    readme = english / "README.md"
    text = readme.read_text()
    start = text.index("### 1) Installation")
    end = text.index("## 🧪 Testing")
    moved = text[start:end].replace("### ", "#### ")
    readme.write_text(text[:start] + "See below.\n\n" + text[end:] + "\n" + moved)
    points, outcome = grade("readme", english)
    assert points == 5
    assert "coloque na seção de execução os comandos exatos" in outcome.justification


@pytest.mark.parametrize(
    "heading",
    ["Limitations", "Known issues", "Future work", "Caveats", "Trabalhos futuros", "Limitações"],
)
def test_limitations_are_found_in_either_language(english, heading):
    readme = english / "README.md"
    text = readme.read_text()
    start = text.index("## ⚠️ Known issues & Future work")
    body = "\n\nThe model was trained on one company only and may not transfer to others.\n"
    readme.write_text(text[:start] + f"## {heading}" + body)
    points, outcome = grade("readme", english)
    assert points == 10, outcome.justification


def test_without_limitations_the_readme_meets_but_does_not_exceed(english):
    readme = english / "README.md"
    text = readme.read_text()
    start = text.index("## ⚠️ Known issues & Future work")
    readme.write_text(text[:start] + "## Notes\n\nThanks for reading, this is all for now.\n")
    points, outcome = grade("readme", english)
    assert points == 8
    assert "discuta as limitações do projeto" in outcome.justification


# -- generated and vendored trees ------------------------------------------------------------

IGNORED = [
    "mlruns/0/abc/artifacts/code",
    "mlartifacts/1/models/m/artifacts",
    ".venv/lib/python3.11/site-packages/pkg",
    "venv/lib/python3.11/site-packages/pkg",
    "node_modules/pkg",
    "build/lib/pkg",
    "dist/pkg",
    "notebooks/.ipynb_checkpoints",
    "vendor/site-packages/pkg",
]


def test_the_walk_skips_generated_trees_but_reads_files_named_like_them(tmp_path):
    for directory in IGNORED:
        write(tmp_path, f"{directory}/skipped.py", "x = 1\n")
    write(tmp_path, "build.py", "x = 1\n")
    write(tmp_path, "scripts/dist", "#!/bin/sh\n")
    write(tmp_path, "src/app/build/__init__.py", "")  # a package of the project named build
    write(tmp_path, "src/app/build/steps.py", "x = 1\n")
    names = [repofiles.relative(tmp_path, path) for path in repofiles.walk(tmp_path)]
    assert names == [
        "build.py",
        "scripts/dist",
        "src/app/build/__init__.py",
        "src/app/build/steps.py",
    ]


@pytest.fixture
def mlruns(tmp_path: Path) -> Path:
    return projects.committed_mlruns(tmp_path / "mlruns")


def _cited(outcome) -> str:
    return outcome.justification + " " + " ".join(outcome.evidence)


def test_mlflow_counts_the_notebook_not_the_code_mlflow_logged(mlruns):
    points, outcome = grade("modelagem-mlflow", mlruns)
    assert points == 7.5, outcome.justification
    assert "3 chamadas de tracking" in outcome.justification
    # mlflow imported in cell 2, called in cell 4: the cells are one module
    assert "start_run (notebooks/experimentos.ipynb:célula 4:2)" in outcome.justification
    assert "0 chamadas ao Model Registry" in outcome.justification
    assert "mlruns" not in _cited(outcome) and "mlartifacts" not in _cited(outcome)


def test_monitoring_does_not_count_the_code_mlflow_logged(mlruns):
    points, outcome = grade("monitoracao", mlruns)
    assert points == 0, outcome.justification
    assert outcome.evidence == []


def test_code_quality_lints_the_project_and_its_notebook_not_the_logged_copies(mlruns):
    points, outcome = grade("qualidade-codigo", mlruns)
    assert points == 5, outcome.justification
    assert "5 arquivos Python com 43 linhas e 1 notebook com 6 linhas de código" in (
        outcome.justification
    )
    assert "0 achados" in outcome.justification
    # named once as a committed run store (no points), never as code that was linted
    assert "arquivos gerados versionados: mlruns/ com execuções do MLflow" in (
        outcome.justification
    )
    assert "mlruns/0" not in _cited(outcome)


def test_code_quality_ignores_secrets_and_big_files_in_vendored_trees(tmp_path):
    repo = projects.strong(tmp_path / "p")
    write(repo, ".venv/lib/python3.11/site-packages/boto/demo.py", 'KEY = "AKIAABCDEFGHIJKLMNOP"\n')
    write(repo, "node_modules/x/id_rsa", "-----BEGIN RSA PRIVATE KEY-----\n")
    big = repo / "mlruns" / "0" / "abc" / "artifacts" / "model" / "model.pkl"
    big.parent.mkdir(parents=True)
    with big.open("wb") as handle:
        handle.truncate(60 * 1024 * 1024)
    points, outcome = grade("qualidade-codigo", repo)
    assert points == 5, outcome.justification


def test_a_dockerfile_only_in_ignored_trees_is_no_dockerfile(tmp_path):
    dockerfile = 'FROM python:3.11-slim\nRUN pip install -r requirements.txt\nCMD ["app"]\n'
    for directory in ("node_modules/pkg", "build", ".venv/src/pkg", "mlruns/0/abc/artifacts"):
        write(tmp_path, f"{directory}/Dockerfile", dockerfile)
    points, outcome = grade("containerizacao", tmp_path)
    assert points == 0
    assert outcome.justification.startswith("Nenhum Dockerfile encontrado")


def test_a_workflow_only_in_ignored_trees_is_no_workflow(tmp_path):
    workflow = "on: [push, pull_request]\njobs:\n  t:\n    steps:\n      - run: pytest\n"
    write(tmp_path, "node_modules/pkg/.github/workflows/ci.yml", workflow)
    points, outcome = grade("ci-cd", tmp_path, workflow_globs=["**/.github/workflows/*.yml"])
    assert points == 0
    assert outcome.justification.startswith("Nenhum workflow de CI encontrado")


def test_cloudformation_templates_in_ignored_trees_are_not_templates(tmp_path):
    template = (
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  B:\n    Type: AWS::S3::Bucket\n'
    )
    for directory in IGNORED:
        write(tmp_path, f"{directory}/template.yaml", template)
    points, outcome = grade("iac", tmp_path)
    assert points == 0
    assert outcome.justification.startswith("Nenhum template CloudFormation")
    write(tmp_path, "infra/stack.yaml", template)
    _, outcome = grade("iac", tmp_path)
    assert "1 template: infra/stack.yaml" in outcome.justification


# -- notebook code cells ---------------------------------------------------------------------


def test_python_sources_cite_a_notebook_line_by_cell(tmp_path):
    notebook(
        tmp_path / "nb.ipynb",
        [
            ("markdown", "# Título\n"),
            ("code", "%matplotlib inline\nimport numpy as np\n"),
            ("code", "%%bash\nls -la\n"),
            ("code", "x = (\n"),  # half-written: loses only itself
            ("code", "y = np.zeros(3)\nz = y + 1\n"),
        ],
    )
    write(tmp_path, "mod.py", "a = 1\n")
    sources = repofiles.python_sources(tmp_path)
    assert [source.path for source in sources] == ["mod.py", "nb.ipynb"]
    cells = sources[1]
    tree, broken = cells.parse()
    assert broken == ["nb.ipynb (célula 4)"]
    assigned = [node for node in tree.body if type(node).__name__ == "Assign"]
    assert [cells.where(node.lineno) for node in assigned] == [
        "nb.ipynb:célula 5:1",
        "nb.ipynb:célula 5:2",
    ]
    assert sources[0].where(1) == "mod.py:1"


def test_monitoring_reads_notebook_cells_as_one_module(tmp_path):
    notebook(
        tmp_path / "analise.ipynb",
        [
            ("markdown", "# Drift\n"),
            ("code", "from collections import Counter\nfrom scipy.stats import ks_2samp\n"),
            ("code", "contagem = Counter('abc')\nPSI_ALERTA = 0.2\nks_2samp([1], [2])\n"),
        ],
    )
    points, outcome = grade("monitoracao", tmp_path)
    assert points == 5
    assert outcome.evidence == [
        "analise.ipynb:célula 2:2 ks_2samp",
        "analise.ipynb:célula 3:2 PSI_ALERTA",
        "analise.ipynb:célula 3:3 ks_2samp",
    ]
    assert "métricas: nada encontrado" in outcome.justification  # collections.Counter, cell 2


def test_code_quality_lints_notebook_cells_and_cites_them(tmp_path):
    write(tmp_path, "src/app/__init__.py", "")
    write(tmp_path, "src/app/a.py", "def f(x: int) -> int:\n    return x\n")
    write(tmp_path, "src/app/b.py", "def g(x: int) -> int:\n    return x\n")
    notebook(
        tmp_path / "nb.ipynb",
        [
            ("code", "%pip install pandas\nimport os\n"),
            ("markdown", "texto\n"),
            ("code", "%%bash\necho 'não é Python'\n"),
            ("code", "valor = None\nif valor == None:\n    print(valor)\n"),
        ],
    )
    sources = repofiles.python_sources(tmp_path)
    findings = {(item["where"], item["code"]) for item in code_quality.run_ruff(sources)}
    assert findings == {("nb.ipynb:célula 1:2", "F401"), ("nb.ipynb:célula 4:2", "E711")}
    _, outcome = grade("qualidade-codigo", tmp_path)
    assert "3 arquivos Python com 4 linhas e 1 notebook com 4 linhas de código" in (
        outcome.justification
    )
    assert "nb.ipynb:célula 4:2 E711" in outcome.evidence


def test_a_project_only_in_notebooks_is_code_in_notebooks_not_no_code(tmp_path):
    notebook(
        tmp_path / "projeto.ipynb",
        [("code", "import pandas as pd\n\ndados = pd.DataFrame({'a': [1, 2]})\nprint(dados)\n")],
    )
    points, outcome = grade("qualidade-codigo", tmp_path)
    assert points == 2.5  # the rubric's level: "código concentrado em notebooks"
    assert "mova o código dos notebooks para módulos .py" in outcome.justification


# -- end to end, in the grading container ----------------------------------------------------

RUNNING_SUBSET = ("readme", "modelagem-mlflow", "monitoracao", "qualidade-codigo", "testes")


@pytest.mark.docker
def test_english_readme_and_committed_mlruns_graded_in_the_container(git_server, grader_image):
    rubric = [criterion for criterion in load_rubric(RUBRIC) if criterion.key in RUNNING_SUBSET]
    limits = Limits(memory_mb=2048, cpus=1.0, wall_seconds=600)
    results = {}
    for name, builder in (
        ("ana/english", projects.english_readme),
        ("diego/mlruns", projects.committed_mlruns),
    ):
        url, _sha = projects.serve(git_server, name, builder)
        result = grade_repo(
            url, rubric=rubric, image=grader_image, limits=limits, allowed=(git_server.base_url,)
        )
        assert result.status is GradeStatus.GRADED, result.message
        results[name] = {c.key: c for c in result.criteria}

    english = results["ana/english"]
    points = {key: criterion.points for key, criterion in english.items()}
    assert points == {key: CRITERIA[key]["points"] for key in RUNNING_SUBSET}, json.dumps(
        {key: c.justification for key, c in english.items()}, ensure_ascii=False
    )
    for label, heading in projects.ENGLISH_HEADINGS.items():
        assert f'{label} ("{heading}")' in english["readme"].justification

    mlruns = results["diego/mlruns"]
    points = {key: criterion.points for key, criterion in mlruns.items()}
    assert points == {
        "readme": 0,
        "modelagem-mlflow": 7.5,
        "monitoracao": 0,
        "qualidade-codigo": 5,
        "testes": 4,  # all pass, but no API to test
    }, json.dumps({key: c.justification for key, c in mlruns.items()}, ensure_ascii=False)
    assert f"{projects.MLRUNS_TESTS} testes" in mlruns["testes"].justification
    assert "notebooks/experimentos.ipynb:célula 4:2" in mlruns["modelagem-mlflow"].justification
    generated = "mlruns/ com execuções do MLflow, mlartifacts/ com execuções do MLflow"
    assert f"arquivos gerados versionados: {generated}" in mlruns["qualidade-codigo"].justification
    for criterion in mlruns.values():
        # named once as committed run stores (no points), never read as the project
        cited = (criterion.justification + " ".join(criterion.evidence)).replace(generated, "")
        assert "mlruns/" not in cited and "mlartifacts/" not in cited, criterion.key


@pytest.mark.parametrize(
    "sections",
    [{"objetivo": "objetivo"}, {"objetivo": []}, {"objetivo": [""]}, ["objetivo"]],
)
def test_a_rubric_with_malformed_section_names_leaves_the_readme_to_the_instructors(
    sections, tmp_path
):
    write(tmp_path, "README.md", "# Projeto\n\n## Outro título\n\ntexto\n")
    criterion = RubricCriterion(
        key="readme", title="README", max_points=10, check="readme", params={"sections": sections}
    )
    outcome = run_criterion(criterion, tmp_path)
    assert outcome.points is None  # a string would have matched every heading letter by letter
    assert "a banca vai corrigi-lo" in outcome.justification


def test_the_readme_title_is_not_taken_for_a_section():
    """Calibration: "# ML Model Deployment as a Monitored REST API" counted as "Como
    executar" (deployment), and "# Customer Churn MLOps Pipeline" as "Arquitetura"."""
    text = "# ML Model Deployment as a REST API\n\n## Overview\n\ntexto\n\n## Dataset\n"
    parsed = parse(text)
    headings = [section.heading for section in parsed.sections[1:]]

    assert _without_title(parsed, headings) == ["", "Overview", "Dataset"]
    flat = parse("# Objetivo\n\ntexto\n\n# Dados\n")
    assert _without_title(flat, ["Objetivo", "Dados"]) == ["Objetivo", "Dados"]

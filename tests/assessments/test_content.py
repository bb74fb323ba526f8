"""course.yaml's assignments and the final-project rubric: read, checked, located on error."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from portal.assessments.content import load_course_content
from portal.courses.content import ContentError
from tests.autograder import notebooks as nb
from tests.courses.course_dir import COURSE_YAML, FILES, write_course

REPO_CONTENT = Path(__file__).resolve().parents[2] / "course_content"

ASSIGNMENTS = """\
assignments:
  - slug: aquecimento
    title: Aquecimento
    week: 1
    notebook: notebooks/aquecimento.ipynb
    data: [dados/tabela.csv]
    due: {day: 13, time: "23:30"}
    hard_deadline: {day: 20}
    late_policy: {grace_minutes: 15, penalty_percent_per_day: 10, max_penalty_percent: 50}
    limits: {memory_mb: 2048, cpus: 1, wall_seconds: 240, cell_timeout_seconds: 120}
    min_minutes_between_attempts: 2
    finalist_bonus: 2
    criteria:
      - key: codigo
        title: Código
        grade_ids: [teste_normaliza, teste_conta_palavras]
      - key: escrita
        title: Resposta escrita
        grade_ids: [resposta_escala]
    holdout:
      features: ocultos/x.csv
      labels: ocultos/y.csv
      metric: roc_auc
      points:
        - {min: 0.84, points: 4}
        - {min: 0.8, points: 3}
final_project:
  slug: projeto-final
  title: Projeto final
  week: 2
  rubric: projeto/rubrica.yaml
  due: {day: 55}
  release: manual
"""

RUBRIC = """\
title: Rubrica
criteria:
  - key: readme
    title: README
    points: 10
    graded_by: check
    check: readme
    description: As cinco seções.
    params: {min_words: 400, sections: {objetivo: [objetivo]}}
    levels:
      - {points: 10, description: Tudo.}
      - {points: 5, description: Metade.}
      - {points: 0, description: Nada.}
  - key: dados
    title: Dados
    points: 5
    graded_by: instructor
    description: Obtenção reprodutível.
    levels:
      - {points: 5, description: Reprodutível.}
      - {points: 0, description: Manual.}
"""


def _course(tmp_path: Path, assignments: str = ASSIGNMENTS, rubric: str = RUBRIC) -> Path:
    files = {
        **FILES,
        "dados/tabela.csv": "a,b\n1,2\n",
        "ocultos/x.csv": "customerID,f\n",
        "ocultos/y.csv": "customerID,Churn\n",
        "projeto/rubrica.yaml": rubric,
    }
    root = write_course(tmp_path / "curso", COURSE_YAML + assignments, files)
    (root / "notebooks").mkdir()
    nb.write(nb.source_notebook(), root / "notebooks" / "aquecimento.ipynb")
    return root


def _error(
    tmp_path: Path, old: str, new: str, *, rubric: str = RUBRIC, in_rubric: bool = False
) -> ContentError:
    assignments, text = ASSIGNMENTS, rubric
    if in_rubric:
        assert old in text
        text = text.replace(old, new)
    else:
        assert old in assignments
        assignments = assignments.replace(old, new)
    root = _course(tmp_path, assignments, text)
    with pytest.raises(ContentError) as caught:
        load_course_content(root)
    return caught.value


def test_a_notebook_assignment_is_read_with_its_rubric_data_and_holdout(tmp_path: Path) -> None:
    spec = load_course_content(_course(tmp_path))
    notebook, project = spec.assignments
    tz = dt.timezone(dt.timedelta(hours=-3))
    assert notebook.due_at == dt.datetime(2030, 3, 17, 23, 30, tzinfo=tz)
    assert notebook.hard_deadline_at == dt.datetime(2030, 3, 24, 23, 59, tzinfo=tz)
    assert notebook.late == {
        "late_grace_minutes": 15,
        "late_penalty_percent_per_day": 10,
        "late_penalty_max_percent": 50,
    }
    assert notebook.limits == {
        "memory_mb": 2048,
        "cpus": 1.0,
        "wall_timeout_seconds": 240,
        "cell_timeout_seconds": 120,
    }
    assert notebook.min_seconds_between_attempts == 120
    assert notebook.finalist_bonus == Decimal(2)
    assert [path.name for path in notebook.data] == ["tabela.csv"]
    assert [(c.key, c.max_points, c.manual, c.grade_ids) for c in notebook.criteria] == [
        ("codigo", Decimal(5), False, ("teste_normaliza", "teste_conta_palavras")),
        ("escrita", Decimal(1), True, ("resposta_escala",)),
        ("avaliacao_oculta", Decimal(4), False, ("avaliacao_oculta",)),
    ]
    assert notebook.holdout.spec.thresholds == ((0.84, 4.0), (0.8, 3.0))
    assert "ROC AUC" in notebook.criteria[-1].description
    assert notebook.max_points == Decimal(10)

    assert (project.kind, project.week, project.release_mode) == ("project", 2, "manual")
    readme, dados = project.criteria
    assert (readme.check, readme.manual, readme.max_points) == ("readme", False, Decimal(10))
    assert readme.check_params == {"min_words": 400, "sections": {"objetivo": ["objetivo"]}}
    assert [level["points"] for level in readme.levels] == ["10", "5", "0"]
    assert (dados.check, dados.manual) == ("", True)
    json.dumps(readme.check_params)  # stored in a JSONField


def test_without_criteria_each_grade_cell_is_one(tmp_path: Path) -> None:
    text = ASSIGNMENTS.split("    criteria:")[0] + "\n"
    spec = load_course_content(_course(tmp_path, text))
    assert [c.key for c in spec.assignments[0].criteria] == [
        "teste_normaliza",
        "teste_conta_palavras",
        "resposta_escala",
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "grade_ids: [resposta_escala]",
            "grade_ids: [resposta_escalas]",
            "'resposta_escalas' is not a grade cell of the notebook",
        ),
        (
            "grade_ids: [resposta_escala]",
            "grade_ids: [teste_normaliza]",
            "'teste_normaliza' is already in criterion 'codigo'",
        ),
        (
            "grade_ids: [teste_normaliza, teste_conta_palavras]",
            "grade_ids: [teste_normaliza, resposta_escala]",
            "do not mix manually graded answers with tests",
        ),
        (
            "grade_ids: [teste_normaliza, teste_conta_palavras]",
            "grade_ids: [teste_normaliza]",
            "grade cells in no criterion: teste_conta_palavras",
        ),
        ("data: [dados/tabela.csv]", "data: [dados/falta.csv]", "file 'dados/falta.csv' not found"),
        (
            "data: [dados/tabela.csv]",
            "data: [../../segredo.csv]",
            "points outside the course folder",
        ),
        ("hard_deadline: {day: 20}", "hard_deadline: {day: 3}", "before the due date"),
        ("week: 1\n    notebook", "week: 9\n    notebook", "week 9 is not declared"),
        ("{min: 0.8, points: 3}", "{min: 0.9, points: 3}", "ordem decrescente de roc_auc"),
        ("metric: roc_auc", "metric: mediana", "métrica desconhecida 'mediana'"),
        ("labels: ocultos/y.csv", "labels: ocultos/z.csv", "file 'ocultos/z.csv' not found"),
        ('due: {day: 13, time: "23:30"}', 'due: {day: 13, time: "25:00"}', "not a time"),
        ("cpus: 1,", "cpus: 64,", "expected a number from 0.1 to 8"),
        ("finalist_bonus: 2", "finalist_bonus: muito", "'muito' is not a number"),
        ("release: manual", "release: quando-quiser", "must be one of: auto, manual"),
    ],
)
def test_a_wrong_assignment_names_file_line_and_fix(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    error = _error(tmp_path, old, new)
    assert message in str(error)
    assert error.path.name == "course.yaml" and error.line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("check: readme", "check: leia-me", "'leia-me' must be one of: readme, tests"),
        (
            "graded_by: instructor",
            "graded_by: instructor\n    check: readme",
            "an instructor-graded criterion has no check",
        ),
        (
            "{points: 5, description: Metade.}",
            "{points: 12, description: Metade.}",
            "above the criterion's 10 points",
        ),
        (
            "{points: 10, description: Tudo.}",
            "{points: 9, description: Tudo.}",
            "the first level must be worth the full 10 points",
        ),
        ("      - {points: 0, description: Manual.}\n", "", "list at least two levels"),
        ("points: 5\n", "points: 0\n", "worth more than 0 points"),
        ("key: dados", "key: readme", "criterion key 'readme' appears twice"),
    ],
)
def test_a_wrong_rubric_names_its_own_file(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    error = _error(tmp_path, old, new, in_rubric=True)
    assert message in str(error)
    assert error.path.name == "rubrica.yaml" and error.line


def test_the_course_of_this_repository_declares_every_practice_notebook() -> None:
    spec = load_course_content(REPO_CONTENT)
    by_slug = {a.slug: a for a in spec.assignments}
    project = by_slug.pop("projeto-final")
    assert project.max_points == Decimal(100)
    assert {c.check for c in project.criteria} - {""} == {
        "readme",
        "mlflow",
        "serving",
        "packaging",
        "monitoring",
        "tests",
        "code_quality",
    }
    for assignment in by_slug.values():
        assert assignment.finalist_bonus > 0
        assert assignment.notebook.is_file() and assignment.due_at < project.due_at
        assert any(c.manual for c in assignment.criteria), assignment.slug
    rubric = yaml.safe_load((REPO_CONTENT / "final_project" / "rubric.yaml").read_text())
    assert sum(c["points"] for c in rubric["criteria"]) == 100


def test_the_readme_gives_each_assignment_the_week_of_course_yaml() -> None:
    readme = (REPO_CONTENT.parent / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (\d+)\b", readme, flags=re.MULTILINE))
    weeks = {a.slug: str(a.week) for a in load_course_content(REPO_CONTENT).assignments}
    assert rows == weeks

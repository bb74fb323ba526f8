"""Builds a small course folder in a temporary directory for content and sync tests."""

from __future__ import annotations

from pathlib import Path

COURSE_YAML = """\
slug: demo
title: Curso de teste
summary: Um curso pequeno para os testes.
timezone: America/Sao_Paulo
start_date: 2030-03-04
schedule:
  theory: {weekday: 1, time: "19:00", duration_minutes: 105}
  practice: {weekday: 4, time: "19:00", duration_minutes: 90}
pages:
  - slug: avaliacao
    title: Avaliação
    file: pages/avaliacao.md
weeks:
  - number: 1
    slug: intro
    title: Introdução
    summary: Primeira semana.
    theory: weeks/01/teoria.md
    practice: weeks/01/pratica.md
    materials:
      - title: Documentação do MLflow
        kind: link
        url: https://mlflow.org/docs/latest/
      - title: Checklist
        kind: file
        file: weeks/01/checklist.md
  - number: 2
    slug: dados
    title: Dados
    theory: weeks/02/teoria.md
    publish_at: 2030-03-08T08:00
    sessions:
      - kind: theory
        starts_at: 2030-03-11T19:30
        teams_url: https://teams.microsoft.com/l/meetup-join/abc
"""

FILES = {
    "pages/avaliacao.md": "## Como avaliamos\n\nEntregas práticas e projeto final.\n",
    "weeks/01/teoria.md": "## MLOps\n\nTexto da teoria.\n",
    "weeks/01/pratica.md": "## Ambiente\n\nInstale o Python.\n",
    "weeks/01/checklist.md": "- [ ] Python 3.11\n",
    "weeks/02/teoria.md": "## Dados\n\nTipos de dados.\n",
}


def write_course(root: Path, yaml_text: str = COURSE_YAML, files: dict | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "course.yaml").write_text(yaml_text, encoding="utf-8")
    for relative, text in (FILES if files is None else files).items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root

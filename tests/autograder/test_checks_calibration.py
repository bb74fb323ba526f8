"""Checks that real projects showed to be implausible (docs/calibration.md), each reproduced
with a few synthetic files: a lower-case ``dockerfile``, whitespace-only lint findings, an
empty skeleton, a GitHub Actions token piped to ``docker login``, ``import json`` taken for
structured logs, and a stray ``test.txt`` that pytest reads as a doctest.

The checks run with the course rubric's params and levels (``test_checks_static.grade``).
"""

from __future__ import annotations

import pytest

from tests.autograder.test_checks_static import grade, write

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

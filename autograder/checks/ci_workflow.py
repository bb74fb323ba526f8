"""The CI criterion (rubric check ``packaging``, ``params.part: ci``).

Files matching ``params.workflow_globs`` are parsed with ``yaml.safe_load``. A workflow runs a
kind of step of ``params.require_steps`` (``test``: pytest, tox...; ``lint``: ruff,
flake8...) when a step's ``run``/``uses``/``name`` says so; it must also trigger on ``push``
and ``pull_request``. 0.8: every required kind in a workflow triggered by both; 1.0: plus a
dependency cache and an image build or deploy. 0.5: workflows present but a step or trigger
missing, or a file that is not valid YAML. 0.0: no workflow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from autograder.checks import repofiles
from autograder.checks.base import CheckContext, CheckOutcome, leveled
from autograder.checks.dockerfile import INSTALL  # a line that only installs the tools

MAX_LISTED = 8

STEP_KINDS: dict[str, re.Pattern[str]] = {
    "test": re.compile(r"\b(pytest|py\.test|tox|nox|unittest|make test|test)\b"),
    "lint": re.compile(r"\b(ruff|flake8|pylint|black --check|pre-commit|lint|pycodestyle)\b"),
}
CACHE = re.compile(r"actions/cache|setup-uv|\bcache\b")
BUILD_OR_DEPLOY = re.compile(
    r"docker (build|push)|docker/build-push-action|\bdeploy\b|cloudformation|ecr|sam deploy"
)
KIND_LABELS = {"test": "testes", "lint": "lint"}


@dataclass
class Workflow:
    path: str
    triggers: set[str]
    kinds: dict[str, str]  # kind -> step description
    cache: bool
    build: bool


def _triggers(document: dict[Any, Any]) -> set[str]:
    value = document.get("on", document.get(True))  # YAML 1.1 reads `on:` as True
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(item) for item in value}
    if isinstance(value, dict):
        return {str(key) for key in value}
    return set()


def _steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    jobs = document.get("jobs")
    steps: list[dict[str, Any]] = []
    if isinstance(jobs, dict):
        for job in jobs.values():
            if isinstance(job, dict) and isinstance(job.get("steps"), list):
                steps += [step for step in job["steps"] if isinstance(step, dict)]
    return steps


def inspect_workflow(path: str, document: dict[Any, Any], required: list[str]) -> Workflow:
    kinds: dict[str, str] = {}
    cache = build = False
    for step in _steps(document):
        # "pip install ruff pytest" installs the tools; only a line that runs them counts
        run = "\n".join(
            line for line in str(step.get("run", "")).splitlines() if not INSTALL.search(line)
        )
        parts = [run, str(step.get("uses", "")), str(step.get("name", ""))]
        with_block = step.get("with")
        text = " ".join(parts).lower()
        label = str(step.get("name") or run or step.get("uses") or "").strip()
        for kind in required:
            pattern = STEP_KINDS.get(kind) or re.compile(rf"\b{re.escape(kind)}\b")
            if kind not in kinds and pattern.search(text):
                kinds[kind] = (label.splitlines() or [kind])[0][:60]
        if CACHE.search(text) or (isinstance(with_block, dict) and "cache" in with_block):
            cache = True
        if BUILD_OR_DEPLOY.search(text):
            build = True
    return Workflow(path, _triggers(document), kinds, cache, build)


def check(context: CheckContext) -> CheckOutcome:
    params = context.params
    globs = params.get("workflow_globs", [".github/workflows/*.yml", ".github/workflows/*.yaml"])
    required: list[str] = list(params.get("require_steps", ["test", "lint"]))
    files = [
        path
        for path in repofiles.walk(context.repo)
        if repofiles.glob_match(repofiles.relative(context.repo, path), globs)
    ]
    if not files:
        return CheckOutcome(
            0.0,
            (
                "Nenhum workflow de CI encontrado (" + ", ".join(globs) + "). Para pontuar, crie "
                ".github/workflows/ci.yml que rode em push e pull_request, instale as dependências "
                "e execute lint (ruff) e testes (pytest)."
            ),
            ["workflow ausente"],
        )
    workflows: list[Workflow] = []
    invalid: list[str] = []
    for path in files:
        name = repofiles.relative(context.repo, path)
        text = repofiles.read_text(path)
        try:
            document = repofiles.load_yaml(text) if text is not None else None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            invalid.append(f"{name}" + (f" (linha {mark.line + 1})" if mark else ""))
            continue
        if not isinstance(document, dict) or not isinstance(document.get("jobs"), dict):
            invalid.append(f"{name} (sem 'jobs')")
            continue
        workflows.append(inspect_workflow(name, document, required))

    evidence = [w.path for w in workflows] + [f"YAML inválido: {name}" for name in invalid]
    notes = [
        f"{repofiles.plural(len(files), 'workflow')} encontrado"
        + ("s" if len(files) != 1 else "")
        + ": "
        + ", ".join(repofiles.relative(context.repo, path) for path in files[:MAX_LISTED])
    ]
    if invalid:
        notes.append("YAML inválido ou sem jobs: " + ", ".join(invalid))
    gaps: list[str] = []
    if invalid:
        gaps.append(
            "corrija o YAML de "
            + ", ".join(invalid)
            + " (valide com um linter de YAML ou o actionlint)"
        )
    complete = {"push", "pull_request"}
    for workflow in workflows:
        notes.append(
            f"{workflow.path}: gatilhos {', '.join(sorted(workflow.triggers)) or 'nenhum'}; "
            + (
                ", ".join(
                    f"{KIND_LABELS.get(kind, kind)} ('{label}')"
                    for kind, label in workflow.kinds.items()
                )
                or "sem etapas de " + " ou ".join(KIND_LABELS.get(kind, kind) for kind in required)
            )
        )
        evidence += [f"{workflow.path}: {kind} '{label}'" for kind, label in workflow.kinds.items()]
    anywhere = {kind for workflow in workflows for kind in workflow.kinds}
    covered = {
        kind for workflow in workflows if complete <= workflow.triggers for kind in workflow.kinds
    }
    missing = [kind for kind in required if kind not in anywhere]
    untriggered = [kind for kind in required if kind in anywhere and kind not in covered]
    if missing:
        gaps.append(
            "acrescente etapas de "
            + " e ".join(KIND_LABELS.get(kind, kind) for kind in missing)
            + " (p.ex. `ruff check .` e `pytest`) em um workflow disparado em push e pull_request"
        )
    if untriggered or (workflows and not any(complete <= w.triggers for w in workflows)):
        gaps.append(
            "dispare o workflow de "
            + " e ".join(KIND_LABELS.get(kind, kind) for kind in untriggered or required)
            + " em push e em pull_request (on: [push, pull_request])"
        )
    if not workflows or gaps:
        fraction = 0.5
    else:
        extras = []
        if not any(workflow.cache for workflow in workflows):
            extras.append("ative o cache de dependências (setup-python com cache: pip)")
        if not any(workflow.build for workflow in workflows):
            extras.append("construa a imagem Docker ou faça o deploy no workflow")
        fraction = 0.8 if extras else 1.0
        gaps = extras
        if fraction == 1.0:
            notes.append("com cache de dependências e build/deploy")
    return leveled(notes, gaps, fraction, evidence, capitalize=False)

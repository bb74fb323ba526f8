"""Packaging and delivery: Dockerfile, CI workflow, CloudFormation (``params.part``).

One rubric check serves three criteria, told apart by ``params.part``:

``dockerfile``
    The Dockerfile (root first, else the first ``Dockerfile``/``*.Dockerfile``/``Containerfile``
    found) is read as text, continuation lines joined. 1.0: pinned base (a tag other than
    ``latest``, or a digest), a final ``USER`` that is not root, ``CMD``/``ENTRYPOINT``,
    dependencies installed from a file, ``HEALTHCHECK`` and ``docker build``/``docker run``
    in the README. 0.8: one improvement left among those (root, unpinned base; or the extras
    missing). 0.5: present but without ``FROM``, a start command or dependency installation,
    or both root and unpinned. 0.0: no Dockerfile. Copying the requirements before the code
    (layer cache) is mentioned as a bonus.

``ci``
    Files matching ``params.workflow_globs`` are parsed with ``yaml.safe_load``. A workflow
    runs a kind of step of ``params.require_steps`` (``test``: pytest, tox...; ``lint``: ruff,
    flake8...) when a step's ``run``/``uses``/``name`` says so; it must also trigger on
    ``push`` and ``pull_request``. 0.8: every required kind in a workflow triggered by both;
    1.0: plus a dependency cache and an image build or deploy. 0.5: workflows present but a
    step or trigger missing, or a file that is not valid YAML. 0.0: no workflow.

``cloudformation``
    Templates are the files matching ``params.template_globs`` that look like CloudFormation
    (``AWSTemplateFormatVersion``, or ``Resources`` with ``AWS::`` types). Copies of them (never
    the checkout itself, which may hold a ``.cfnlintrc``) are validated by cfn-lint in a
    subprocess with a timeout. 0.8: at most ``params.max_cfn_lint_errors`` errors; 1.0: plus
    ``Parameters``, ``Outputs``, tags on resources and deploy/removal commands in the README.
    0.5: validation errors. 0.0: no template. If cfn-lint itself cannot run, the check raises
    :class:`CfnLintUnavailable` (an infrastructure fault, not the student's).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from autograder.checks import repofiles
from autograder.checks.base import CheckContext, CheckOutcome

CFN_LINT_TIMEOUT_SECONDS = 180
MAX_TEMPLATES = 20
MAX_LISTED = 8


def check(context: CheckContext) -> CheckOutcome:
    part = context.params.get("part")
    parts: dict[str, Callable[[CheckContext], CheckOutcome]] = {
        "dockerfile": check_dockerfile, "ci": check_ci, "cloudformation": check_cloudformation,
    }
    if part not in parts:
        raise ValueError(f"packaging: params.part must be one of {sorted(parts)}, not {part!r}")
    return parts[part](context)


def _finish(
    facts: list[str], gaps: list[str], fraction: float, evidence: list[str]
) -> CheckOutcome:
    text = "; ".join(fact for fact in facts if fact) + "."
    text += (f" Para subir de nível: {'; '.join(gaps)}." if gaps
             else " Nível máximo desta verificação.")
    return CheckOutcome(fraction, text, evidence)


def _readme_text(repo: Path) -> str:
    path = repofiles.find_readme(repo)
    return (repofiles.read_text(path) or "") if path else ""


# -- Dockerfile ------------------------------------------------------------------------------

DOCKERFILE_NAME = re.compile(r"^(Dockerfile(\..+)?|.+\.[Dd]ockerfile|Containerfile)$")
DEPENDENCY_FILE = re.compile(
    r"requirements[\w.-]*\.txt|pyproject\.toml|poetry\.lock|Pipfile(\.lock)?|uv\.lock|setup\.py"
    r"|environment\.ya?ml"
)
INSTALL = re.compile(r"\b(pip3?|uv|poetry|pipenv|conda|mamba)\b.*\b(install|sync)\b")
ROOT_USERS = {"root", "0", "root:root", "0:0"}


@dataclass
class Instruction:
    line: int
    keyword: str
    argument: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined, comments and blank lines dropped."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        joined = " ".join(pending).strip()
        pending = []
        keyword, _, argument = joined.partition(" ")
        instructions.append(Instruction(start, keyword.upper(), argument.strip()))
    return instructions


def _substitute(value: str, args: dict[str, str]) -> str:
    """Expands ``${NAME}``, ``${NAME:-default}`` and ``$NAME`` from the ARG defaults seen."""
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        return args.get(name) or match.group(2) or ""
    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)", replace, value)


def _image_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return False
    tag = name.split(":", 1)[1]
    return bool(tag) and tag != "latest" and "$" not in tag


@dataclass
class DockerfileFacts:
    path: str
    bases: list[tuple[int, str]] = field(default_factory=list)   # external images, line
    stages: int = 0
    user: tuple[int, str] | None = None                          # last USER of final stage
    start: tuple[int, str] | None = None                         # CMD / ENTRYPOINT
    healthcheck: int | None = None
    install: int | None = None                                   # RUN pip install ...
    dependency_copy: int | None = None                           # COPY requirements.txt
    code_copy: int | None = None                                 # COPY . / COPY src


def inspect_dockerfile(path: str, text: str) -> DockerfileFacts:
    facts = DockerfileFacts(path=path)
    args: dict[str, str] = {}
    stage_names: set[str] = set()
    for item in parse_dockerfile(text):
        if item.keyword == "ARG":
            name, _, default = item.argument.partition("=")
            args[name.strip()] = default.strip().strip("\"'")
        elif item.keyword == "FROM":
            facts.stages += 1
            facts.user = facts.start = facts.healthcheck = None
            words = [word for word in item.argument.split() if not word.startswith("--")]
            image = _substitute(words[0], args) if words else ""
            if len(words) >= 3 and words[1].lower() == "as":
                stage_names.add(words[2].lower())
            if image and image.lower() not in stage_names and image != "scratch":
                facts.bases.append((item.line, image))
        elif item.keyword == "USER":
            facts.user = (item.line, item.argument.split()[0] if item.argument else "")
        elif item.keyword in ("CMD", "ENTRYPOINT"):
            facts.start = (item.line, item.keyword)
        elif item.keyword == "HEALTHCHECK" and item.argument.upper() != "NONE":
            facts.healthcheck = item.line
        elif item.keyword == "RUN" and INSTALL.search(item.argument):
            facts.install = facts.install or item.line
        elif item.keyword in ("COPY", "ADD"):
            sources = [word for word in item.argument.split()[:-1] if not word.startswith("--")]
            if any(DEPENDENCY_FILE.search(source) for source in sources):
                facts.dependency_copy = facts.dependency_copy or item.line
            elif facts.code_copy is None:
                facts.code_copy = item.line
    return facts


def _find_dockerfile(repo: Path) -> tuple[Path | None, list[str]]:
    found = [path for path in repofiles.walk(repo) if DOCKERFILE_NAME.match(path.name)]
    names = [repofiles.relative(repo, path) for path in found]
    root = [path for path in found if path.parent == repo]
    chosen = (root or found or [None])[0]
    return chosen, names


def check_dockerfile(context: CheckContext) -> CheckOutcome:
    params = context.params
    path, names = _find_dockerfile(context.repo)
    if path is None:
        return CheckOutcome(0.0, (
            "Nenhum Dockerfile encontrado no repositório. Para pontuar, crie um Dockerfile na "
            "raiz com imagem base fixada (p.ex. python:3.11-slim), dependências instaladas do "
            "requirements.txt, usuário não root (USER), HEALTHCHECK e CMD para subir a API."
        ), ["Dockerfile ausente"])
    name = repofiles.relative(context.repo, path)
    text = repofiles.read_text(path) or ""
    facts = inspect_dockerfile(name, text)
    evidence = [name]
    notes = [f"{name} analisado" + (f" (outros: {', '.join(n for n in names if n != name)})"
                                    if len(names) > 1 else "")]
    serious: list[str] = []
    improvements: list[str] = []
    extras: list[str] = []

    if not facts.stages:
        serious.append("o arquivo não tem instrução FROM")
    unpinned = [(line, image) for line, image in facts.bases if not _image_pinned(image)]
    for line, image in facts.bases:
        evidence.append(f"{name}:{line} FROM {image}")
    if facts.bases:
        notes.append("imagem base " + ", ".join(
            f"{image} (linha {line}, {'fixada' if _image_pinned(image) else 'sem versão fixa'})"
            for line, image in facts.bases))
    if unpinned and params.get("require_pinned_base", True):
        improvements.append("fixe a versão da imagem base (p.ex. python:3.11-slim ou um "
                            "digest @sha256), nunca :latest ou sem tag")
    root = facts.user is None or facts.user[1].lower() in ROOT_USERS
    if facts.user:
        evidence.append(f"{name}:{facts.user[0]} USER {facts.user[1]}")
    if root or facts.user is None:
        notes.append("roda como root (sem USER não root no estágio final)")
    else:
        notes.append(f"usuário não root '{facts.user[1]}' (linha {facts.user[0]})")
    if root and params.get("require_non_root", True):
        improvements.append("crie um usuário sem privilégios e troque para ele com USER")
    if facts.start:
        evidence.append(f"{name}:{facts.start[0]} {facts.start[1]}")
        notes.append(f"{facts.start[1]} na linha {facts.start[0]}")
    else:
        serious.append("falta CMD ou ENTRYPOINT para iniciar a aplicação")
    if facts.install is None:
        serious.append("nenhuma instalação de dependências (RUN pip install -r requirements.txt)")
    else:
        notes.append(f"dependências instaladas na linha {facts.install}")
    if facts.healthcheck:
        evidence.append(f"{name}:{facts.healthcheck} HEALTHCHECK")
        notes.append(f"HEALTHCHECK na linha {facts.healthcheck}")
    else:
        extras.append("acrescente um HEALTHCHECK que consulte o /health da API")
    if facts.dependency_copy and (facts.code_copy is None
                                  or facts.dependency_copy < facts.code_copy):
        notes.append("arquivo de dependências copiado antes do código (bom uso do cache)")
    else:
        extras.append("copie o arquivo de dependências e instale-as antes de copiar o código, "
                      "para aproveitar o cache de camadas")
    readme = _readme_text(context.repo)
    if "docker build" in readme and "docker run" in readme:
        notes.append("README com docker build e docker run")
    else:
        extras.append("documente no README os comandos docker build e docker run")
    if facts.stages > 1:
        notes.append(f"build multi-stage ({facts.stages} estágios)")

    if serious:
        fraction = 0.5
        notes += serious
        gaps = [problem[0].upper() + problem[1:] for problem in serious] + improvements
    elif len(improvements) >= 2:
        fraction, gaps = 0.5, improvements
    elif improvements:
        fraction, gaps = 0.8, improvements
    else:
        fraction, gaps = (0.8, extras) if len(extras) > 1 else (1.0, [])
        if fraction == 1.0 and extras:
            notes.append("sugestão: " + extras[0])
    return _finish(notes, gaps, fraction, evidence)


# -- CI workflow -----------------------------------------------------------------------------

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
    kinds: dict[str, str]          # kind -> step description
    cache: bool
    build: bool


def _triggers(document: dict[Any, Any]) -> set[str]:
    value = document.get("on", document.get(True))      # YAML 1.1 reads `on:` as True
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
        run = "\n".join(line for line in str(step.get("run", "")).splitlines()
                        if not INSTALL.search(line))
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


def check_ci(context: CheckContext) -> CheckOutcome:
    params = context.params
    globs = params.get("workflow_globs", [".github/workflows/*.yml", ".github/workflows/*.yaml"])
    required: list[str] = list(params.get("require_steps", ["test", "lint"]))
    files = [path for path in repofiles.walk(context.repo)
             if repofiles.glob_match(repofiles.relative(context.repo, path), globs)]
    if not files:
        return CheckOutcome(0.0, (
            "Nenhum workflow de CI encontrado (" + ", ".join(globs) + "). Para pontuar, crie "
            ".github/workflows/ci.yml que rode em push e pull_request, instale as dependências "
            "e execute lint (ruff) e testes (pytest)."
        ), ["workflow ausente"])
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
    notes = [f"{repofiles.plural(len(files), 'workflow')} encontrado"
             + ("s" if len(files) != 1 else "") + ": " + ", ".join(
                 repofiles.relative(context.repo, path) for path in files[:MAX_LISTED])]
    if invalid:
        notes.append("YAML inválido ou sem jobs: " + ", ".join(invalid))
    gaps: list[str] = []
    if invalid:
        gaps.append("corrija o YAML de " + ", ".join(invalid)
                    + " (valide com um linter de YAML ou o actionlint)")
    complete = {"push", "pull_request"}
    for workflow in workflows:
        notes.append(
            f"{workflow.path}: gatilhos {', '.join(sorted(workflow.triggers)) or 'nenhum'}; "
            + (", ".join(f"{KIND_LABELS.get(kind, kind)} ('{label}')"
                         for kind, label in workflow.kinds.items()) or "sem etapas de "
               + " ou ".join(KIND_LABELS.get(kind, kind) for kind in required))
        )
        evidence += [f"{workflow.path}: {kind} '{label}'" for kind, label in workflow.kinds.items()]
    anywhere = {kind for workflow in workflows for kind in workflow.kinds}
    covered = {kind for workflow in workflows if complete <= workflow.triggers
               for kind in workflow.kinds}
    missing = [kind for kind in required if kind not in anywhere]
    untriggered = [kind for kind in required if kind in anywhere and kind not in covered]
    if missing:
        gaps.append("acrescente etapas de " + " e ".join(
            KIND_LABELS.get(kind, kind) for kind in missing)
            + " (p.ex. `ruff check .` e `pytest`) em um workflow disparado em push e pull_request")
    if untriggered or (workflows and not any(complete <= w.triggers for w in workflows)):
        gaps.append("dispare o workflow de " + " e ".join(
            KIND_LABELS.get(kind, kind) for kind in untriggered or required)
            + " em push e em pull_request (on: [push, pull_request])")
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
    return _finish(notes, gaps, fraction, evidence)


# -- CloudFormation --------------------------------------------------------------------------


class CfnLintUnavailable(RuntimeError):
    """cfn-lint could not run: an infrastructure fault, never the student's grade."""


class _CfnLoader(yaml.SafeLoader):
    """safe_load that accepts CloudFormation's short tags (!Ref, !Sub...) as plain values."""


def _plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _plain)

CFN_MARKERS = re.compile(r"AWSTemplateFormatVersion|[\"']?Type[\"']?\s*:\s*[\"']?AWS::\w+::")


def load_template(name: str, text: str) -> dict[str, Any] | None:
    """The template as a dict (JSON, or YAML with short tags), None when it does not parse."""
    try:
        document = (json.loads(text) if name.endswith(".json")
                    else yaml.load(text, Loader=_CfnLoader))  # noqa: S506 (a SafeLoader)
    except (ValueError, yaml.YAMLError):
        return None
    return document if isinstance(document, dict) else None


def find_templates(repo: Path, globs: list[str]) -> list[tuple[str, str]]:
    """(relative path, text) of the CloudFormation templates among files matching ``globs``."""
    templates = []
    for path in repofiles.walk(repo):
        name = repofiles.relative(repo, path)
        if name.startswith(".github/") or not repofiles.glob_match(name, globs):
            continue
        text = repofiles.read_text(path)
        if text and (("AWSTemplateFormatVersion" in text)
                     or ("Resources" in text and CFN_MARKERS.search(text))):
            templates.append((name, text))
            if len(templates) >= MAX_TEMPLATES:
                break
    return templates


def run_cfn_lint(templates: list[tuple[str, str]], timeout: float) -> list[dict[str, Any]]:
    """cfn-lint's findings (JSON) for copies of the templates, in a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="cfn-lint-") as scratch:
        root = Path(scratch)
        names = []
        for index, (name, text) in enumerate(templates):
            copy = root / f"{index:02d}-{Path(name).name}"
            copy.write_text(text, encoding="utf-8")
            names.append(copy.name)
        command = [sys.executable, "-c",
                   "import sys; from cfnlint.runner import main; sys.exit(main())",
                   "--format", "json", "--", *names]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": scratch,
               "LANG": "C.UTF-8"}
        try:
            done = subprocess.run(  # noqa: S603 (fixed argv, our own interpreter)
                command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise CfnLintUnavailable(f"cfn-lint excedeu {timeout:.0f} s") from error
        try:
            findings = json.loads(done.stdout or "[]")
        except ValueError as error:
            raise CfnLintUnavailable(
                f"cfn-lint falhou (código {done.returncode}): {done.stderr[-500:]}"
            ) from error
    by_copy = {f"{index:02d}-{Path(name).name}": name for index, (name, _) in enumerate(templates)}
    for finding in findings:
        finding["Filename"] = by_copy.get(Path(finding.get("Filename", "")).name, "?")
    return findings


def check_cloudformation(context: CheckContext) -> CheckOutcome:
    params = context.params
    globs = params.get("template_globs", ["**/*.yaml", "**/*.yml", "**/*.json", "**/*.template"])
    allowed = int(params.get("max_cfn_lint_errors", 0))
    templates = find_templates(context.repo, globs)
    if not templates:
        return CheckOutcome(0.0, (
            "Nenhum template CloudFormation encontrado (arquivo YAML/JSON com "
            "AWSTemplateFormatVersion ou Resources com tipos AWS::). Para pontuar, crie p.ex. "
            "infra/cloudformation.yaml com os recursos do projeto, parâmetros e outputs, "
            "validado com cfn-lint."
        ), ["template ausente"])
    findings = run_cfn_lint(templates, float(params.get("timeout_seconds",
                                                        CFN_LINT_TIMEOUT_SECONDS)))
    errors = [item for item in findings if item.get("Level") == "Error"]
    warnings = [item for item in findings if item.get("Level") == "Warning"]

    def where(item: dict[str, Any]) -> str:
        line = item.get("Location", {}).get("Start", {}).get("LineNumber", "?")
        return f"{item['Filename']}:{line} {item.get('Rule', {}).get('Id', '?')}"

    evidence = [name for name, _ in templates] + [where(item) for item in errors[:MAX_LISTED]]
    parameters = outputs = tagged = 0
    resources = 0
    for name, text in templates:
        document = load_template(name, text) or {}
        parameters += len(document.get("Parameters") or {})
        outputs += len(document.get("Outputs") or {})
        for resource in (document.get("Resources") or {}).values():
            resources += 1
            if isinstance(resource, dict) and "Tags" in (resource.get("Properties") or {}):
                tagged += 1
    notes = [
        f"{repofiles.plural(len(templates), 'template')}: "
        + ", ".join(name for name, _ in templates[:MAX_LISTED]),
        f"cfn-lint: {repofiles.plural(len(errors), 'erro')} (máximo {allowed}) e "
        f"{repofiles.plural(len(warnings), 'aviso')}",
        f"{repofiles.plural(resources, 'recurso')}, "
        f"{repofiles.plural(parameters, 'parâmetro')}, {repofiles.plural(outputs, 'output')}, "
        f"{tagged} com tags",
    ]
    if errors:
        notes.append("erros: " + "; ".join(
            f"{where(item)}: {str(item.get('Message', ''))[:160]}" for item in errors[:5]))
    if len(errors) > allowed:
        return _finish(notes, [
            f"corrija os erros do cfn-lint (rode `cfn-lint {templates[0][0]}` localmente)"
        ], 0.5, evidence)
    readme = _readme_text(context.repo).lower()
    deploy = bool(re.search(r"cloudformation (deploy|create-stack)|sam deploy|create-stack",
                            readme))
    remove = bool(re.search(r"delete-stack|sam delete|cloudformation delete", readme))
    extras = []
    if not parameters:
        extras.append("parametrize o template (seção Parameters)")
    if not outputs:
        extras.append("exponha os valores úteis em Outputs")
    if not tagged:
        extras.append("marque os recursos com Tags")
    if not (deploy and remove):
        extras.append("documente no README os comandos de deploy e de remoção da stack "
                      "(aws cloudformation deploy / delete-stack)")
    else:
        notes.append("README com comandos de deploy e remoção")
    return _finish(notes, extras, 0.8 if extras else 1.0, evidence)

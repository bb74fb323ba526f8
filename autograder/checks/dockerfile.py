"""The Dockerfile criterion (rubric check ``packaging``, ``params.part: dockerfile``).

The Dockerfile is found by name, in any case (``docker build`` accepts a lower-case
``dockerfile``): ``Dockerfile``, ``Dockerfile.api``, ``api.Dockerfile`` or ``Containerfile``,
at the root or in a directory (``docker/Dockerfile``, ``deploy/Dockerfile``). The shallowest
wins, and at one depth a plain ``Dockerfile`` before a variant (:func:`find_dockerfile`); the
justification names the file read and the others. It is read as text, continuation lines
joined. 1.0: pinned base (a tag other than
``latest``, or a digest), a final ``USER`` that is not root, ``CMD``/``ENTRYPOINT``,
dependencies installed from a file, ``HEALTHCHECK`` and ``docker build``/``docker run`` in
the README. 0.8: one improvement left among those (root, unpinned base; or the extras
missing). 0.5: present but without ``FROM``, a start command or dependency installation, or
both root and unpinned. 0.0: no Dockerfile. Copying the requirements before the code (layer
cache) is mentioned as a bonus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.checks import repofiles
from autograder.checks.base import CheckContext, CheckOutcome, leveled

DOCKERFILE_NAME = re.compile(r"^(dockerfile(\..+)?|.+\.dockerfile|containerfile)$", re.IGNORECASE)
# Named like a Dockerfile but not one: BuildKit's per-Dockerfile ignore file, notes, backups.
NOT_DOCKERFILE = re.compile(r"\.(dockerignore|md|txt|rst|orig|bak|swp)$", re.IGNORECASE)
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
    bases: list[tuple[int, str]] = field(default_factory=list)  # external images, line
    stages: int = 0
    user: tuple[int, str] | None = None  # last USER of final stage
    start: tuple[int, str] | None = None  # CMD / ENTRYPOINT
    healthcheck: int | None = None
    install: int | None = None  # RUN pip install ...
    dependency_copy: int | None = None  # COPY requirements.txt
    code_copy: int | None = None  # COPY . / COPY src


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


def _preference(repo: Path, path: Path) -> tuple[int, int, str]:
    """Shallowest first; at one depth ``Dockerfile``, then ``dockerfile``/``Containerfile``,
    then the variants (``Dockerfile.api``, ``api.Dockerfile``)."""
    name = path.name
    kind = (
        0 if name == "Dockerfile" else 1 if name.lower() in ("dockerfile", "containerfile") else 2
    )
    relative = repofiles.relative(repo, path)
    return relative.count("/"), kind, relative


def find_dockerfile(repo: Path) -> tuple[Path | None, list[str]]:
    """(the Dockerfile to read, every Dockerfile's relative path in order of preference)."""
    found = sorted(
        (
            path
            for path in repofiles.walk(repo)
            if DOCKERFILE_NAME.match(path.name) and not NOT_DOCKERFILE.search(path.name)
        ),
        key=lambda path: _preference(repo, path),
    )
    names = [repofiles.relative(repo, path) for path in found]
    return (found[0] if found else None), names


def check(context: CheckContext) -> CheckOutcome:
    params = context.params
    path, names = find_dockerfile(context.repo)
    if path is None:
        return CheckOutcome(
            0.0,
            (
                "Nenhum Dockerfile encontrado no repositório (procurados Dockerfile, dockerfile, "
                "Dockerfile.*, *.Dockerfile e Containerfile em qualquer diretório). Para "
                "pontuar, crie um Dockerfile na "
                "raiz com imagem base fixada (p.ex. python:3.11-slim), dependências instaladas do "
                "requirements.txt, usuário não root (USER), HEALTHCHECK e CMD para subir a API."
            ),
            ["Dockerfile ausente"],
        )
    name = repofiles.relative(context.repo, path)
    text = repofiles.read_text(path) or ""
    facts = inspect_dockerfile(name, text)
    evidence = [name]
    notes = [
        f"{name} analisado"
        + (f" (outros: {', '.join(n for n in names if n != name)})" if len(names) > 1 else "")
    ]
    serious: list[str] = []
    improvements: list[str] = []
    extras: list[str] = []

    if not facts.stages:
        serious.append("o arquivo não tem instrução FROM")
    unpinned = [(line, image) for line, image in facts.bases if not _image_pinned(image)]
    for line, image in facts.bases:
        evidence.append(f"{name}:{line} FROM {image}")
    if facts.bases:
        notes.append(
            "imagem base "
            + ", ".join(
                f"{image} (linha {line}, {'fixada' if _image_pinned(image) else 'sem versão fixa'})"
                for line, image in facts.bases
            )
        )
    if unpinned and params.get("require_pinned_base", True):
        improvements.append(
            "fixe a versão da imagem base (p.ex. python:3.11-slim ou um "
            "digest @sha256), nunca :latest ou sem tag"
        )
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
    if facts.dependency_copy and (
        facts.code_copy is None or facts.dependency_copy < facts.code_copy
    ):
        notes.append("arquivo de dependências copiado antes do código (bom uso do cache)")
    else:
        extras.append(
            "copie o arquivo de dependências e instale-as antes de copiar o código, "
            "para aproveitar o cache de camadas"
        )
    readme = repofiles.readme_text(context.repo)
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
    return leveled(notes, gaps, fraction, evidence, capitalize=False)

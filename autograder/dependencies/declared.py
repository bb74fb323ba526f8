"""What a final project declares it needs: its requirements and its Python version.

    declared = declared_requirements(repo, install="pip install -r requirements/prod.txt")
    declared.requirements   # ["fastapi==0.115.0", "seaborn==0.13.2", ...] (PEP 508, checked)
    declared.sources        # ["requirements.txt (UTF-16)"]
    declared.skipped        # pt-BR notes: "requirements.txt:7: `-e .` ignorado (...)"
    python = declared_python(repo, contract_python=None)  # Declared("3.10", "Dockerfile: ...")

Only the checkout is read, on the host, through the same careful reads as the checks
(no symlink followed, size-capped). Nothing is executed: ``setup.py`` is never run, and every
requirement line is parsed with ``packaging`` and written back in its canonical form, so
what reaches pip is a list of names, versions and markers. Options a requirements file may
carry (``--index-url``, ``--find-links``, ``--trusted-host``, ``-e``, direct URLs, local
paths) are dropped with a note: dependencies come from the configured index only.

Where the requirements come from, first match wins:

1. the ``install`` command of ``projeto.yaml`` (``pip install -r X``, ``pip install .``,
   ``pip install pkg==1.0``);
2. every ``requirements*.txt`` at the root and ``requirements/*.txt``, in any encoding a
   Windows ``pip freeze >`` leaves (UTF-16 with a BOM, UTF-8 with a BOM), with ``-r``/``-c``
   includes resolved inside the repository;
3. ``pyproject.toml``: ``[project] dependencies`` and the optional groups named like tests
   (``test``, ``tests``, ``dev``);
4. ``environment.yml``/``environment.yaml``: the ``pip:`` section.
"""

from __future__ import annotations

import posixpath
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from autograder.checks import repofiles
from autograder.checks.dockerfile import find_dockerfile

MAX_FILE_BYTES = 256 * 1024
MAX_INCLUDES = 20  # requirement files read through -r/-c, in all
MAX_REQUIREMENTS = 200
TEST_GROUPS = ("test", "tests", "testing", "dev")
_PIP_OPTION_NOTE = "opção do pip ignorada: as dependências vêm só do índice configurado"


@dataclass
class Declared:
    requirements: list[str] = field(default_factory=list)  # canonical PEP 508 strings
    constraints: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # what was read, for justifications
    skipped: list[str] = field(default_factory=list)  # pt-BR, "file:line: what and why"

    def add(self, line: str, where: str, *, constraint: bool = False) -> None:
        """Add one requirement line if it is a plain PEP 508 requirement, else note why not."""
        text = line.strip()
        if not text:
            return
        if re.match(r"^(\.{1,2}|/)|^[\w.-]+/", text):
            self.skipped.append(f"{where}: `{text[:80]}` ignorado (caminho local)")
            return
        if re.match(r"^(git|hg|svn|bzr)\+|^https?://", text):
            self.skipped.append(f"{where}: `{text[:80]}` ignorado (dependência por URL)")
            return
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            self.skipped.append(f"{where}: `{text[:80]}` não é uma dependência válida")
            return
        if requirement.url:
            self.skipped.append(f"{where}: `{requirement.name}` ignorado (dependência por URL)")
            return
        target = self.constraints if constraint else self.requirements
        if len(target) >= MAX_REQUIREMENTS:
            self.skipped.append(f"{where}: mais de {MAX_REQUIREMENTS} dependências; resto ignorado")
            return
        canonical = str(requirement)
        if canonical not in target:
            target.append(canonical)


@dataclass(frozen=True)
class DeclaredPython:
    version: str | None  # "3.10", or None when only a range is declared
    specifier: str  # "==3.10.*", ">=3.9,<3.12"
    source: str  # pt-BR: where it was read ("Dockerfile: `FROM python:3.10-slim`")


# -- encodings ------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding label) of a text file written by any editor or shell redirect.

    A BOM decides; without one, NUL bytes in every other position mean UTF-16 without BOM;
    otherwise UTF-8, then cp1252 (a Windows ANSI file) when UTF-8 fails.
    """
    for bom, codec, label in (
        (b"\xef\xbb\xbf", "utf-8", "UTF-8 com BOM"),
        (b"\xff\xfe", "utf-16-le", "UTF-16"),
        (b"\xfe\xff", "utf-16-be", "UTF-16"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace"), label
    head = data[:200]
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4:
        return data.decode("utf-16-le", errors="replace"), "UTF-16"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4:
        return data.decode("utf-16-be", errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _read(repo: Path, relative: str) -> tuple[str, str] | None:
    path = _inside(repo, relative)
    if path is None:
        return None
    data = repofiles.read_bytes(path, MAX_FILE_BYTES)
    return None if data is None else decode(data)


def _inside(repo: Path, relative: str) -> Path | None:
    """``repo/relative`` when it stays inside the checkout, with no symlink on the way."""
    parts = PurePosixPath(relative).parts
    if not parts or ".." in parts or PurePosixPath(relative).is_absolute():
        return None
    current = repo
    for part in parts:
        current = current / part
        if current.is_symlink():
            return None
    return current if current.is_file() else None


# -- requirements files ---------------------------------------------------------------------------


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) with comments removed and ``\\`` continuations joined."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append((start, (pending + line).strip()))
        pending = ""
    if pending.strip():
        lines.append((start, pending.strip()))
    return lines


class _RequirementsReader:
    def __init__(self, repo: Path, declared: Declared) -> None:
        self.repo = repo
        self.declared = declared
        self.seen: set[str] = set()

    def read(self, relative: str, *, constraint: bool = False, origin: str = "") -> None:
        relative = PurePosixPath(relative).as_posix()
        if relative in self.seen:
            return
        if len(self.seen) >= MAX_INCLUDES:
            self.declared.skipped.append(f"{origin or relative}: inclusões demais; ignorado")
            return
        self.seen.add(relative)
        found = _read(self.repo, relative)
        if found is None:
            self.declared.skipped.append(
                f"{origin or relative}: `{relative}` não encontrado no repositório"
            )
            return
        text, encoding = found
        label = relative if encoding == "UTF-8" else f"{relative} ({encoding})"
        self.declared.sources.append(label)
        base = PurePosixPath(relative).parent
        for number, line in _logical_lines(text):
            self._line(line, f"{relative}:{number}", base, constraint)

    def _line(self, line: str, where: str, base: PurePosixPath, constraint: bool) -> None:
        if not line:
            return
        include = re.match(r"^(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)$", line)
        if include:
            target = (base / include.group(2)).as_posix()
            is_constraint = constraint or include.group(1) in ("-c", "--constraint")
            self.read(posixpath.normpath(target), constraint=is_constraint, origin=where)
            return
        if line.startswith(("-e", "--editable")):
            self.declared.skipped.append(f"{where}: `{line[:80]}` ignorado (instalação editável)")
            return
        if line.startswith("-"):
            self.declared.skipped.append(f"{where}: `{line.split()[0][:40]}` {_PIP_OPTION_NOTE}")
            return
        # pip's per-requirement options (--hash=...) are not part of the requirement.
        requirement = re.split(r"\s+--?[a-z]", line, maxsplit=1)[0]
        self.declared.add(requirement, where, constraint=constraint)


def _requirement_files(repo: Path) -> list[str]:
    names = sorted(
        path.name
        for path in repo.iterdir()
        if re.fullmatch(r"requirements[\w.-]*\.txt", path.name, re.IGNORECASE)
        and not path.is_symlink()
    )
    folder = repo / "requirements"
    if folder.is_dir() and not folder.is_symlink():
        names += sorted(f"requirements/{p.name}" for p in folder.glob("*.txt") if p.is_file())
    # requirements.txt first: its pins win when another file repeats a package.
    return sorted(names, key=lambda name: (name.lower() != "requirements.txt", name))


# -- pyproject.toml and environment.yml -----------------------------------------------------------


def _pyproject(repo: Path, declared: Declared) -> bool:
    """``[project] dependencies``, plus the test-like extras and dependency groups (PEP 735,
    as uv writes them: ``[dependency-groups] dev = [...]``)."""
    found = _read(repo, "pyproject.toml")
    if found is None:
        return False
    try:
        document = tomllib.loads(found[0])
    except tomllib.TOMLDecodeError as exc:
        declared.skipped.append(f"pyproject.toml não é TOML válido ({exc})")
        return False
    project = document.get("project") or {}
    dependencies = project.get("dependencies") or []
    if not isinstance(dependencies, list):
        dependencies = []
    optional = project.get("optional-dependencies") or {}
    extras = [name for name in TEST_GROUPS if isinstance(optional.get(name), list)]
    groups_table = document.get("dependency-groups") or {}
    groups = [name for name in TEST_GROUPS if isinstance(groups_table.get(name), list)]
    lines = [
        *dependencies,
        *(line for name in extras for line in optional[name]),
        *(line for name in groups for line in _group(groups_table, name)),
    ]
    if not lines:
        return False
    label = "pyproject.toml [project.dependencies]"
    label += "".join(f" + [{name}]" for name in extras)
    label += "".join(f" + [dependency-groups.{name}]" for name in groups)
    declared.sources.append(label)
    own = str(project.get("name", "\0")).lower()
    for index, line in enumerate(lines):
        # "churn[test]" in its own extras is the project itself, not a dependency.
        if isinstance(line, str) and not line.strip().lower().startswith(own):
            declared.add(line, f"pyproject.toml (item {index + 1})")
    return True


def _group(table: dict[str, Any], name: str, depth: int = 0) -> list[Any]:
    """A PEP 735 group's requirements, ``{include-group = "x"}`` entries followed (bounded)."""
    lines: list[Any] = []
    for item in table.get(name) or []:
        if isinstance(item, dict) and isinstance(item.get("include-group"), str) and depth < 5:
            lines += _group(table, item["include-group"], depth + 1)
        elif isinstance(item, str):
            lines.append(item)
    return lines


def _environment(repo: Path, declared: Declared) -> bool:
    for name in ("environment.yml", "environment.yaml"):
        found = _read(repo, name)
        if found is None:
            continue
        try:
            document = yaml.safe_load(found[0]) or {}
        except yaml.YAMLError:
            declared.skipped.append(f"{name} não é YAML válido")
            return False
        pip_section = next(
            (
                item["pip"]
                for item in document.get("dependencies") or []
                if isinstance(item, dict) and isinstance(item.get("pip"), list)
            ),
            None,
        )
        if pip_section is None:
            declared.skipped.append(f"{name}: sem seção `pip:` (pacotes conda não são instalados)")
            return False
        declared.sources.append(f"{name} (seção pip)")
        for index, line in enumerate(pip_section, start=1):
            if isinstance(line, str):
                if line.strip().startswith("-r"):
                    _RequirementsReader(repo, declared).read(
                        posixpath.normpath(line.split(None, 1)[-1].strip()), origin=f"{name} (pip)"
                    )
                else:
                    declared.add(line, f"{name} (pip, item {index})")
        return True
    return False


def _from_install_command(repo: Path, command: str, declared: Declared) -> bool:
    """The ``install`` of projeto.yaml: only ``pip install`` is understood."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = []
    while words and words[0] in ("python", "python3", "-m"):
        words = words[1:]
    if words[:2] not in (["pip", "install"], ["pip3", "install"]):
        declared.skipped.append(
            f"projeto.yaml: `install` não é um `pip install` (`{command[:80]}`); "
            "usados os arquivos de dependências do repositório"
        )
        return False
    reader = _RequirementsReader(repo, declared)
    args = iter(words[2:])
    for word in args:
        if word in ("-r", "--requirement", "-c", "--constraint"):
            target = next(args, "")
            reader.read(posixpath.normpath(target), constraint=word in ("-c", "--constraint"))
        elif word.startswith(("--requirement=", "-r")) and len(word) > 2:
            reader.read(posixpath.normpath(word.split("=", 1)[-1].removeprefix("-r")))
        elif word in (".", "-e", "--editable", "./") or word.startswith(".["):
            if word in ("-e", "--editable"):
                next(args, None)
            if not _pyproject(repo, declared):
                declared.skipped.append(
                    "projeto.yaml: `pip install .` sem dependências no pyproject.toml"
                )
        elif word.startswith("-"):
            declared.skipped.append(f"projeto.yaml: `{word[:40]}` {_PIP_OPTION_NOTE}")
        else:
            declared.add(word, "projeto.yaml (install)")
    if not declared.sources:
        declared.sources.append("projeto.yaml (install)")
    return True


def declared_requirements(repo: Path, install: str | None = None) -> Declared:
    """What the project declares it needs (see the module docstring for the order)."""
    declared = Declared()
    if install and _from_install_command(repo, install, declared):
        return declared
    files = _requirement_files(repo) if repo.is_dir() else []
    if files:
        reader = _RequirementsReader(repo, declared)
        for name in files:
            reader.read(name)
        return declared
    if not _pyproject(repo, declared):
        _environment(repo, declared)
    return declared


# -- the Python version ---------------------------------------------------------------------------

_VERSION = re.compile(r"(?<![\d.])(3\.\d{1,2})(?:\.\d+)?(?![\d])")


def _version_from(text: str) -> str | None:
    match = _VERSION.search(text)
    return match.group(1) if match else None


def declared_python(repo: Path, contract_python: Any = None) -> DeclaredPython | None:
    """The Python version the project asks for, and where it says so; None when silent.

    Order: projeto.yaml ``python``, ``.python-version``, ``runtime.txt``, the Dockerfile's
    ``FROM python:X``, pyproject ``requires-python``, environment.yml ``python=X``.
    """
    if contract_python is not None:
        version = _version_from(str(contract_python))
        if version:
            return DeclaredPython(
                version, f"=={version}.*", f"projeto.yaml: `python: {contract_python}`"
            )
    for name in (".python-version", "runtime.txt"):
        found = _read(repo, name)
        first = found[0].strip().splitlines()[0] if found and found[0].strip() else ""
        version = _version_from(first)
        if version:
            return DeclaredPython(version, f"=={version}.*", f"{name}: `{first[:40]}`")
    dockerfile, _ = find_dockerfile(repo) if repo.is_dir() else (None, [])
    found = _read(repo, repofiles.relative(repo, dockerfile)) if dockerfile else None
    if dockerfile and found:
        for line in found[0].splitlines():
            match = re.match(r"^\s*FROM\s+(?:--\S+\s+)*(?:\S+/)?python:(\S+)", line, re.IGNORECASE)
            version = _version_from(match.group(1)) if match else None
            if version:
                where = repofiles.relative(repo, dockerfile)
                return DeclaredPython(version, f"=={version}.*", f"{where}: `{line.strip()[:60]}`")
    found = _read(repo, "pyproject.toml")
    if found:
        try:
            requires = (tomllib.loads(found[0]).get("project") or {}).get("requires-python")
        except tomllib.TOMLDecodeError:
            requires = None
        if isinstance(requires, str):
            try:
                SpecifierSet(requires)
            except InvalidSpecifier:
                requires = None
        if isinstance(requires, str) and requires.strip():
            exact = re.fullmatch(r"\s*==\s*(3\.\d+)(?:\.\*)?\s*", requires)
            return DeclaredPython(
                exact.group(1) if exact else None,
                requires.strip(),
                f'pyproject.toml: `requires-python = "{requires.strip()}"`',
            )
    for name in ("environment.yml", "environment.yaml"):
        found = _read(repo, name)
        match = found and re.search(r"^\s*-\s*python\s*=+\s*(3\.\d+)", found[0], re.MULTILINE)
        if match:
            return DeclaredPython(
                match.group(1), f"=={match.group(1)}.*", f"{name}: `python={match.group(1)}`"
            )
    return None


def closest_python(declared: DeclaredPython | None, available: list[str]) -> str:
    """The interpreter of ``available`` (``["3.11"]``) to grade with.

    A declared version: that one, else the nearest (ties: the newer). A declared range: the
    newest available inside it, else the one nearest to the range. Nothing declared: the
    newest available.
    """
    ordered = sorted(available, key=Version)
    if declared is None:
        return ordered[-1]
    if declared.version:
        wanted = Version(declared.version)
        return min(ordered, key=lambda v: (_distance(Version(v), wanted), -Version(v).minor))
    try:
        spec = SpecifierSet(declared.specifier)
    except InvalidSpecifier:
        return ordered[-1]
    inside = [v for v in ordered if spec.contains(f"{v}.0", prereleases=True)]
    if inside:
        return inside[-1]
    bounds = [Version(s.version.removesuffix(".*")) for s in spec if _is_version(s.version)]
    if not bounds:
        return ordered[-1]
    return min(ordered, key=lambda v: min(_distance(Version(v), b) for b in bounds))


def _is_version(text: str) -> bool:
    try:
        Version(text.removesuffix(".*"))
    except InvalidVersion:
        return False
    return True


def _distance(a: Version, b: Version) -> int:
    return abs((a.major * 100 + a.minor) - (b.major * 100 + b.minor))

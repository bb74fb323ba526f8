"""Code quality: lint findings per 1,000 lines, modular layout, no secrets, no huge files.

Ruff runs as a subprocess on *copies* of the project's Python (``repofiles.python_sources``:
the ``.py`` files, and each notebook rewritten with its code cells only, so ruff lints them as
notebook cells and a finding is cited as ``notebook.ipynb:célula 3:2``) in a scratch
directory, with a fixed command line (``RUFF_ARGS``: ``--isolated`` ignores every
configuration the student committed, so a ``select = []`` cannot hide findings). Lines are the
non-blank lines of that code, notebooks included. Findings about whitespace alone
(``WHITESPACE_CODES``: trailing spaces, a blank line with spaces, no newline at the end) are
counted apart and named, not in the density: an editor setting is not disorganised code. The
layout is modular when there is more
than one module outside the tests, a package (a directory with ``__init__.py``) or a ``src/``
directory, and no file over ``params.max_file_lines`` (default ``DEFAULT_MAX_FILE_LINES``)
lines; a project whose code lives mostly in notebooks is not. Type hints are asked of the
package, so only functions of ``.py`` modules outside the tests count for them.

Hard zeros, whatever else: a file over ``params.max_file_mb`` MB in the repository, or an
obvious secret (AWS access key id, private key block, a literal password/secret/token
assignment) in any text file. Secrets are cited by file and line, never echoed. A GitHub
Actions expression (``${{ secrets.X }}``) is never a secret, and neither is a value that only
names a credential (``token_format: 'access_token'``). Generated files committed by mistake
(``__pycache__/*.pyc``, a pickled model over 1 MB, a CSV over 5 MB, ``mlruns/``) are named in
one sentence without costing points: the large-file rule is the one that does.

Levels: 1.0 modular, at most ``max_findings_per_1000_lines`` and type hints on at least half
of the functions; 0.8 modular with at most ``partial_findings_per_1000_lines``; 0.5 either not
modular or too many findings; 0.0 both, no Python code (no file, or files without a single
statement: an empty skeleton), a secret or a large file.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.checks import repofiles
from autograder.checks.base import CheckContext, CheckOutcome, leveled
from autograder.checks.tools import ToolUnavailable, run_json_tool

RUFF_ARGS = [
    "check",
    "--isolated",
    "--select",
    "E,F,W,B",
    "--line-length",
    "120",
    "--output-format",
    "json",
    "--exit-zero",
    "--no-cache",
    ".",
]
RUFF_TIMEOUT_SECONDS = 120
DEFAULT_MAX_FILE_LINES = 500
TYPED_SHARE = 0.5
MAX_PYTHON_BYTES = 50_000_000  # Python read and linted per repository, at most
# Whitespace-only findings: counted apart, never in the density.
WHITESPACE_CODES = frozenset({"W291", "W292", "W293", "W391", "W191", "E101"})
CREDENTIAL = r"password|passwd|senha|secret|api_key|apikey|token"
SECRET_PATTERNS = {
    "chave de acesso AWS": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "chave privada": re.compile(r"-----BEGIN (RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY"),
    "senha ou token em texto": re.compile(
        rf"(?i)\b(\w*(?:{CREDENTIAL})\w*)\s*[:=]\s*[\"']([^\"'\s${{}}<>]{{8,}})[\"']"
    ),
}
# ``${{ secrets.TOKEN }}``, ``${{ steps.auth.outputs.access_token }}``: filled in by GitHub
# Actions when the workflow runs, so never a value in the repository.
ACTIONS_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
# A key that describes a credential rather than holds one: ``token_format``, ``secret_name``.
DESCRIBING_KEY = re.compile(
    r"(?i)_(format|type|name|field|url|uri|endpoint|path|file|env|var|header|prefix|kind|mode|"
    r"length|expires?|ttl)$"
)
# A value that names a credential (``'access_token'``, ``"client_secret"``) is not one.
CREDENTIAL_NAME = re.compile(rf"(?i)[a-z_]*(?:{CREDENTIAL})[a-z_]*")
PLACEHOLDER = re.compile(
    r"(?i)changeme|example|exemplo|your|seu_|sua_|xxx|\*\*\*|dummy|fake|"
    r"test|teste|placeholder|redacted"
)
TEXT_SUFFIXES = {
    ".py",
    ".ipynb",
    ".txt",
    ".md",
    ".yaml",
    ".yml",
    ".json",
    ".toml",
    ".cfg",
    ".ini",
    ".env",
    ".sh",
    ".conf",
    ".properties",
    ".pem",
    ".key",
    "",
}


class RuffUnavailable(ToolUnavailable):
    """Ruff could not run: ours to fix, never the student's grade."""


@dataclass
class Layout:
    modules: list[str] = field(default_factory=list)  # .py outside tests
    packages: list[str] = field(default_factory=list)  # dirs with __init__.py
    src_dir: bool = False
    long_files: list[tuple[str, int]] = field(default_factory=list)
    notebook_lines: int = 0  # non-blank lines of notebook code cells
    lines: int = 0  # non-blank .py lines
    functions: int = 0
    typed: int = 0


def _is_test(name: str) -> bool:
    parts = name.split("/")
    return (
        "tests" in parts[:-1]
        or "test" in parts[:-1]
        or parts[-1].startswith("test_")
        or parts[-1] == "conftest.py"
    )


def _decimal(value: float) -> str:
    """``263,2``: numbers in pt-BR text use a decimal comma."""
    return f"{value:.1f}".replace(".", ",")


def _annotated(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    return node.returns is not None or any(
        arg.annotation is not None for arg in arguments if arg.arg not in ("self", "cls")
    )


def survey(sources: list[repofiles.PythonSource], max_lines: int) -> Layout:
    """What the project's Python says about the layout."""
    layout = Layout()
    for source in sources:
        name = source.path
        count = sum(1 for line in source.text.splitlines() if line.strip())
        if source.notebook:
            layout.notebook_lines += count
            continue
        layout.lines += count
        if count > max_lines:
            layout.long_files.append((name, count))
        if name.endswith("/__init__.py") and not _is_test(name):
            layout.packages.append(name.rsplit("/", 1)[0])
        if name.startswith("src/"):
            layout.src_dir = True
        if not _is_test(name) and not name.endswith("__init__.py"):
            layout.modules.append(name)
        tree, _broken = source.parse()
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not _is_test(name):
                layout.functions += 1
                layout.typed += _annotated(node)
    return layout


def _notebook_copy(source: repofiles.PythonSource) -> str:
    """A notebook of the source's code cells only, each at its original position (the others
    left as empty Markdown cells), so ruff's cell numbers are the student's."""
    by_number = {cell.number: cell.text for cell in source.cells}
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": by_number[number],
        }
        if number in by_number
        else {"cell_type": "markdown", "metadata": {}, "source": ""}
        for number in range(1, max(by_number, default=0) + 1)
    ]
    notebook = {
        "cells": cells,
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook)


def run_ruff(
    sources: list[repofiles.PythonSource], timeout: float = RUFF_TIMEOUT_SECONDS
) -> list[dict[str, Any]]:
    """Ruff's findings (JSON) for copies of ``sources``, with ``RUFF_ARGS``; ``where`` is
    ``file:line`` or ``notebook.ipynb:célula N:line``."""
    with tempfile.TemporaryDirectory(prefix="ruff-") as scratch:
        root = Path(scratch)
        for source in sources:
            target = root / source.path
            target.parent.mkdir(parents=True, exist_ok=True)
            text = _notebook_copy(source) if source.notebook else source.text
            target.write_text(text, encoding="utf-8")
        findings = run_json_tool(
            [sys.executable, "-m", "ruff", *RUFF_ARGS],
            cwd=root,
            timeout=timeout,
            name="ruff",
            unavailable=RuffUnavailable,
        )
    for finding in findings:
        finding["filename"] = (
            Path(finding.get("filename", "")).resolve().relative_to(root.resolve()).as_posix()
            if finding.get("filename")
            else "?"
        )
        row = (finding.get("location") or {}).get("row", "?")
        cell = finding.get("cell")
        finding["where"] = (
            f"{finding['filename']}:célula {cell}:{row}" if cell else f"{finding['filename']}:{row}"
        )
    return findings


def find_secrets(repo: Path) -> list[str]:
    """``file:line (kind)`` of every obvious secret; the value itself is never returned."""
    found = []
    for path in repofiles.walk(repo):
        if path.suffix.lower() not in TEXT_SUFFIXES and not path.name.startswith(".env"):
            continue
        text = repofiles.read_text(path)
        if text is None:
            continue
        name = repofiles.relative(repo, path)
        for number, line in enumerate(text.splitlines(), start=1):
            line = ACTIONS_EXPRESSION.sub("", line)
            for kind, pattern in SECRET_PATTERNS.items():
                match = pattern.search(line)
                if not match:
                    continue
                if kind == "senha ou token em texto" and not _literal_secret(*match.group(1, 2)):
                    continue
                found.append(f"{name}:{number} ({kind})")
    return found


def _literal_secret(key: str, value: str) -> bool:
    """Whether ``key = "value"`` looks like a credential written in the file."""
    return not (
        PLACEHOLDER.search(value) or DESCRIBING_KEY.search(key) or CREDENTIAL_NAME.fullmatch(value)
    )


def _has_code(sources: list[repofiles.PythonSource]) -> bool:
    """Whether the project's Python has one statement besides docstrings and ``pass``/``...``
    (a file that does not parse counts as code: ruff will say what is wrong with it)."""
    for source in sources:
        tree, broken = source.parse()
        if broken:
            return True
        for node in ast.walk(tree) if tree is not None else ():
            if not isinstance(node, ast.stmt) or isinstance(node, ast.Pass):
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # a docstring or a bare ``...``
            return True
    return False


GENERATED_SUFFIXES = {".pkl": 1, ".pickle": 1, ".joblib": 1, ".csv": 5}  # MB worth naming


def find_generated_files(repo: Path) -> list[str]:
    """pt-BR items naming generated files committed by mistake: ``__pycache__`` bytecode, a
    pickled model over 1 MB, a CSV over 5 MB, MLflow's run store at the root."""
    items: list[str] = []
    caches: Counter[str] = Counter()
    for path in repofiles.walk(repo, enter=frozenset({"__pycache__"})):
        name = repofiles.relative(repo, path)
        if path.parent.name == "__pycache__":
            caches[repofiles.relative(repo, path.parent)] += path.suffix == ".pyc"
            continue
        limit = GENERATED_SUFFIXES.get(path.suffix.lower())
        size = path.lstat().st_size / 1024 / 1024
        if limit is not None and size > limit:
            items.append(f"{name} ({_decimal(size)} MB)")
    pyc = sum(caches.values())
    if pyc:
        shown = ", ".join(sorted(name for name, count in caches.items() if count)[:3])
        items.insert(0, f"{repofiles.plural(pyc, 'arquivo .pyc', 'arquivos .pyc')} ({shown})")
    items += [
        f"{name}/ com execuções do MLflow"
        for name in repofiles.MLFLOW_DIRS
        if (repo / name).is_dir() and not (repo / name).is_symlink()
    ]
    return items


def _generated_sentence(items: list[str]) -> list[str]:
    """The fact about generated files committed (none when there are none)."""
    if not items:
        return []
    more = f" e mais {len(items) - 5}" if len(items) > 5 else ""
    return [
        f"arquivos gerados versionados: {', '.join(items[:5])}{more} (não tiram pontos aqui, "
        "mas deveriam estar no .gitignore)"
    ]


def find_large_files(repo: Path, max_mb: float) -> list[tuple[str, float]]:
    limit = max_mb * 1024 * 1024
    large = []
    for path in repofiles.walk(repo):
        size = path.lstat().st_size
        if size > limit:
            large.append((repofiles.relative(repo, path), size / 1024 / 1024))
    return large


def check(context: CheckContext) -> CheckOutcome:
    params = context.params
    max_density = float(params.get("max_findings_per_1000_lines", 5))
    partial_density = float(params.get("partial_findings_per_1000_lines", 20))
    max_mb = float(params.get("max_file_mb", 50))
    max_lines = int(params.get("max_file_lines", DEFAULT_MAX_FILE_LINES))

    secrets = find_secrets(context.repo)
    large = find_large_files(context.repo, max_mb)
    sources = repofiles.python_sources(context.repo, max_bytes=MAX_PYTHON_BYTES)
    notebooks = [source for source in sources if source.notebook]
    layout = survey(sources, max_lines)
    has_code = _has_code(sources)
    linted = run_ruff(sources) if has_code else []
    findings = [item for item in linted if str(item.get("code")) not in WHITESPACE_CODES]
    whitespace = Counter(
        str(item.get("code")) for item in linted if str(item.get("code")) in WHITESPACE_CODES
    )
    lines = layout.lines + layout.notebook_lines
    density = len(findings) * 1000 / lines if lines else 0.0
    codes = Counter(str(item.get("code")) for item in findings)
    per_file = Counter(str(item.get("filename")) for item in findings)
    typed_share = layout.typed / layout.functions if layout.functions else 0.0

    facts = [
        f"{repofiles.plural(len(sources) - len(notebooks), 'arquivo')} Python com "
        f"{layout.lines} linhas"
        + (
            f" e {repofiles.plural(len(notebooks), 'notebook')} com {layout.notebook_lines} "
            "linhas de código"
            if notebooks
            else ""
        ),
        f"ruff (regras E, F, W, B, configuração do repositório ignorada): "
        f"{repofiles.plural(len(findings), 'achado')}, {_decimal(density)} por 1.000 linhas "
        f"(nível máximo até {max_density:g}, parcial até {partial_density:g})"
        + (
            " — mais comuns: "
            + ", ".join(f"{code} ({count})" for code, count in codes.most_common(4))
            if findings
            else ""
        ),
    ]
    if whitespace:
        count = sum(whitespace.values())
        facts.append(
            f"{repofiles.plural(count, 'aviso')} só de espaços em branco "
            f"({', '.join(sorted(whitespace))}), não contado{'s' if count > 1 else ''} "
            "(`ruff format` os corrige)"
        )
    generated = _generated_sentence(find_generated_files(context.repo))
    facts += generated
    evidence = [f"{name}: {count} achados ruff" for name, count in per_file.most_common(5)]
    evidence += [f"{item['where']} {item['code']}" for item in findings[:10]]
    problems: list[str] = []
    if layout.packages or layout.src_dir:
        facts.append("pacotes: " + ", ".join(sorted(layout.packages)[:5] or ["src/"]))
    else:
        problems.append("organize o código em um pacote (diretório com __init__.py ou src/)")
    if len(layout.modules) < 2:
        problems.append("divida o código em mais de um módulo (features, modelo, API...)")
    if layout.long_files:
        facts.append(
            "arquivos longos: "
            + ", ".join(f"{name} ({count} linhas)" for name, count in layout.long_files[:5])
        )
        problems.append(f"quebre os arquivos com mais de {max_lines} linhas")
    if layout.notebook_lines > layout.lines:
        facts.append(
            f"{layout.notebook_lines} linhas de código em notebooks contra "
            f"{layout.lines} em módulos .py"
        )
        problems.append("mova o código dos notebooks para módulos .py")
    if layout.functions:
        facts.append(f"{layout.typed} de {layout.functions} funções com anotações de tipo")

    fatal = []
    if secrets:
        fatal.append("segredos versionados: " + ", ".join(secrets[:5]))
        evidence = [f"segredo: {item}" for item in secrets] + evidence
    if large:
        fatal.append(
            f"arquivos grandes (limite {max_mb:g} MB): "
            + ", ".join(f"{name} ({size:.0f} MB)" for name, size in large[:5])
        )
        evidence = [f"arquivo grande: {name}" for name, _ in large] + evidence
    gaps: list[str] = []
    if fatal:
        fraction = 0.0
        facts = fatal + facts
        if secrets:
            gaps.append(
                "remova os segredos do repositório e do histórico do git, revogue as "
                "credenciais e leia-as de variáveis de ambiente"
            )
        if large:
            gaps.append("tire os arquivos grandes do git (baixe-os por script ou use DVC/S3)")
    elif not sources:
        fraction = 0.0
        facts = ["nenhum código Python no repositório (arquivos .py ou notebooks)", *generated]
        gaps.append("coloque o código do projeto em módulos .py")
    elif not has_code:
        fraction = 0.0
        facts = [
            f"{repofiles.plural(len(sources), 'arquivo Python', 'arquivos Python')} sem "
            "nenhuma instrução de código (vazios ou só comentários e docstrings): não há código "
            "para avaliar",
            *generated,
        ]
        gaps.append("coloque o código do projeto em módulos .py")
    else:
        many = density > partial_density
        modular = not problems
        if many:
            gaps.append(
                f"corrija os achados do ruff até no máximo {partial_density:g} por "
                "1.000 linhas (`ruff check --select E,F,W,B .`)"
            )
        gaps += problems
        if many and not modular:
            fraction = 0.0
        elif many or not modular:
            fraction = 0.5
        elif density > max_density or typed_share < TYPED_SHARE:
            fraction = 0.8
            if density > max_density:
                gaps.append(
                    f"reduza os achados do ruff a no máximo {max_density:g} por 1.000 linhas"
                )
            if typed_share < TYPED_SHARE:
                gaps.append(f"anote os tipos de pelo menos {TYPED_SHARE:.0%} das funções")
        else:
            fraction = 1.0
    return leveled(facts, gaps, fraction, evidence)

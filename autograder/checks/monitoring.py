"""Monitoring: structured logging, metrics and drift checks, found in code, not in prose.

Each signal of ``params.signals`` (``logs``, ``metrics``, ``drift``, or any other name) has
keywords. They are matched, case-insensitively and by whole word parts (``drift`` matches
``detect_drift``, ``json`` matches ``JSONFormatter``, ``ks_2samp`` matches ``ks_2samp``),
against the *identifiers* of the project's Python (``repofiles.python_sources``: every ``.py``
file and every notebook's code cells, cited as ``notebook.ipynb:célula 3:2``): imported modules
and names, names, attributes, functions and classes. Comments, docstrings and strings do not count,
and neither do names imported from the standard library (``collections.Counter`` is not a
metric). Dependency names in ``requirements*.txt`` and ``pyproject.toml`` count too
(``python-json-logger``). The ``logs`` signal counts only in files (or notebooks) that use a
logging library (``logging``, ``structlog``, ``loguru``...), since ``import json`` alone is not
logging.

Structured logs are logs *written as JSON*, so besides its keywords (``structlog``,
``python-json-logger``, ``JsonFormatter``) the ``logs`` signal is found by what the code does
(:func:`json_logging`): a ``Formatter`` or ``Handler`` subclass that calls ``json.dumps``, a
logging format string shaped like a JSON object, loguru's ``serialize=True``, or a logging call
(``logger.info(json.dumps(...))``) whose message is JSON. ``json`` as a keyword is ignored for
it (``IGNORED_LOG_KEYWORDS``): ``import json``, a ``json.dumps`` in a response, pydantic's
``json_schema_extra`` or a ``read_json`` helper are not logs.

Levels: 1.0 with all signals, a named drift threshold in code (``PSI_ALERT = 0.2``) and
drift alerts described in the README; 0.8 with all signals; 0.5 with some; 0.0 with none.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from autograder.checks import repofiles
from autograder.checks.base import CheckContext, CheckOutcome, leveled

LOGGING_MODULES = {"logging", "structlog", "loguru", "pythonjsonlogger", "json_logging"}
THRESHOLD_NAME = re.compile(
    r"threshold|limit|limiar|limite|alert|alerta|max_psi|psi_max", re.IGNORECASE
)
DEPENDENCY_FILES = re.compile(
    r"^(requirements[\w.-]*\.txt|pyproject\.toml|setup\.cfg|"
    r"environment\.ya?ml|Pipfile)$"
)
LABELS = {"logs": "logs estruturados", "metrics": "métricas", "drift": "drift"}
ADVICE = {
    "logs": "configure logs em JSON (p.ex. python-json-logger ou um logging.Formatter que "
    "gere JSON) com campos como versão do modelo e latência",
    "metrics": "exponha métricas de serviço e de modelo (prometheus_client Counter/Histogram "
    "ou statsd)",
    "drift": "implemente a verificação de drift (PSI e/ou teste KS com scipy.stats.ks_2samp) "
    "com limites justificados",
}
MAX_PER_SIGNAL = 5
# Names the standard library module, file helpers and pydantic options, never a log format
# (rubrics written before the calibration of docs/calibration.md listed it).
IGNORED_LOG_KEYWORDS = frozenset({"json"})
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "critical", "exception", "log"}
)
JSON_FORMAT = re.compile(r"^\s*\{.*%\(\w+\)", re.DOTALL)  # '{"nivel": "%(levelname)s"}'
STDLIB = frozenset(sys.stdlib_module_names)


def words(identifier: str, *, keep_case: bool = False) -> list[str]:
    """``JSONFormatter`` -> json, formatter; ``ks_2samp`` -> ks, 2samp; ``drift-report``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", identifier)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    parts = [part for part in re.split(r"[^A-Za-z0-9]+", spaced) if part]
    return parts if keep_case else [part.lower() for part in parts]


def matches(keyword: str, identifier: str) -> bool:
    """Whether the keyword's word parts appear, in order and contiguous, in the identifier's.

    A keyword with capitals is a class name and matches with its case (``Histogram`` is
    prometheus_client's class, ``np.histogram`` is not a metric); a lower-case one ignores case.
    """
    keep_case = keyword != keyword.lower()
    wanted = words(keyword, keep_case=keep_case)
    have = words(identifier, keep_case=keep_case)
    if not wanted:
        return False
    if not keep_case and "".join(wanted) == re.sub(r"[_-]", "", identifier.lower()):
        return True
    return any(
        have[index : index + len(wanted)] == wanted for index in range(len(have) - len(wanted) + 1)
    )


def identifiers(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, identifier) of a module, leaving out names imported from the standard library."""
    from_stdlib: set[str] = set()
    stdlib_modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
                if alias.name.split(".")[0] in STDLIB:
                    stdlib_modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
            stdlib = not node.level and node.module.split(".")[0] in STDLIB
            for alias in node.names:
                if stdlib:
                    from_stdlib.add(alias.asname or alias.name)
                else:
                    yield node.lineno, alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in from_stdlib:
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            base = node.value.id if isinstance(node.value, ast.Name) else None
            if base not in stdlib_modules:
                yield node.lineno, node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.lineno, node.name
        elif isinstance(node, ast.arg):
            yield node.lineno, node.arg


def _uses_logging(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        else:
            continue
        if any(module.split(".")[0] in LOGGING_MODULES for module in modules):
            return True
    return False


def _dotted(node: ast.AST) -> str:
    """``logging.Formatter`` for the expression naming it ("" for anything else)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return ""


def _dumps_json(node: ast.AST) -> bool:
    """Whether ``node`` calls ``json.dumps`` (or ``orjson.dumps``, or ``dumps`` imported)."""
    return any(
        isinstance(call, ast.Call) and _dotted(call.func).split(".")[-1] == "dumps"
        for call in ast.walk(node)
    )


def _json_format(call: ast.Call) -> bool:
    """A ``basicConfig``/``Formatter`` call whose format string is a JSON object."""
    values = [keyword.value for keyword in call.keywords if keyword.arg in ("format", "fmt")]
    values += call.args[:1]
    return any(
        isinstance(value, ast.Constant)
        and isinstance(value.value, str)
        and JSON_FORMAT.match(value.value)
        for value in values
    )


def json_logging(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) of code that writes logs as JSON (see the module's docstring)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [_dotted(base).split(".")[-1] for base in node.bases]
            if any(base.endswith(("Formatter", "Handler")) for base in bases) and _dumps_json(node):
                yield node.lineno, f"{node.name} (gera JSON)"
        elif isinstance(node, ast.Call):
            name = _dotted(node.func).split(".")[-1]
            if name in ("basicConfig", "Formatter") and _json_format(node):
                yield node.lineno, f"{name} com formato JSON"
            elif name == "add" and any(
                keyword.arg == "serialize"
                and isinstance(keyword.value, ast.Constant)
                and keyword.value.value is True
                for keyword in node.keywords
            ):
                yield node.lineno, "serialize=True"
            elif (
                name in LOG_METHODS
                and isinstance(node.func, ast.Attribute)
                and "log" in _dotted(node.func.value).split(".")[-1].lower()
                and any(_dumps_json(argument) for argument in node.args)
            ):
                yield node.lineno, f"{_dotted(node.func)}(json.dumps(...))"


def _thresholds(tree: ast.AST, source: repofiles.PythonSource) -> list[str]:
    """Module-level numeric constants named like a limit (``PSI_ALERT = 0.2``)."""
    found = []
    for node in getattr(tree, "body", []):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, int | float):
                for target in targets:
                    if isinstance(target, ast.Name) and THRESHOLD_NAME.search(target.id):
                        found.append(f"{source.where(node.lineno)} {target.id} = {value.value}")
    return found


def _dependency_names(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        for token in re.findall(r"[A-Za-z][A-Za-z0-9_.-]+", line.split("#")[0]):
            yield number, token


def _keywords(signal: str, keywords: list[str]) -> list[str]:
    if signal != "logs":
        return keywords
    return [keyword for keyword in keywords if keyword.lower() not in IGNORED_LOG_KEYWORDS]


def scan(repo: Path, signals: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """(signal -> evidence "file:line identifier", drift thresholds) for the repository."""
    found: dict[str, dict[str, tuple[str, int]]] = {signal: {} for signal in signals}
    thresholds: list[str] = []

    def record(signal: str, path: str, line: int, where: str, identifier: str) -> None:
        found[signal].setdefault(f"{where} {identifier}", (path, line))

    for path in repofiles.walk(repo):
        if not DEPENDENCY_FILES.match(path.name):
            continue
        name = repofiles.relative(repo, path)
        for line, token in _dependency_names(repofiles.read_text(path) or ""):
            for signal, keywords in signals.items():
                if any(matches(keyword, token) for keyword in _keywords(signal, keywords)):
                    record(signal, name, line, f"{name}:{line}", token)
    for source in repofiles.python_sources(repo):
        tree, _broken = source.parse()
        if tree is None:
            continue
        logging_file = _uses_logging(tree)
        for line, identifier in identifiers(tree):
            for signal, keywords in signals.items():
                if signal == "logs" and not logging_file:
                    continue
                if any(matches(keyword, identifier) for keyword in _keywords(signal, keywords)):
                    record(signal, source.path, line, source.where(line), identifier)
        if "logs" in signals and logging_file:
            for line, what in json_logging(tree):
                where = source.where(line)
                if not any(item.startswith(f"{where} ") for item in found["logs"]):
                    record("logs", source.path, line, where, what)
        thresholds += _thresholds(tree, source)
    ordered = {signal: sorted(items, key=items.__getitem__) for signal, items in found.items()}
    return ordered, thresholds


def check(context: CheckContext) -> CheckOutcome:
    signals: dict[str, list[str]] = context.params.get("signals", {})
    found, thresholds = scan(context.repo, signals)
    present = [signal for signal in signals if found[signal]]
    absent = [signal for signal in signals if not found[signal]]
    evidence = [item for signal in present for item in found[signal][:MAX_PER_SIGNAL]]
    facts = []
    for signal in signals:
        label = LABELS.get(signal, signal)
        items = found[signal]
        if items:
            shown = ", ".join(items[:MAX_PER_SIGNAL])
            more = f" e mais {len(items) - MAX_PER_SIGNAL}" if len(items) > MAX_PER_SIGNAL else ""
            facts.append(f"{label}: {repofiles.plural(len(items), 'evidência')} ({shown}{more})")
        else:
            facts.append(f"{label}: nada encontrado no código")
    gaps = [ADVICE.get(signal, f"implemente {LABELS.get(signal, signal)}") for signal in absent]
    if not present:
        fraction = 0.0
    elif absent:
        fraction = 0.5
    else:
        readme_path = repofiles.find_readme(context.repo)
        readme = (repofiles.read_text(readme_path) or "").lower() if readme_path else ""
        drift_limits = [
            item
            for item in thresholds
            if "drift" not in signals
            or any(word in item.lower() for word in ("psi", "ks", "drift", "alert"))
        ]
        described = bool(re.search(r"drift|psi|\bks\b", readme)) and bool(
            re.search(r"alert|alarm", readme)
        )
        if drift_limits:
            facts.append("limite de drift no código: " + ", ".join(drift_limits[:3]))
        else:
            gaps.append(
                "defina o limite de drift como constante nomeada no código "
                "(p.ex. PSI_ALERTA = 0.2) e justifique o valor"
            )
        if described:
            facts.append("alertas de drift descritos no README")
        else:
            gaps.append("descreva no README os limites de drift e os alertas disparados")
        fraction = 0.8 if gaps else 1.0
    return leveled(facts, gaps, fraction, evidence)

"""MLflow use: tracking and Model Registry *calls*, found in the syntax tree, not by grep.

Every ``.py`` file and every notebook's code cells (``repofiles.python_sources``: IPython
magics dropped, the cells of a notebook read as one module, so ``import mlflow`` in the first
cell serves the calls of the last) are parsed with ``ast.parse``; a call counts when its
function resolves, through the file's imports, to something under ``mlflow``:
``mlflow.log_metric(...)``, ``from mlflow import log_metric as lm; lm(...)``, ``import
mlflow.sklearn as mls; mls.log_model(...)``, methods of an ``MlflowClient()`` kept in a
variable or attribute, and ``mlflow.<flavor>.log_model(..., registered_model_name=...)``, which
registers the model too. Its last name is compared with ``params.tracking_calls`` and
``params.registry_calls``. A word "mlflow" in a comment, a string or a function of the
student's own with the same name counts for nothing.

Levels:

- 1.0: the 0.8 level, plus an alias or stage set on the registered model, at least two runs
  (e.g. baseline and final, or nested tuning runs) and the model loaded back from MLflow
  (``load_model``), as the API should;
- 0.8: at least ``min_tracking_calls`` tracking calls and a registry call;
- 0.5: tracking without the registry, or too few tracking calls;
- 0.0: no MLflow call.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograder.checks import repofiles
from autograder.checks.base import CheckContext, CheckOutcome, leveled

CLIENT_CLASSES = {"MlflowClient"}
ALIAS_CALLS = {"set_registered_model_alias", "transition_model_version_stage"}
MAX_EVIDENCE = 12


@dataclass(frozen=True)
class Call:
    where: str  # file:line (or file:célula N:line)
    api: str  # last name, e.g. log_metric
    qualified: str  # e.g. mlflow.sklearn.log_model
    registers: bool = False  # log_model(..., registered_model_name=...)
    nested: bool = False  # start_run(nested=True)


@dataclass
class _Resolver(ast.NodeVisitor):
    """Collects mlflow calls of one module, resolving names through its imports."""

    where: Callable[[int], str]  # line -> "file:line"
    bindings: dict[str, str] = field(default_factory=dict)  # local dotted name -> qualified
    star: bool = False
    calls: list[Call] = field(default_factory=list)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] != "mlflow":
                continue
            if alias.asname:
                self.bindings[alias.asname] = alias.name
            else:
                self.bindings["mlflow"] = "mlflow"

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or module.split(".")[0] != "mlflow":
            return
        for alias in node.names:
            if alias.name == "*":
                self.star = True
            else:
                self.bindings[alias.asname or alias.name] = f"{module}.{alias.name}"

    def resolve(self, node: ast.expr) -> str | None:
        """The qualified mlflow name an expression stands for, or None."""
        if isinstance(node, ast.Call):
            inner = self.resolve(node.func)
            return f"{inner}()" if inner else None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
            inner = self.resolve(node.value)  # MlflowClient().set_registered_model_alias
            return f"{inner}.{node.attr}" if inner else None
        dotted = _dotted(node)
        if dotted is None:
            return None
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):  # longest bound prefix: self.client, mlflow
            prefix = ".".join(parts[:cut])
            if prefix in self.bindings:
                return ".".join([self.bindings[prefix], *parts[cut:]])
        if self.star and len(parts) == 1:
            return f"mlflow.{dotted}"
        return None

    def visit_Assign(self, node: ast.Assign) -> None:
        self._bind(node.targets, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._bind([node.target], node.value)
        self.generic_visit(node)

    def visit_withitem(self, node: ast.withitem) -> None:
        if node.optional_vars is not None:
            self._bind([node.optional_vars], node.context_expr)
        self.generic_visit(node)

    def _bind(self, targets: list[ast.expr], value: ast.expr) -> None:
        qualified = self.resolve(value)
        if not qualified or not _is_client(qualified):
            return
        for target in targets:
            dotted = _dotted(target)
            if dotted:
                self.bindings[dotted] = qualified

    def visit_Call(self, node: ast.Call) -> None:
        qualified = self.resolve(node.func)
        if qualified and qualified.startswith("mlflow"):
            keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
            registered = keywords.get("registered_model_name")
            nested = keywords.get("nested")
            self.calls.append(
                Call(
                    where=self.where(node.lineno),
                    api=qualified.rsplit(".", 1)[-1],
                    qualified=qualified,
                    registers=registered is not None and not _is_none(registered),
                    nested=isinstance(nested, ast.Constant) and nested.value is True,
                )
            )
        self.generic_visit(node)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_client(qualified: str) -> bool:
    return qualified.endswith("()") and qualified[:-2].rsplit(".", 1)[-1] in CLIENT_CLASSES


def calls_in_source(source: str, where: str) -> list[Call]:
    """The mlflow calls of one module's source (raises SyntaxError like ``ast.parse``)."""
    return _calls_in_tree(ast.parse(source), lambda line: f"{where}:{line}")


def _calls_in_tree(tree: ast.AST, where: Callable[[int], str]) -> list[Call]:
    resolver = _Resolver(where=where)
    resolver.visit(tree)
    return resolver.calls


def find_calls(repo: Path) -> tuple[list[Call], list[str], list[str]]:
    """(calls, files or cells that do not parse, files mentioning mlflow without any call)."""
    calls: list[Call] = []
    broken: list[str] = []
    mentions: list[str] = []
    for source in repofiles.python_sources(repo):
        tree, unparsed = source.parse()
        broken += unparsed
        found = _calls_in_tree(tree, source.where) if tree is not None else []
        calls += found
        if tree is not None and not found and "mlflow" in source.text.lower():
            mentions.append(source.path)
    return calls, broken, mentions


def _listing(calls: list[Call]) -> str:
    shown = ", ".join(f"{call.api} ({call.where})" for call in calls[:MAX_EVIDENCE])
    return shown + (f" e mais {len(calls) - MAX_EVIDENCE}" if len(calls) > MAX_EVIDENCE else "")


def check(context: CheckContext) -> CheckOutcome:
    params = context.params
    tracking_names = set(params.get("tracking_calls", []))
    registry_names = set(params.get("registry_calls", []))
    minimum = int(params.get("min_tracking_calls", 1))
    calls, broken, mentions = find_calls(context.repo)
    tracking = [call for call in calls if call.api in tracking_names]
    registry = [call for call in calls if call.api in registry_names or call.registers]
    runs = [call for call in calls if call.api == "start_run"]
    aliases = [call for call in calls if call.api in ALIAS_CALLS]
    loads = [call for call in calls if call.api == "load_model"]
    evidence = [
        f"{call.where} {call.api}" + (" (registered_model_name)" if call.registers else "")
        for call in tracking + [c for c in registry if c not in tracking] + loads
    ]

    facts = [
        f"{repofiles.plural(len(tracking), 'chamada')} de tracking"
        + (f": {_listing(tracking)}" if tracking else ""),
        f"{repofiles.plural(len(registry), 'chamada')} ao Model Registry"
        + (f": {_listing(registry)}" if registry else ""),
    ]
    if broken:
        facts.append("não foi possível analisar (erro de sintaxe): " + ", ".join(broken[:5]))
    if mentions and not calls:
        facts.append(
            "o MLflow é citado em "
            + ", ".join(mentions[:5])
            + ", mas só em texto ou comentário, sem nenhuma chamada"
        )

    gaps = []
    if not tracking and not registry:
        fraction = 0.0
        gaps.append(
            "registre os experimentos com mlflow.start_run, log_param(s), "
            "log_metric(s) e log_model, e registre o modelo final "
            "(registered_model_name=... ou mlflow.register_model)"
        )
    elif len(tracking) < minimum or not registry:
        fraction = 0.5
        if len(tracking) < minimum:
            gaps.append(
                f"faça pelo menos {minimum} chamadas de tracking "
                f"(há {len(tracking)}): parâmetros, métricas e o modelo"
            )
        if not registry:
            gaps.append(
                "registre o modelo final no Model Registry "
                "(log_model(..., registered_model_name=...) ou register_model)"
            )
    else:
        if not aliases:
            gaps.append("dê um alias (set_registered_model_alias) à versão usada em produção")
        if len(runs) < 2 and not any(call.nested for call in runs):
            gaps.append(
                f"rastreie baseline e modelo final em runs separadas "
                f"(há {repofiles.plural(len(runs), 'start_run')})"
            )
        if not loads:
            gaps.append(
                "carregue na API o modelo registrado (mlflow.<flavor>.load_model "
                "com models:/nome@alias)"
            )
        fraction = 0.8 if gaps else 1.0
        facts.append(
            f"{repofiles.plural(len(runs), 'run')} (start_run), "
            f"{repofiles.plural(len(aliases), 'alias', 'aliases')} e "
            f"{repofiles.plural(len(loads), 'carga', 'cargas')} do modelo (load_model)"
        )

    return leveled(facts, gaps, fraction, evidence)

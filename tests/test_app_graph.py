"""The apps of ``portal/`` depend on each other in one direction only.

Every import between two apps (at module level or inside a function) and every template
``{% include %}``/``{% extends %}`` of another app's template is an edge. The graph must have
no cycle, and every edge must point to an app listed *before* the importing one in
``INSTALLED_APPS`` (the layer order, docs/architecture.md). A failure prints the cycle or the
offending import with its file and line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

PORTAL = Path(__file__).resolve().parents[1] / "portal"
TEMPLATE_TAG = re.compile(r"""{%\s*(?:include|extends)\s+["']([\w-]+)/""")


@dataclass(frozen=True)
class Edge:
    source: str  # app label
    target: str
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({self.where})"


def apps_in_order() -> list[str]:
    return [name.split(".", 1)[1] for name in settings.INSTALLED_APPS if name.startswith("portal.")]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PORTAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    module = _module_name(path)
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def imported_modules(source: str, package: str) -> Iterator[tuple[str, int]]:
    """Absolute module names imported anywhere in ``source`` (function bodies included,
    relative imports resolved against ``package``), with their lines."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:  # `from portal import grading` names an app too
                yield f"{module}.{alias.name}", node.lineno


def _app_of(module: str, apps: set[str]) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "portal" and parts[1] in apps:
        return parts[1]
    return None


def app_edges(apps: list[str]) -> list[Edge]:
    known = set(apps)
    edges = []
    for app in apps:
        for path in sorted((PORTAL / app).rglob("*.py")):
            where = path.relative_to(PORTAL.parent)
            source = path.read_text(encoding="utf-8")
            for module, line in imported_modules(source, _package_of(path)):
                target = _app_of(module, known)
                if target is not None and target != app:
                    edges.append(Edge(app, target, f"{where}:{line}"))
        for path in sorted((PORTAL / app / "templates").rglob("*.html")):
            where = path.relative_to(PORTAL.parent)
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for target in TEMPLATE_TAG.findall(text):
                    if target in known and target != app:
                        edges.append(Edge(app, target, f"{where}:{number}"))
    return list(dict.fromkeys(edges))  # `from portal.x import y` names x twice


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a path that ends where it starts, or None."""
    state: dict[str, str] = {}  # "active" while on the stack, "done" once explored
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "active"
        stack.append(node)
        for successor in sorted(graph.get(node, ())):
            if state.get(successor) == "active":
                return [*stack[stack.index(successor) :], successor]
            if successor not in state and (cycle := visit(successor)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_layered_graph():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_import_reader_sees_imports_inside_functions_and_relative_ones():
    source = (
        "import portal.courses.models\n"
        "from ..grading import models\n"
        "def later():\n"
        "    from portal import review\n"
    )

    found = {module for module, _line in imported_modules(source, "portal.submissions")}

    apps = set(apps_in_order())
    assert {_app_of(module, apps) for module in found} >= {"courses", "grading", "review"}


def test_the_apps_import_each_other_without_a_cycle():
    apps = apps_in_order()
    graph: dict[str, set[str]] = {app: set() for app in apps}
    for edge in app_edges(apps):
        graph[edge.source].add(edge.target)
    cycle = find_cycle(graph)
    assert cycle is None, "apps import each other in a circle: " + " -> ".join(cycle or [])


def test_every_app_depends_only_on_apps_listed_before_it():
    apps = apps_in_order()
    rank = {app: index for index, app in enumerate(apps)}
    upward = [edge for edge in app_edges(apps) if rank[edge.target] > rank[edge.source]]
    assert not upward, (
        "these depend on an app listed after them in INSTALLED_APPS (move the code up, or "
        "compose the page in the upper app):\n" + "\n".join(map(str, upward))
    )

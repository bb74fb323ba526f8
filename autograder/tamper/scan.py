"""The static scan of the student's code for ways to subvert the tests (see ``rules.py``).

Each cell is parsed with ``ast`` after IPython syntax is blanked (line numbers kept); a cell
that still does not parse is searched with the regular expressions of ``REGEX_RULES``.
Nothing is executed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from autograder import messages
from autograder.results import TamperFinding
from autograder.tamper.rules import (
    CONFIG_PARTS,
    CTYPES_MODULES,
    DYNAMIC_CALLS,
    FRAME_ATTRS,
    FRAME_CALLS,
    GC_CALLS,
    GET_IPYTHON,
    INPUT_TRANSFORMER_ATTRS,
    KERNEL_MODULES,
    REGEX_RULES,
    RUN_CELL_ATTRS,
    SENSITIVE_STRINGS,
    SHADOWED,
    SIGNAL_CALLS,
    SYS_HOOKS,
    SYS_MODULES_METHODS,
    TRACE_CALLS,
    TRACEBACK_ATTRS,
)
from autograder.validate import (
    cell_label,
    excerpt_line,
    grade_id,
    is_locked,
    is_solution,
    is_test,
    normalized_source,
    source_text,
)


@dataclass(frozen=True)
class Hit:
    kind: str
    line: int | None
    excerpt: str
    message_id: str
    message: str


_MAGIC_LINE = re.compile(r"^(\s*)(%|!|\?)")
_MAGIC_ASSIGN = re.compile(r"^(\s*[\w.,\s\[\]]+?=\s*)(%|!)(.*)$")
_UNKNOWN = object()


# -- scanning one cell ----------------------------------------------------------------------------


def scan_source(source: str) -> list[Hit]:
    """Findings in one cell's code, each once per line."""
    lines = source.splitlines()
    try:
        tree = ast.parse(_blank_magics(lines))
    except (SyntaxError, ValueError):
        return _regex_scan(lines)
    scanner = _Scanner(lines)
    scanner.scan(tree)
    return scanner.result()


def _blank_magics(lines: list[str]) -> str:
    """IPython syntax replaced by Python of the same line count, so line numbers hold."""
    out = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if number == 0 and stripped.startswith("%%"):
            out.append("pass")  # a cell magic; its body is checked as Python (or by regex)
        elif (magic := _MAGIC_LINE.match(line)) is not None:
            out.append(magic.group(1) + "pass")
        elif (assign := _MAGIC_ASSIGN.match(line)) is not None:
            out.append(assign.group(1) + "None")
        elif stripped.endswith("?") and not stripped.startswith("#"):
            out.append(line[: len(line) - len(line.lstrip())] + "pass")  # obj? help
        else:
            out.append(line)
    return "\n".join(out)


def _excerpt(lines: list[str], line: int | None) -> str:
    if line is None or not 1 <= line <= len(lines):
        return ""
    return excerpt_line(lines[line - 1])


def _hit(kind: str, line: int | None, lines: list[str], message_id: str, **params: Any) -> Hit:
    return Hit(kind, line, _excerpt(lines, line), message_id, messages.text(message_id, **params))


def _regex_scan(lines: list[str]) -> list[Hit]:
    hits = []
    for number, line in enumerate(lines, start=1):
        for kind, pattern, message_id in REGEX_RULES:
            match = pattern.search(line)
            if match:
                hits.append(
                    _hit(kind, number, lines, message_id, name=match.group(0).strip(), value="True")
                )
    return hits


class _Scanner(ast.NodeVisitor):
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.hits: list[Hit] = []
        self.aliases: dict[str, str] = {}  # local name -> dotted name it stands for
        self.modules: set[str] = set()  # local names bound to imported modules
        self.ipython: set[str] = set()  # local names bound to get_ipython()

    # -- driver ---------------------------------------------------------------------------

    def scan(self, tree: ast.Module) -> None:
        self._collect_bindings(tree)
        self._check_top_level(tree)
        self.visit(tree)

    def result(self) -> list[Hit]:
        lines_with_hits = {hit.line for hit in self.hits if hit.kind != "sensitive-string"}
        seen: set[tuple[str, int | None]] = set()
        unique = []
        for hit in sorted(self.hits, key=lambda h: (h.line or 0, h.kind)):
            if hit.kind == "sensitive-string" and hit.line in lines_with_hits:
                continue  # the same line already says what it does
            if (hit.kind, hit.line) not in seen:
                seen.add((hit.kind, hit.line))
                unique.append(hit)
        return unique

    def add(self, kind: str, node: ast.AST, message_id: str, **params: Any) -> None:
        self.hits.append(
            _hit(kind, getattr(node, "lineno", None), self.lines, message_id, **params)
        )

    # -- names ----------------------------------------------------------------------------

    def _collect_bindings(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.aliases[local] = alias.name if alias.asname else local
                    self.modules.add(self.aliases[local].split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Assign) and self.dotted(node.value) == "get_ipython()":
                self.ipython.update(t.id for t in node.targets if isinstance(t, ast.Name))
        # Modules students use without importing them in the same cell (names resolved above).
        self.modules.update(
            {
                "np",
                "pd",
                "plt",
                "numpy",
                "pandas",
                "matplotlib",
                "sklearn",
                "sys",
                "os",
                "math",
                "builtins",
            }
        )

    def dotted(self, node: ast.AST) -> str | None:
        """``a.b.c`` with import aliases resolved; ``get_ipython()`` for the shell object."""
        if isinstance(node, ast.Name):
            if node.id in self.ipython:
                return "get_ipython()"
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and self.dotted(node.func) in GET_IPYTHON:
            return "get_ipython()"
        return None

    # -- rules ----------------------------------------------------------------------------

    def _check_top_level(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            names: list[tuple[str, ast.AST]] = []
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    names += [(n.id, n) for n in ast.walk(target) if isinstance(n, ast.Name)]
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.append((stmt.name, stmt))
            elif isinstance(stmt, ast.Import | ast.ImportFrom):
                names += [(a.asname or a.name.split(".")[0], stmt) for a in stmt.names]
            for name, node in names:
                if name in SHADOWED:
                    self.add("builtin-shadow", node, "scan.builtin_shadow", name=name)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module:
            self._check_module(node.module, node)
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in SIGNAL_CALLS | TRACE_CALLS | GC_CALLS | FRAME_CALLS:
                    self._check_call_name(full, node)

    def _check_module(self, module: str, node: ast.AST) -> None:
        top = module.split(".")[0]
        if top in CTYPES_MODULES:
            self.add("ctypes", node, "scan.ctypes", name=module)
        elif top in KERNEL_MODULES:
            self.add("kernel-internals", node, "scan.kernel_internals", name=module)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__":
            self.add("builtins", node, "scan.builtins", name="__builtins__")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr, full = node.attr, self.dotted(node)
        storing = isinstance(node.ctx, ast.Store | ast.Del)
        if attr in INPUT_TRANSFORMER_ATTRS:
            self.add("input-transformer", node, "scan.input_transformer", name=attr)
        elif attr == "ast_transformers":
            self.add("ast-transformer", node, "scan.ast_transformer", name=attr)
        elif attr == "set_custom_exc":
            self.add("custom-exc", node, "scan.custom_exc", name=attr)
        elif (
            attr in ("register", "unregister")
            and isinstance(node.value, ast.Attribute)
            and (node.value.attr == "events")
        ):
            self.add("ipython-events", node, "scan.ipython_events", name=f"events.{attr}")
        elif storing and attr in TRACEBACK_ATTRS:
            self.add("traceback-override", node, "scan.traceback_override", name=attr)
        elif storing and attr in RUN_CELL_ATTRS:
            self.add("run-cell-override", node, "scan.run_cell_override", name=attr)
        elif storing and attr in ("__eq__", "__ne__"):
            self.add("eq-override", node, "scan.eq_override", name=full or attr)
        elif attr in FRAME_ATTRS:
            self.add("frames", node, "scan.frames", name=attr)
        elif full and full.startswith("get_ipython().kernel"):
            self.add("kernel-internals", node, "scan.kernel_internals", name=full)
        elif storing and full:
            self._check_store(full, node)
        self.generic_visit(node)

    def _check_store(self, full: str, node: ast.AST) -> None:
        if full == "sys.modules":
            self.add("sys-modules", node, "scan.sys_modules")
        elif full.startswith(("builtins.", "__builtins__.")):
            self.add("builtins", node, "scan.builtins", name=full)
        elif full in SYS_HOOKS:
            self.add("trace", node, "scan.trace", name=full)
        elif full.split(".")[0] in self.modules and not CONFIG_PARTS.intersection(full.split(".")):
            self.add("module-patch", node, "scan.module_patch", name=full)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del):
            base = self.dotted(node.value) or ""
            if base == "sys.modules":
                self.add("sys-modules", node, "scan.sys_modules")
            elif base.startswith(("builtins", "__builtins__")):
                self.add("builtins", node, "scan.builtins", name=base)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = self.dotted(node.func)
        if name:
            self._check_call_name(name, node)
            if name in ("setattr", "delattr", "builtins.setattr") and node.args:
                self._check_setattr(node)
        self.generic_visit(node)

    def _check_call_name(self, name: str, node: ast.AST) -> None:
        if name in TRACE_CALLS:
            self.add("trace", node, "scan.trace", name=name)
        elif name in SIGNAL_CALLS:
            self.add("signals", node, "scan.signals", name=name)
        elif name in GC_CALLS:
            self.add("gc", node, "scan.gc", name=name)
        elif name in FRAME_CALLS:
            self.add("frames", node, "scan.frames", name=name)
        elif name in DYNAMIC_CALLS:
            self.add("dynamic-code", node, "scan.dynamic_code", name=name)
        elif name.startswith("sys.modules.") and name.rsplit(".", 1)[1] in SYS_MODULES_METHODS:
            self.add("sys-modules", node, "scan.sys_modules")

    def _check_setattr(self, node: ast.Call) -> None:
        target = self.dotted(node.args[0]) or ""
        named = node.args[1] if len(node.args) > 1 else None
        attribute = (
            named.value
            if isinstance(named, ast.Constant) and isinstance(named.value, str)
            else None
        )
        if target in ("builtins", "__builtins__"):
            self.add("builtins", node, "scan.builtins", name=f"{target}.{attribute or '...'}")
        elif attribute in TRACEBACK_ATTRS:
            self.add("traceback-override", node, "scan.traceback_override", name=attribute)
        elif attribute in RUN_CELL_ATTRS:
            self.add("run-cell-override", node, "scan.run_cell_override", name=attribute)
        elif attribute in ("__eq__", "__ne__"):
            self.add("eq-override", node, "scan.eq_override", name=f"setattr(..., {attribute!r})")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name in (
                "__eq__",
                "__ne__",
            ):
                value = _always_returns(stmt)
                self._check_always(stmt.name, value, stmt)
            elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Lambda):
                for target in stmt.targets:
                    if isinstance(target, ast.Name) and target.id in ("__eq__", "__ne__"):
                        self._check_always(target.id, _constant(stmt.value.body), stmt)
        self.generic_visit(node)

    def _check_always(self, name: str, value: object, node: ast.AST) -> None:
        if (name == "__eq__" and value is True) or (name == "__ne__" and value is False):
            self.add("always-equal", node, "scan.always_equal", name=name, value=value)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, str):
            return
        value = node.value
        if value.startswith("/proc") or "/proc/" in value:
            self.add("proc", node, "scan.proc", name=value[:60])
            return
        for needle in SENSITIVE_STRINGS:
            if needle in value:
                self.add("sensitive-string", node, "scan.sensitive_string", name=needle)
                return


def _constant(node: ast.AST | None) -> object:
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _constant(node.operand)
        return _UNKNOWN if inner is _UNKNOWN else not inner
    return _UNKNOWN


def _always_returns(func: ast.FunctionDef | ast.AsyncFunctionDef) -> object:
    """The constant every ``return`` of ``func`` gives, or _UNKNOWN."""
    values = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Return):
            value = _constant(node.value)
            if value is _UNKNOWN:
                return _UNKNOWN
            values.add(value)
    if len(values) == 1:
        return values.pop()
    return _UNKNOWN


def scan_notebook(
    submission: dict[str, Any], *, source: dict[str, Any], release: dict[str, Any]
) -> list[TamperFinding]:
    """Scan the student's code: cells that differ from every cell of the instructor's.

    Test and locked cells are skipped: nbgrader runs the source version of those, so what a
    student wrote there never ran (editing them is a structural finding).
    """
    instructor = {
        normalized_source(source_text(cell))
        for notebook in (source, release)
        for cell in notebook.get("cells", [])
        if cell.get("cell_type") == "code"
    }
    restored = {
        gid
        for cell in source.get("cells", [])
        if (gid := grade_id(cell))
        and (is_test(cell) or (is_locked(cell) and not is_solution(cell)))
    }
    findings = []
    for index, cell in enumerate(submission.get("cells", [])):
        if cell.get("cell_type") != "code" or grade_id(cell) in restored:
            continue
        text = source_text(cell)
        if normalized_source(text) in instructor:
            continue
        for hit in scan_source(text):
            findings.append(
                TamperFinding(
                    kind=hit.kind,
                    cell=cell_label(cell, index),
                    line=hit.line,
                    excerpt=hit.excerpt,
                    message=hit.message,
                    message_id=hit.message_id,
                )
            )
    return findings

"""Tampering findings for instructor review: static, host side, nothing is executed.

Two sources:

- :func:`structural_findings` compares the submission with the source and release notebooks
  by grade id: deleted or edited test cells and locked cells (nbgrader restores edited ones
  from the source and re-adds deleted test cells; we name what happened), edited nbgrader
  metadata, duplicated or invented grade ids.
- :func:`scan_source` reads the student's code (AST, with a regex fallback for cells that do
  not parse even after IPython magics are blanked) for the ways a notebook can subvert the
  tests from inside the kernel: input/AST transformers, traceback or run_cell overrides,
  custom exception handlers, IPython events, the kernel's messaging, ``sys.modules`` and
  builtins patching, trace hooks, signal tricks, an ``__eq__`` that is always true, ``gc`` and
  ``ctypes`` meddling, ``/proc``...

A finding never changes a score: the student's kernel already ran whatever it ran, and many
hits have innocent uses. Each finding names the cell, the line, the excerpt and what the
construct can do, so a person can decide.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from autograder import messages
from autograder.results import TamperFinding
from autograder.validate import (
    cell_label,
    grade_id,
    is_grade,
    is_locked,
    is_solution,
    is_test,
    nbgrader_meta,
    source_text,
)

EXCERPT_CHARS = 160


@dataclass(frozen=True)
class Hit:
    kind: str
    line: int | None
    excerpt: str
    message_id: str
    message: str


# -- what the scan looks for ----------------------------------------------------------------------

INPUT_TRANSFORMER_ATTRS = {
    "input_transformers_post", "input_transformers_cleanup", "input_transformer_manager",
    "input_splitter",
}
TRACEBACK_ATTRS = {
    "showtraceback", "showsyntaxerror", "_showtraceback", "showindentationerror",
    "show_usage_error", "_get_exc_info", "get_exception_only", "structured_traceback",
}
RUN_CELL_ATTRS = {
    "run_cell", "run_cell_async", "run_ast_nodes", "run_code", "transform_cell",
    "transform_ast", "should_run_async", "_run_cell", "run_cell_magic", "ex", "ev",
}
SYS_HOOKS = {
    "sys.excepthook", "sys.displayhook", "sys.breakpointhook", "sys.unraisablehook",
    "threading.excepthook", "sys.stdout", "sys.stderr",
}
TRACE_CALLS = {
    "sys.settrace", "sys.setprofile", "threading.settrace", "threading.setprofile",
    "threading.settrace_all_threads", "threading.setprofile_all_threads", "sys.addaudithook",
    "sys.monitoring.register_callback", "sys.monitoring.use_tool_id", "sys.call_tracing",
}
SIGNAL_CALLS = {
    "os.kill", "os.killpg", "os._exit", "os.abort", "signal.signal", "signal.pthread_kill",
    "signal.setitimer", "signal.alarm", "signal.raise_signal", "signal.siginterrupt",
    "signal.pthread_sigmask",
}
GC_CALLS = {"gc.get_objects", "gc.get_referrers", "gc.get_referents"}
FRAME_CALLS = {
    "sys._getframe", "inspect.currentframe", "inspect.stack", "inspect.getouterframes",
    "sys._current_frames",
}
FRAME_ATTRS = {"f_globals", "f_locals", "f_builtins"}
DYNAMIC_CALLS = {"exec", "eval", "compile", "builtins.exec", "builtins.eval"}
SYS_MODULES_METHODS = {"update", "pop", "setdefault", "clear", "popitem", "__setitem__",
                       "__delitem__"}
CTYPES_MODULES = {"ctypes", "_ctypes", "cffi"}
KERNEL_MODULES = {"zmq", "ipykernel", "jupyter_client", "comm"}
GET_IPYTHON = {"get_ipython", "IPython.get_ipython", "IPython.core.getipython.get_ipython"}
# Assigning an attribute of these is configuration, not patching (pd.options..., plt.rcParams).
CONFIG_PARTS = {"options", "rcParams", "config", "backends", "environ", "defaults"}
# Rebinding these at the top level of a cell changes how the tests behave. Common variable
# names that shadow builtins by accident (sum, max, list...) are left out on purpose.
SHADOWED = {
    "isinstance", "issubclass", "abs", "round", "all", "any", "bool", "hasattr", "callable",
    "__import__", "repr",
} | {
    name for name in dir(builtins)
    if isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name),
                                                                 BaseException)
}
SENSITIVE_STRINGS = (
    "input_transformers", "ast_transformers", "showtraceback", "showsyntaxerror",
    "set_custom_exc", "settrace", "setprofile", "sys.modules", "__builtins__", "builtins.",
    "__eq__", "run_cell",
)

REGEX_RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("input-transformer",
     re.compile(r"input_transformers_(post|cleanup)|input_transformer_manager"),
     "scan.input_transformer"),
    ("ast-transformer", re.compile(r"\bast_transformers\b"), "scan.ast_transformer"),
    ("traceback-override", re.compile(r"\b(showtraceback|showsyntaxerror)\s*="),
     "scan.traceback_override"),
    ("custom-exc", re.compile(r"\bset_custom_exc\b"), "scan.custom_exc"),
    ("ipython-events", re.compile(r"\bevents\s*\.\s*register\b"), "scan.ipython_events"),
    ("kernel-internals", re.compile(r"get_ipython\(\)\s*\.\s*kernel\b|\bimport\s+(zmq|ipykernel)"),
     "scan.kernel_internals"),
    ("sys-modules", re.compile(r"sys\.modules\s*(\[[^\]]*\]\s*=|\.(update|pop|setdefault)\b)"),
     "scan.sys_modules"),
    ("builtins", re.compile(r"__builtins__|\bbuiltins\.\w+\s*="), "scan.builtins"),
    ("trace", re.compile(r"\b(sys|threading)\.(settrace|setprofile)\b"), "scan.trace"),
    ("signals", re.compile(r"\bos\.(kill|killpg|_exit)\b|\bsignal\.(signal|alarm|setitimer)\b"),
     "scan.signals"),
    ("eq-override", re.compile(r"\bdef\s+__eq__\b|__eq__\s*="), "scan.eq_override"),
    ("gc", re.compile(r"\bgc\.get_(objects|referrers|referents)\b"), "scan.gc"),
    ("ctypes", re.compile(r"\b(ctypes|cffi)\b"), "scan.ctypes"),
    ("proc", re.compile(r"""['"]/proc\b"""), "scan.proc"),
]

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
        elif _MAGIC_LINE.match(line):
            out.append(_MAGIC_LINE.match(line).group(1) + "pass")  # type: ignore[union-attr]
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
    text = lines[line - 1].strip()
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _hit(kind: str, line: int | None, lines: list[str], message_id: str, **params: Any) -> Hit:
    return Hit(kind, line, _excerpt(lines, line), message_id, messages.text(message_id, **params))


def _regex_scan(lines: list[str]) -> list[Hit]:
    hits = []
    for number, line in enumerate(lines, start=1):
        for kind, pattern, message_id in REGEX_RULES:
            match = pattern.search(line)
            if match:
                hits.append(_hit(kind, number, lines, message_id, name=match.group(0).strip(),
                                 value="True"))
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
        self.hits.append(_hit(kind, getattr(node, "lineno", None), self.lines, message_id,
                              **params))

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
        self.modules.update({"np", "pd", "plt", "numpy", "pandas", "matplotlib", "sklearn",
                             "sys", "os", "math", "builtins"})

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
        elif attr in ("register", "unregister") and isinstance(node.value, ast.Attribute) and (
            node.value.attr == "events"
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
        elif full.split(".")[0] in self.modules and not CONFIG_PARTS.intersection(
            full.split(".")
        ):
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
        attribute = node.args[1].value if len(node.args) > 1 and isinstance(
            node.args[1], ast.Constant) else None
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
                "__eq__", "__ne__"
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


# -- the whole notebook ---------------------------------------------------------------------------


def _normalized(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()


def scan_notebook(
    submission: dict[str, Any], *, source: dict[str, Any], release: dict[str, Any]
) -> list[TamperFinding]:
    """Scan the student's code: cells that differ from every cell of the instructor's.

    Test and locked cells are skipped: nbgrader runs the source version of those, so what a
    student wrote there never ran (editing them is a structural finding).
    """
    instructor = {
        _normalized(source_text(cell))
        for notebook in (source, release)
        for cell in notebook.get("cells", [])
        if cell.get("cell_type") == "code"
    }
    restored = {
        gid for cell in source.get("cells", [])
        if (gid := grade_id(cell))
        and (is_test(cell) or (is_locked(cell) and not is_solution(cell)))
    }
    findings = []
    for index, cell in enumerate(submission.get("cells", [])):
        if cell.get("cell_type") != "code" or grade_id(cell) in restored:
            continue
        text = source_text(cell)
        if _normalized(text) in instructor:
            continue
        for hit in scan_source(text):
            findings.append(TamperFinding(
                kind=hit.kind, cell=cell_label(cell, index), line=hit.line, excerpt=hit.excerpt,
                message=hit.message, message_id=hit.message_id,
            ))
    return findings


_METADATA_FIELDS = ("grade", "solution", "locked", "points", "task")


def structural_findings(
    submission: dict[str, Any], *, source: dict[str, Any], release: dict[str, Any]
) -> list[TamperFinding]:
    """Deleted or edited test/locked cells, edited nbgrader metadata, odd grade ids."""
    findings: list[TamperFinding] = []

    def add(kind: str, cell: str, message_id: str, excerpt: str = "", **params: Any) -> None:
        findings.append(TamperFinding(
            kind=kind, cell=cell, line=None, excerpt=excerpt,
            message=messages.text(message_id, cell=cell, **params), message_id=message_id,
        ))

    released = {gid: cell for cell in release.get("cells", []) if (gid := grade_id(cell))}
    submitted: dict[str, list[dict[str, Any]]] = {}
    for cell in submission.get("cells", []):
        if (gid := grade_id(cell)) is not None:
            submitted.setdefault(gid, []).append(cell)

    source_ids = [gid for cell in source.get("cells", []) if (gid := grade_id(cell))]
    for gid, cells in submitted.items():
        if gid not in source_ids:
            add("unknown-grade-cell", gid, "tamper.unknown_cell")
        elif len(cells) > 1:
            add("duplicate-cell", gid, "tamper.duplicate", count=len(cells))

    for cell in source.get("cells", []):
        gid = grade_id(cell)
        if gid is None:
            continue
        test = is_test(cell)
        locked_only = is_locked(cell) and not is_grade(cell) and not is_solution(cell)
        answer = is_grade(cell) and is_solution(cell)
        copies = submitted.get(gid)
        if not copies:
            if test:
                add("deleted-test-cell", gid, "tamper.deleted_test")
            elif locked_only:
                add("deleted-locked-cell", gid, "tamper.deleted_locked")
            elif answer:
                add("deleted-answer-cell", gid, "tamper.deleted_answer")
            continue
        student, original = copies[0], released.get(gid, cell)
        if (test or locked_only) and (
            _normalized(source_text(student)) != _normalized(source_text(original))
            or student.get("cell_type") != original.get("cell_type")
        ):
            kind = "edited-test-cell" if test else "edited-locked-cell"
            add(kind, gid, "tamper.edited_test" if test else "tamper.edited_locked",
                excerpt=_first_difference(source_text(student), source_text(original)))
        changed = _changed_metadata(student, original)
        if changed:
            add("edited-metadata", gid, "tamper.metadata", fields=", ".join(changed))
    return findings


def _changed_metadata(student: dict[str, Any], original: dict[str, Any]) -> list[str]:
    mine, theirs = nbgrader_meta(student) or {}, nbgrader_meta(original) or {}
    changed = []
    for name in _METADATA_FIELDS:
        a, b = mine.get(name), theirs.get(name)
        if name == "points":
            try:
                same = float(a or 0) == float(b or 0)
            except (TypeError, ValueError):
                same = False
        else:
            same = bool(a) == bool(b)
        if not same:
            changed.append(name)
    return changed


def _first_difference(student: str, original: str) -> str:
    theirs = Counter(line.rstrip() for line in original.splitlines())
    for line in student.splitlines():
        if theirs[line.rstrip()] == 0 and line.strip():
            text = line.strip()
            return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
    return ""


def findings(
    submission: dict[str, Any], *, source: dict[str, Any], release: dict[str, Any]
) -> list[TamperFinding]:
    return structural_findings(submission, source=source, release=release) + scan_notebook(
        submission, source=source, release=release
    )

"""Reading a student's checkout on the host without trusting it.

The static checks read the repository on the grading host, so every read goes through here:

- the walk never enters ``.git/``, virtualenvs, caches or generated trees (``SKIP_DIRS``:
  ``mlruns/`` holds copies of code MLflow logged, ``node_modules/`` someone else's code; a
  ``build/`` or ``dist/`` directory too, unless it is a Python package of the project,
  ``BUILD_DIRS``), never follows a symbolic link (a link to ``/etc/passwd`` or out of the
  checkout is skipped, not read) and stops after ``MAX_FILES`` files, so a repository of a
  million tiny files cannot stall it. Every check reads the checkout through :func:`walk`, so
  a file it skips counts for no criterion;
- a file is opened with ``O_NOFOLLOW`` and read only when it is a regular file of at most
  ``MAX_FILE_BYTES`` bytes (a FIFO or device would block or never end);
- nothing is imported or executed: Python is parsed with ``ast.parse``, YAML with
  ``yaml.safe_load`` (:func:`load_yaml`), by the callers.

The project's Python is the ``.py`` files *and* the code cells of the notebooks
(:func:`python_sources`): a check that reads code reads both, and cites a cell as
``notebook.ipynb:célula 3:2`` (cell 3 of the notebook, counting every cell, line 2).

Globs from the rubric (``**/*.yaml``) are matched against the relative POSIX path by
:func:`glob_match`, not by ``Path.glob``, which may follow symlinked directories.
"""

from __future__ import annotations

import ast
import bisect
import functools
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 1_000_000
MAX_FILES = 20_000
# MLflow's run stores: copies of code it logged, not the project (code quality names them).
MLFLOW_DIRS = ("mlruns", "mlartifacts")
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        ".env",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        ".ipynb_checkpoints",
        *MLFLOW_DIRS,
    }
)
# Packaging output, skipped as directories only (a ``build.py`` or a ``dist`` script is read)
# and only when they are not a package of the project (``src/app/build/__init__.py``).
BUILD_DIRS = frozenset({"build", "dist"})
MAX_NOTEBOOK_BYTES = 20_000_000  # notebooks carry their plots; only the code cells are kept
MAGIC = re.compile(r"^\s*[%!]")  # IPython magics and shell escapes: not Python


def walk(repo: Path, *, limit: int = MAX_FILES, enter: frozenset[str] = frozenset()) -> list[Path]:
    """Regular files of the checkout (no symlinks, no skipped dirs), sorted, at most ``limit``.

    ``enter`` names skipped directories to walk into after all (``__pycache__``, to tell the
    student it was committed); a symbolic link is never entered.
    """
    found: list[Path] = []
    for current, dirs, files in os.walk(repo, followlinks=False):
        base = Path(current)
        dirs[:] = sorted(
            name
            for name in dirs
            if not _skipped(base / name) or (name in enter and not (base / name).is_symlink())
        )
        for name in sorted(files):
            path = base / name
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                found.append(path)
                if len(found) >= limit:
                    return found
    return found


def _skipped(directory: Path) -> bool:
    if directory.is_symlink() or directory.name in SKIP_DIRS:
        return True
    return directory.name in BUILD_DIRS and not (directory / "__init__.py").is_file()


def relative(repo: Path, path: Path) -> str:
    """``path`` relative to the checkout, in POSIX form (what justifications cite)."""
    return path.relative_to(repo).as_posix()


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """The file's bytes, or None when it is a link, not a regular file or over ``limit``."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
        return data if len(data) <= limit else None
    finally:
        os.close(fd)


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str | None:
    """The file as text (UTF-8, bad bytes replaced), or None (see :func:`read_bytes`)."""
    data = read_bytes(path, limit)
    if data is None or b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based among all the notebook's cells, Markdown ones included
    first_line: int  # where the cell starts in its notebook's joined code
    text: str  # magic and shell lines blanked, so line numbers hold


@dataclass(frozen=True)
class PythonSource:
    """A ``.py`` file, or a notebook's code cells joined (``cells`` says where each starts)."""

    path: str  # relative POSIX path
    text: str
    cells: tuple[Cell, ...] = ()

    @property
    def notebook(self) -> bool:
        return self.path.endswith(".ipynb")

    def where(self, line: int) -> str:
        """``src/app.py:12``, or ``analise.ipynb:célula 3:2`` for line 2 of cell 3."""
        if not self.cells:
            return f"{self.path}:{line}"
        index = max(bisect.bisect_right([cell.first_line for cell in self.cells], line) - 1, 0)
        cell = self.cells[index]
        return f"{self.path}:célula {cell.number}:{line - cell.first_line + 1}"

    def parse(self) -> tuple[ast.Module | None, list[str]]:
        """(syntax tree, the parts that do not parse) of the file.

        A notebook is parsed cell by cell into one module with the joined code's line
        numbers, so a half-written cell loses only itself and a name imported in the first
        cell is the same name in the last one.
        """
        if not self.notebook:
            try:
                return ast.parse(self.text), []
            except (SyntaxError, ValueError):
                return None, [self.path]
        body: list[ast.stmt] = []
        broken: list[str] = []
        for cell in self.cells:
            try:
                tree = ast.parse(cell.text)
            except (SyntaxError, ValueError):
                broken.append(f"{self.path} (célula {cell.number})")
                continue
            ast.increment_lineno(tree, cell.first_line - 1)
            body += tree.body
        return ast.Module(body=body, type_ignores=[]), broken


def notebook_cells(text: str) -> tuple[Cell, ...]:
    """The code cells of a notebook's JSON (none when it is not a notebook).

    A cell magic (``%%bash``) makes the whole cell something else than Python; a line magic
    or shell escape (``%pip``, ``!ls``) blanks only its line.
    """
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return ()
    found: list[Cell] = []
    line = 1
    for number, cell in enumerate(cells if isinstance(cells, list) else [], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(map(str, source)) if isinstance(source, list) else str(source)
        lines = source.splitlines() or [""]
        if lines[0].lstrip().startswith("%%"):
            lines = [""] * len(lines)
        lines = ["" if MAGIC.match(item) else item for item in lines]
        found.append(Cell(number, line, "\n".join(lines) + "\n"))
        line += len(lines)
    return tuple(found)


def python_sources(repo: Path, *, max_bytes: int | None = None) -> list[PythonSource]:
    """The project's Python: every ``.py`` file and every notebook's code cells, in walk
    order, until ``max_bytes`` of code (when given) have been read."""
    sources: list[PythonSource] = []
    budget = max_bytes
    for path in walk(repo):
        if path.suffix not in (".py", ".ipynb"):
            continue
        if path.suffix == ".py":
            text = read_text(path)
            source = PythonSource(relative(repo, path), text) if text is not None else None
        else:
            cells = notebook_cells(read_text(path, MAX_NOTEBOOK_BYTES) or "")
            joined = "".join(cell.text for cell in cells)
            source = PythonSource(relative(repo, path), joined, cells) if cells else None
        if source is None:
            continue
        if budget is not None:
            if budget <= 0:
                break
            budget -= len(source.text)
        sources.append(source)
    return sources


@functools.lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts) + r"\Z")


def glob_match(relative_path: str, patterns: Iterable[str]) -> bool:
    """Whether a relative POSIX path matches any glob (``**/`` spans zero or more dirs)."""
    return any(_glob_regex(pattern).match(relative_path) for pattern in patterns)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load``; raises ``yaml.YAMLError`` on a malformed document."""
    return yaml.safe_load(text)


def find_readme(repo: Path) -> Path | None:
    """The README at the root (README.md preferred over .rst, .txt or no extension)."""
    candidates = (
        {
            path.name.lower(): path
            for path in repo.iterdir()
            if path.name.lower().startswith("readme") and not path.is_symlink() and path.is_file()
        }
        if repo.is_dir()
        else {}
    )
    for name in ("readme.md", "readme.markdown", "readme.rst", "readme.txt", "readme"):
        if name in candidates:
            return candidates[name]
    return next(iter(sorted(candidates.values())), None)


def readme_text(repo: Path) -> str:
    """The root README's text ("" when there is none or it cannot be read)."""
    path = find_readme(repo)
    return (read_text(path) or "") if path else ""


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 arquivo`` / ``2 arquivos``: pt-BR justifications cite counts everywhere."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"

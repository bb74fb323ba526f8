"""Reading a student's checkout on the host without trusting it.

The static checks read the repository on the grading host, so every read goes through here:

- the walk never enters ``.git/``, virtualenvs or caches (``SKIP_DIRS``), never follows a
  symbolic link (a link to ``/etc/passwd`` or out of the checkout is skipped, not read) and
  stops after ``MAX_FILES`` files, so a repository of a million tiny files cannot stall it;
- a file is opened with ``O_NOFOLLOW`` and read only when it is a regular file of at most
  ``MAX_FILE_BYTES`` bytes (a FIFO or device would block or never end);
- nothing is imported or executed: Python is parsed with ``ast.parse``, YAML with
  ``yaml.safe_load`` (:func:`load_yaml`), by the callers.

Globs from the rubric (``**/*.yaml``) are matched against the relative POSIX path by
:func:`glob_match`, not by ``Path.glob``, which may follow symlinked directories.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 1_000_000
MAX_FILES = 20_000
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
    }
)


def walk(repo: Path, *, limit: int = MAX_FILES) -> list[Path]:
    """Regular files of the checkout (no symlinks, no skipped dirs), sorted, at most ``limit``."""
    found: list[Path] = []
    for current, dirs, files in os.walk(repo, followlinks=False):
        base = Path(current)
        dirs[:] = sorted(
            name for name in dirs if name not in SKIP_DIRS and not (base / name).is_symlink()
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


def python_files(repo: Path) -> list[Path]:
    return [path for path in walk(repo) if path.suffix == ".py"]


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

"""The final project's tree: what is copied for the student, and how it is copied.

Root reads only the read-only checkout (``REPO``): it lists the files without following
anything, then streams a tar of them to ``tar -x`` running *as the student*, so the copy in
``/aluno/projeto`` is the student's own and root never writes, let alone follows, anything
there. Standard library only.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from autograder.container.common import GRADER, STUDENT_ROOT, log
from autograder.container.student_process import DEPS, PROJECT, student_command

REPO = GRADER / "repo"  # read-only bind mount: the checkout at the pinned commit

MAX_FILES = 5000  # copied into the student's tree
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_TREE_BYTES = 200 * 1024 * 1024
SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".venv",
    "venv",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tox",
}


def list_tree(root: Path) -> tuple[list[str], list[str], dict[str, Any]]:
    """(files, symlinks, summary) of ``root``, relative POSIX paths, capped, VCS dirs skipped.

    Nothing is followed: directories are walked without following links and a symlink stays
    a symlink (resolved later in the container, with the student's uid).
    """
    files: list[str] = []
    links: list[str] = []
    skipped: list[str] = []
    total = 0
    for current, dirs, names in os.walk(root, followlinks=False):
        base = Path(current)
        for name in list(dirs):
            if name in SKIP_DIRS or (base / name).is_symlink():
                dirs.remove(name)
                if (base / name).is_symlink():
                    links.append((base / name).relative_to(root).as_posix())
        dirs.sort()
        for name in sorted(names):
            path = base / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                links.append(relative)
                continue
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if len(files) >= MAX_FILES or size > MAX_FILE_BYTES or total + size > MAX_TREE_BYTES:
                if len(skipped) < 20:
                    skipped.append(relative)
                continue
            files.append(relative)
            total += size
    summary = {"files": len(files), "bytes": total, "symlinks": len(links), "skipped": skipped}
    return files, links, summary


def copy_project(files: list[str], links: list[str]) -> None:
    """Stream the tree as a tar into ``tar -x`` running as the student (see the docstring)."""
    extract = subprocess.Popen(  # noqa: S603 - fixed command, no shell
        student_command(["tar", "-x", "-f", "-", "-C", str(STUDENT_ROOT), "--no-same-owner"]),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert extract.stdin is not None
    try:
        with tarfile.open(fileobj=extract.stdin, mode="w|") as archive:
            top = tarfile.TarInfo("projeto")
            top.type, top.mode = tarfile.DIRTYPE, 0o755
            archive.addfile(top)
            for relative in [*files, *links]:
                try:
                    archive.add(REPO / relative, arcname=f"projeto/{relative}", recursive=False)
                except OSError as exc:  # unreadable for a root without DAC_OVERRIDE: skipped
                    log(f"not copied: {relative}: {exc}")
    finally:
        extract.stdin.close()
    assert extract.stderr is not None
    stderr = extract.stderr.read(64 * 1024)
    extract.stderr.close()
    if extract.wait(timeout=120) != 0:
        raise RuntimeError(f"cópia do projeto falhou: {stderr.decode(errors='replace')[-300:]}")


def python_path(files: list[str]) -> list[str]:
    """The project root, plus ``src`` for a src layout (a package under ``src/``), then the
    project's installed dependencies when the install step made them."""
    paths = [str(PROJECT)]
    names = set(files)
    has_src_packages = any(p.startswith("src/") and p.count("/") >= 2 for p in files)
    if has_src_packages and "src/__init__.py" not in names:
        paths.append(str(PROJECT / "src"))
    if DEPS.is_dir():
        paths.append(str(DEPS))
    return paths

"""CPU time and peak memory of one sandbox run, read from the run's own parent cgroup.

Each run's container is created with ``cgroup_parent=/mle-autograder/<run name>``. With
Docker's cgroupfs driver the container's cgroup is ``<parent>/<container id>``; runc deletes
it as soon as the container exits, but the parent stays and keeps the hierarchical totals
(verified on cgroup v1, Docker 20.10: ``memory.max_usage_in_bytes`` and ``cpuacct.usage`` of
the parent are unchanged after the container is removed). So the numbers are read from the
parent once the run is over, and then the parent is removed in every hierarchy.

- cgroup v1: ``memory/<parent>/memory.max_usage_in_bytes``, ``cpuacct/<parent>/cpuacct.usage``.
- cgroup v2: ``<parent>/memory.peak`` (kernel >= 5.19) and ``usage_usec`` in ``<parent>/cpu.stat``.

Nothing here raises: when the files cannot be read (the systemd cgroup driver, a remote Docker
daemon, a worker that runs in a container without the host's ``/sys/fs/cgroup``), callers get
``None`` and report zeros, and a log line says why.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PREFIX = "mle-autograder"
# A worker running in a container can see the host's hierarchy if it is bind-mounted there.
ROOT_ENV = "AUTOGRADER_CGROUP_ROOT"
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Usage:
    cpu_s: float
    peak_mem_mb: float  # MiB, like Limits.memory_mb


def cgroup_root() -> Path:
    return Path(os.environ.get(ROOT_ENV, "/sys/fs/cgroup"))


def parent_for(name: str) -> str:
    """The ``cgroup_parent`` Docker gets for the run called ``name``."""
    return f"/{PREFIX}/{name}"


def _is_v2(root: Path) -> bool:
    return (root / "cgroup.controllers").exists()


def read_usage(name: str, *, root: Path | None = None) -> Usage | None:
    """Totals of the run ``name`` so far, or None (logged) when the files are not readable."""
    root = root or cgroup_root()
    try:
        if _is_v2(root):
            return _read_v2(root / PREFIX / name)
        return _read_v1(root, Path(PREFIX, name))
    except (OSError, ValueError) as exc:
        logger.warning(
            "cgroup totals of run %s are not readable under %s (%s): reporting zero CPU and memory",
            name,
            root,
            exc,
        )
        return None


def _read_v1(root: Path, relative: Path) -> Usage:
    peak = int((root / "memory" / relative / "memory.max_usage_in_bytes").read_text())
    cpu_ns = int((root / "cpuacct" / relative / "cpuacct.usage").read_text())
    return Usage(cpu_s=cpu_ns / 1e9, peak_mem_mb=peak / _MIB)


def _read_v2(group: Path) -> Usage:
    usage_usec = 0
    for line in (group / "cpu.stat").read_text().splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            usage_usec = int(value)
    try:
        peak = int((group / "memory.peak").read_text())
    except FileNotFoundError:
        # memory.peak arrived in Linux 5.19; older kernels have no peak for a cgroup.
        logger.warning("%s has no memory.peak (kernel < 5.19): reporting zero peak memory", group)
        peak = 0
    return Usage(cpu_s=usage_usec / 1e6, peak_mem_mb=peak / _MIB)


def _run_dirs(name: str, root: Path) -> list[Path]:
    if _is_v2(root):
        return [root / PREFIX / name]
    return [hierarchy / PREFIX / name for hierarchy in _hierarchies(root)]


def remove(name: str, *, root: Path | None = None, wait_s: float = 2.0) -> bool:
    """Remove the run's parent cgroup in every hierarchy. True when nothing is left.

    A cgroup can only be removed once it has no processes and no child cgroups; runc removes
    the container's own cgroup right after the container exits, so a short retry covers the
    moment between Docker reporting the exit and runc cleaning up.
    """
    root = root or cgroup_root()
    deadline = time.monotonic() + wait_s
    left = [d for d in _run_dirs(name, root) if d.is_dir()]
    while left:
        left = [d for d in left if not _rmdir_tree(d)]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    if left:
        logger.warning("could not remove cgroups of run %s: %s", name, ", ".join(map(str, left)))
    return not left


def _rmdir_tree(top: Path) -> bool:
    """rmdir ``top`` and its child cgroups, deepest first; the kernel refuses busy ones."""
    try:
        for dirpath, _dirnames, _files in os.walk(top, topdown=False):
            os.rmdir(dirpath)
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno not in (errno.EBUSY, errno.ENOTEMPTY, errno.EACCES, errno.EPERM):
            raise
        if exc.errno in (errno.EACCES, errno.EPERM):
            logger.warning("no permission to remove cgroup %s: %s", top, exc)
        return False
    return True


def sweep(
    *, older_than_s: float, keep: set[str], prefix: str = "", root: Path | None = None
) -> list[str]:
    """Remove parent cgroups of runs not in ``keep`` (and whose name starts with ``prefix``)
    last changed more than ``older_than_s`` ago.

    For runs whose worker died before cleaning up; busy cgroups are left alone by the kernel.
    """
    root = root or cgroup_root()
    bases = [root / PREFIX] if _is_v2(root) else [h / PREFIX for h in _hierarchies(root)]
    now = time.time()
    names: set[str] = set()
    for base in bases:
        try:
            entries = list(base.iterdir())
        except OSError:
            continue
        for entry in entries:
            try:
                # Clamped: a directory made a moment ago can carry an mtime microseconds
                # ahead of time.time(), and older_than_s=0 must still mean "all of them".
                old = max(0.0, now - entry.stat().st_mtime) >= older_than_s
            except OSError:
                continue
            run = entry.name
            if entry.is_dir() and old and run not in keep and run.startswith(prefix):
                names.add(run)
    return [name for name in sorted(names) if remove(name, root=root, wait_s=0)]


def _hierarchies(root: Path) -> list[Path]:
    """cgroup v1: one directory per hierarchy (cpu, cpuacct, memory, pids, systemd, ...)."""
    try:
        return [entry for entry in root.iterdir() if entry.is_dir()]
    except OSError:
        return []

"""The grading container: how the host runs a command of ``autograder/container/`` in it.

Notebooks (``notebooks.py``: ``nbgrader generate_assignment`` and ``autograde``) and final
projects (``project_run.py``: pytest and the API) run in the same lockdown, on top of every
limit of :mod:`autograder.sandbox` (threat model: ``ARCHITECTURE.md``):

- The container starts as uid 0 with ``cap_drop=ALL`` and ``no-new-privileges``; it gets
  back only what the design strictly needs (:data:`GRADER_CAPS`): SETUID and SETGID, so
  ``setpriv`` can switch to the student's uid, and KILL, because a root without CAP_KILL
  cannot signal a process of another uid (interrupt a cell that times out, kill a kernel that
  ignores it, end the student's leftover processes). No DAC_OVERRIDE, no CHOWN: file
  permissions bind this root like any user, which the layout relies on.
- What computes the grades runs as that capless root; everything of the student's (the
  notebook's kernel, the project's tests and app) runs as uid 1001 (``student`` in the
  image), with oom_score_adj 1000, so a memory or fork bomb kills the student's code first.
- Directories (``autograder/container/common.py``): ``/tmp`` is 0711 and everything of the
  grader is under ``/tmp/grader`` (0700, umask 077), including the input (read-only) and
  output bind mounts; the student works under ``/aluno``, a tmpfs of its own, so filling it
  cannot stop the grader from writing, and no root process opens a path the student can
  write.
- Results leave through one file, ``result.json``, which the command creates (O_EXCL,
  O_NOFOLLOW) in the output bind mount, out of the student's reach. The host reads only that
  file, as size-capped JSON (never pickle); a missing, oversized or malformed file is an
  infrastructure error, never a zero. What the student prints, even a fake result, only
  reaches the capped container logs.

``autograder/container`` is mounted read-only at :data:`RUNNER_TARGET`, where the image's
Python imports it as the package it is (``python -P -m autograder.container.runner``). What is
mounted is a copy of it under the temporary directory (:func:`runner_source`), so that every
bind mount of a sandbox lies under ``TMPDIR`` or the grading cache: a worker that itself runs
in a container and starts sandboxes through the host's Docker socket needs only those folders
mounted at the same path on the host (``deploy/README.md``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import docker

from autograder.container import DIRECTORY as RUNNER_DIRECTORY
from autograder.container import common
from autograder.results import Limits, SandboxResult
from autograder.sandbox import Mount, Sandbox, SandboxError, run_in_sandbox

RUNNER_ROOT = "/opt/mle"  # on the container's PYTHONPATH
RUNNER_TARGET = f"{RUNNER_ROOT}/autograder/container"
IN_TARGET = str(common.IN)
OUT_TARGET = str(common.OUT)
TMPFS_PATHS = (str(common.SCRATCH), str(common.STUDENT_ROOT))  # the grader's, the student's
GRADER_USER = "0:0"
# What the design strictly needs, and nothing more: SETUID + SETGID for setpriv to start the
# student's code as the student's uid; KILL because root without CAP_KILL cannot signal
# (interrupt on a cell time-out, kill an unresponsive kernel or leftovers) another uid.
GRADER_CAPS = ("SETUID", "SETGID", "KILL")


def runner_command(module: str, *arguments: str) -> list[str]:
    """The container's command: ``autograder.container.<module>`` run by the image's Python.

    ``-P``: nothing but RUNNER_ROOT is added in front of the standard library and the image's
    packages (not the working directory, which is a scratch area).
    """
    return ["python", "-P", "-m", f"autograder.container.{module}", *arguments]


def _runner_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(RUNNER_DIRECTORY.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# What runs in the container: results made by another version of it are not reused.
RUNNER_DIGEST = _runner_digest()


def runner_source() -> Path:
    """The folder mounted at RUNNER_TARGET: this version's ``autograder/container`` files,
    copied once (again if a temporary-file cleaner removed them) into a folder of this user
    under the temporary directory, named by RUNNER_DIGEST. Raises SandboxError when that
    folder is not this user's alone (someone else could plant code the grader runs)."""
    private = Path(tempfile.gettempdir()) / f"mle-autograder-{os.getuid()}"
    private.mkdir(mode=0o700, exist_ok=True)
    owner = private.stat()
    if owner.st_uid != os.getuid() or owner.st_mode & 0o022:
        raise SandboxError(
            f"{private} must belong to uid {os.getuid()} and not be writable by others"
        )
    folder = private / f"runner-{RUNNER_DIGEST[:16]}"
    if folder.is_dir():
        return folder
    partial = Path(tempfile.mkdtemp(prefix=".runner-", dir=private))
    for path in RUNNER_DIRECTORY.glob("*.py"):
        shutil.copyfile(path, partial / path.name)
        (partial / path.name).chmod(0o644)
    partial.chmod(0o755)  # read by the container's capless root, owned by this user
    try:
        partial.rename(folder)
    except OSError:  # another worker process copied it first
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def _lockdown(
    module: str, arguments: Sequence[str], in_dir: Path, out_dir: Path, mounts: Sequence[Mount]
) -> dict[str, Any]:
    """The grading container's command, mounts, user and capabilities (see the module's
    docstring): ``in_dir`` read-only at IN_TARGET, ``out_dir`` writable at OUT_TARGET,
    ``mounts`` besides, and no environment but where to find its code."""
    return {
        "command": runner_command(module, *arguments),
        "mounts": [
            Mount(runner_source(), RUNNER_TARGET, read_only=True),
            *mounts,
            Mount(in_dir, IN_TARGET, read_only=True),
            Mount(out_dir, OUT_TARGET, read_only=False),
        ],
        "user": GRADER_USER,
        "cap_add": GRADER_CAPS,
        "environment": {"PYTHONPATH": RUNNER_ROOT},
        "tmpfs_paths": TMPFS_PATHS,
    }


def run_runner(
    module: str,
    arguments: Sequence[str],
    *,
    in_dir: Path,
    out_dir: Path,
    limits: Limits,
    image: str,
    name: str,
    client: docker.DockerClient | None,
    mounts: Sequence[Mount] = (),
) -> SandboxResult:
    """Run ``autograder.container.<module>`` in the sandbox with the grading lockdown.
    Raises SandboxError for infrastructure faults only."""
    return run_in_sandbox(
        image=image,
        name=name,
        limits=limits,
        client=client,
        **_lockdown(module, arguments, in_dir, out_dir, mounts),
    )


def runner_sandbox(
    module: str,
    arguments: Sequence[str],
    *,
    in_dir: Path,
    out_dir: Path,
    limits: Limits,
    image: str,
    name: str,
    labels: Mapping[str, str],
) -> Sandbox:
    """The same container as :func:`run_runner`'s, not yet created: for a warm container
    (``autograder/pool.py``), which is started ahead and given its work later."""
    return Sandbox(
        image=image,
        name=name,
        limits=limits,
        labels=labels,
        **_lockdown(module, arguments, in_dir, out_dir, ()),
    )


# -- host directories shared with the container ---------------------------------------------------


def io_dirs(parent: Path) -> tuple[Path, Path]:
    """The input (read-only in the container) and output directories of one run.

    Both are 0700: the container's root is the host's root, which owns them. A worker that
    is not root gets directories the container's root can use (inputs 0755/0644 once
    :func:`make_readable`, output 0777): inside the container they are under /tmp/grader
    (0700), out of the student's reach, but other users of the host could read them; run the
    worker as root (it drives Docker, so it is root-equivalent anyway).
    """
    in_dir, out_dir = parent / "in", parent / "out"
    in_dir.mkdir(mode=0o700)
    out_dir.mkdir(mode=0o700)
    if os.geteuid() != 0:
        os.chmod(parent, 0o711)  # noqa: S103 - see the docstring
        os.chmod(out_dir, 0o777)  # noqa: S103
    return in_dir, out_dir


def make_readable(in_dir: Path) -> None:
    """Once the inputs are written: readable by the container's root (see :func:`io_dirs`)."""
    if os.geteuid() != 0:
        for directory in (in_dir, *(p for p in in_dir.iterdir() if p.is_dir())):
            os.chmod(directory, 0o755)  # noqa: S103 - see io_dirs
            for path in directory.iterdir():
                if path.is_file():
                    os.chmod(path, 0o644)

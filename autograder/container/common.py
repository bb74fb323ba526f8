"""What both container commands share: the layout, the student's uid, the one result file.

``runner.py`` (notebooks) and ``project_runner.py`` (final projects) run as uid 0 with every
capability dropped but SETUID, SETGID and KILL (see ``autograder/grading_container.py``).
Both build the same scratch layout, read what the student wrote only *as the student*, end
the student's leftover processes and hand their one JSON result to the host the same way;
that is here, once. ``grader_ext.py`` (in nbgrader's process) ends the student's processes
with it too.

Layout (``/tmp`` and ``/aluno`` are separate size-capped tmpfs mounts):

    /tmp                 root 0711: the student can traverse it but not list or create
    /tmp/grader          root 0700: nothing below is reachable by the student
      in/                 read-only bind mount: the inputs
      out/                bind mount: result.json leaves the container only through here
    /aluno               root 1777: the student's scratch (HOME, TMPDIR, work directories)

Standard library only: the grading image's Python runs it before anything of the student's.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

SCRATCH = Path("/tmp")  # noqa: S108 - the container's private tmpfs
GRADER = SCRATCH / "grader"
IN = GRADER / "in"
OUT = GRADER / "out"
STUDENT_ROOT = Path("/aluno")
STUDENT_HOME = STUDENT_ROOT / "home"
STUDENT_TMP = STUDENT_ROOT / "tmp"

STUDENT_UID = STUDENT_GID = 1001
SETPRIV = "setpriv"
RESULT_FILE = "result.json"
RESULT_SCHEMA = 1
STUDENT_READ_TIMEOUT_S = 20

TIMINGS: dict[str, float] = {}  # seconds per step, reported with the result
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def log(message: str) -> None:
    """One line on the container's output, which the host keeps (capped) in its logs."""
    print(f"[autograder] {message}", flush=True)


def clip(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text`` without terminal escapes (pytest colours)."""
    text = _ANSI.sub("", text)
    return text if len(text) <= limit else "…" + text[-limit:]


def mkdir(path: Path, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)


def build_layout(*, grader_dirs: Iterable[Path] = (), student_dirs: Iterable[Path] = ()) -> None:
    """The scratch tree above; ``grader_dirs`` (0700) and ``student_dirs`` (1777) below it."""
    os.umask(0o077)
    os.chmod(SCRATCH, 0o711)  # noqa: S103 - traverse only
    os.chmod(GRADER, 0o700)
    for directory in grader_dirs:
        mkdir(directory, 0o700)
    if STUDENT_ROOT.is_dir():
        os.chmod(STUDENT_ROOT, 0o1777)  # noqa: S103 - the student's own scratch, sticky
        for directory in student_dirs:
            mkdir(directory, 0o1777)


def lower_own_oom_score() -> None:
    """Our children inherit 0; the student's processes raise themselves to 1000, so a memory
    or fork bomb kills the student's code, not the process that computes the grades."""
    try:
        Path("/proc/self/oom_score_adj").write_text("0")
    except OSError as exc:  # the container's floor may be higher: then all are equal
        log(f"oom_score_adj not lowered: {exc}")


# -- the student's uid -----------------------------------------------------------------------------


def as_student(argv: Sequence[str]) -> list[str]:
    """``argv`` as uid/gid 1001: no supplementary groups, no inheritable capabilities."""
    return [
        SETPRIV,
        f"--reuid={STUDENT_UID}",
        f"--regid={STUDENT_GID}",
        "--clear-groups",
        "--inh-caps=-all",
        "--",
        *argv,
    ]


def read_as_student(path: Path, max_bytes: int) -> bytes | None:
    """``path``'s first ``max_bytes`` + 1 bytes, read with the student's uid, or None.

    The student wrote it, so it may be a symlink to the grader's files: no root process opens
    it. None when it cannot be read that way, for whatever reason (missing, not permitted,
    ``setpriv`` itself failing to start, a read that hangs on a FIFO).
    """
    done = captured(as_student(["head", "-c", str(max_bytes + 1), str(path)]))
    return done.stdout if done is not None and done.returncode == 0 else None


def captured(
    command: list[str], timeout: float = STUDENT_READ_TIMEOUT_S
) -> subprocess.CompletedProcess[bytes] | None:
    """``command`` (already wrapped to run as the student) run to its end with its output
    captured and a minimal ``PATH``; None when it could not start or ran past ``timeout``."""
    try:
        return subprocess.run(  # noqa: S603 - our fixed commands, no shell
            command,
            capture_output=True,
            timeout=timeout,
            check=False,
            env={"PATH": "/usr/bin:/bin"},
        )
    except (subprocess.TimeoutExpired, OSError):
        return None


def student_pids(uid: int) -> list[int]:
    """Live (not zombie) processes whose real uid is ``uid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path("/proc", entry, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        real_uid = fields.get("Uid", "").split()[:1]
        if real_uid == [str(uid)] and not fields.get("State", "").strip().startswith("Z"):
            pids.append(int(entry))
    return pids


def kill_student_processes(uid: int = STUDENT_UID, rounds: int = 50) -> int:
    """SIGKILL every process of ``uid`` (daemons that outlived the student's code); how many.

    Needs CAP_KILL (another uid). Forks racing the sweep are caught by the next round;
    zombies are reaped by the container's init.
    """
    killed = 0
    for _ in range(rounds):
        pids = student_pids(uid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    if killed:
        log(f"killed {killed} leftover student process(es)")
    return killed


# -- the result ------------------------------------------------------------------------------------


def _encoded(result: dict[str, Any]) -> bytes:
    # default=str: a value of an odd type is still reported (as text) rather than losing the
    # whole result to a TypeError.
    return json.dumps(result, ensure_ascii=False, default=str).encode("utf-8")


def write_result(
    result: dict[str, Any],
    *,
    max_bytes: int,
    shrink: Sequence[Callable[[dict[str, Any]], None]] = (),
) -> None:
    """The one file the host reads: created exclusively in ``OUT``, never through a symlink.

    When the JSON is over ``max_bytes``, the ``shrink`` steps cut the result in place, in
    order, until it fits. If it still does not, the host gets a runner error saying so, never
    a cut (invalid) JSON nor more than the cap on its disk.
    """
    result = {"schema": RESULT_SCHEMA, **result}
    data = _encoded(result)
    for step in shrink:
        if len(data) <= max_bytes:
            break
        step(result)
        data = _encoded(result)
    if len(data) > max_bytes:
        data = _encoded(
            {
                "schema": RESULT_SCHEMA,
                "status": "error",
                "error": f"resultado de {len(data)} bytes passa de {max_bytes}",
            }
        )
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(OUT / RESULT_FILE, flags, 0o644)
    try:
        os.fchmod(fd, 0o644)  # readable by a non-root host user; the directory guards it
        os.write(fd, data)
    finally:
        os.close(fd)

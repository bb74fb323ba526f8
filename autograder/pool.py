"""Warm sandboxes: grading containers started before their submission arrives.

Starting the grading container and importing nbgrader in it cost more than grading a small
notebook does (``bench/grading.py``). A :class:`SandboxPool` belongs to one worker process and
keeps ``size`` containers started ahead, each waiting for its work (``runner warm``: the
scratch tree built, nbgrader's process imported). :meth:`SandboxPool.take` hands one out for
exactly one grading, and the pool's thread starts its replacement at once.

What stays true of every sandbox (ARCHITECTURE.md, "Sandbox threat model"):

- **The same container, the same limits.** A warm container is the grading container
  (``grading_container.runner_sandbox``), created with the limits of the run it serves: the
  pool is keyed by image id and :class:`~autograder.results.Limits`, and a run with other
  limits gets a cold container (the pool then switches to those). Its wall clock starts when
  it is given its work (``Sandbox.restart_clock``).
- **Single use.** A warm container serves one grading and is then removed with its
  directories, exactly like a cold one; nothing of one submission is ever in another's
  container, and none is handed out twice.
- **No leaks.** :meth:`SandboxPool.close` (the worker process's shutdown) removes the pool's
  containers. A process that dies without it leaves containers labelled with its
  ``"<hostname>:<pid>"`` (``sandbox.POOL_LABEL``): the host sweep removes them at once. A
  container that is never given work ends itself after ``idle_seconds``; the pool replaces
  it before that.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.container.runner import GO_FILE
from autograder.grading_container import io_dirs, make_readable, runner_sandbox
from autograder.results import Limits, SandboxResult
from autograder.sandbox import POOL_IDLE_LABEL, POOL_LABEL, Sandbox

__all__ = ["PoolKey", "SandboxPool", "WarmSandbox", "WarmUnavailable"]

logger = logging.getLogger(__name__)

READY_TIMEOUT_S = 60.0  # from take() to the container reading its work
REPLACE_BEFORE_IDLE_S = 60.0  # replaced this long before it would end itself
CHECK_INTERVAL_S = 30.0  # the pool's thread looks for containers to replace this often
MAX_BACKOFF_S = 60.0  # Docker or the image missing: wait up to this long between tries


def threads(limits: Limits) -> int:
    """The kernel's threads (BLAS, OpenMP) for a CPU quota: the runner's ``--threads``."""
    return max(1, math.ceil(limits.cpus))


class WarmUnavailable(Exception):
    """The warm container cannot take its work (it ended, or never got ready): nothing of the
    run reached it, so the run can be graded in a cold container instead."""


@dataclass(frozen=True)
class PoolKey:
    image: str  # image id (sha256:...)
    limits: Limits


class WarmSandbox:
    """One started grading container, waiting for its work (``runner warm``)."""

    def __init__(self, key: PoolKey, *, idle_seconds: int, owner: str) -> None:
        self.started = time.monotonic()
        self.directory = Path(tempfile.mkdtemp(prefix="mle-warm-"))
        self._box: Sandbox | None = None
        try:
            self.in_dir, self.out_dir = io_dirs(self.directory)
            self._go = self.in_dir / GO_FILE
            os.mkfifo(self._go, 0o600)
            if os.geteuid() != 0:
                os.chmod(self._go, 0o644)  # read by the container's capless root: see io_dirs
            make_readable(self.in_dir)
            box = runner_sandbox(
                "runner",
                ["warm", f"--threads={threads(key.limits)}", f"--idle-seconds={idle_seconds}"],
                in_dir=self.in_dir,
                out_dir=self.out_dir,
                limits=key.limits,
                image=key.image,
                name=f"warm-{secrets.token_hex(6)}",
                labels={POOL_LABEL: owner, POOL_IDLE_LABEL: str(idle_seconds)},
            )
            self._box = box.__enter__()
            box.start()
        except BaseException:
            self.discard()
            raise

    @property
    def name(self) -> str:
        return self._box.name if self._box else ""

    def give(self, arguments: Sequence[str], *, name: str) -> SandboxResult:
        """Run its one grading and remove the container; the result file is then in
        ``out_dir`` (:meth:`discard` removes the directories).

        ``arguments`` are the runner's (``autograde ...``), the inputs already written to
        ``in_dir``; ``name`` is the run's (the container is renamed to it). Raises
        :class:`WarmUnavailable` if the container cannot take the work, SandboxError for the
        other infrastructure faults.
        """
        box = self._require_box()
        try:
            make_readable(self.in_dir)
            box.rename(name)
            self._send(json.dumps(list(arguments)).encode() + b"\n")
            box.restart_clock()
            box.wait()
        except BaseException as exc:
            self._box = None
            box.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._box = None
        box.__exit__(None, None, None)
        return box.result

    def discard(self) -> None:
        """Remove the container (if it was not given work) and the directories."""
        box, self._box = self._box, None
        if box is not None:
            box.__exit__(None, None, None)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _require_box(self) -> Sandbox:
        if self._box is None:
            raise RuntimeError("a warm sandbox serves one grading only")
        return self._box

    def _send(self, message: bytes) -> None:
        """Write the work to the FIFO once the runner has it open (at most
        READY_TIMEOUT_S; sooner given up when the container ended)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        checked = time.monotonic()
        while True:
            try:
                fd = os.open(self._go, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: nobody has it open for reading yet
                    raise WarmUnavailable(f"{self.name}: {exc}") from exc
            now = time.monotonic()
            if now > deadline:
                raise WarmUnavailable(f"{self.name} did not get ready in {READY_TIMEOUT_S:.0f} s")
            if now - checked > 0.5:
                checked = now
                if not self._running():
                    raise WarmUnavailable(f"{self.name} ended before it was given its work")
            time.sleep(0.005)
        try:
            os.write(fd, message)  # under PIPE_BUF: one atomic write
        finally:
            os.close(fd)

    def _running(self) -> bool:
        container = self._require_box().container
        container.reload()
        return bool(container.status == "running")


class SandboxPool:
    """The warm sandboxes of one worker process (thread-safe; one thread of its own).

    ``size`` containers are kept ready for the image and limits of the last :meth:`take`.
    Create it in the process that uses it (after a fork), and :meth:`close` it there.
    """

    def __init__(self, *, size: int = 1, idle_seconds: int = 600) -> None:
        if size < 1:
            raise ValueError("a pool holds at least one container")
        if idle_seconds <= REPLACE_BEFORE_IDLE_S:
            raise ValueError(f"idle_seconds must be more than {REPLACE_BEFORE_IDLE_S:.0f}")
        self.size = size
        self.idle_seconds = idle_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._key: PoolKey | None = None
        self._ready: list[WarmSandbox] = []
        self._unwanted: list[WarmSandbox] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._failures = 0
        self._thread = threading.Thread(target=self._keep_filled, name="sandbox-pool", daemon=True)
        self._thread.start()

    def take(self, image: str, limits: Limits) -> WarmSandbox | None:
        """A warm container for one grading with exactly these limits, or None (grade in a
        cold one). Either way the pool refills for this image and these limits."""
        key = PoolKey(image, limits)
        warm = None
        with self._lock:
            if self._closed.is_set():
                return None
            if key != self._key:
                self._key = key
                self._unwanted += self._ready
                self._ready = []
            while self._ready and warm is None:
                candidate = self._ready.pop(0)
                if self._expiring(candidate):
                    self._unwanted.append(candidate)
                else:
                    warm = candidate
        self._wake.set()
        return warm

    def ready(self) -> int:
        """How many containers wait for work now."""
        with self._lock:
            return len(self._ready)

    def close(self, timeout: float = 30.0) -> None:
        """Stop the thread and remove every container of the pool."""
        self._closed.set()
        self._wake.set()
        self._thread.join(timeout)
        with self._lock:
            leftovers, self._ready = self._ready + self._unwanted, []
            self._unwanted = []
        for warm in leftovers:
            warm.discard()

    # -- the pool's thread ---------------------------------------------------------------

    def _keep_filled(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(CHECK_INTERVAL_S)
            self._wake.clear()
            self._remove_unwanted()
            while not self._closed.is_set() and self._fill_one():
                pass

    def _expiring(self, warm: WarmSandbox) -> bool:
        return time.monotonic() - warm.started > self.idle_seconds - REPLACE_BEFORE_IDLE_S

    def _remove_unwanted(self) -> None:
        with self._lock:
            expiring = [warm for warm in self._ready if self._expiring(warm)]
            self._ready = [warm for warm in self._ready if warm not in expiring]
            unwanted, self._unwanted = self._unwanted + expiring, []
        for warm in unwanted:
            try:
                warm.discard()
            except Exception as exc:  # the host sweep removes it later (its owner's label)
                logger.warning("could not remove warm sandbox %s: %s", warm.name, exc)

    def _fill_one(self) -> bool:
        """Start one container if one is missing; whether to go on."""
        with self._lock:
            key = self._key
            if key is None or len(self._ready) >= self.size:
                return False
        try:
            warm = WarmSandbox(key, idle_seconds=self.idle_seconds, owner=self.owner)
        except Exception as exc:  # Docker away, image missing: grading goes cold meanwhile
            self._failures += 1
            backoff = min(MAX_BACKOFF_S, 2.0**self._failures)
            logger.warning("could not start a warm sandbox (retry in %.0f s): %s", backoff, exc)
            self._closed.wait(backoff)
            return False
        self._failures = 0
        with self._lock:
            if self._closed.is_set() or key != self._key:
                self._unwanted.append(warm)
                return False
            self._ready.append(warm)
        return True

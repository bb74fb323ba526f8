"""Run one command in a locked-down Docker container and report how it ended.

The container runs code written by students (threat model: docs in ARCHITECTURE.md,
"Sandbox threat model"). Every limit is always on; callers choose the numbers through
:class:`~autograder.results.Limits`, never whether a limit applies:

- no network (``network_mode="none"``: only ``lo``), private IPC namespace;
- memory == memory+swap (no swap), CPU quota, pids limit, wall clock (killed at the limit);
- read-only root filesystem; writable scratch only in size-capped tmpfs mounts;
- non-root user by default, every capability dropped, ``no-new-privileges``;
- environment = only what the caller passes (plus ``HOME``), nothing from the host;
- output capped while it streams, so a student printing forever cannot fill the worker's
  memory or the host's disk (Docker keeps no log file: ``log_config`` is ``none``).

Infrastructure faults (Docker unreachable, image missing, API errors) raise
:class:`SandboxError` and are retryable; everything the student's code does (time-out, OOM,
crash, a non-zero exit) is a :class:`~autograder.results.SandboxResult`.

    with Sandbox(["python3", "-c", "print(1)"], image=..., name=run_name, limits=limits) as box:
        box.run()
    result = box.result
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import docker
import docker.errors
import requests
from docker.models.containers import Container
from docker.types import LogConfig, Ulimit
from docker.types import Mount as DockerMount

from autograder import cgroups
from autograder.errors import InfrastructureError
from autograder.results import ExitReason, Limits, Resources, SandboxResult

__all__ = [
    "LABEL",
    "POOL_IDLE_LABEL",
    "POOL_LABEL",
    "RUN_LABEL",
    "Mount",
    "Sandbox",
    "SandboxError",
    "classify_exit",
    "image_id",
    "run_in_sandbox",
]

logger = logging.getLogger(__name__)

LABEL = "mle-autograder"
RUN_LABEL = "mle-autograder.run"  # the name it was created with (and its cgroups' name)
# A warm container (autograder/pool.py): "<hostname>:<pid>" of the process whose pool made it,
# and how many seconds it may wait for its work before it ends itself.
POOL_LABEL = "mle-autograder.pool"
POOL_IDLE_LABEL = "mle-autograder.pool-idle"
DEFAULT_USER = "65534:65534"  # nobody:nogroup
# Docker would set HOME from the image's /etc/passwd: "/nonexistent" for nobody, "/" for an
# unknown uid. Jupyter (runtime dir), matplotlib and pip all write under HOME, so it points at
# the writable tmpfs unless the caller passes its own.
# Paths inside the container, where /tmp is a private size-capped tmpfs (not the host's /tmp).
SCRATCH = "/tmp"  # noqa: S108
DEFAULT_HOME = SCRATCH
TRUNCATION_MARKER = "[saída cortada: limite de {limit} bytes]"
# Docker's own rule for container names; the name is also a cgroup directory name.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_KILL_GRACE_S = 30.0  # after our SIGKILL, how long Docker may take to report the exit
_READER_JOIN_S = 10.0  # after the exit, how long the output stream may take to drain
_INFRA_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException)


class SandboxError(InfrastructureError):
    """Docker unreachable, image missing, an API error: retryable, never a student fault."""


@dataclass(frozen=True)
class Mount:
    """A host path bind-mounted into the container (read-only unless said otherwise)."""

    source: Path
    target: str
    read_only: bool = True


@contextmanager
def infrastructure(action: str) -> Iterator[None]:
    """Turn Docker SDK and HTTP errors into :class:`SandboxError` saying what we were doing."""
    try:
        yield
    except _INFRA_ERRORS as exc:
        raise SandboxError(f"{action}: {exc}") from exc


def _connect() -> docker.DockerClient:
    with infrastructure("Docker is unreachable"):
        return docker.from_env()


@contextmanager
def client_or_default(client: docker.DockerClient | None) -> Iterator[docker.DockerClient]:
    if client is not None:
        yield client
        return
    own = _connect()
    try:
        yield own
    finally:
        own.close()


def image_id(image: str, client: docker.DockerClient | None = None) -> str:
    """The id (``sha256:...``) of ``image`` on this Docker host; SandboxError if it is missing."""
    with client_or_default(client) as docker_client, infrastructure(f"image {image!r}"):
        try:
            found: str = docker_client.images.get(image).id
            return found
        except docker.errors.ImageNotFound as exc:
            raise SandboxError(
                f"image {image!r} is not on this Docker host (build the grading image first: "
                "make sandbox-image)"
            ) from exc


_cgroup_drivers: dict[str, str] = {}
_warned: set[str] = set()


def _cgroup_driver(client: docker.DockerClient) -> str:
    key = client.api.base_url
    if key not in _cgroup_drivers:
        with infrastructure("docker info"):
            _cgroup_drivers[key] = str(client.info().get("CgroupDriver", ""))
    return _cgroup_drivers[key]


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        logger.warning(message)


def classify_exit(*, timed_out: bool, exit_code: int | None, oom_killed: bool) -> ExitReason:
    """Why the container stopped, from what we did and what Docker saw.

    The container's PID 1 is docker-init (tini), which exits with 128+N when the command
    dies of signal N, so the exit code tells a signal from a normal exit. A program can also
    ``exit(137)`` by itself; that is indistinguishable and is reported as killed.
    """
    if timed_out:
        return ExitReason.TIMEOUT
    if oom_killed and exit_code == 128 + signal.SIGKILL:
        return ExitReason.OOM
    if exit_code is not None and 128 < exit_code <= 128 + 64:
        return ExitReason.KILLED
    return ExitReason.OK


class _CappedOutput:
    """Keeps the first ``limit`` bytes of a stream and only counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._kept = bytearray()

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit - len(self._kept)
        if room > 0:
            self._kept += chunk[:room]

    @property
    def truncated(self) -> bool:
        return self.total > self.limit

    def text(self) -> str:
        # A cut can split a UTF-8 sequence: it becomes one U+FFFD, like any invalid byte.
        text = self._kept.decode("utf-8", errors="replace")
        if self.truncated:
            newline = "" if not text or text.endswith("\n") else "\n"
            text += newline + TRUNCATION_MARKER.format(limit=self.limit) + "\n"
        return text


class _OutputReader(threading.Thread):
    """Drains the container's attached stdout+stderr into a :class:`_CappedOutput`.

    It keeps reading past the cap (and throws the bytes away): Docker's attach stream blocks
    the container's writes when nobody reads, which would turn chatty code into a time-out.
    """

    def __init__(self, stream: Iterable[bytes], output: _CappedOutput, name: str) -> None:
        super().__init__(name=f"sandbox-output-{name}", daemon=True)
        self._stream = stream
        self._output = output

    def run(self) -> None:
        try:
            for chunk in self._stream:
                self._output.feed(chunk)
        except Exception as exc:  # the socket is closed under us when the container goes away
            logger.debug("output stream of %s ended: %r", self.name, exc)


class Sandbox:
    """One container for one run: created on enter, killed and removed on every way out.

    ``__enter__`` removes a stale container of the same name (an earlier attempt of the same
    run that died) and creates the container; :meth:`run` (or :meth:`start` then :meth:`wait`)
    runs it under the wall clock; ``__exit__`` turns the container's state into a
    :class:`SandboxResult` (in :attr:`result`) when the block finished normally, then removes
    the container and its cgroups whatever happened: exceptions, KeyboardInterrupt, SystemExit
    and Celery's soft time limit included. Only a SIGKILL of the worker skips ``__exit__``;
    :func:`autograder.sweep.remove_stale_containers` at worker start-up covers
    that.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        image: str,
        name: str,
        limits: Limits,
        mounts: Sequence[Mount] = (),
        user: str = DEFAULT_USER,
        cap_add: Sequence[str] = (),
        environment: Mapping[str, str] | None = None,
        workdir: str = SCRATCH,
        tmpfs_paths: Sequence[str] = (SCRATCH,),
        client: docker.DockerClient | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(command, str) or not command:
            raise ValueError("command must be a non-empty sequence of arguments, not a string")
        if not _NAME.fullmatch(name):
            raise ValueError(f"invalid sandbox name {name!r}: use letters, digits, '_.-'")
        for mount in mounts:
            if not mount.target.startswith("/"):
                raise ValueError(f"mount target must be absolute: {mount.target!r}")
            if not Path(mount.source).exists():
                raise FileNotFoundError(f"mount source does not exist: {mount.source}")
        self.command = list(command)
        self.image = image
        self.name = name
        self.limits = limits
        self.mounts = tuple(mounts)
        self.user = user
        self.cap_add = tuple(cap_add)
        self.environment = {"HOME": DEFAULT_HOME, **(environment or {})}
        self.workdir = workdir
        self.tmpfs_paths = tuple(tmpfs_paths)
        self.labels = {**(labels or {}), LABEL: "1", RUN_LABEL: name}
        self._cgroup_name = name  # fixed at creation, whatever rename() does later

        self._given_client = client
        self._client: docker.DockerClient | None = None
        self._container: Container | None = None
        self._stream: Any = None
        self._reader: _OutputReader | None = None
        self._output = _CappedOutput(limits.output_bytes)
        self._image_id = ""
        self._cgroup_parent: str | None = None
        self._started_at: float | None = None
        self._wall_s = 0.0
        self._timed_out = False
        self._exited = False
        self._result: SandboxResult | None = None

    # -- the container's life ------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        try:
            self._client = self._given_client or _connect()
            self._image_id = image_id(self.image, self._client)
            self._remove_stale_container()
            self._cgroup_parent = self._prepare_cgroup_parent()
            with infrastructure(f"could not create container {self.name}"):
                self._container = self._client.containers.create(**self._create_options())
        except BaseException:
            self._cleanup(raise_errors=False)
            raise
        return self

    def start(self) -> None:
        """Attach to the output (before starting, so nothing is lost), then start."""
        container = self._require_container()
        with infrastructure(f"could not start container {self.name}"):
            self._stream = container.attach(stdout=True, stderr=True, stream=True, logs=False)
            self._reader = _OutputReader(self._stream, self._output, self.name)
            self._reader.start()
            self._started_at = time.monotonic()
            container.start()

    def wait(self) -> None:
        """Wait for the exit; at ``limits.wall_seconds`` after the start, kill the container."""
        container = self._require_container()
        if self._started_at is None:
            raise RuntimeError("Sandbox.wait() before Sandbox.start()")
        remaining = self.limits.wall_seconds - (time.monotonic() - self._started_at)
        try:
            container.wait(timeout=max(remaining, 0.01))
        except docker.errors.DockerException as exc:  # first: APIError is a RequestException too
            raise SandboxError(f"could not wait for container {self.name}: {exc}") from exc
        except requests.exceptions.RequestException as exc:
            # On a Unix socket the SDK's read time-out surfaces as a ConnectionError, the same
            # type as a dead daemon: the clock tells them apart.
            if time.monotonic() - self._started_at < self.limits.wall_seconds:
                raise SandboxError(f"lost Docker while waiting for {self.name}: {exc}") from exc
            self._kill_at_time_limit()
        self._wall_s = time.monotonic() - self._started_at
        self._exited = True
        if self._reader is not None:
            self._reader.join(_READER_JOIN_S)
            if self._reader.is_alive():
                logger.warning("output of %s still streaming after the exit; cut", self.name)

    def run(self) -> None:
        self.start()
        self.wait()

    def restart_clock(self) -> None:
        """The wall-clock limit counts from now: a warm container (``autograder/pool.py``)
        was started ahead, and its limit applies to the work it is then given."""
        if self._started_at is None:
            raise RuntimeError("Sandbox.restart_clock() before Sandbox.start()")
        self._started_at = time.monotonic()

    def rename(self, name: str) -> None:
        """Give the running container the name of the run it now serves, so the sweeps by
        run name (``remove_stale_containers(name_prefix=...)``) find it."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"invalid sandbox name {name!r}: use letters, digits, '_.-'")
        container = self._require_container()
        with infrastructure(f"could not rename container {self.name} to {name}"):
            container.rename(name)
        self.name = name

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        clean = exc_type is None
        try:
            if clean and self._exited:
                self._result = self._collect()
        except BaseException:
            clean = False
            raise
        finally:
            # When something is already propagating, a cleanup failure is logged, not raised,
            # so the original error is the one the caller sees.
            self._cleanup(raise_errors=clean)

    @property
    def result(self) -> SandboxResult:
        if self._result is None:
            raise RuntimeError(f"sandbox {self.name} has no result: it did not run to the end")
        return self._result

    @property
    def container(self) -> Container:
        """The Docker container, while the ``with`` block lasts (e.g. to copy files out)."""
        return self._require_container()

    # -- details -------------------------------------------------------------------------

    def _require_container(self) -> Container:
        if self._container is None:
            raise RuntimeError("the sandbox is used outside its `with` block")
        return self._container

    def _remove_stale_container(self) -> None:
        assert self._client is not None
        with infrastructure(f"could not remove stale container {self.name}"):
            try:
                old = self._client.containers.get(self.name)
            except docker.errors.NotFound:
                return
            if old.name != self.name:  # Docker also matches id prefixes: not this name
                return
            if old.labels.get(LABEL) != "1":
                raise SandboxError(
                    f"a container named {self.name} exists and was not made by the autograder; "
                    "refusing to remove it"
                )
            logger.warning("removing stale container %s (%s)", self.name, old.short_id)
            old.remove(force=True)

    def _prepare_cgroup_parent(self) -> str | None:
        assert self._client is not None
        driver = _cgroup_driver(self._client)
        if driver != "cgroupfs":
            # The systemd driver only takes "*.slice" parents; runs then get no parent of
            # their own and their CPU time and peak memory are reported as 0.
            _warn_once(
                f"Docker uses the {driver!r} cgroup driver, not cgroupfs: sandbox runs report "
                "zero CPU time and peak memory"
            )
            return None
        # A parent left by a crashed attempt of this run would add its totals to ours.
        cgroups.remove(self._cgroup_name, wait_s=0)
        return cgroups.parent_for(self._cgroup_name)

    def _create_options(self) -> dict[str, Any]:
        limits = self.limits
        memory = f"{limits.memory_mb}m"
        # "exec" is explicit because Docker adds noexec to tmpfs mounts otherwise, and Python
        # extension modules (pip installs, numba and torch caches) are mmapped executable from
        # /tmp. noexec would add little here: the student already runs arbitrary Python.
        tmpfs_options = f"rw,exec,nosuid,nodev,size={limits.tmpfs_mb}m,mode=1777"
        options: dict[str, Any] = {
            "image": self._image_id,  # the id, so the result names exactly what ran
            "command": self.command,
            "name": self.name,
            "labels": dict(self.labels),
            "user": self.user,
            "environment": dict(self.environment),
            # The SDK would otherwise copy the proxy settings of ~/.docker/config.json in.
            "use_config_proxy": False,
            "working_dir": self.workdir,
            "network_mode": "none",
            # "private", not "none": a private /dev/shm keeps multiprocessing and joblib
            # working; its size is capped like the other scratch areas.
            "ipc_mode": "private",
            "shm_size": f"{limits.tmpfs_mb}m",
            "read_only": True,
            "privileged": False,
            "cap_drop": ["ALL"],
            "cap_add": list(self.cap_add) or None,
            "security_opt": ["no-new-privileges"],
            "mem_limit": memory,
            "memswap_limit": memory,
            "nano_cpus": int(limits.cpus * 1e9),
            "pids_limit": limits.pids,
            "tmpfs": {path: tmpfs_options for path in self.tmpfs_paths},
            # No core files: the host's core_pattern may pipe them to a host program.
            "ulimits": [Ulimit(name="core", soft=0, hard=0)],
            # If the whole host runs out of memory, the student's code goes first.
            "oom_score_adj": 1000,
            # docker-init (tini) as PID 1 reaps zombies and forwards signals; on Debian's
            # docker.io it is /usr/bin/docker-init -> tini-static.
            "init": True,
            # Output is read live through attach: Docker keeps no log file on the host disk.
            "log_config": LogConfig(type=LogConfig.types.NONE),
            "mounts": [
                DockerMount(
                    target=m.target,
                    source=str(Path(m.source).resolve()),
                    type="bind",
                    read_only=m.read_only,
                )
                for m in self.mounts
            ],
        }
        if self._cgroup_parent is not None:
            options["cgroup_parent"] = self._cgroup_parent
        return options

    def _kill_at_time_limit(self) -> None:
        container = self._require_container()
        with infrastructure(f"could not stop container {self.name} at the time limit"):
            try:
                container.kill()
                self._timed_out = True
            except docker.errors.APIError as exc:
                if exc.status_code != 409:  # 409: it exited by itself just before the kill
                    raise
            container.wait(timeout=_KILL_GRACE_S)

    def _collect(self) -> SandboxResult:
        container = self._require_container()
        with infrastructure(f"could not inspect container {self.name}"):
            container.reload()
        state = container.attrs.get("State", {})
        exit_code = state.get("ExitCode")
        oom_killed = bool(state.get("OOMKilled"))
        usage = cgroups.read_usage(self._cgroup_name) if self._cgroup_parent else None
        result = SandboxResult(
            exit_reason=classify_exit(
                timed_out=self._timed_out, exit_code=exit_code, oom_killed=oom_killed
            ),
            exit_code=exit_code,
            logs=self._output.text(),
            logs_truncated=self._output.truncated,
            resources=Resources(
                cpu_s=round(usage.cpu_s, 3) if usage else 0.0,
                peak_mem_mb=round(usage.peak_mem_mb, 1) if usage else 0.0,
                wall_s=round(self._wall_s, 3),
            ),
            image=self._image_id,
            container_name=self.name,
            oom_killed=oom_killed,
        )
        logger.info(
            "sandbox %s: %s (exit %s%s) wall %.2fs cpu %.2fs peak %.0f MiB, output %d bytes",
            self.name,
            result.exit_reason,
            exit_code,
            ", oom" if oom_killed else "",
            result.resources.wall_s,
            result.resources.cpu_s,
            result.resources.peak_mem_mb,
            self._output.total,
        )
        return result

    def _cleanup(self, *, raise_errors: bool) -> None:
        errors: list[str] = []
        if self._container is not None:
            try:
                self._container.remove(force=True)  # kills it if it still runs
            except docker.errors.NotFound:
                pass
            except _INFRA_ERRORS as exc:
                errors.append(f"could not remove container {self.name}: {exc}")
        if self._reader is not None:
            self._reader.join(_READER_JOIN_S)
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception as exc:  # already closed by Docker: nothing left to release
                logger.debug("closing the output stream of %s: %r", self.name, exc)
        if self._cgroup_parent is not None and not errors:
            cgroups.remove(self._cgroup_name)
        if self._given_client is None and self._client is not None:
            self._client.close()
        if errors:
            if raise_errors:
                raise SandboxError("; ".join(errors))
            # The worker's periodic sweep (autograder/sweep.py) will get it.
            logger.error("sandbox cleanup failed: %s", "; ".join(errors))


def run_in_sandbox(
    command: Sequence[str],
    *,
    image: str,
    name: str,
    limits: Limits,
    mounts: Sequence[Mount] = (),
    user: str = DEFAULT_USER,
    cap_add: Sequence[str] = (),
    environment: Mapping[str, str] | None = None,
    workdir: str = SCRATCH,
    tmpfs_paths: Sequence[str] = (SCRATCH,),
    client: docker.DockerClient | None = None,
) -> SandboxResult:
    """Run ``command`` in a fresh container named ``name`` with every limit on.

    ``name`` identifies the run (e.g. ``grading-run-42``): a container left by an earlier
    attempt with that name is replaced. ``environment`` is all the container gets besides the
    image's own ``ENV`` and ``HOME=/tmp`` (which the caller may override). Raises
    :class:`SandboxError` for infrastructure faults only.
    """
    with Sandbox(
        command,
        image=image,
        name=name,
        limits=limits,
        mounts=mounts,
        user=user,
        cap_add=cap_add,
        environment=environment,
        workdir=workdir,
        tmpfs_paths=tmpfs_paths,
        client=client,
    ) as box:
        box.run()
    return box.result

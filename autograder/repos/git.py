"""One safe way to run git on a student's repository: no configuration of ours or theirs.

Every command runs with a scratch HOME, no user or system configuration, no credential
helper or prompt, no hooks, no LFS, no submodules, no symlinks and no attribute-driven
filters, under a deadline and a size cap watched while it downloads; a failure becomes the
:class:`~autograder.repos.policy.RepoError` its stderr means, logged without secrets.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.repos.policy import RepoError, printable, redact, repo_error

logger = logging.getLogger(__name__)

_POLL_SECONDS = 0.1
_STDOUT_CAP = 8 * 1024 * 1024
_STDERR_CAP = 64 * 1024


def _git_args(allowed: Sequence[str]) -> list[str]:
    """``git -c ...``: one safe configuration for every command (no user/system config)."""
    config = {
        "protocol.allow": "never",
        "protocol.https.allow": "always",
        "credential.helper": "",
        "core.askPass": "/bin/false",
        "core.hooksPath": "/dev/null",
        "core.symlinks": "false",
        "core.autocrlf": "false",
        "core.fsmonitor": "false",
        "core.attributesFile": "/dev/null",
        "filter.lfs.smudge": "",
        "filter.lfs.process": "",
        "filter.lfs.required": "false",
        "submodule.recurse": "false",
        "fetch.recurseSubmodules": "false",
        "transfer.fsckObjects": "true",
        # A redirect could send us to a host that is not allowed (an internal service).
        "http.followRedirects": "false",
        "http.sslVerify": "true",
        "gc.auto": "0",
        "maintenance.auto": "false",
        "advice.detachedHead": "false",
        "init.defaultBranch": "main",
    }
    if any(prefix.startswith("http://") for prefix in allowed):
        config["protocol.http.allow"] = "always"
    args = ["git"]
    for key, value in config.items():
        args += ["-c", f"{key}={value}"]
    return args


def _git_env(home: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
    }
    # A proxy, if the deployment needs one, is the only thing taken from our environment.
    for key in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


@dataclass(frozen=True)
class _Result:
    returncode: int
    stdout: str
    stderr: str
    stdout_truncated: bool = False


class Git:
    """Git commands for one operation: a scratch HOME, a deadline and a size watch."""

    def __init__(self, scratch: Path, allowed: Sequence[str], url: str, timeout: float) -> None:
        self.scratch = scratch
        self.url = url
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.base = _git_args(allowed)
        home = scratch / "home"
        home.mkdir(exist_ok=True)
        self.env = _git_env(home)

    def run(
        self,
        *args: str,
        watch: Path | None = None,
        max_bytes: int | None = None,
        stdin: str | None = None,
    ) -> _Result:
        """Run git; kill its process group at the deadline or when ``watch`` passes the cap."""
        out_path = self.scratch / "stdout"
        err_path = self.scratch / "stderr"
        in_path = self.scratch / "stdin"
        in_path.write_text(stdin or "")
        with (
            in_path.open("rb") as fin,
            out_path.open("wb") as fout,
            err_path.open("wb") as ferr,
        ):
            proc = subprocess.Popen(  # noqa: S603 (fixed argv, no shell)
                [*self.base, *args],
                stdin=fin,
                stdout=fout,
                stderr=ferr,
                env=self.env,
                cwd=self.scratch,
                start_new_session=True,
            )
            try:
                self._wait(proc, watch, max_bytes)
            finally:
                if proc.poll() is None:
                    _kill(proc)
        stdout = _read_capped(out_path, _STDOUT_CAP)
        truncated = out_path.stat().st_size > _STDOUT_CAP
        return _Result(proc.returncode, stdout, _read_capped(err_path, _STDERR_CAP), truncated)

    def _wait(
        self, proc: subprocess.Popen[bytes], watch: Path | None, max_bytes: int | None
    ) -> None:
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                logger.warning("git timed out after %s s on %s", self.timeout, self.url)
                raise repo_error("timeout", url=self.url, seconds=_seconds(self.timeout))
            try:
                proc.wait(timeout=min(_POLL_SECONDS, remaining))
            except subprocess.TimeoutExpired:
                self._check_size(watch, max_bytes)
            else:
                # Once more at the end: a fast download may finish between two polls.
                self._check_size(watch, max_bytes)
                return

    def _check_size(self, watch: Path | None, max_bytes: int | None) -> None:
        if watch is None or max_bytes is None:
            return
        if tree_size(watch) > max_bytes:
            logger.warning("download of %s passed %d bytes", self.url, max_bytes)
            raise RepoError(
                "too-big",
                limit=megabytes(max_bytes),
                found=f"o download passou de {megabytes(max_bytes)}",
            )

    def check(self, *args: str, stdin: str | None = None) -> str:
        """Run git and return its stdout; a failure becomes a :class:`RepoError`."""
        return self.check_result(*args, stdin=stdin).stdout

    def check_result(self, *args: str, stdin: str | None = None) -> _Result:
        result = self.run(*args, stdin=stdin)
        if result.returncode != 0:
            raise self.error(result)
        return result

    def error(self, result: _Result, ref: str | None = None) -> RepoError:
        """The :class:`RepoError` a failed git command means, logged without secrets."""
        kind = _classify(result.stderr)
        logger.warning(
            "git failed on %s (%s, exit %s): %s",
            self.url,
            kind,
            result.returncode,
            redact(result.stderr.strip()[-2000:]),
        )
        if kind == "unknown-ref":
            return repo_error(kind, url=self.url, ref=printable(ref or "?"))
        return repo_error(kind, url=self.url)


_STDERR_KINDS = (
    (
        "unknown-ref",
        (
            "not our ref",
            "unadvertised object",
            "couldn't find remote ref",
            "no such remote ref",
            "bad object",
            "not a valid object",
        ),
    ),
    ("invalid-repo", ("fsck error", "fsck-error", "object check failed", "index-pack failed")),
    (
        "not-found",
        (
            "not found",
            "could not read username",
            "could not read password",
            "authentication failed",
            "terminal prompts disabled",
            "returned error: 401",
            "returned error: 403",
            "returned error: 404",
            # A redirect (a renamed repository) is not followed: the address is stale.
            "returned error: 301",
            "returned error: 302",
            "returned error: 307",
            "returned error: 308",
        ),
    ),
    (
        "unreachable",
        (
            "could not resolve host",
            "failed to connect",
            "couldn't connect",
            "connection refused",
            "connection timed out",
            "connection reset",
            "ssl",
            "returned error: 5",
            "empty reply",
            "recv failure",
            "the remote end hung up",
        ),
    ),
)


def _classify(stderr: str) -> str:
    lowered = stderr.lower()
    for kind, needles in _STDERR_KINDS:
        if any(needle in lowered for needle in needles):
            return kind
    return "failed"


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _read_capped(path: Path, cap: int) -> str:
    with path.open("rb") as fh:
        return fh.read(cap).decode("utf-8", errors="replace")


def tree_size(root: Path) -> int:
    """Bytes of the regular files under ``root`` (no link followed; what vanished is skipped)."""
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _seconds(value: float) -> str:
    return f"{value:g}"


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="autograder-git-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)

"""The install step: a final project's declared dependencies, as a cached read-only environment.

    settings = InstallSettings(index_url="https://pypi.org/simple", cache_dir=Path("..."))
    report = prepare_environment(repo, settings=settings, image="mle-grader:latest",
                                 limits=limits, install="pip install -r requirements.txt")
    report.site          # host folder to mount read-only in the project's container, or None
    report.unavailable   # [{"requirement": "seaborn==0.13.2", "reason": "sem wheel ..."}]

Two halves, neither of which runs anything of the project's:

1. **Download, on the host** (:class:`Downloader`): ``pip download`` of the declared
   requirements (``declared.py`` has already reduced them to names, versions and markers)
   with ``--only-binary=:all:`` for the grading image's Python and platform, from the
   configured index and nothing else (no pip configuration file, no ``--find-links``, a clean
   environment), under a time limit and a size cap. A requirement with no suitable wheel is
   named with the reason the index gives (:mod:`autograder.dependencies.index`), dropped, and
   the rest is tried again.
2. **Install, in the grading container** (``container/project_install.py``): no network, the
   wheels mounted read-only, ``pip install --no-index --target``. Unpacking wheels runs no
   package code.

The environment is cached under ``cache_dir/envs/<key>``, the key being the hash of what was
asked (requirements, constraints, the Python version, the platform, the index), so the
hundredth submission of the same requirements costs a directory lookup. A file lock makes two
workers asking for the same key wait for one install. Faults of ours (Docker, the image, a
runner without result, an index that does not answer: ``index.IndexUnavailable``) raise
:class:`~autograder.errors.InfrastructureError`, so the grading is retried rather than done
without the project's packages; what the project asks for that cannot be installed is part
of the report, never an exception, and a time-out is reported but not cached.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import docker

from autograder.container.common import RESULT_FILE
from autograder.dependencies import index
from autograder.dependencies.declared import (
    Declared,
    closest_python,
    declared_python,
    declared_requirements,
)
from autograder.errors import InfrastructureError
from autograder.grading_container import io_dirs, make_readable, run_runner
from autograder.notebooks import ResultFileError, read_result_file
from autograder.repos.git import tree_size
from autograder.results import ExitReason, Limits
from autograder.sandbox import Mount

logger = logging.getLogger(__name__)

CACHE_SCHEMA = 1
PYTHONS_LABEL = "mle-autograder.pythons"  # the grading image's interpreters, "3.11"
GLIBC_LABEL = "mle-autograder.glibc"  # its C library, "2.36": the newest manylinux it runs
DEFAULT_PYTHONS = ("3.11",)
DEFAULT_GLIBC = "2.36"
WHEELS_TARGET = "/tmp/grader/wheels"  # noqa: S108 - inside the container's private tmpfs
MAX_ROUNDS = 12  # download attempts, each after dropping what cannot be installed
PIP_TAIL_CHARS = 1500
RESULT_MAX_BYTES = 512 * 1024  # the install runner's result (container/project_install.py)
# pip's words for an index it could not reach (its retries exhausted).
_UNREACHABLE = re.compile(
    r"Could not fetch URL|Max retries exceeded|NewConnectionError|ConnectionError|"
    r"Connection refused|Name or service not known|Temporary failure in name resolution"
)
PASSED_ENV = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy")


class InstallError(InfrastructureError):
    """The install step failed on our side (Docker, a runner without result): retry."""


@dataclass(frozen=True)
class InstallSettings:
    index_url: str  # the only index the download reaches; "" turns the install step off
    cache_dir: Path
    seconds: float = 300.0  # download and install, together
    max_mb: int = 1500  # downloaded wheels, and again once unpacked
    cert: str | None = None  # a CA bundle for the index (pip --cert)

    @property
    def enabled(self) -> bool:
        return bool(self.index_url)


@dataclass
class InstallReport:
    status: str  # ok | partial | failed | none | disabled
    python: str  # the interpreter graded with: "3.11"
    declared_python: dict[str, Any] | None = None  # DeclaredPython as a dict
    sources: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    installed: list[str] = field(default_factory=list)
    unavailable: list[dict[str, str]] = field(default_factory=list)
    reason: str = ""  # pt-BR, when status is failed
    cache: str = ""  # hit | miss
    seconds: float = 0.0
    site: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["site"] = str(self.site) if self.site else None
        return data


def image_facts(image: str, client: docker.DockerClient | None) -> tuple[list[str], str]:
    """(interpreters, glibc) the grading image declares in its labels, or the defaults."""
    labels: dict[str, str] = {}
    with contextlib.suppress(docker.errors.DockerException):
        labels = (client or docker.from_env()).images.get(image).labels or {}
    pythons = [v.strip() for v in labels.get(PYTHONS_LABEL, "").split(",") if v.strip()]
    return pythons or list(DEFAULT_PYTHONS), labels.get(GLIBC_LABEL) or DEFAULT_GLIBC


def prepare_environment(
    repo: Path,
    *,
    settings: InstallSettings | None,
    image: str,
    limits: Limits,
    install: str | None = None,
    python: Any = None,
    name: str = "install",
    client: docker.DockerClient | None = None,
) -> InstallReport:
    """Declared requirements → the project's environment (see the module docstring)."""
    began = time.monotonic()
    pythons, glibc = image_facts(image, client)
    wanted_python = declared_python(repo, python)
    chosen = closest_python(wanted_python, pythons)
    declared = declared_requirements(repo, install)
    report = InstallReport(
        status="none",
        python=chosen,
        declared_python=asdict(wanted_python) if wanted_python else None,
        sources=declared.sources,
        skipped=declared.skipped,
        requirements=declared.requirements,
    )
    if settings is None or not settings.enabled:
        report.status = "disabled"
        return report
    if not declared.requirements:
        return report
    key = cache_key(declared, chosen, glibc, settings.index_url)
    envs = settings.cache_dir / "envs"
    envs.mkdir(parents=True, exist_ok=True)
    with _locked(envs / f"{key}.lock"):
        cached = _load_cached(envs / key, report)
        if cached is None:
            cached = _build(
                envs, key, declared, report, settings, chosen, glibc, image, limits, name, client
            )
    cached.seconds = round(time.monotonic() - began, 3)
    logger.info(
        "install %s: %s, cache %s, %.1fs", name, cached.status, cached.cache, cached.seconds
    )
    return cached


def cache_key(declared: Declared, python: str, glibc: str, index_url: str) -> str:
    asked = {
        "schema": CACHE_SCHEMA,
        "requirements": sorted(declared.requirements),
        "constraints": sorted(declared.constraints),
        "python": python,
        "platform": platforms(glibc),
        "index": index_url,
    }
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()[:32]


@contextlib.contextmanager
def _locked(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _load_cached(folder: Path, report: InstallReport) -> InstallReport | None:
    try:
        stored = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    os.utime(folder)  # recently used: the last to be pruned
    report.status = stored["status"]
    report.installed = stored["installed"]
    report.unavailable = stored["unavailable"]
    report.reason = stored.get("reason", "")
    report.cache = "hit"
    report.site = folder / "site" if (folder / "site").is_dir() else None
    return report


def _build(
    envs: Path,
    key: str,
    declared: Declared,
    report: InstallReport,
    settings: InstallSettings,
    python: str,
    glibc: str,
    image: str,
    limits: Limits,
    name: str,
    client: docker.DockerClient | None,
) -> InstallReport:
    """Download and install into a scratch folder; keep it as ``envs/key`` unless the
    outcome must not be cached (a time-out, the container's limits)."""
    report.cache = "miss"
    deadline = time.monotonic() + settings.seconds
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=envs))
    try:
        wheels = work / "wheels"
        wheels.mkdir()
        downloader = Downloader(wheels, settings, python, glibc, tuple(declared.constraints))
        outcome = downloader.download(declared.requirements, deadline)
        report.unavailable = outcome.unavailable
        cacheable = not outcome.retryable
        unpacked = unpacked_bytes(wheels)
        if outcome.failure:
            report.status, report.reason = "failed", outcome.failure
        elif not outcome.installable:
            report.status = "failed"
            report.reason = "nenhuma das dependências declaradas pôde ser instalada"
        elif unpacked > settings.max_mb * 1024 * 1024:
            report.status = "failed"
            report.reason = (
                f"as dependências ocupam {unpacked // 2**20} MB instaladas, acima do "
                f"limite de {settings.max_mb} MB"
            )
        else:
            cacheable = _install(
                work, outcome.installable, declared.constraints, report, image, limits, name,
                client, deadline,
            )  # fmt: skip
        if report.status == "ok" and report.unavailable:
            report.status = "partial"
        if cacheable:
            report.site = _keep(work / "out" / "site", envs / key, report)
            prune(envs, keep=envs / key)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _keep(site: Path, folder: Path, report: InstallReport) -> Path | None:
    """Store the outcome as the cache entry ``folder``: its report, and the environment
    when one was made; the environment's path, or None."""
    folder.mkdir()
    stored = {k: getattr(report, k) for k in ("status", "installed", "unavailable", "reason")}
    (folder / "report.json").write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
    if not site.is_dir():
        return None
    site.rename(folder / "site")
    return folder / "site"


def _install(
    work: Path,
    requirements: list[str],
    constraints: list[str],
    report: InstallReport,
    image: str,
    limits: Limits,
    name: str,
    client: docker.DockerClient | None,
    deadline: float,
) -> bool:
    """Install the downloaded wheels in the grading container; False when the outcome must
    not be cached (the container ran out of time or memory: try again next time)."""
    in_dir, out_dir = io_dirs(work)
    (in_dir / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    if constraints:
        (in_dir / "constraints.txt").write_text("\n".join(constraints) + "\n", encoding="utf-8")
    make_readable(in_dir)
    remaining = max(30, int(deadline - time.monotonic()))
    sandbox = run_runner(
        "project_install",
        [],
        in_dir=in_dir,
        out_dir=out_dir,
        limits=Limits(
            memory_mb=max(limits.memory_mb, 1024),
            cpus=limits.cpus,
            pids=limits.pids,
            wall_seconds=min(remaining, limits.wall_seconds),
        ),
        image=image,
        name=f"{name}-install",
        client=client,
        mounts=[Mount(work / "wheels", WHEELS_TARGET, read_only=True)],
    )
    try:
        result = read_result_file(out_dir / RESULT_FILE, max_bytes=RESULT_MAX_BYTES)
    except ResultFileError as exc:
        if sandbox.exit_reason in (ExitReason.TIMEOUT, ExitReason.OOM):
            report.status = "failed"
            report.reason = (
                f"a instalação passou do limite do contêiner ({sandbox.exit_reason.value})"
            )
            return False
        raise InstallError(f"the install runner left no result: {sandbox.logs[-500:]}") from exc
    if not isinstance(result, dict) or result.get("status") != "ok":
        # The wheels were resolved together by the download: pip failing to unpack them is
        # ours (a full disk, a broken cache), not the project's. Retried, never cached.
        tail = result.get("output_tail", "") if isinstance(result, dict) else ""
        raise InstallError("pip could not install the downloaded wheels: " + _pip_error(tail))
    report.status = "ok"
    report.installed = [str(item) for item in result.get("installed", [])][:500]
    return True


# -- the download ---------------------------------------------------------------------------------


@dataclass
class Downloaded:
    installable: list[str] = field(default_factory=list)  # the requirements kept
    unavailable: list[dict[str, str]] = field(default_factory=list)
    failure: str = ""  # pt-BR, when nothing could be downloaded
    retryable: bool = False  # a failure of the index or of time, not of the project


def platforms(glibc: str) -> list[str]:
    """pip ``--platform`` values for the grading image: every manylinux its glibc runs."""
    machine = os.uname().machine
    major, minor = (int(part) for part in glibc.split(".")[:2])
    tags = [f"manylinux_{major}_{m}_{machine}" for m in range(minor, 4, -1)]
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    tags += [f"{legacy[m]}_{machine}" for m in sorted(legacy, reverse=True) if m <= minor]
    return tags


@dataclass(frozen=True)
class Downloader:
    """``pip download`` of wheels for one target (the image's Python and platform) from the
    configured index into ``wheels``."""

    wheels: Path
    settings: InstallSettings
    python: str
    glibc: str
    constraints: tuple[str, ...] = ()

    def download(self, requirements: list[str], deadline: float) -> Downloaded:
        """Wheels for ``requirements``, dropping (and naming) what has none."""
        outcome = Downloaded(installable=list(requirements))
        for _ in range(MAX_ROUNDS):
            if not outcome.installable:
                return outcome
            if deadline - time.monotonic() < 5:
                outcome.failure, outcome.retryable = _time_out(self.settings), True
                return outcome
            done = self.pip(outcome.installable, deadline)
            if done.returncode == 0:
                return outcome
            if done.returncode is None:
                outcome.failure, outcome.retryable = done.stderr, True
                return outcome
            if _UNREACHABLE.search(done.stderr):
                raise index.IndexUnavailable(
                    f"{self.settings.index_url}: {_pip_error(done.stderr)}"
                )
            missing = re.findall(r"No matching distribution found for (\S+)", done.stderr)
            top = {index.canonical(r): r for r in outcome.installable}
            culprits = [top[index.canonical(m)] for m in missing if index.canonical(m) in top]
            if not culprits:  # a dependency of theirs: which one brings it?
                culprits = [r for r in outcome.installable if self._fails_alone(r, deadline)]
            if not culprits:
                outcome.failure = "o pip não conseguiu resolver as dependências: " + _pip_error(
                    done.stderr
                )
                outcome.retryable = "ResolutionImpossible" not in done.stderr and not missing
                return outcome
            for requirement in culprits:
                outcome.installable.remove(requirement)
                reason = index.why_unavailable(
                    requirement, self.settings.index_url, self.python, self.settings.cert
                )
                outcome.unavailable.append({"requirement": requirement, "reason": reason})
        outcome.failure = "dependências demais sem wheel; instalação interrompida"
        return outcome

    def _fails_alone(self, requirement: str, deadline: float) -> bool:
        return deadline - time.monotonic() >= 5 and self.pip(
            [requirement], deadline
        ).returncode not in (0, None)

    def pip(self, requirements: list[str], deadline: float) -> _Done:
        """One ``pip download``; returncode None when stopped for time or size."""
        work = self.wheels.parent
        (work / "asked.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
        command = [
            sys.executable, "-m", "pip", "download",
            "--isolated", "--no-input", "--disable-pip-version-check", "--progress-bar=off",
            "--retries=2", "--timeout=20",
            f"--index-url={self.settings.index_url}",
            "--only-binary=:all:",
            f"--python-version={self.python}", "--implementation=cp",
            f"--abi=cp{self.python.replace('.', '')}",
            f"--dest={self.wheels}",
            f"--cache-dir={self.settings.cache_dir / 'pip-cache'}",
            "-r", str(work / "asked.txt"),
            *(f"--platform={tag}" for tag in platforms(self.glibc)),
        ]  # fmt: skip
        if self.constraints:
            (work / "constraints.txt").write_text(
                "\n".join(self.constraints) + "\n", encoding="utf-8"
            )
            command += ["-c", str(work / "constraints.txt")]
        if self.settings.cert:
            command.append(f"--cert={self.settings.cert}")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(work),
            "PIP_CONFIG_FILE": os.devnull,
            "LANG": "C.UTF-8",
        }
        env |= {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
        process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed options, checked requirements
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        watch = _SizeWatch(self.wheels, self.settings.max_mb * 1024 * 1024, process)
        try:
            _, stderr = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return _Done(None, _time_out(self.settings))
        finally:
            watch.stop()
        if watch.exceeded:
            return _Done(
                None, f"o download das dependências passou do limite de {self.settings.max_mb} MB"
            )
        return _Done(process.returncode, stderr or "")


@dataclass
class _Done:
    returncode: int | None  # None: stopped (time or size); stderr then holds the pt-BR reason
    stderr: str


class _SizeWatch(threading.Thread):
    """Kills the download when ``folder`` grows past ``limit`` bytes."""

    def __init__(self, folder: Path, limit: int, process: subprocess.Popen[str]) -> None:
        super().__init__(daemon=True)
        self.folder, self.limit, self.process = folder, limit, process
        self.exceeded = False
        self._halt = threading.Event()
        self.start()

    def run(self) -> None:
        while not self._halt.wait(0.5):
            if tree_size(self.folder) > self.limit:
                self.exceeded = True
                self.process.kill()
                return

    def stop(self) -> None:
        self._halt.set()
        self.join(2)


def _time_out(settings: InstallSettings) -> str:
    return f"a instalação das dependências passou do limite de {settings.seconds:.0f} s"


def _pip_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("ERROR")]
    return (" ".join(lines) or text.strip())[-PIP_TAIL_CHARS:] or "erro desconhecido"


def unpacked_bytes(wheels: Path) -> int:
    """What the wheels take once unpacked (a zip bomb is refused before it is opened)."""
    total = 0
    for wheel in wheels.glob("*.whl"):
        try:
            with zipfile.ZipFile(wheel) as archive:
                total += sum(info.file_size for info in archive.infolist())
        except (OSError, zipfile.BadZipFile):
            continue  # pip refuses it with its own message
    return total


def prune(envs: Path, *, keep: Path, max_entries: int = 50) -> None:
    """Drop the least recently used environments beyond ``max_entries``."""
    entries = sorted(
        (path for path in envs.iterdir() if path.is_dir() and not path.name.startswith(".")),
        key=lambda path: path.stat().st_mtime,
    )
    for path in entries[: max(0, len(entries) - max_entries)]:
        if path != keep:
            shutil.rmtree(path, ignore_errors=True)
            with contextlib.suppress(OSError):
                (envs / f"{path.name}.lock").unlink()


INDEX_ENV = "AUTOGRADER_PACKAGE_INDEX_URL"
DEFAULT_INDEX = "https://pypi.org/simple"


def settings_from_env(cache_dir: Path | None = None) -> InstallSettings:
    """The install step as the environment configures it (the CLI and the portal's worker).

    ``AUTOGRADER_PACKAGE_INDEX_URL`` (default PyPI; empty turns the install step off),
    ``AUTOGRADER_INSTALL_SECONDS``, ``AUTOGRADER_INSTALL_MAX_MB``, and a CA bundle in
    ``AUTOGRADER_PACKAGE_INDEX_CERT`` (else ``PIP_CERT``). The cache is ``projects/`` of the
    autograder's cache directory (``AUTOGRADER_CACHE_DIR``).
    """
    from autograder.notebooks import default_cache_dir

    return InstallSettings(
        index_url=os.environ.get(INDEX_ENV, DEFAULT_INDEX).strip(),
        cache_dir=cache_dir or default_cache_dir() / "projects",
        seconds=float(os.environ.get("AUTOGRADER_INSTALL_SECONDS", "300")),
        max_mb=int(os.environ.get("AUTOGRADER_INSTALL_MAX_MB", "1500")),
        cert=os.environ.get("AUTOGRADER_PACKAGE_INDEX_CERT") or os.environ.get("PIP_CERT") or None,
    )

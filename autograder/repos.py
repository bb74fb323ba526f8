"""Fetch a student's repository at one pinned commit, safely, with the ``git`` binary.

    allowed = allowed_prefixes()
    resolved = resolve("https://github.com/ana/projeto", "main", allowed=allowed)
    info = clone_at(resolved.url, resolved.sha, dest, allowed=allowed)

Why each step exists:

- :func:`check_url` accepts only plain HTTPS addresses under an allowed prefix
  (``AUTOGRADER_GIT_ALLOWED_URLS``, default ``https://github.com/``). Anything else is a way to
  make the grader read local files (``file://``, a path), run a command (``ext::``), reach
  internal hosts, or leak a student's token into our logs.
- :func:`resolve` turns "the branch main" into a commit SHA once, at submission time: grading
  then uses that SHA only, so a later push never changes what was graded.
- :func:`clone_at` fetches only that commit into a scratch git directory *outside* ``dest``,
  refuses it if the tree is too big (blob sizes are read before anything is written), then
  checks out plain files into ``dest`` and makes them read-only, ready to be mounted read-only
  in the sandbox. Git runs with no user or system configuration, no credential helper or
  prompt, no hooks, no LFS, no submodules, no symlinks and no attribute-driven filters, under
  a timeout and a size cap watched while it downloads.

A :class:`RepoError` carries a stable ``kind`` and a pt-BR ``message`` for the student.
The kinds that are no fault of the student (the host is down, it timed out: ``RETRYABLE``)
are raised as :class:`RepoUnavailable`, which is also an
:class:`~autograder.errors.InfrastructureError`; every other kind (wrong address, empty
repository, too big) is the student's to fix.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from autograder.errors import InfrastructureError

logger = logging.getLogger(__name__)

ENV_ALLOWED = "AUTOGRADER_GIT_ALLOWED_URLS"
GITHUB_PREFIX = "https://github.com/"
DEFAULT_ALLOWED = GITHUB_PREFIX
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_FILES = 20_000
MAX_URL_LENGTH = 300
MAX_REF_LENGTH = 200
# Size cap of the commit-only probe :func:`resolve` makes for a SHA that is no branch tip.
PROBE_MAX_BYTES = 20 * 1024 * 1024
_POLL_SECONDS = 0.1
_STDOUT_CAP = 8 * 1024 * 1024
_STDERR_CAP = 64 * 1024

SHA_RE = re.compile(r"[0-9a-f]{40}")
_GITHUB_REST = re.compile(
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<name>[A-Za-z0-9._-]{1,100}?)(?:\.git)?/?"
)
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")

MESSAGES: dict[str, str] = {
    "url-invalid": (
        "O endereço do repositório não é válido: {reason}. Use o endereço HTTPS do "
        "repositório, por exemplo https://github.com/usuario/projeto."
    ),
    "url-not-allowed": (
        "Só aceitamos repositórios públicos em {allowed}, pelo endereço HTTPS (não SSH, "
        "git@..., nem caminho local)."
    ),
    "credentials": (
        "O endereço contém usuário, senha ou token. Nunca envie credenciais: remova-as do "
        "endereço e deixe o repositório público. Se um token real foi colado, revogue-o agora."
    ),
    "not-found": (
        "O repositório {url} não foi encontrado ou é privado. Confira o endereço e deixe o "
        "repositório público."
    ),
    "unreachable": (
        "Não foi possível acessar {url} agora. Tente novamente em alguns minutos."
    ),
    "empty": (
        "O repositório {url} está vazio: faça pelo menos um commit e um push antes de enviar."
    ),
    "ref-invalid": (
        "A referência `{ref}` não é válida. Informe o nome de um branch, de uma tag ou o SHA "
        "completo (40 caracteres) de um commit."
    ),
    "unknown-ref": (
        "A referência `{ref}` não existe em {url}. Informe um branch, uma tag ou o SHA "
        "completo (40 caracteres) de um commit que já foi enviado (push)."
    ),
    "too-big": (
        "O repositório passa do limite de {limit}: {found}. Tire do repositório dados, modelos "
        "treinados e arquivos gerados (use .gitignore ou um armazenamento externo)."
    ),
    "invalid-repo": (
        "O repositório {url} contém objetos git inválidos ou perigosos e não pode ser usado."
    ),
    "timeout": (
        "O acesso ao repositório {url} passou do limite de {seconds} s. Tente novamente; se "
        "persistir, reduza o tamanho do repositório."
    ),
    "failed": "Não foi possível baixar o repositório {url}. Tente novamente mais tarde.",
}

# Kinds that are no fault of the student: worth retrying later.
RETRYABLE = frozenset({"unreachable", "timeout", "failed"})


class RepoError(Exception):
    """A repository that cannot be used; ``message`` is for the student, ``kind`` for code.

    Make one with :func:`repo_error`, which picks :class:`RepoUnavailable` for the kinds in
    ``RETRYABLE``; a retryable kind in a plain RepoError is refused (``ValueError``).
    """

    def __init__(self, kind: str, **fields: object) -> None:
        if (kind in RETRYABLE) != isinstance(self, RepoUnavailable):
            raise ValueError(f"repository error {kind!r}: use repo_error()")
        self.kind = kind
        self.message = MESSAGES[kind].format(**fields)
        super().__init__(self.message)

    @property
    def retryable(self) -> bool:
        return isinstance(self, RepoUnavailable)


class RepoUnavailable(RepoError, InfrastructureError):
    """The git host did not answer, or not in time: our side (retry), not the student's."""


def repo_error(kind: str, **fields: object) -> RepoError:
    """The error of ``kind``: a :class:`RepoUnavailable` for the kinds in ``RETRYABLE``."""
    cls = RepoUnavailable if kind in RETRYABLE else RepoError
    return cls(kind, **fields)


@dataclass(frozen=True)
class Resolved:
    """A normalised URL, the ref asked for (full name, ``HEAD`` or the SHA) and its commit."""

    url: str
    ref: str
    sha: str


@dataclass(frozen=True)
class CloneInfo:
    """A checked-out tree: where, which commit, its total size and number of files.

    ``submodules`` lists the submodule paths that were left empty (never fetched).
    """

    path: Path
    sha: str
    size_bytes: int
    files: int
    submodules: tuple[str, ...] = ()


# -- URLs --------------------------------------------------------------------------------------


def allowed_prefixes(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The URL prefixes a submission may use, from ``AUTOGRADER_GIT_ALLOWED_URLS``.

    Comma-separated ``http(s)://host[:port]/[path/]`` prefixes; each is given a trailing ``/``
    so ``https://github.com`` cannot also admit ``https://github.com.evil.example``. A
    malformed entry raises ``ValueError``: a bad setting must fail loudly, not open a hole.
    """
    raw = environ.get(ENV_ALLOWED) or DEFAULT_ALLOWED
    prefixes = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        parts = urlsplit(entry)
        if (
            parts.scheme.lower() not in ("https", "http")
            or not parts.hostname
            or "@" in parts.netloc
            or parts.query
            or parts.fragment
            or any(ch.isspace() for ch in entry)
        ):
            raise ValueError(f"{ENV_ALLOWED}: not an http(s) URL prefix: {entry!r}")
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        prefixes.append(f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}")
    if not prefixes:
        raise ValueError(f"{ENV_ALLOWED} lists no prefix")
    return tuple(prefixes)


def _invalid(reason: str) -> RepoError:
    return RepoError("url-invalid", reason=reason)


def check_url(url: str, allowed: Sequence[str]) -> str:
    """Return ``url`` normalised, or raise :class:`RepoError` if it may not be fetched.

    GitHub URLs come back as ``https://github.com/<owner>/<name>`` (no ``.git``, no slash).
    """
    not_allowed = RepoError("url-not-allowed", allowed=", ".join(allowed))
    if not isinstance(url, str) or not url:
        raise _invalid("está vazio")
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"tem mais de {MAX_URL_LENGTH} caracteres")
    if any(ch.isspace() or not ch.isprintable() or not ch.isascii() for ch in url):
        raise _invalid("contém espaços, caracteres de controle ou caracteres fora do ASCII")
    if "://" not in url:
        # git@github.com:ana/x.git, ext::sh -c ..., /srv/repo, ../repo: never a web address.
        raise not_allowed
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("https", "http"):
        raise not_allowed  # file://, ssh://, git://, ftp://...
    netloc = rest.split("/", 1)[0]
    if "@" in netloc:
        raise RepoError("credentials")
    if "?" in url or "#" in url:
        raise _invalid("não pode ter parâmetros de consulta (?) nem fragmentos (#)")
    if "%" in url or "\\" in url:
        raise _invalid("não pode ter caracteres codificados (%) nem barras invertidas")
    path = rest[len(netloc):]
    segments = path.strip("/").split("/") if path.strip("/") else []
    if any(segment in ("", ".", "..") for segment in segments) or "//" in path:
        raise _invalid("não pode conter `..`, `.` nem barras repetidas no caminho")
    normalised = f"{scheme.lower()}://{netloc.lower()}{path}"
    prefix = next((p for p in allowed if normalised.startswith(p)), None)
    if prefix is None:
        raise not_allowed
    tail = normalised[len(prefix):]
    if prefix == GITHUB_PREFIX:
        match = _GITHUB_REST.fullmatch(tail)
        if match is None or match["name"] in (".", "..", ".git"):
            raise _invalid("deve ter a forma https://github.com/<usuário>/<repositório>")
        return f"{GITHUB_PREFIX}{match['owner']}/{match['name']}"
    tail = tail.rstrip("/")
    if not tail or not all(_SEGMENT.fullmatch(s) for s in tail.split("/")):
        raise _invalid("o caminho do repositório tem caracteres não permitidos")
    return prefix + tail


def _check_ref(ref: str) -> str:
    if (
        not isinstance(ref, str)
        or not _REF.fullmatch(ref)
        or len(ref) > MAX_REF_LENGTH
        or ".." in ref
        or "//" in ref
        or ref.endswith((".", "/", ".lock"))
        or "/." in ref
    ):
        raise RepoError("ref-invalid", ref=_printable(ref))
    return ref


def _printable(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:MAX_REF_LENGTH]


_CREDENTIALS_IN_TEXT = re.compile(r"(://)[^/\s@]+@")
_TOKENS = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")


def redact(text: str) -> str:
    """``text`` with URL credentials and GitHub-looking tokens masked, for logs."""
    return _TOKENS.sub("***", _CREDENTIALS_IN_TEXT.sub(r"\1***@", text))


# -- running git -------------------------------------------------------------------------------


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


class _Git:
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
        self, *args: str, watch: Path | None = None, max_bytes: int | None = None,
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
                [*self.base, *args], stdin=fin, stdout=fout, stderr=ferr, env=self.env,
                cwd=self.scratch, start_new_session=True,
            )
            try:
                self._wait(proc, watch, max_bytes)
            finally:
                if proc.poll() is None:
                    _kill(proc)
        stdout = _read_capped(out_path, _STDOUT_CAP)
        truncated = out_path.stat().st_size > _STDOUT_CAP
        return _Result(proc.returncode, stdout, _read_capped(err_path, _STDERR_CAP), truncated)

    def _wait(self, proc: subprocess.Popen, watch: Path | None, max_bytes: int | None) -> None:
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
        if _tree_size(watch) > max_bytes:
            logger.warning("download of %s passed %d bytes", self.url, max_bytes)
            raise RepoError(
                "too-big", limit=_megabytes(max_bytes),
                found=f"o download passou de {_megabytes(max_bytes)}",
            )

    def check(self, *args: str, **kwargs: object) -> str:
        """Run git and return its stdout; a failure becomes a :class:`RepoError`."""
        return self.check_result(*args, **kwargs).stdout

    def check_result(self, *args: str, **kwargs: object) -> _Result:
        result = self.run(*args, **kwargs)  # type: ignore[arg-type]
        if result.returncode != 0:
            raise self.error(result)
        return result

    def error(self, result: _Result, ref: str | None = None) -> RepoError:
        """The :class:`RepoError` a failed git command means, logged without secrets."""
        kind = _classify(result.stderr)
        logger.warning(
            "git failed on %s (%s, exit %s): %s", self.url, kind, result.returncode,
            redact(result.stderr.strip()[-2000:]),
        )
        if kind == "unknown-ref":
            return repo_error(kind, url=self.url, ref=_printable(ref or "?"))
        return repo_error(kind, url=self.url)


_STDERR_KINDS = (
    ("unknown-ref", ("not our ref", "unadvertised object", "couldn't find remote ref",
                     "no such remote ref", "bad object", "not a valid object")),
    ("invalid-repo", ("fsck error", "fsck-error", "object check failed", "index-pack failed")),
    ("not-found", ("not found", "could not read username", "could not read password",
                   "authentication failed", "terminal prompts disabled",
                   "returned error: 401", "returned error: 403", "returned error: 404",
                   # A redirect (a renamed repository) is not followed: the address is stale.
                   "returned error: 301", "returned error: 302", "returned error: 307",
                   "returned error: 308")),
    ("unreachable", ("could not resolve host", "failed to connect", "couldn't connect",
                     "connection refused", "connection timed out", "connection reset",
                     "ssl", "returned error: 5", "empty reply", "recv failure",
                     "the remote end hung up")),
)


def _classify(stderr: str) -> str:
    lowered = stderr.lower()
    for kind, needles in _STDERR_KINDS:
        if any(needle in lowered for needle in needles):
            return kind
    return "failed"


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _read_capped(path: Path, cap: int) -> str:
    with path.open("rb") as fh:
        return fh.read(cap).decode("utf-8", errors="replace")


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _seconds(value: float) -> str:
    return f"{value:g}"


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="autograder-git-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# -- resolve -----------------------------------------------------------------------------------


def resolve(
    url: str, ref: str | None = None, *, allowed: Sequence[str], timeout: float = 30
) -> Resolved:
    """Pin ``ref`` of ``url`` to a commit SHA with ``git ls-remote`` (no clone).

    ``ref`` may be ``None`` (the remote HEAD), a branch or tag name (tags win, as in git;
    annotated tags are peeled to their commit), a full ref (``refs/heads/x``) or a full
    40-hex commit SHA, which must exist in the remote.
    """
    url = check_url(url, allowed)
    ref = None if ref in (None, "HEAD") else _check_ref(ref)
    with _scratch() as scratch:
        git = _Git(scratch, allowed, url, timeout)
        result = git.run("ls-remote", "--symref", url, "HEAD", "refs/heads/*", "refs/tags/*")
        if result.returncode != 0:
            raise git.error(result, ref)
        symref, refs = _parse_ls_remote(result.stdout)
        if not refs:
            raise RepoError("empty", url=url)
        if ref is None:
            if "HEAD" not in refs:
                raise RepoError("empty", url=url)
            resolved = Resolved(url, symref or "HEAD", refs["HEAD"])
        elif SHA_RE.fullmatch(ref.lower()):
            sha = ref.lower()
            # Branch and tag tips, annotated tags peeled: a tag object's own SHA is no commit.
            tips = {sha for name, sha in refs.items() if f"{name}^{{}}" not in refs}
            if sha not in tips:
                _probe_commit(git, sha)
            resolved = Resolved(url, sha, sha)
        else:
            resolved = _pick_ref(url, ref, refs)
    logger.info("resolved %s %s to %s", url, resolved.ref, resolved.sha)
    return resolved


def _parse_ls_remote(stdout: str) -> tuple[str | None, dict[str, str]]:
    symref: str | None = None
    refs: dict[str, str] = {}
    for line in stdout.splitlines():
        left, _, name = line.partition("\t")
        if left.startswith("ref: ") and name == "HEAD":
            symref = left[len("ref: "):]
        elif SHA_RE.fullmatch(left):
            refs[name] = left
    return symref, refs


def _pick_ref(url: str, ref: str, refs: Mapping[str, str]) -> Resolved:
    names = [ref] if ref.startswith("refs/") else [f"refs/tags/{ref}", f"refs/heads/{ref}"]
    for name in names:
        sha = refs.get(f"{name}^{{}}") or refs.get(name)
        if sha is not None:
            return Resolved(url, name, sha)
    raise RepoError("unknown-ref", url=url, ref=ref)


def _probe_commit(git: _Git, sha: str) -> None:
    """Check that commit ``sha`` exists remotely by fetching it alone (no trees, no blobs)."""
    probe = git.scratch / "probe.git"
    git.check("init", "-q", "--bare", str(probe))
    for key, value in (
        ("remote.origin.url", git.url),
        ("remote.origin.promisor", "true"),
        ("remote.origin.partialclonefilter", "tree:0"),
        ("extensions.partialClone", "origin"),
    ):
        git.check("--git-dir", str(probe), "config", key, value)
    result = git.run(
        "--git-dir", str(probe), "fetch", "-q", "--depth=1", "--filter=tree:0", "--no-tags",
        "origin", sha, watch=probe, max_bytes=PROBE_MAX_BYTES,
    )
    if result.returncode != 0:
        if "unadvertised object" in result.stderr:
            # A protocol-v0 server that will not serve an unlisted commit: clone_at falls
            # back to fetching the branches and says whether the commit exists.
            return
        raise git.error(result, sha)
    # Without the promisor settings a missing object is not fetched lazily behind our back.
    git.check("--git-dir", str(probe), "config", "--unset", "extensions.partialClone")
    kind = git.run("--git-dir", str(probe), "cat-file", "-t", sha)
    if kind.stdout.strip() != "commit":
        raise RepoError("unknown-ref", url=git.url, ref=sha)


# -- clone -------------------------------------------------------------------------------------

# $GIT_DIR/info/attributes wins over every .gitattributes in the tree: no filter driver, no
# $Id$ expansion, no end-of-line or encoding conversion, whatever the student wrote.
_NEUTRAL_ATTRIBUTES = "* -text -eol -ident -filter -working-tree-encoding -export-subst\n"


def clone_at(
    url: str,
    sha: str,
    dest: Path | str,
    *,
    allowed: Sequence[str],
    timeout: float = 120,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_files: int = DEFAULT_MAX_FILES,
) -> CloneInfo:
    """Check out commit ``sha`` of ``url`` into ``dest`` (absent or empty) as read-only files.

    ``dest`` receives only the tree: the git directory lives in a scratch directory that is
    removed afterwards. On any error ``dest`` is left as it was found (absent or empty).
    """
    url = check_url(url, allowed)
    if not isinstance(sha, str) or not SHA_RE.fullmatch(sha):
        raise RepoError("ref-invalid", ref=_printable(sha))
    dest = Path(dest)
    created = not dest.exists()
    if not created and (not dest.is_dir() or dest.is_symlink() or any(dest.iterdir())):
        raise ValueError(f"clone destination must be absent or an empty directory: {dest}")
    try:
        with _scratch() as scratch:
            git = _Git(scratch, allowed, url, timeout)
            gitdir = scratch / "repo.git"
            git.check("init", "-q", "--bare", str(gitdir))
            _fetch_commit(git, gitdir, sha, max_bytes)
            submodules = _check_tree(git, gitdir, sha, max_bytes, max_files)
            (gitdir / "info").mkdir(exist_ok=True)
            (gitdir / "info" / "attributes").write_text(_NEUTRAL_ATTRIBUTES)
            dest.mkdir(parents=True, exist_ok=True)
            git.check(
                "--git-dir", str(gitdir), "--work-tree", str(dest), "checkout", "-q", "-f",
                "--detach", sha,
            )
        size, files = _seal(dest, url)
    except BaseException:
        _clear(dest, remove=created)
        raise
    logger.info("cloned %s at %s: %d files, %d bytes", url, sha, files, size)
    return CloneInfo(dest, sha, size, files, submodules)


def _fetch_commit(git: _Git, gitdir: Path, sha: str, max_bytes: int) -> None:
    """Fetch commit ``sha`` alone; if the server refuses an unlisted commit, fetch branches."""
    common = ("--git-dir", str(gitdir), "fetch", "-q", "--no-tags", "--no-recurse-submodules")
    result = git.run(*common, "--depth=1", git.url, sha, watch=gitdir, max_bytes=max_bytes)
    if result.returncode != 0:
        if "unadvertised object" not in result.stderr:
            raise git.error(result, sha)
        logger.info("%s refuses fetching a commit by SHA; fetching its branches", git.url)
        result = git.run(
            *common, git.url, "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*",
            watch=gitdir, max_bytes=max_bytes,
        )
        if result.returncode != 0:
            raise git.error(result, sha)
    found = git.run("--git-dir", str(gitdir), "cat-file", "-t", sha)
    if found.stdout.strip() != "commit":
        raise RepoError("unknown-ref", url=git.url, ref=sha)


def _check_tree(
    git: _Git, gitdir: Path, sha: str, max_bytes: int, max_files: int
) -> tuple[str, ...]:
    """Refuse a tree over the caps before writing any of it; return its submodule paths."""
    listed = git.check_result("--git-dir", str(gitdir), "ls-tree", "-r", "-z", "--full-tree", sha)
    if listed.stdout_truncated:
        # Megabytes of paths: far too many files, and the sizes below would be incomplete.
        raise RepoError("too-big", limit=f"{max_files} arquivos", found="milhares de arquivos")
    listing = listed.stdout
    blobs: list[str] = []
    submodules: list[str] = []
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        _mode, kind, object_id = meta.split()
        if kind == "commit":
            submodules.append(path)
        elif kind == "blob":
            blobs.append(object_id)
    if len(blobs) > max_files:
        raise RepoError("too-big", limit=f"{max_files} arquivos", found=f"{len(blobs)} arquivos")
    # Sizes from the object headers (cat-file --batch-check), without inflating anything.
    sizes = git.check(
        "--git-dir", str(gitdir), "cat-file", "--batch-check=%(objectsize)",
        stdin="".join(f"{oid}\n" for oid in blobs),
    )
    total = sum(int(line) for line in sizes.split())
    if total > max_bytes:
        raise RepoError(
            "too-big", limit=_megabytes(max_bytes), found=f"os arquivos somam {_megabytes(total)}"
        )
    if submodules:
        logger.info("%s: submodules ignored: %s", git.url, ", ".join(submodules))
    return tuple(submodules)


def _seal(dest: Path, url: str) -> tuple[int, int]:
    """Make ``dest`` read-only (files 0444, directories 0555); return (bytes, files)."""
    size = files = 0
    for dirpath, dirnames, filenames in os.walk(dest, topdown=False):
        for name in filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            if not os.path.isfile(path) or os.path.islink(path):
                raise RepoError("invalid-repo", url=url)  # core.symlinks=false failed?
            size += info.st_size
            files += 1
            os.chmod(path, 0o444)
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o555)  # noqa: S103 (read-only on purpose)
    os.chmod(dest, 0o555)  # noqa: S103
    return size, files


def _clear(dest: Path, *, remove: bool) -> None:
    """Empty ``dest`` (and remove it when we created it), even if it was sealed read-only."""
    if not dest.exists():
        return
    remove_tree(dest)
    if not remove:
        dest.mkdir()


def remove_tree(path: Path | str) -> None:
    """Remove a tree made by :func:`clone_at` (read-only directories need write bits back)."""
    path = Path(path)
    if not path.exists():
        return
    for dirpath, dirnames, _files in os.walk(path):
        os.chmod(dirpath, 0o700)
        for name in dirnames:
            child = os.path.join(dirpath, name)
            if not os.path.islink(child):
                os.chmod(child, 0o700)
    shutil.rmtree(path)

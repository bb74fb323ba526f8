"""A real smart-HTTP git server on 127.0.0.1 for tests, and helpers that build repositories.

    from tests.autograder.git_server import git_server, make_repo  # noqa: F401 (fixture)

    def test_it_clones(git_server):
        url, sha = make_repo(git_server, "ana/projeto", {"README.md": "# Oi\\n"})

The server is ``git http-backend`` (the CGI that ships with git) behind a tiny threaded
wsgiref app, so tests exercise the same protocol a GitHub clone speaks, without the network.
Repositories are built with real ``git`` commands in a scratch work tree and published as bare
repositories under the server's root; later commits are pushed there with :func:`add_commit`.

Special paths, for failure tests:

- ``/stall/...`` never answers (until the server stops): a remote that hangs.
- ``/moved/<path>`` answers 301 to ``/<path>`` (a renamed repository: a redirect).
- ``/private/...`` answers 401 with a Basic challenge, like GitHub for a private repository.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

HTTP_BACKEND = (
    Path(
        subprocess.run(
            ["git", "--exec-path"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    / "git-http-backend"
)

# Deterministic identity and no user/system config for the git commands that build fixtures.
_GIT_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "Teste",
    "GIT_AUTHOR_EMAIL": "teste@example.com",
    "GIT_COMMITTER_NAME": "Teste",
    "GIT_COMMITTER_EMAIL": "teste@example.com",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


@dataclass(frozen=True)
class Symlink:
    """A file value for :func:`make_repo`: a symbolic link to ``target``."""

    target: str


@dataclass(frozen=True)
class ZeroFile:
    """A file value for :func:`make_repo`: ``size`` zero bytes, written as a sparse file (fast)."""

    size: int


@dataclass(frozen=True)
class Gitlink:
    """A file value for :func:`make_repo`: a submodule entry (mode 160000) pointing at ``sha``."""

    sha: str


# A file in a served bare repository: the server then ignores the client's request for protocol
# v2. In v2, upload-pack serves any commit asked for; in v0 it honours allowAnySHA1InWant.
V0_MARKER = "serve-protocol-v0"

FileValue = bytes | str | Symlink | ZeroFile | Gitlink


def git(*args: str, cwd: Path | str | None = None, input: bytes | None = None) -> str:
    """Run a fixture-building git command; raise with its stderr when it fails."""
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=_GIT_ENV, input=input, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode().strip()


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # A stalled request must not keep server_close() waiting.
    block_on_close = False


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class GitServer:
    """``git http-backend`` served on ``http://127.0.0.1:<random port>/`` from ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.repos = self.root / "repos"
        self.work = self.root / "work"
        self.repos.mkdir(parents=True, exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        self._stop = threading.Event()
        self._httpd = make_server(
            "127.0.0.1",
            0,
            self._app,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> GitServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def url(self, name: str) -> str:
        """The clone URL of repository ``name`` (``owner/repo``), with ``.git``."""
        return f"{self.base_url}{name}.git"

    def bare_path(self, name: str) -> Path:
        return self.repos / f"{name}.git"

    # -- the WSGI app ----------------------------------------------------------------------

    def _app(self, environ: dict, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/stall/"):
            # Hold the connection open, saying nothing, until the test ends.
            self._stop.wait(60)
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"stalled\n"]
        if path.startswith("/moved/"):
            # A renamed repository on GitHub answers like this; it could point anywhere.
            query = environ.get("QUERY_STRING", "")
            target = f"{self.base_url}{path[len('/moved/') :]}" + (f"?{query}" if query else "")
            start_response("301 Moved Permanently", [("Location", target)])
            return [b""]
        if path.startswith("/private/"):
            start_response(
                "401 Unauthorized",
                [("WWW-Authenticate", 'Basic realm="GitHub"'), ("Content-Type", "text/plain")],
            )
            return [b"authentication required\n"]
        return self._cgi(environ, start_response)

    def _v0_only(self, path_info: str) -> bool:
        """Whether the repository in ``path_info`` must speak protocol v0 (see make_repo)."""
        repo, sep, _ = path_info.partition(".git/")
        return bool(sep) and (self.repos / f"{repo.lstrip('/')}.git" / V0_MARKER).exists()

    def _cgi(self, environ: dict, start_response):
        env = {
            "PATH": _GIT_ENV["PATH"],
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_PROJECT_ROOT": str(self.repos),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": environ.get("REMOTE_ADDR", "127.0.0.1"),
            "REQUEST_METHOD": environ.get("REQUEST_METHOD", "GET"),
            "PATH_INFO": environ.get("PATH_INFO", ""),
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
        }
        pairs = [("HTTP_CONTENT_ENCODING", "HTTP_CONTENT_ENCODING")]  # gzipped request bodies
        if not self._v0_only(env["PATH_INFO"]):
            pairs.append(("HTTP_GIT_PROTOCOL", "GIT_PROTOCOL"))  # protocol v2
        for wsgi_key, cgi_key in pairs:
            if environ.get(wsgi_key):
                env[cgi_key] = environ[wsgi_key]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        env["CONTENT_LENGTH"] = str(len(body))
        proc = subprocess.Popen(
            [str(HTTP_BACKEND)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        # The request bodies of a fetch are small: write them whole, then stream the answer.
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(body)
        proc.stdin.close()
        status = "200 OK"
        headers: list[tuple[str, str]] = []
        while True:
            line = proc.stdout.readline().rstrip(b"\r\n")
            if not line:
                break
            key, _, value = line.decode("latin-1").partition(":")
            if key.lower() == "status":
                status = value.strip()
            else:
                headers.append((key.strip(), value.strip()))
        start_response(status, headers)
        return _stream(proc)


def _stream(proc: subprocess.Popen) -> Iterator[bytes]:
    try:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(65536):
            yield chunk
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def free_port() -> int:
    """A localhost port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- building repositories -----------------------------------------------------------------


def _write_files(work: Path, files: Mapping[str, FileValue]) -> None:
    for name, value in files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, Gitlink):
            git("update-index", "--add", "--cacheinfo", f"160000,{value.sha},{name}", cwd=work)
            continue
        if path.is_symlink() or path.is_file():
            path.unlink()
        if isinstance(value, Symlink):
            path.symlink_to(value.target)
        elif isinstance(value, ZeroFile):
            with path.open("wb") as fh:
                fh.truncate(value.size)
        elif isinstance(value, str):
            path.write_text(value)
        else:
            path.write_bytes(value)
        git("add", "--", name, cwd=work)


def make_repo(
    server: GitServer,
    name: str,
    files: Mapping[str, FileValue],
    *,
    commits: Iterable[Mapping[str, FileValue]] = (),
    branch: str = "main",
    tags: Iterable[str] = (),
    annotated_tags: Iterable[str] = (),
    allow_sha_fetch: bool = True,
) -> tuple[str, str]:
    """Build repository ``name`` (``owner/repo``) and serve it; return ``(url, head sha)``.

    ``files`` is the first commit; each mapping in ``commits`` is one more commit on top.
    ``tags`` (lightweight) and ``annotated_tags`` point at the last commit. With
    ``allow_sha_fetch=False`` the served repository speaks only protocol v0 and refuses to
    fetch an unadvertised commit (GitHub allows it; some servers do not).
    """
    work = server.work / name
    if work.exists():
        raise ValueError(f"repository {name} already exists")
    work.mkdir(parents=True)
    git("init", "-q", "-b", branch, cwd=work)
    for number, batch in enumerate([files, *commits], start=1):
        _write_files(work, batch)
        git("commit", "-q", "--allow-empty", "-m", f"commit {number}", cwd=work)
    for tag in tags:
        git("tag", tag, cwd=work)
    for tag in annotated_tags:
        git("tag", "-a", "-m", f"tag {tag}", tag, cwd=work)
    bare = server.bare_path(name)
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "-q", "--bare", "--no-local", str(work), str(bare))
    _configure_bare(bare, allow_sha_fetch=allow_sha_fetch)
    git("remote", "add", "origin", str(bare), cwd=work)
    return server.url(name), git("rev-parse", "HEAD", cwd=work)


def _configure_bare(bare: Path, *, allow_sha_fetch: bool) -> None:
    value = "true" if allow_sha_fetch else "false"
    git("config", "uploadpack.allowAnySHA1InWant", value, cwd=bare)
    git("config", "uploadpack.allowReachableSHA1InWant", value, cwd=bare)
    git("config", "uploadpack.allowFilter", "true", cwd=bare)
    git("config", "http.receivepack", "false", cwd=bare)
    if not allow_sha_fetch:
        (bare / V0_MARKER).touch()


def add_commit(server: GitServer, name: str, files: Mapping[str, FileValue]) -> str:
    """Commit ``files`` on top of repository ``name`` and push it (a student's later push)."""
    work = server.work / name
    _write_files(work, files)
    git("commit", "-q", "--allow-empty", "-m", "later commit", cwd=work)
    branch = git("symbolic-ref", "--short", "HEAD", cwd=work)
    git("push", "-q", "origin", branch, cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


def make_empty_repo(server: GitServer, name: str) -> str:
    """A served repository with no commit at all; return its URL."""
    bare = server.bare_path(name)
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "--bare", "-b", "main", str(bare))
    _configure_bare(bare, allow_sha_fetch=True)
    return server.url(name)


@contextlib.contextmanager
def running_git_server() -> Iterator[GitServer]:
    """A :class:`GitServer` in a fresh temporary directory, stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="git-server-"))
    server = GitServer(root).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def git_server() -> Iterator[GitServer]:
    """A running :class:`GitServer` for one test (import this name into the test module)."""
    with running_git_server() as server:
        yield server

"""Real moving parts for test_worker.py: a Celery worker process and a Docker socket proxy.

- :class:`Worker`: ``celery -A portal worker`` (prefork, one child, so the task time limits
  apply as in production) in its own process group, so a test can SIGKILL the whole worker
  like a lost machine, and the finalizer never leaves one behind.
- :class:`DockerSocketProxy`: a UNIX socket forwarding to the Docker daemon's socket. The
  worker talks to Docker through it (``DOCKER_HOST``); stopping it is "Docker is down" for
  that worker only, without touching the daemon other people's tests use.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import docker
import docker.errors
import pytest
import redis
from django.conf import settings

from autograder.notebooks import prepare_source
from portal.celery import app
from tests.autograder import notebooks as nb

READY_TIMEOUT_S = 60
TEST_REDIS_DB = int(os.environ.get("GRADING_TEST_REDIS_DB", "13"))


def database_url() -> str:
    """The test database (pytest-django renamed it) as a URL, for the worker's settings."""
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def wait_for(
    predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.2
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Worker:
    def __init__(
        self, *, env: dict[str, str], log: Path, name: str, args: Sequence[str] = ()
    ) -> None:
        self.log = log
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@%h",
            *args,
        ]
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: "ready." in self.output() or self.process.poll() is not None,
            timeout=READY_TIMEOUT_S,
            what=f"worker {name}",
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"worker {name} exited:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and its pool child at once: no shutdown, no acknowledgement."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


class DockerSocketProxy:
    def __init__(self, path: Path, target: str = "/var/run/docker.sock") -> None:
        self.path = path
        self.target = target
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and cut the open ones, as a daemon going down would."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update({client, upstream})
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


# -- fixtures (test modules import them) ------------------------------------------------------


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    # Short: a UNIX socket path must stay under 108 bytes.
    path = Path(tempfile.mkdtemp(prefix="grading-", dir="/tmp"))
    (path / "media").mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def broker_url() -> Iterator[str]:
    """A Redis database of our own: the test process sends there and the worker reads it."""
    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.skip('REDIS_URL is not set (eval "$(scripts/services.sh)")')
    parts = urlsplit(base)
    url = urlunsplit(parts._replace(path=f"/{TEST_REDIS_DB}"))
    redis.Redis.from_url(url).flushdb()
    previous = app.conf.broker_url
    app.conf.broker_url = url
    app._pool = None  # the next send connects to ``url``
    app.amqp._producer_pool = None
    yield url
    app.conf.broker_url = previous
    app._pool = None
    app.amqp._producer_pool = None
    redis.Redis.from_url(url).flushdb()


@pytest.fixture(scope="module")
def docker_proxy(scratch) -> Iterator[DockerSocketProxy]:
    proxy = DockerSocketProxy(scratch / "docker.sock")
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def release(grader_image, scratch) -> nb.Notebook:
    """The student version of the sample; also fills the cache the worker reads."""
    source = nb.write(nb.source_notebook(), scratch / "fonte.ipynb")
    prepared = prepare_source(source, image=grader_image, cache_dir=scratch / "cache")
    return nb.read(prepared.release_path)


class Workers:
    """Starts workers on demand (a test may kill one); stops every one at the end."""

    def __init__(self, env: dict[str, str], scratch: Path) -> None:
        self.env = env
        self.scratch = scratch
        self.started: list[Worker] = []

    def running(self) -> Worker:
        if self.started and self.started[-1].alive():
            return self.started[-1]
        return self.start()

    def start(self, *args: str, role: str = "grading") -> Worker:
        """A new worker given ``args`` (queues, beat...), whatever else runs."""
        name = f"{role}-test-{uuid.uuid4().hex[:8]}"
        worker = Worker(env=self.env, log=self.scratch / f"{name}.log", name=name, args=args)
        self.started.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()


@pytest.fixture(scope="module")
def worker_extra_env() -> dict[str, str]:
    """More environment for the worker; a test module overrides this fixture."""
    return {}


@pytest.fixture(scope="module")
def workers(
    django_db_setup,
    django_db_blocker,
    broker_url,
    docker_proxy,
    release,
    scratch,
    grader_image,
    worker_extra_env,
) -> Iterator[Workers]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DOCKER_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            "MEDIA_ROOT": str(scratch / "media"),
            "AUTOGRADER_CACHE_DIR": str(scratch / "cache"),
            "AUTOGRADER_IMAGE": grader_image,
            "DOCKER_HOST": docker_proxy.url,
            "AUTOGRADER_RETRY_BACKOFF_SECONDS": "1",
            "AUTOGRADER_RETRY_BACKOFF_MAX_SECONDS": "2",
            "AUTOGRADER_MAX_TRIES": "20",
            # Grading runs are logged to MLflow by the same worker: a store of this module's own.
            "MLFLOW_TRACKING_URI": f"sqlite:///{scratch / 'mlflow.db'}",
            **worker_extra_env,
        }
    )
    pool = Workers(env, scratch)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture
def media_root(settings, scratch):
    settings.MEDIA_ROOT = scratch / "media"  # the worker's MEDIA_ROOT too
    return settings.MEDIA_ROOT


@pytest.fixture
def worker(workers) -> Worker:
    return workers.running()


@pytest.fixture
def sandbox_leftovers(docker_client) -> Iterator[list[str]]:
    """Names of containers a killed worker left behind; removed at the end of the test."""
    names: list[str] = []
    yield names
    for name in names:
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.containers.get(name).remove(force=True)

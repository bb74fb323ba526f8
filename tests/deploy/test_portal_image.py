"""The portal's image (deploy/portal/Dockerfile), built by deploy/portal/build.sh and run the
way production runs it: gunicorn as uid 10001 on the host's network against the host's
PostgreSQL (a database of this test's own, migrated from inside the image) and Redis, a
Celery worker answering a ping, and a worker-style container grading a notebook through the
host's Docker socket with AUTOGRADER_HOST_DIR (the path the sandbox's bind mounts need).

The first build takes a couple of minutes (dependencies from PyPI); later builds are
layer-cache hits. Docker missing or the build failing: skipped on a laptop, a failure in CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import psycopg
import pytest
from psycopg import sql

from tests.autograder import notebooks as nb
from tests.autograder.conftest import (  # noqa: F401 - fixtures
    _unavailable,
    docker_client,
    grader_image,
)
from tests.autograder.git_server import free_port

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("PORTAL_IMAGE", "mle-portal:latest")
PORTAL_UID = 10001
LABEL = "mle-portal-image-test"
DOCKER_SOCKET = Path("/var/run/docker.sock")
# What whitenoise sends for a file whose name carries its hash (ten years, immutable).
FOREVER = "max-age=315360000"


@pytest.fixture(scope="module")
def portal_image(docker_client: docker.DockerClient) -> str:  # noqa: F811
    started = time.monotonic()
    done = subprocess.run(
        [str(REPO / "deploy/portal/build.sh")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "PORTAL_IMAGE": IMAGE},
    )
    if done.returncode != 0:
        pytest.fail(f"deploy/portal/build.sh failed:\n{done.stderr[-4000:]}", pytrace=False)
    print(f"portal image: {done.stdout.strip()} ({time.monotonic() - started:.0f} s here)")
    return IMAGE


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        _unavailable("DATABASE_URL must name a PostgreSQL server (scripts/services.sh)")
    return url


def _with_dbname(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A database of this module's own on the host's PostgreSQL, dropped afterwards."""
    server = _server_url()
    # The maintenance database: DATABASE_URL's own may not exist (pytest-django makes test_*).
    maintenance = _with_dbname(server, "postgres")
    name = f"portal_image_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_dbname(server, name)
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url.startswith("redis"):
        _unavailable("REDIS_URL must name a Redis server (scripts/services.sh)")
    return url


@pytest.fixture(scope="module")
def containers(docker_client: docker.DockerClient) -> Iterator[list]:  # noqa: F811
    """Every container this module starts; all removed at the end, whatever happened."""
    started: list = []
    yield started
    for container in started:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


def _env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_FORMAT": "json",
        **extra,
    }


def _run(client: docker.DockerClient, started: list, image: str, command, **options):
    container = client.containers.run(
        image,
        command,
        detach=True,
        network_mode="host",
        labels={LABEL: "1"},
        name=f"portal-test-{uuid.uuid4().hex[:10]}",
        **options,
    )
    started.append(container)
    return container


def _finish(container, timeout: float = 300) -> tuple[int, str]:
    status = container.wait(timeout=timeout)["StatusCode"]
    return status, container.logs().decode("utf-8", "replace")


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _wait_for(url: str, container, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if _get(url)[0] == 200:
                return
        container.reload()
        if container.status == "exited":
            break
        time.sleep(0.5)
    pytest.fail(f"{url} never answered 200; container logs:\n{container.logs().decode()[-4000:]}")


@pytest.fixture(scope="module")
def web(portal_image, database_url, redis_url, docker_client, containers):  # noqa: F811
    """Migrate from inside the image, then serve gunicorn on a free port (the default CMD)."""
    migrate = _run(
        docker_client,
        containers,
        portal_image,
        ["python", "manage.py", "migrate", "--noinput"],
        environment=_env(database_url, redis_url),
    )
    status, logs = _finish(migrate)
    assert status == 0, logs[-4000:]

    port = free_port()
    container = _run(
        docker_client,
        containers,
        portal_image,
        None,  # the image's CMD: gunicorn -c deploy/gunicorn.conf.py portal.wsgi
        environment=_env(
            database_url, redis_url, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2"
        ),
        # The image's own HEALTHCHECK command, probed often enough for a test.
        healthcheck={"interval": 1_000_000_000, "start_period": 30_000_000_000, "retries": 3},
    )
    base = f"http://127.0.0.1:{port}"
    _wait_for(f"{base}/healthz", container)
    return base, container


def test_the_web_answers_liveness_and_readiness_with_the_database(web) -> None:
    base, _ = web
    status, _, body = _get(f"{base}/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, _, body = _get(f"{base}/readyz")
    checks = json.loads(body)
    assert status == 200, checks
    assert checks["database"] == "ok"
    assert checks["broker"] == "ok"
    assert checks["storage"] == "ok"
    # No Docker socket in the web container: reported, never a reason to refuse traffic.
    assert checks["docker"].startswith("error")


def test_every_process_of_the_web_container_runs_as_uid_10001(web, portal_image) -> None:
    _, container = web
    assert container.attrs["Config"]["User"] == f"{PORTAL_UID}:{PORTAL_UID}"
    top = container.top(ps_args="-o pid,uid,args")
    uid_column = top["Titles"].index("UID")
    processes = top["Processes"]
    assert any("gunicorn" in " ".join(row) for row in processes), processes
    assert {row[uid_column] for row in processes} == {str(PORTAL_UID)}, processes


def test_the_images_healthcheck_reports_healthy(web) -> None:
    _, container = web
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        container.reload()
        health = container.attrs["State"].get("Health", {})
        if health.get("Status") == "healthy":
            return
        time.sleep(1)
    pytest.fail(f"not healthy: {health}")


def test_hashed_static_files_are_served_by_whitenoise_with_a_long_cache(web) -> None:
    base, container = web
    code, output = container.exec_run(["cat", "/var/lib/portal/static/staticfiles.json"])
    assert code == 0, output
    paths = json.loads(output)["paths"]
    css = sorted(hashed for name, hashed in paths.items() if name.endswith(".css"))
    assert css, paths
    status, headers, body = _get(f"{base}/static/{css[0]}")
    assert status == 200
    assert body
    assert FOREVER in headers["Cache-Control"], headers
    assert "immutable" in headers["Cache-Control"], headers
    # A name that is in no manifest is not served (nothing falls back to the source tree).
    assert _get(f"{base}/static/{css[0]}.nope")[0] == 404


def test_the_static_files_cannot_be_changed_by_the_portal_user(web) -> None:
    _, container = web
    _, output = container.exec_run(
        ["sh", "-c", "touch /var/lib/portal/static/x 2>&1; echo $?"], user=str(PORTAL_UID)
    )
    assert output.decode().strip().endswith("1"), output


def test_a_celery_worker_of_the_image_connects_to_redis_and_answers_a_ping(
    portal_image,
    database_url,
    redis_url,
    docker_client,  # noqa: F811
    containers,
) -> None:
    node = f"image-test-{uuid.uuid4().hex[:8]}@portal"
    # A queue nobody else uses: this worker must not take other tests' tasks from Redis.
    worker = _run(
        docker_client,
        containers,
        portal_image,
        [
            *("celery", "-A", "portal", "worker", "-Q", f"image-test-{uuid.uuid4().hex[:8]}"),
            *("-n", node, "--concurrency", "1", "--max-memory-per-child", "300000"),
        ],
        environment=_env(database_url, redis_url),
    )
    deadline = time.monotonic() + 90
    output = b""
    while time.monotonic() < deadline:
        code, output = worker.exec_run(
            ["celery", "-A", "portal", "inspect", "ping", "-d", node, "--timeout", "3"]
        )
        if code == 0 and b"pong" in output:
            break
        worker.reload()
        assert worker.status == "running", worker.logs().decode()[-4000:]
    else:
        pytest.fail(f"no pong from {node}: {output!r}\n{worker.logs().decode()[-4000:]}")
    uids = {row[1] for row in worker.top(ps_args="-o pid,uid")["Processes"]}
    assert uids == {str(PORTAL_UID)}


@pytest.fixture
def host_dir() -> Iterator[Path]:
    """A host folder that a worker container sees at the same path (AUTOGRADER_HOST_DIR)."""
    path = Path(tempfile.mkdtemp(prefix="mle-grading-"))
    # Writable by the image's uid 10001 and traversable by the grading container's root.
    path.chmod(0o777)
    try:
        yield path
    finally:
        subprocess.run(["rm", "-rf", str(path)], check=False)
        if path.exists():  # files made by uid 10001 when the tests are not root
            with contextlib.suppress(docker.errors.DockerException):
                docker.from_env().containers.run(
                    IMAGE,
                    ["rm", "-rf", str(path)],
                    remove=True,
                    user="0",
                    entrypoint=[],
                    volumes={str(path.parent): {"bind": str(path.parent), "mode": "rw"}},
                )


def test_a_worker_container_grades_through_the_host_docker_with_a_shared_host_dir(
    portal_image,
    grader_image,  # noqa: F811
    docker_client,  # noqa: F811
    containers,
    host_dir: Path,
) -> None:
    if not DOCKER_SOCKET.is_socket():
        _unavailable(f"{DOCKER_SOCKET} is missing: the worker container drives Docker through it")
    notebooks = host_dir / "notebooks"
    notebooks.mkdir()
    source = nb.write(nb.source_notebook(), notebooks / "fonte.ipynb")
    submission = nb.write(nb.correct(nb.source_notebook()), notebooks / "entrega.ipynb")
    for path in (notebooks, source, submission):
        path.chmod(0o755 if path.is_dir() else 0o644)

    worker = _run(
        docker_client,
        containers,
        portal_image,
        [
            *("python", "-m", "autograder", "grade-notebook", "--json", "--image", grader_image),
            *("--source", str(source), "--submission", str(submission)),
        ],
        environment={"AUTOGRADER_HOST_DIR": str(host_dir)},
        volumes={
            str(DOCKER_SOCKET): {"bind": str(DOCKER_SOCKET), "mode": "rw"},
            str(host_dir): {"bind": str(host_dir), "mode": "rw"},
        },
        group_add=[str(DOCKER_SOCKET.stat().st_gid)],
    )
    status, logs = _finish(worker, timeout=600)
    assert status == 0, logs[-4000:]
    result = json.loads(worker.logs(stdout=True, stderr=False))
    assert result["status"] == "graded", result
    assert result["total"] == nb.AUTO_POINTS, result
    # Everything the sandbox mounted lay in the shared folder: the runner's copy is there.
    [runner] = (host_dir / "tmp").glob(f"mle-autograder-{PORTAL_UID}/runner-*")
    assert (runner / "runner.py").is_file()

"""deploy/compose.yaml, as Docker Compose itself reads it (`config`), with example secret files.

The rules are plain functions over the resolved configuration, so each is also shown to fail
on a configuration that breaks it. No compose binary: skipped on a laptop, a failure in CI
(``CI`` set), where scripts/services.sh installs Debian's docker-compose.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "deploy" / "compose.yaml"
SECRETS = (
    "secret_key",
    "database_url",
    "redis_url",
    "aws_access_key_id",
    "aws_secret_access_key",
    "entra_client_secret",
    "email_host_password",
    "postgres_password",
    "minio_root_user",
    "minio_root_password",
)
SERVICES = {
    "web",
    "worker",
    "maintenance",
    "beat",
    "migrate",
    "grading-dir",
    "postgres",
    "redis",
    "minio",
    "bucket",
    "mlflow",
}
DOCKER_SOCKET = "/var/run/docker.sock"
# Variable names that hold a credential, or a URL that carries one.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|ACCESS_KEY|ROOT_USER|^(DATABASE|REDIS|CACHE)_URL$")
CREDENTIALS_IN_URL = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    reason = "neither docker-compose nor `docker compose` is installed"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: scripts/services.sh installs docker-compose)")
    pytest.skip(reason)


def compose_config(secrets_dir: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*compose_command(), "-f", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=COMPOSE_FILE.parent,
        env={
            **os.environ,
            "PORTAL_SECRETS_DIR": str(secrets_dir),
            "DOCKER_GID": "998",
            **env,
        },
    )


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Example secret files, as deploy/secrets/README lays them out (not real secrets)."""
    folder = tmp_path_factory.mktemp("secrets")
    for name in SECRETS:
        (folder / name).write_text(f"example-{name}\n")
    (folder / "database_url").write_text("postgres://portal:example@postgres:5432/portal\n")
    (folder / "redis_url").write_text("redis://redis:6379/0\n")
    return folder


@pytest.fixture(scope="module")
def config(secrets_dir: Path) -> dict[str, Any]:
    done = compose_config(secrets_dir)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


# -- the rules ---------------------------------------------------------------------------------


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # KEY=VALUE items
        env = dict(item.partition("=")[::2] for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _secret_targets(service: dict[str, Any]) -> set[str]:
    targets = set()
    for item in service.get("secrets") or []:
        if isinstance(item, str):
            targets.add(item)
        else:
            targets.add(item.get("target") or item["source"])
    return {
        f"/run/secrets/{target}" if not target.startswith("/") else target for target in targets
    }


def _mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    mounts = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            mounts.append((source, rest.split(":")[0]))
        else:
            mounts.append((str(volume.get("source")), volume["target"]))
    return mounts


def _replicas(service: dict[str, Any]) -> int:
    deploy = service.get("deploy") or {}
    return int(deploy.get("replicas", service.get("scale", 1)))


def _one_shots(services: dict[str, Any]) -> set[str]:
    """Services something waits on to *complete*: jobs, not long-running processes."""
    return {
        name
        for service in services.values()
        for name, condition in (service.get("depends_on") or {}).items()
        if isinstance(condition, dict)
        and condition.get("condition") == "service_completed_successfully"
    }


def plaintext_secrets(services: dict[str, Any]) -> list[str]:
    problems = []
    for name, service in services.items():
        mounted = _secret_targets(service)
        for key, value in _environment(service).items():
            if CREDENTIALS_IN_URL.search(value):
                problems.append(f"{name}: {key} has credentials in a URL")
            if key.endswith("_FILE"):
                if value not in mounted:
                    problems.append(f"{name}: {key}={value} is not a secret mounted there")
            elif SECRET_NAME.search(key):
                problems.append(f"{name}: {key} is a secret in plain text (use {key}_FILE)")
    return problems


def missing_healthchecks(services: dict[str, Any]) -> list[str]:
    jobs = _one_shots(services)
    problems = []
    for name, service in services.items():
        check = service.get("healthcheck") or {}
        if name in jobs:
            continue
        if check.get("disable") or not check.get("test") or check["test"] == ["NONE"]:
            problems.append(f"{name} runs for good but has no healthcheck")
    return problems


def problems_of(config: dict[str, Any]) -> list[str]:
    services = config["services"]
    problems = plaintext_secrets(services) + missing_healthchecks(services)
    if _replicas(services["beat"]) != 1:
        problems.append(f"beat has {_replicas(services['beat'])} replicas, not exactly 1")
    if (DOCKER_SOCKET, DOCKER_SOCKET) not in _mounts(services["worker"]):
        problems.append("the worker does not mount the Docker socket")
    migrate = (services["web"].get("depends_on") or {}).get("migrate") or {}
    if not isinstance(migrate, dict) or migrate.get("condition") != (
        "service_completed_successfully"
    ):
        problems.append("web does not wait for migrate to complete successfully")
    return problems


# -- the configuration as compose reads it -----------------------------------------------------


def test_compose_validates_it_with_every_service(config: dict[str, Any]) -> None:
    assert set(config["services"]) == SERVICES


def test_it_breaks_none_of_the_rules(config: dict[str, Any]) -> None:
    assert problems_of(config) == []


def test_beat_runs_exactly_once_and_the_worker_more_than_once(config: dict[str, Any]) -> None:
    services = config["services"]
    assert _replicas(services["beat"]) == 1
    assert _replicas(services["worker"]) >= 2


def test_the_worker_drives_the_hosts_docker_with_the_grading_image(
    config: dict[str, Any],
) -> None:
    worker = config["services"]["worker"]
    assert (DOCKER_SOCKET, DOCKER_SOCKET) in _mounts(worker)
    env = _environment(worker)
    assert env["AUTOGRADER_IMAGE"] == "mle-grader:latest"
    # The sandbox's bind mounts name host paths: the shared folder has the same path inside.
    host_dir = env["AUTOGRADER_HOST_DIR"]
    assert (host_dir, host_dir) in _mounts(worker)
    assert [str(gid) for gid in worker["group_add"]] == ["998"]
    assert "--max-memory-per-child" in worker["command"]


def test_the_grading_image_and_the_socket_group_come_from_the_environment(
    secrets_dir: Path,
) -> None:
    done = compose_config(secrets_dir, AUTOGRADER_IMAGE="registry.example/grader:7")
    worker = yaml.safe_load(done.stdout)["services"]["worker"]
    assert _environment(worker)["AUTOGRADER_IMAGE"] == "registry.example/grader:7"


def test_without_the_docker_sockets_group_compose_refuses_to_start(secrets_dir: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DOCKER_GID"}
    done = subprocess.run(
        [*compose_command(), "-f", str(COMPOSE_FILE), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "PORTAL_SECRETS_DIR": str(secrets_dir)},
    )
    assert done.returncode != 0
    assert "DOCKER_GID" in done.stderr


def test_secrets_come_from_the_secrets_folder(config: dict[str, Any], secrets_dir: Path) -> None:
    files = {name: Path(entry["file"]) for name, entry in config["secrets"].items()}
    assert files == {name: secrets_dir / name for name in SECRETS}


def test_the_web_waits_for_the_database_migrations_and_the_bucket(config: dict[str, Any]) -> None:
    depends = config["services"]["web"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["bucket"]["condition"] == "service_completed_successfully"
    assert depends["redis"]["condition"] == "service_healthy"
    assert config["services"]["migrate"]["command"] == [
        "python",
        "manage.py",
        "migrate",
        "--noinput",
    ]


# -- each rule fails on a configuration that breaks it -----------------------------------------


def _broken(config: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(config)


def test_a_plaintext_password_is_caught(config: dict[str, Any]) -> None:
    broken = _broken(config)
    broken["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] = "hunter2"
    assert problems_of(broken) == [
        "postgres: POSTGRES_PASSWORD is a secret in plain text (use POSTGRES_PASSWORD_FILE)"
    ]


def test_a_database_url_with_its_password_is_caught(config: dict[str, Any]) -> None:
    broken = _broken(config)
    broken["services"]["web"]["environment"]["MLFLOW_TRACKING_URI"] = "postgresql://u:pw@db/x"
    assert problems_of(broken) == ["web: MLFLOW_TRACKING_URI has credentials in a URL"]


def test_a_file_variable_without_its_secret_is_caught(config: dict[str, Any]) -> None:
    broken = _broken(config)
    broken["services"]["beat"]["environment"]["DATABASE_URL_FILE"] = "/run/secrets/database_url"
    assert problems_of(broken) == [
        "beat: DATABASE_URL_FILE=/run/secrets/database_url is not a secret mounted there"
    ]


def test_a_long_running_service_without_a_healthcheck_is_caught(config: dict[str, Any]) -> None:
    broken = _broken(config)
    del broken["services"]["maintenance"]["healthcheck"]
    broken["services"]["mlflow"]["healthcheck"] = {"disable": True}
    assert problems_of(broken) == [
        "maintenance runs for good but has no healthcheck",
        "mlflow runs for good but has no healthcheck",
    ]


def test_a_second_beat_is_caught(config: dict[str, Any]) -> None:
    broken = _broken(config)
    broken["services"]["beat"]["deploy"]["replicas"] = 2
    assert problems_of(broken) == ["beat has 2 replicas, not exactly 1"]


def test_a_worker_without_the_docker_socket_is_caught(config: dict[str, Any]) -> None:
    broken = _broken(config)
    worker = broken["services"]["worker"]
    worker["volumes"] = [v for v in worker["volumes"] if DOCKER_SOCKET not in str(v)]
    assert problems_of(broken) == ["the worker does not mount the Docker socket"]


def test_a_web_that_does_not_wait_for_the_migrations_is_caught(config: dict[str, Any]) -> None:
    broken = _broken(config)
    broken["services"]["web"]["depends_on"]["migrate"] = {"condition": "service_started"}
    assert problems_of(broken) == ["web does not wait for migrate to complete successfully"]

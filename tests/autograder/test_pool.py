"""The warm pool (autograder/pool.py) against a real Docker daemon and the grading image.

A warm container grades exactly like a cold one, with the same limits, once; the pool refills,
switches to other limits, and leaves nothing behind; the host sweep knows warm containers.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import docker.errors
import pytest

from autograder import pool as pool_module
from autograder import sweep
from autograder.notebooks import autograde, prepare_source
from autograder.pool import PoolKey, SandboxPool, WarmSandbox, WarmUnavailable
from autograder.results import ExitReason, GradeStatus, Limits
from autograder.sandbox import (
    LABEL,
    POOL_IDLE_LABEL,
    POOL_LABEL,
    RUN_LABEL,
    Sandbox,
    image_id,
)
from autograder.sweep import remove_stale_containers
from tests.autograder import notebooks as nb

pytestmark = pytest.mark.docker

LIMITS = Limits(memory_mb=512, cpus=1.0, pids=128, wall_seconds=60, cell_timeout_seconds=20)


def pool_containers(client, owner: str | None = None) -> list:
    label = f"{POOL_LABEL}={owner}" if owner else POOL_LABEL
    return client.containers.list(all=True, filters={"label": label})


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


@pytest.fixture
def notebooks(tmp_path: Path, grader_image: str):
    """(source, correct submission, cache dir) of the test suite's nbgrader notebook."""
    cache = tmp_path / "cache"
    source = nb.write(nb.source_notebook(), tmp_path / "fonte.ipynb")
    prepared = prepare_source(source, image=grader_image, cache_dir=cache, limits=LIMITS)
    submission = nb.write(nb.correct(nb.read(prepared.release_path)), tmp_path / "aluno.ipynb")
    return source, submission, cache


@pytest.fixture
def pool(docker_client):
    made = SandboxPool(size=1, idle_seconds=120)
    yield made
    made.close()
    assert pool_containers(docker_client, made.owner) == []


class Handing:
    """A pool that hands out the one given container."""

    def __init__(self, warm: WarmSandbox) -> None:
        self.warm = warm

    def take(self, image: str, limits: Limits) -> WarmSandbox:
        return self.warm


def take_warm(pool: SandboxPool, image: str, limits: Limits) -> WarmSandbox:
    """The first take sets the pool's key; then wait until a container is ready for it."""
    warm = pool.take(image, limits)
    if warm is None:
        wait_until(lambda: pool.ready() == 1)
        warm = pool.take(image, limits)
    assert warm is not None
    return warm


def test_a_warm_container_grades_like_a_cold_one_once_and_is_replaced(
    docker_client, grader_image, notebooks, pool
):
    source, submission, cache = notebooks
    image = image_id(grader_image, docker_client)
    cold = autograde(source, submission, limits=LIMITS, image=grader_image, cache_dir=cache)
    warm = take_warm(pool, image, LIMITS)
    warm_name = warm.name

    graded = autograde(
        source,
        submission,
        limits=LIMITS,
        image=grader_image,
        cache_dir=cache,
        name="nb-warm-1",
        pool=Handing(warm),
    )

    assert graded.status is GradeStatus.GRADED == cold.status
    assert (
        (graded.total, graded.max_total)
        == (cold.total, cold.max_total)
        == (
            nb.AUTO_POINTS,
            nb.MAX_TOTAL,
        )
    )
    assert [c.passed for c in graded.cells] == [c.passed for c in cold.cells]
    assert graded.feedback_notebook is not None
    assert graded.image == cold.image
    # Used once, then removed under the run's name; its replacement is another container.
    assert docker_client.containers.list(all=True, filters={"name": warm_name}) == []
    assert docker_client.containers.list(all=True, filters={"name": "nb-warm-1"}) == []
    wait_until(lambda: pool.ready() == 1)
    assert [c.name for c in pool_containers(docker_client, pool.owner)] != [warm_name]


def test_a_warm_container_has_every_limit_of_a_cold_one(docker_client, grader_image, pool):
    image = image_id(grader_image, docker_client)
    warm = take_warm(pool, image, LIMITS)
    try:
        config = docker_client.containers.get(warm.name).attrs["HostConfig"]
    finally:
        warm.discard()

    assert config["NetworkMode"] == "none"
    assert config["ReadonlyRootfs"] is True
    assert config["CapDrop"] == ["ALL"]
    assert sorted(config["CapAdd"]) == ["CAP_KILL", "CAP_SETGID", "CAP_SETUID"] or sorted(
        config["CapAdd"]
    ) == ["KILL", "SETGID", "SETUID"]
    assert config["SecurityOpt"] == ["no-new-privileges"]
    assert config["Memory"] == config["MemorySwap"] == LIMITS.memory_mb * 1024 * 1024
    assert config["NanoCpus"] == int(LIMITS.cpus * 1e9)
    assert config["PidsLimit"] == LIMITS.pids
    assert config["IpcMode"] == "private"
    assert config["LogConfig"]["Type"] == "none"


def test_a_warm_container_serves_one_grading_only(docker_client, grader_image, notebooks, pool):
    image = image_id(grader_image, docker_client)
    warm = take_warm(pool, image, LIMITS)
    name = warm.name
    warm.discard()

    with pytest.raises(RuntimeError, match="one grading"):
        warm.give(["autograde"], name="nb-twice")
    assert docker_client.containers.list(all=True, filters={"name": name}) == []
    assert not warm.directory.exists()


def test_other_limits_get_a_cold_container_and_the_pool_switches_to_them(
    docker_client, grader_image, pool
):
    image = image_id(grader_image, docker_client)
    first = take_warm(pool, image, LIMITS)
    first.discard()
    wait_until(lambda: pool.ready() == 1)
    waiting = [c.name for c in pool_containers(docker_client, pool.owner)]
    other = replace(LIMITS, memory_mb=768)

    assert pool.take(image, other) is None
    # The container made for the old limits goes; one with the new limits comes.
    wait_until(lambda: pool.ready() == 1)
    wait_until(lambda: [c.name for c in pool_containers(docker_client, pool.owner)] != waiting)
    warm = pool.take(image, other)
    assert warm is not None
    try:
        config = docker_client.containers.get(warm.name).attrs["HostConfig"]
        assert config["Memory"] == 768 * 1024 * 1024
    finally:
        warm.discard()


def test_a_warm_container_that_ended_itself_is_not_used(docker_client, grader_image, notebooks):
    source, submission, cache = notebooks
    image = image_id(grader_image, docker_client)
    warm = WarmSandbox(PoolKey(image, LIMITS), idle_seconds=2, owner="test:0")
    try:
        wait_until(lambda: docker_client.containers.get(warm.name).status == "exited", 30)
        with pytest.raises(WarmUnavailable, match="ended"):
            warm.give(["autograde"], name="nb-too-late")
    finally:
        warm.discard()

    # Through autograde: the unusable warm container is dropped and a cold one grades.
    stale = WarmSandbox(PoolKey(image, LIMITS), idle_seconds=2, owner="test:0")
    wait_until(lambda: docker_client.containers.get(stale.name).status == "exited", 30)

    graded = autograde(
        source, submission, limits=LIMITS, image=grader_image, cache_dir=cache, pool=Handing(stale)
    )
    assert graded.status is GradeStatus.GRADED
    assert graded.total == nb.AUTO_POINTS
    assert not stale.directory.exists()


def test_the_wall_clock_of_a_warm_sandbox_starts_when_it_gets_its_work(grader_image, sandbox_name):
    limits = replace(LIMITS, wall_seconds=3)
    with Sandbox(["sleep", "4"], image=grader_image, name=sandbox_name, limits=limits) as box:
        box.start()
        time.sleep(2)
        box.restart_clock()
        box.wait()

    assert box.result.exit_code == 0
    assert box.result.exit_reason is ExitReason.OK


def test_close_removes_every_container_of_the_pool(docker_client, grader_image):
    pool = SandboxPool(size=2, idle_seconds=120)
    try:
        pool.take(image_id(grader_image, docker_client), LIMITS)
        wait_until(lambda: pool.ready() == 2)
        assert len(pool_containers(docker_client, pool.owner)) == 2
    finally:
        pool.close()

    assert pool_containers(docker_client, pool.owner) == []


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_the_host_sweep_removes_warm_containers_of_a_dead_process_at_once(
    docker_client, grader_image, sandbox_name
):
    def warm_like(name: str, owner: str):
        return docker_client.containers.create(
            grader_image,
            ["sleep", "600"],
            name=name,
            labels={LABEL: "1", RUN_LABEL: name, POOL_LABEL: owner, POOL_IDLE_LABEL: "600"},
            network_mode="none",
        )

    host = socket.gethostname()
    orphan = warm_like(f"{sandbox_name}-orphan", f"{host}:{dead_pid()}")
    alive = warm_like(f"{sandbox_name}-alive", f"{host}:{os.getpid()}")
    elsewhere = warm_like(f"{sandbox_name}-elsewhere", f"another-host:{dead_pid()}")
    try:
        # Young, so an ordinary leftover would stay; the orphan goes because its owner did.
        removed = remove_stale_containers(older_than_s=3600, client=docker_client)

        assert removed >= 1
        with pytest.raises(docker.errors.NotFound):
            orphan.reload()
        alive.reload()
        elsewhere.reload()
    finally:
        for container in (orphan, alive, elsewhere):
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


def test_a_warm_container_is_allowed_its_idle_time_on_top_of_the_age_rule():
    labels = {POOL_LABEL: f"{socket.gethostname()}:{os.getpid()}", POOL_IDLE_LABEL: "600"}

    assert not sweep._stale(labels, age=700, older_than_s=300)
    assert sweep._stale(labels, age=901, older_than_s=300)
    assert sweep._stale({}, age=301, older_than_s=300)


def test_a_pool_refuses_an_idle_time_it_could_not_replace_in():
    with pytest.raises(ValueError, match="idle_seconds"):
        SandboxPool(size=1, idle_seconds=int(pool_module.REPLACE_BEFORE_IDLE_S))
    with pytest.raises(ValueError, match="at least one"):
        SandboxPool(size=0)

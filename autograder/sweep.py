"""Removing sandbox containers nobody will clean up: their worker died, or was killed.

A container normally leaves with its :class:`~autograder.sandbox.Sandbox` (``__exit__``), and a
warm one with its pool (``autograder/pool.py``). What a SIGKILLed worker left behind is
removed here, by every worker on its own host: at start-up, then periodically
(``portal/grading/host_sweep.py``), and for the containers of one dead claim
(``portal/grading/services.py``).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

import docker
import docker.errors

from autograder import cgroups
from autograder.sandbox import (
    LABEL,
    POOL_IDLE_LABEL,
    POOL_LABEL,
    RUN_LABEL,
    client_or_default,
    infrastructure,
)

__all__ = ["remove_stale_containers"]

logger = logging.getLogger(__name__)


def remove_stale_containers(
    *, older_than_s: float, client: docker.DockerClient | None = None, name_prefix: str = ""
) -> int:
    """Remove our labelled containers created more than ``older_than_s`` ago; how many.

    For worker start-up and shutdown: containers whose worker was SIGKILLed never went
    through ``Sandbox.__exit__``. Workers sharing a Docker host must pass more than the
    longest wall-clock limit in use, or they remove each other's running containers.
    ``name_prefix`` limits the sweep to containers whose name starts with it (a run's, at any
    age when ``older_than_s`` is 0). In a general sweep, a warm container (:data:`POOL_LABEL`)
    is allowed its idle time on top, since it may have waited that long for its work, and is
    removed at once when the process whose pool made it is gone from this host.
    Leftover per-run cgroups of those runs are removed too.
    """
    now = time.time()
    removed: list[str] = []
    remaining: set[str] = set()
    with (
        client_or_default(client) as docker_client,
        infrastructure("could not sweep stale sandbox containers"),
    ):
        containers = docker_client.containers.list(
            all=True, sparse=True, filters={"label": f"{LABEL}=1"}
        )
        for container in containers:
            labels = container.attrs.get("Labels") or {}
            cgroup = labels.get(RUN_LABEL, "")
            names = container.attrs.get("Names") or [cgroup]
            name = names[0].lstrip("/")
            age = now - float(container.attrs.get("Created") or now)
            stale = name.startswith(name_prefix) and (
                age >= older_than_s if name_prefix else _stale(labels, age, older_than_s)
            )
            if not stale:
                remaining.add(cgroup)
                continue
            try:
                container.remove(force=True)
            except docker.errors.NotFound:
                continue  # its own worker removed it meanwhile
            logger.warning("removed stale sandbox container %s (%s)", name, container.short_id)
            removed.append(cgroup)
    for cgroup in removed:
        cgroups.remove(cgroup, wait_s=0.5)
    # Parents whose container is long gone (the worker died between removal and cleanup).
    cgroups.sweep(older_than_s=older_than_s, keep=remaining, prefix=name_prefix)
    return len(removed)


def _stale(labels: Mapping[str, str], age: float, older_than_s: float) -> bool:
    owner = labels.get(POOL_LABEL)
    if owner is None:
        return age >= older_than_s
    if _owner_gone(owner):
        return True
    try:
        idle = float(labels.get(POOL_IDLE_LABEL) or 0)
    except ValueError:
        idle = 0.0
    return age >= older_than_s + idle


def _owner_gone(owner: str) -> bool:
    """Whether the process ``"<hostname>:<pid>"`` is known to be gone: only a process of this
    host can be checked; another host's is left to the age rule."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False

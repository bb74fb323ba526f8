"""Which sandbox containers exist, read without racing their removal."""

from __future__ import annotations

import docker

from autograder.sandbox import LABEL, RUN_LABEL


def sandbox_runs(
    client: docker.DockerClient, *, prefix: str = "", stopped: bool = True
) -> list[str]:
    """Names of the sandbox containers whose name starts with ``prefix``: a run's name, also
    for a warm container (``autograder/pool.py``), renamed to the run it serves.

    A sparse listing reads the names from the list call itself: a full listing inspects each
    container afterwards and fails with NotFound when a worker removes one in between.
    """
    containers = client.containers.list(all=stopped, sparse=True, filters={"label": f"{LABEL}=1"})
    names = (
        ((c.attrs.get("Names") or [""])[0].lstrip("/") or c.attrs["Labels"][RUN_LABEL])
        for c in containers
    )
    return [name for name in names if name.startswith(prefix)]

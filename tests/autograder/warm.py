"""A pool for tests that want every grading in a warm container (``autograder/pool.py``)."""

from __future__ import annotations

import threading
import time

from autograder.pool import SandboxPool, WarmSandbox
from autograder.results import Limits

TAKE_TIMEOUT_S = 180.0


class WarmOnly:
    """Hands out warm containers only: one SandboxPool per limits, and ``take`` waits until it
    has a container ready (the first take of a limits sets what the pool prepares)."""

    def __init__(self) -> None:
        self._pools: dict[Limits, SandboxPool] = {}
        self._lock = threading.Lock()
        self.taken = 0

    def take(self, image: str, limits: Limits) -> WarmSandbox:
        with self._lock:
            pool = self._pools.get(limits)
            if pool is None:
                pool = self._pools[limits] = SandboxPool(size=1, idle_seconds=600)
        deadline = time.monotonic() + TAKE_TIMEOUT_S
        while (warm := pool.take(image, limits)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"no warm container for {limits} in {TAKE_TIMEOUT_S:.0f} s")
            time.sleep(0.05)
        with self._lock:
            self.taken += 1
        return warm

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()

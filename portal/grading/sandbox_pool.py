"""Each grading worker process keeps its own warm sandboxes (``autograder/pool.py``).

The pool is made on the process's first notebook grading, for that grading's image and
limits (a maintenance worker, which never grades, never starts one), and closed when the
process ends (``worker_process_shutdown``: a normal stop, or the child replaced after
CELERY_WORKER_MAX_TASKS_PER_CHILD / _MAX_MEMORY_PER_CHILD). A child killed outright leaves its
warm containers to the host sweep (``host_sweep.py``), which knows them by their owner label.
Outside a prefork worker's child (eager tasks, the CLI, tests) there is no pool: every
grading starts its own container.
"""

from __future__ import annotations

import atexit
import logging
import threading

from celery import signals
from django.conf import settings

from autograder.pool import SandboxPool

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: SandboxPool | None = None
_in_worker_child = False


def current() -> SandboxPool | None:
    """This worker process's pool (made on first use), or None: not in a worker's child
    process, or AUTOGRADER_POOL_SIZE is 0."""
    global _pool
    if not _in_worker_child or settings.AUTOGRADER_POOL_SIZE < 1:
        return None
    with _lock:
        if _pool is None:
            _pool = SandboxPool(
                size=settings.AUTOGRADER_POOL_SIZE,
                idle_seconds=settings.AUTOGRADER_POOL_IDLE_SECONDS,
            )
            logger.info("warm sandbox pool of %d started", settings.AUTOGRADER_POOL_SIZE)
        return _pool


def close() -> None:
    """Remove this process's warm containers (if it has a pool)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.close()
        logger.info("warm sandbox pool closed")


@signals.worker_process_init.connect
def _child_started(**kwargs: object) -> None:
    global _in_worker_child
    _in_worker_child = True
    atexit.register(close)  # a child ending another way than worker_process_shutdown


@signals.worker_process_shutdown.connect
def _child_stopping(**kwargs: object) -> None:
    close()

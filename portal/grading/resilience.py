"""What keeps a grading alive when the worker's own machinery fails under it.

- **The lease.** A worker that claims a run holds it until ``GradingRun.lease_until``;
  while it grades, a :class:`Heartbeat` thread renews the lease every
  AUTOGRADER_HEARTBEAT_SECONDS. A worker killed with SIGKILL, a lost machine or Celery's
  hard time limit stops renewing, and the sweeper sends the run again once the lease is past
  (``services.grading_runs_sweep``): about a minute, not the task's hard limit.
- **A result in hand is stored.** A grading takes seconds to minutes; a database connection
  lost meanwhile (PostgreSQL restarted, a proxy cut an idle connection) must not throw the
  result away. :func:`stored` closes the broken connection and runs the store again, with
  back-off. Every store is one transaction that checks the claim first, so running it twice
  never writes twice: if the first commit went through before the connection dropped, the
  second finds the run no longer RUNNING and stores nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.utils import timezone

from portal.grading.models import GradingRun

logger = logging.getLogger(__name__)

T = TypeVar("T")


def lease_expiry(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(seconds=settings.AUTOGRADER_LEASE_SECONDS)


def lease_renew(run: GradingRun) -> bool:
    """Extend the lease of this worker's claim on ``run``; False once the run is not ours."""
    return bool(
        GradingRun.objects.filter(
            pk=run.pk, status=GradingRun.Status.RUNNING, tries=run.tries
        ).update(lease_until=lease_expiry())
    )


class Heartbeat:
    """Renews the lease of ``run`` in a thread for as long as the ``with`` block lasts.

    The thread has its own database connection (Django's are per thread) and closes it when
    it ends. A renewal that fails on the database is logged and tried again at the next beat;
    if the database stays away past the lease, the sweeper re-sends the run and this worker's
    result is refused (the claim is checked when it is stored).
    """

    def __init__(self, run: GradingRun) -> None:
        self.run = run
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-run{run.pk}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.AUTOGRADER_HEARTBEAT_SECONDS):
                try:
                    if not lease_renew(self.run):
                        return  # finished, or taken over by the sweeper
                except DatabaseError as exc:
                    logger.warning("run %s: lease not renewed: %s", self.run.pk, exc)
                    connection.close()  # the next beat opens a fresh one
        finally:
            connection.close()


def stored(store: Callable[[], T], *, what: str) -> T:
    """``store()``, tried again on a fresh connection while the database connection is lost.

    AUTOGRADER_STORE_RETRIES more tries, AUTOGRADER_STORE_BACKOFF_SECONDS apart and doubling;
    then the error propagates (the run keeps its claim until the lease runs out, and the
    sweeper sends it again). Call it outside any transaction: ``store`` opens its own.
    """
    retries = settings.AUTOGRADER_STORE_RETRIES
    failures = 0
    while True:
        try:
            return store()
        except (OperationalError, InterfaceError) as exc:
            if failures == retries:
                raise
            delay = settings.AUTOGRADER_STORE_BACKOFF_SECONDS * 2**failures
            failures += 1
            logger.warning(
                "%s: database connection lost (%s); reconnecting, try %s of %s in %.1f s",
                what,
                str(exc).strip(),
                failures + 1,
                retries + 1,
                delay,
            )
            connection.close()  # the broken connection is thrown away; the next query reconnects
            time.sleep(delay)

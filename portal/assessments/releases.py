"""Make the missing notebook releases, a few at a time, saying how far it got.

A release is nbgrader's student version of a source notebook, made in the grading image: one
container of a few seconds per notebook (``services.build_release``), the slow part of a first
``make run``. ``sync_course`` saves the assignments first and then makes their releases here,
several containers at once; ``runportal`` does the same in a background thread
(:class:`BackgroundReleases`) so that the portal answers meanwhile, the assignment pages
saying that the notebook is not available yet. A release that exists is never made again
(``selectors.releases_pending`` lists only the missing ones) and the autograder caches what
nbgrader made by the source's sha256, so a restart builds nothing.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from portal.assessments.models import Assignment
from portal.assessments.services import build_release, release_store

# Containers at once. Two keep both cores of a laptop busy (each container also waits on
# Docker); more only queue for the CPU and slow the web server starting next to them.
PARALLEL_BUILDS = 2


@dataclass(frozen=True)
class Built:
    """One assignment's outcome: ``error`` is None when its release is saved (or no longer
    needed: the source changed meanwhile)."""

    assignment: Assignment
    seconds: float
    error: Exception | None = None


def releases_build(
    assignments: Sequence[Assignment],
    *,
    release_builder: Callable[[Path], bytes] = build_release,
    parallel: int = PARALLEL_BUILDS,
    on_start: Callable[[Assignment], None] | None = None,
    on_done: Callable[[Built, int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> list[Built]:
    """Make the release of each of ``assignments``, ``parallel`` containers at a time.

    Only the containers run in the pool's threads; the database is read and written in the
    caller's (its transaction, its connection). A failure does not stop the others: it is
    returned in its ``Built.error``. ``on_start`` is called in the building thread,
    ``on_done(built, done, total)`` in the caller's as each one ends. Once ``stop`` is set no
    new build starts; those running finish (a container is never left behind).
    """
    results: list[Built] = []
    with (
        tempfile.TemporaryDirectory(prefix="releases-") as tmp,
        ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="release") as pool,
    ):
        futures: dict[Future[tuple[bytes, float]], tuple[Assignment, str]] = {}
        for assignment in assignments:
            source = Path(tmp) / f"{assignment.pk}.ipynb"
            with assignment.source_notebook.open("rb") as stored:
                source.write_bytes(stored.read())
            future = pool.submit(_build, assignment, source, release_builder, on_start, stop)
            futures[future] = (assignment, assignment.source_sha256)
        for future in as_completed(futures):
            assignment, source_sha256 = futures[future]
            try:
                release, seconds = future.result()
                release_store(assignment=assignment, source_sha256=source_sha256, release=release)
            except Exception as exc:  # reported with its assignment, never lost
                built = Built(assignment, 0.0, exc)
            else:
                built = Built(assignment, seconds)
            results.append(built)
            if on_done is not None:
                on_done(built, len(results), len(futures))
    return results


def _build(
    assignment: Assignment,
    source: Path,
    release_builder: Callable[[Path], bytes],
    on_start: Callable[[Assignment], None] | None,
    stop: threading.Event | None,
) -> tuple[bytes, float]:
    """One container, in a pool thread: the release's bytes and how long it took."""
    if stop is not None and stop.is_set():
        raise InterruptedError("stopped before it started")
    if on_start is not None:
        on_start(assignment)
    started = time.monotonic()
    return release_builder(source), time.monotonic() - started


class BackgroundReleases:
    """``releases_build`` of the pending releases in a thread, with its progress printed.

    ``start()`` returns at once; ``stop()`` lets the running builds end and skips the rest
    (the next start makes them).
    """

    def __init__(
        self,
        assignments: Sequence[Assignment],
        *,
        write: Callable[[str], None],
        release_builder: Callable[[Path], bytes] = build_release,
        parallel: int = PARALLEL_BUILDS,
    ) -> None:
        self.assignments = list(assignments)
        self.write = write
        self.release_builder = release_builder
        self.parallel = parallel
        self.results: list[Built] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="releases", daemon=True)

    def start(self) -> None:
        total = len(self.assignments)
        self.write(
            f"Preparing notebooks: 0/{total} in the background, {self.parallel} at a time "
            "(the portal answers meanwhile; their pages say the notebook is not available yet)"
        )
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        started = time.monotonic()
        try:
            self.results = releases_build(
                self.assignments,
                release_builder=self.release_builder,
                parallel=self.parallel,
                on_done=self._progress,
                stop=self._stop,
            )
        finally:
            connection.close()  # this thread's own
        failed = [b for b in self.results if b.error is not None]
        if self._stop.is_set() and failed:
            return  # stopping: the next start makes what is missing
        made = len(self.results) - len(failed)
        elapsed = time.monotonic() - started
        self.write(f"Notebooks ready: {made}/{len(self.results)} in {elapsed:.0f} s")

    def _progress(self, built: Built, done: int, total: int) -> None:
        slug = built.assignment.slug
        if built.error is None:
            self.write(f"Preparing notebooks: {done}/{total} ({slug}, {built.seconds:.0f} s)")
        elif not isinstance(built.error, InterruptedError):
            self.write(
                f"Preparing notebooks: {done}/{total}: {slug} FAILED: {built.error}. Its page "
                "says the notebook is not available yet; the next start tries again."
            )

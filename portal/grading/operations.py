"""What the operations page shows admins (``/operacao/``): is grading keeping up, and what fails.

Read from the database (the state of every run is there) and from the workers themselves (a
Celery ``ping`` and ``active`` over the broker, one second at most), for a window of the last
``WINDOW`` hours:

- the queue: runs queued now and the age of the oldest; runs grading and waiting for a retry;
- the workers that answered, with the queues they consume and what they are running;
- runs by status and per hour (the chart), grading time p50/p95 per assignment (started to
  finished, done runs), failure reasons with counts (errors of ours, and the student outcomes
  that are not a normal grade: time-out, out of memory, unusable file), infrastructure
  retries (tries beyond the first), and the MLflow backlog (done runs not logged yet).

Nothing here is per student; the page is for portal admins only.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autograder.messages import duration
from portal.grading.models import GradingRun

logger = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=24)
PING_TIMEOUT_SECONDS = 1.0
# Outcomes of a finished run that are not an ordinary grade (autograder GradeStatus values).
UNUSUAL_OUTCOMES = {
    "timeout": gettext_lazy("tempo esgotado"),
    "oom": gettext_lazy("memória esgotada"),
    "invalid": gettext_lazy("arquivo inutilizável"),
}


@dataclass(frozen=True)
class Worker:
    name: str
    queues: list[str]
    active: int  # tasks it is running now


@dataclass(frozen=True)
class Timing:
    assignment: str
    runs: int
    p50: float
    p95: float

    @property
    def p50_text(self) -> str:
        return duration(self.p50)

    @property
    def p95_text(self) -> str:
        return duration(self.p95)


@dataclass(frozen=True)
class Hour:
    starts_at: dt.datetime
    count: int
    height: int  # percent of the busiest hour: the bar's height in the chart's 100 units
    x: int  # the bar's place in the chart (10 units per hour)

    @property
    def y(self) -> int:
        return 100 - self.height


@dataclass
class Snapshot:
    now: dt.datetime
    queued: int = 0
    oldest_queued_at: dt.datetime | None = None
    running: int = 0
    waiting: int = 0
    workers: list[Worker] | None = None  # None: the broker could not be asked
    by_status: list[tuple[str, int]] = field(default_factory=list)  # (label, runs)
    per_hour: list[Hour] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)
    outcomes: list[tuple[str, int]] = field(default_factory=list)
    retries: int = 0
    mlflow_backlog: int | None = None  # None: logging is off

    @property
    def oldest_queued_seconds(self) -> int | None:
        if self.oldest_queued_at is None:
            return None
        return max(0, int((self.now - self.oldest_queued_at).total_seconds()))

    @property
    def oldest_queued_age(self) -> str:
        """ "há 45 s", "há 5 min": how long the oldest queued run has waited."""
        seconds = self.oldest_queued_seconds
        return "" if seconds is None else _("há %(age)s") % {"age": duration(seconds)}


def snapshot(*, now: dt.datetime | None = None, ask_workers: bool = True) -> Snapshot:
    now = now or timezone.now()
    since = now - WINDOW
    snap = Snapshot(now=now)
    live = GradingRun.objects.filter(
        status__in=[GradingRun.Status.QUEUED, GradingRun.Status.RUNNING, GradingRun.Status.WAITING]
    )
    for row in live.values("status").annotate(n=Count("pk"), oldest=Min("queued_at")):
        setattr(snap, row["status"], row["n"])
        if row["status"] == GradingRun.Status.QUEUED:
            snap.oldest_queued_at = row["oldest"]
    recent = GradingRun.objects.filter(queued_at__gte=since)
    snap.by_status = [
        (GradingRun.Status(status).label, count)
        for status, count in recent.values_list("status").annotate(n=Count("pk")).order_by("status")
    ]
    snap.retries = (
        recent.filter(tries__gt=1).aggregate(extra=Sum("tries") - Count("pk"))["extra"] or 0
    )
    snap.per_hour = _per_hour(recent.values_list("queued_at", flat=True), now)
    finished = recent.filter(status=GradingRun.Status.DONE, started_at__isnull=False)
    snap.timings = _timings(
        finished.values_list("submission__assignment__title", "started_at", "finished_at")
    )
    errors = recent.filter(status=GradingRun.Status.ERROR).values_list("error", flat=True)
    snap.failures = Counter(_first_line(error) for error in errors).most_common(10)
    snap.outcomes = [
        (str(UNUSUAL_OUTCOMES[outcome]), count)
        for outcome, count in finished.filter(grade_status__in=UNUSUAL_OUTCOMES)
        .values_list("grade_status")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    if settings.MLFLOW_LOGGING_ENABLED:
        snap.mlflow_backlog = GradingRun.objects.filter(
            status=GradingRun.Status.DONE, mlflow_run_id=""
        ).count()
    if ask_workers:
        snap.workers = workers()
    return snap


def workers() -> list[Worker] | None:
    """The workers that answer a ping within a second, by name; None if the broker fails."""
    from portal.celery import app

    try:
        inspect = app.control.inspect(timeout=PING_TIMEOUT_SECONDS)
        answered = inspect.active_queues() or {}
        active = inspect.active() or {}
    except Exception as exc:  # the broker is down or refuses: say so, never a 500
        logger.warning("operations page: could not ask the workers: %r", exc)
        return None
    return [
        Worker(
            name=name,
            queues=sorted(queue["name"] for queue in queues),
            active=len(active.get(name, [])),
        )
        for name, queues in sorted(answered.items())
    ]


def _per_hour(moments, now: dt.datetime) -> list[Hour]:
    start = now.replace(minute=0, second=0, microsecond=0) - WINDOW + dt.timedelta(hours=1)
    counts = Counter(
        int((moment - start).total_seconds() // 3600) for moment in moments if moment >= start
    )
    busiest = max(counts.values(), default=0)
    return [
        Hour(
            starts_at=start + dt.timedelta(hours=index),
            count=counts.get(index, 0),
            height=round(100 * counts.get(index, 0) / busiest) if busiest else 0,
            x=index * 10,
        )
        for index in range(24)
    ]


def _timings(rows) -> list[Timing]:
    seconds: dict[str, list[float]] = defaultdict(list)
    for title, started, finished in rows:
        if finished and started:
            seconds[title].append((finished - started).total_seconds())
    return [
        Timing(title, len(values), percentile(values, 50), percentile(values, 95))
        for title, values in sorted(seconds.items())
    ]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (not empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _first_line(error: str) -> str:
    line = (error or "").strip().splitlines()[0] if (error or "").strip() else "?"
    return line[:160]

"""Reads of the course zip's jobs for the report page (``selectors.py`` holds the reports'
data and is near the module-size limit, hence a module of its own)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max

from portal.courses.models import Course
from portal.grading.models import GradingRun
from portal.reports.models import ReportArchive
from portal.review.models import ScoreChange

Status = ReportArchive.Status


@dataclass(frozen=True)
class ArchivePanel:
    """What the page says about the course's zip."""

    current: ReportArchive | None  # the newest job unless it is ``ready``: queued, running, failed
    ready: ReportArchive | None  # the newest zip that can be downloaded
    outdated: bool  # a grade changed after ``ready`` read the grades

    @property
    def polling(self) -> bool:
        return self.current is not None and not self.current.final


def archive_panel(course: Course) -> ArchivePanel:
    """The newest job and the newest downloadable zip, in two or three queries (four when a
    zip is ready: the newest grade change is two aggregates)."""
    jobs = ReportArchive.objects.filter(course=course).select_related("requested_by")
    newest = jobs.first()
    if newest is None:
        return ArchivePanel(current=None, ready=None, outdated=False)
    if newest.status == Status.DONE and newest.file:
        ready = newest
    else:
        ready = jobs.filter(status=Status.DONE).exclude(file="").first()
    current = None if newest == ready else newest
    outdated = ready is not None and _grades_changed_since(course, ready)
    return ArchivePanel(current=current, ready=ready, outdated=outdated)


def _grades_changed_since(course: Course, archive: ReportArchive) -> bool:
    """A grading finished or a reviewer changed a score after the zip read the grades (when its
    build started). Deadlines and releases are not counted: cheap, not exhaustive."""
    since = archive.started_at or archive.created_at
    graded = GradingRun.objects.filter(submission__assignment__course=course).aggregate(
        last=Max("finished_at")
    )["last"]
    if graded is not None and graded > since:
        return True
    reviewed = ScoreChange.objects.filter(
        score__run__submission__assignment__course=course
    ).aggregate(last=Max("changed_at"))["last"]
    return reviewed is not None and reviewed > since

"""Read and validate ``course_content/`` into plain dataclasses (no database).

``course.yaml`` is written by hand, so every error names the file and the line
and says what was expected. The schema is documented in ``course_content/SCHEMA.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from portal.courses.yaml_reader import ContentError, Reader, inside, load_yaml, reject_duplicates

__all__ = ["ContentError", "CourseFile", "CourseSpec", "load_course", "read_course_file"]


@dataclass(frozen=True)
class PageSpec:
    slug: str
    title: str
    body_md: str
    order: int


@dataclass(frozen=True)
class SessionSpec:
    kind: str
    starts_at: dt.datetime
    duration_minutes: int
    title: str = ""
    teams_url: str = ""


@dataclass(frozen=True)
class MaterialSpec:
    title: str
    kind: str
    order: int
    url: str = ""
    description: str = ""
    file_path: Path | None = None
    sha256: str = ""


@dataclass(frozen=True)
class WeekSpec:
    number: int
    slug: str
    title: str
    summary: str
    theory_md: str
    practice_md: str
    publish_at: dt.datetime
    sessions: list[SessionSpec] = field(default_factory=list)
    materials: list[MaterialSpec] = field(default_factory=list)


@dataclass(frozen=True)
class CertificateRule:
    """Who gets a certificate: at least this share of the recorded sessions attended and this
    share of the final project's points; ``hours`` None = the sessions' total duration."""

    min_attendance_percent: int = 75
    min_grade_percent: int = 60
    hours: int | None = None


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    title: str
    summary: str
    timezone: str
    start_date: dt.date
    teams_channel_url: str
    pages: list[PageSpec]
    weeks: list[WeekSpec]
    # Present in a session from this share of its duration in the meeting (Teams report).
    attendance_present_percent: int = 75
    certificate: CertificateRule = field(default_factory=lambda: CertificateRule())


@dataclass(frozen=True)
class CourseFile:
    """``course.yaml`` read: the course part, and what other readers of the same file need
    (``portal.assessments.content`` reads ``assignments`` and ``final_project``)."""

    spec: CourseSpec
    top: Reader
    root: Path
    tz: zoneinfo.ZoneInfo


# --- The schema ----------------------------------------------------------------------

# "assignments" and "final_project" belong to portal.assessments.content.
_COURSE_KEYS = {
    "slug",
    "title",
    "summary",
    "timezone",
    "start_date",
    "teams_channel_url",
    "schedule",
    "attendance",
    "certificate",
    "survey",  # portal.surveys.content
    "pages",
    "weeks",
    "assignments",
    "final_project",
}
_SCHEDULE_KEYS = {"weekday", "time", "duration_minutes", "teams_url"}
_PAGE_KEYS = {"slug", "title", "file"}
_WEEK_KEYS = {
    "number",
    "slug",
    "title",
    "summary",
    "theory",
    "practice",
    "publish_at",
    "sessions",
    "materials",
}
_SESSION_KEYS = {"kind", "starts_at", "duration_minutes", "teams_url", "title"}
_MATERIAL_KEYS = {"title", "kind", "url", "file", "description"}
SESSION_KINDS = ("theory", "practice")
MATERIAL_KINDS = ("link", "file")


@dataclass(frozen=True)
class _Slot:
    weekday: int
    time: dt.time
    duration_minutes: int
    teams_url: str = ""  # a recurring Teams meeting: every session of this kind


def load_course(root: Path) -> CourseSpec:
    """Parse ``root/course.yaml`` and every file it names; raise ContentError on any problem.

    The course, its pages and weeks; the assessments in the same file are read by
    ``portal.assessments.content.load_course_content``.
    """
    return read_course_file(root).spec


def read_course_file(root: Path) -> CourseFile:
    """:func:`load_course`, keeping what the assessment reader needs of the file."""
    root = Path(root)
    path = root / "course.yaml"
    if not path.is_file():
        raise ContentError(path, None, "course.yaml not found")
    data = load_yaml(path)

    top = Reader(data, path, "course", _COURSE_KEYS)
    tz_name = top.text("timezone")
    try:
        tz = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise top.error("timezone", f"'{tz_name}' is not an IANA time zone") from None
    start_date = top.date("start_date")
    schedule = _read_schedule(top, path)

    pages = []
    for index, item in enumerate(top.sequence("pages")):
        page = Reader(item, path, f"pages[{index}]", _PAGE_KEYS)
        pages.append(
            PageSpec(
                slug=page.slug("slug"),
                title=page.text("title"),
                body_md=page.text_file("file", root),
                order=index,
            )
        )
    reject_duplicates(top, "pages", [p.slug for p in pages], "page slug")

    weeks = [
        _read_week(
            Reader(item, path, f"weeks[{index}]", _WEEK_KEYS), root, tz, start_date, schedule
        )
        for index, item in enumerate(top.sequence("weeks", required=True))
    ]
    if not weeks:
        raise top.error("weeks", "the course needs at least one week")
    reject_duplicates(top, "weeks", [w.number for w in weeks], "week number")
    reject_duplicates(top, "weeks", [w.slug for w in weeks], "week slug")

    spec = CourseSpec(
        slug=top.slug("slug"),
        title=top.text("title"),
        summary=top.text("summary"),
        timezone=tz_name,
        start_date=start_date,
        teams_channel_url=top.url("teams_channel_url"),
        pages=pages,
        weeks=sorted(weeks, key=lambda w: w.number),
        attendance_present_percent=_read_attendance(top, path),
        certificate=_read_certificate(top, path),
    )
    return CourseFile(spec=spec, top=top, root=root, tz=tz)


def _read_attendance(top: Reader, path: Path) -> int:
    raw = top.raw("attendance", required=False)
    if raw is None:
        return CourseSpec.attendance_present_percent
    attendance = Reader(raw, path, "attendance", {"present_percent"})
    return attendance.integer("present_percent", minimum=1, maximum=100)


def _read_certificate(top: Reader, path: Path) -> CertificateRule:
    raw = top.raw("certificate", required=False)
    if raw is None:
        return CertificateRule()
    rule = Reader(
        raw, path, "certificate", {"min_attendance_percent", "min_grade_percent", "hours"}
    )
    hours = rule.raw("hours", required=False)
    return CertificateRule(
        min_attendance_percent=rule.integer("min_attendance_percent", minimum=0, maximum=100),
        min_grade_percent=rule.integer("min_grade_percent", minimum=0, maximum=100),
        hours=None if hours is None else rule.integer("hours", minimum=1, maximum=2000),
    )


def _read_schedule(top: Reader, path: Path) -> dict[str, _Slot]:
    schedule = Reader(top.raw("schedule", required=True), path, "schedule", set(SESSION_KINDS))
    slots = {}
    for kind in SESSION_KINDS:
        slot = Reader(schedule.raw(kind, required=True), path, f"schedule.{kind}", _SCHEDULE_KEYS)
        raw_time = slot.text("time")
        try:
            time = dt.time.fromisoformat(raw_time)
        except ValueError:
            raise slot.error("time", f"'{raw_time}' is not a time (HH:MM)") from None
        slots[kind] = _Slot(
            weekday=slot.integer("weekday", minimum=1, maximum=7),
            time=time,
            duration_minutes=slot.integer("duration_minutes", minimum=15, maximum=600),
            teams_url=slot.url("teams_url"),
        )
    return slots


def _read_week(
    week: Reader, root: Path, tz: zoneinfo.ZoneInfo, start_date: dt.date, schedule: dict[str, _Slot]
) -> WeekSpec:
    number = week.integer("number", minimum=1, maximum=52)
    week_start = start_date + dt.timedelta(days=7 * (number - 1))
    default_publish = dt.datetime.combine(
        week_start - dt.timedelta(days=3), dt.time(8, 0), tzinfo=tz
    )
    sessions = [
        _read_session(
            Reader(item, week.path, f"{week.where}.sessions[{index}]", _SESSION_KEYS), tz, schedule
        )
        for index, item in enumerate(week.sequence("sessions"))
    ]
    if not sessions:
        sessions = [
            SessionSpec(
                kind=kind,
                starts_at=dt.datetime.combine(
                    week_start + dt.timedelta(days=slot.weekday - 1), slot.time, tzinfo=tz
                ),
                duration_minutes=slot.duration_minutes,
                teams_url=slot.teams_url,
            )
            for kind, slot in schedule.items()
        ]
    materials = [
        _read_material(
            Reader(item, week.path, f"{week.where}.materials[{index}]", _MATERIAL_KEYS), root, index
        )
        for index, item in enumerate(week.sequence("materials"))
    ]
    return WeekSpec(
        number=number,
        slug=week.slug("slug"),
        title=week.text("title"),
        summary=week.text("summary", required=False),
        theory_md=week.text_file("theory", root),
        practice_md=week.text_file("practice", root, required=False),
        publish_at=week.moment("publish_at", tz, required=False) or default_publish,
        sessions=sorted(sessions, key=lambda s: s.starts_at),
        materials=materials,
    )


def _read_session(
    session: Reader, tz: zoneinfo.ZoneInfo, schedule: dict[str, _Slot]
) -> SessionSpec:
    kind = session.choice("kind", SESSION_KINDS)
    return SessionSpec(
        kind=kind,
        starts_at=session.moment("starts_at", tz),
        duration_minutes=session.integer(
            "duration_minutes",
            required=False,
            default=schedule[kind].duration_minutes,
            minimum=15,
            maximum=600,
        ),
        title=session.text("title", required=False),
        teams_url=session.url("teams_url") or schedule[kind].teams_url,
    )


def _read_material(material: Reader, root: Path, order: int) -> MaterialSpec:
    kind = material.choice("kind", MATERIAL_KINDS)
    common = {
        "title": material.text("title"),
        "kind": kind,
        "order": order,
        "description": material.text("description", required=False),
    }
    if kind == "link":
        if "file" in material.data:
            raise material.error("file", "a link material has a url, not a file")
        return MaterialSpec(url=material.url("url", required=True), **common)
    if "url" in material.data:
        raise material.error("url", "a file material has a file, not a url")
    target = inside(material, "file", root, material.text("file"))
    return MaterialSpec(
        file_path=target, sha256=hashlib.sha256(target.read_bytes()).hexdigest(), **common
    )

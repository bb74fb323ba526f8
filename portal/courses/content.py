"""Read and validate ``course_content/`` into plain dataclasses (no database).

``course.yaml`` is written by hand, so every error names the file and the line
and says what was expected. The schema is documented in ``course_content/SCHEMA.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_FILE_BYTES = 20 * 1024 * 1024


class ContentError(Exception):
    """A problem in the course files, located by file and line (1-based)."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


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
class CourseSpec:
    slug: str
    title: str
    summary: str
    timezone: str
    start_date: dt.date
    teams_channel_url: str
    pages: list[PageSpec]
    weeks: list[WeekSpec]


# --- YAML with line numbers -------------------------------------------------------


class _Mapping(dict):
    line: int = 0
    key_lines: dict[str, int]


class _Sequence(list):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings and sequences remember where they were written."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        mapping = _Mapping(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {
            str(key_node.value): key_node.start_mark.line + 1 for key_node, _ in node.value
        }
        return mapping

    def construct_sequence(self, node, deep=False):  # type: ignore[override]
        sequence = _Sequence(super().construct_sequence(node, deep=True))
        sequence.line = node.start_mark.line + 1
        return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                            _LineLoader.construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
                            _LineLoader.construct_sequence)


class _Reader:
    """Typed access to one YAML mapping, raising ContentError with its line."""

    def __init__(self, data: Any, path: Path, where: str, allowed: set[str]) -> None:
        self.path, self.where = path, where
        if not isinstance(data, _Mapping):
            raise ContentError(path, getattr(data, "line", None), f"{where}: expected a mapping")
        self.data = data
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ContentError(path, data.key_lines.get(unknown[0], data.line),
                               f"{where}: unknown key '{unknown[0]}' "
                               f"(allowed: {', '.join(sorted(allowed))})")

    def line_of(self, key: str) -> int:
        return self.data.key_lines.get(key, self.data.line)

    def error(self, key: str, message: str) -> ContentError:
        return ContentError(self.path, self.line_of(key), f"{self.where}.{key}: {message}")

    def raw(self, key: str, required: bool) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                raise ContentError(self.path, self.data.line,
                                   f"{self.where}: missing required key '{key}'")
            return None
        return self.data[key]

    def text(self, key: str, required: bool = True, default: str = "") -> str:
        value = self.raw(key, required)
        if value is None:
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.error(key, "expected non-empty text")
        return value.strip()

    def slug(self, key: str) -> str:
        value = self.text(key)
        if not SLUG_RE.match(value):
            raise self.error(key, f"'{value}' is not a slug (lowercase letters, digits, hyphens)")
        return value

    def integer(self, key: str, required: bool = True, default: int = 0,
                minimum: int = 0, maximum: int = 10_000) -> int:
        value = self.raw(key, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not (
            minimum <= value <= maximum
        ):
            raise self.error(key, f"expected a whole number from {minimum} to {maximum}")
        return value

    def url(self, key: str, required: bool = False) -> str:
        value = self.text(key, required=required)
        if value and not value.startswith(("https://", "http://")):
            raise self.error(key, f"'{value}' is not an http(s) URL")
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in choices:
            raise self.error(key, f"'{value}' must be one of: {', '.join(choices)}")
        return value

    def date(self, key: str) -> dt.date:
        value = self.raw(key, required=True)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.error(key, f"'{value}' is not a date (YYYY-MM-DD)") from None

    def moment(self, key: str, tz: zoneinfo.ZoneInfo, required: bool = True) -> dt.datetime | None:
        value = self.raw(key, required)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            moment = value
        else:
            try:
                moment = dt.datetime.fromisoformat(str(value))
            except ValueError:
                raise self.error(key, f"'{value}' is not a date-time (YYYY-MM-DDTHH:MM)") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)

    def sequence(self, key: str, required: bool = False) -> list[Any]:
        value = self.raw(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, "expected a list")
        return value

    def text_file(self, key: str, root: Path, required: bool = True) -> str:
        relative = self.text(key, required=required)
        if not relative:
            return ""
        return _read_text(self, key, _inside(self, key, root, relative))


def _inside(reader: _Reader, key: str, root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise reader.error(key, f"'{relative}' points outside the course folder")
    if not target.is_file():
        raise reader.error(key, f"file '{relative}' not found")
    if target.stat().st_size > MAX_FILE_BYTES:
        raise reader.error(key, f"file '{relative}' is larger than {MAX_FILE_BYTES} bytes")
    return target


def _read_text(reader: _Reader, key: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(path, None, f"not valid UTF-8 ({exc.reason})") from None


# --- The schema ----------------------------------------------------------------------

_COURSE_KEYS = {"slug", "title", "summary", "timezone", "start_date", "teams_channel_url",
                "schedule", "pages", "weeks"}
_SCHEDULE_KEYS = {"weekday", "time", "duration_minutes"}
_PAGE_KEYS = {"slug", "title", "file"}
_WEEK_KEYS = {"number", "slug", "title", "summary", "theory", "practice", "publish_at",
              "sessions", "materials"}
_SESSION_KEYS = {"kind", "starts_at", "duration_minutes", "teams_url", "title"}
_MATERIAL_KEYS = {"title", "kind", "url", "file", "description"}
SESSION_KINDS = ("theory", "practice")
MATERIAL_KINDS = ("link", "file")


@dataclass(frozen=True)
class _Slot:
    weekday: int
    time: dt.time
    duration_minutes: int


def load_course(root: Path) -> CourseSpec:
    """Parse ``root/course.yaml`` and every file it names; raise ContentError on any problem."""
    root = Path(root)
    path = root / "course.yaml"
    if not path.is_file():
        raise ContentError(path, None, "course.yaml not found")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ContentError(path, mark.line + 1 if mark else None,
                           f"invalid YAML: {exc.problem or exc.context}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ContentError(path, None, f"invalid YAML: {exc}") from None

    top = _Reader(data, path, "course", _COURSE_KEYS)
    tz_name = top.text("timezone")
    try:
        tz = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise top.error("timezone", f"'{tz_name}' is not an IANA time zone") from None
    start_date = top.date("start_date")
    schedule = _read_schedule(top, path)

    pages = []
    for index, item in enumerate(top.sequence("pages")):
        page = _Reader(item, path, f"pages[{index}]", _PAGE_KEYS)
        pages.append(PageSpec(slug=page.slug("slug"), title=page.text("title"),
                              body_md=page.text_file("file", root), order=index))
    _reject_duplicates(top, "pages", [p.slug for p in pages], "page slug")

    weeks = [
        _read_week(_Reader(item, path, f"weeks[{index}]", _WEEK_KEYS), root, tz, start_date,
                   schedule)
        for index, item in enumerate(top.sequence("weeks", required=True))
    ]
    if not weeks:
        raise top.error("weeks", "the course needs at least one week")
    _reject_duplicates(top, "weeks", [w.number for w in weeks], "week number")
    _reject_duplicates(top, "weeks", [w.slug for w in weeks], "week slug")

    return CourseSpec(slug=top.slug("slug"), title=top.text("title"),
                      summary=top.text("summary"), timezone=tz_name, start_date=start_date,
                      teams_channel_url=top.url("teams_channel_url"),
                      pages=pages, weeks=sorted(weeks, key=lambda w: w.number))


def _reject_duplicates(reader: _Reader, key: str, values: list, what: str) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise reader.error(key, f"{what} '{value}' appears twice")
        seen.add(value)


def _read_schedule(top: _Reader, path: Path) -> dict[str, _Slot]:
    schedule = _Reader(top.raw("schedule", required=True), path, "schedule", set(SESSION_KINDS))
    slots = {}
    for kind in SESSION_KINDS:
        slot = _Reader(schedule.raw(kind, required=True), path, f"schedule.{kind}",
                       _SCHEDULE_KEYS)
        raw_time = slot.text("time")
        try:
            time = dt.time.fromisoformat(raw_time)
        except ValueError:
            raise slot.error("time", f"'{raw_time}' is not a time (HH:MM)") from None
        slots[kind] = _Slot(weekday=slot.integer("weekday", minimum=1, maximum=7), time=time,
                            duration_minutes=slot.integer("duration_minutes", minimum=15,
                                                          maximum=600))
    return slots


def _read_week(week: _Reader, root: Path, tz: zoneinfo.ZoneInfo, start_date: dt.date,
               schedule: dict[str, _Slot]) -> WeekSpec:
    number = week.integer("number", minimum=1, maximum=52)
    week_start = start_date + dt.timedelta(days=7 * (number - 1))
    default_publish = dt.datetime.combine(week_start - dt.timedelta(days=3), dt.time(8, 0),
                                          tzinfo=tz)
    sessions = [
        _read_session(_Reader(item, week.path, f"{week.where}.sessions[{index}]",
                              _SESSION_KEYS), tz, schedule)
        for index, item in enumerate(week.sequence("sessions"))
    ]
    if not sessions:
        sessions = [
            SessionSpec(
                kind=kind,
                starts_at=dt.datetime.combine(
                    week_start + dt.timedelta(days=slot.weekday - 1), slot.time, tzinfo=tz),
                duration_minutes=slot.duration_minutes,
            )
            for kind, slot in schedule.items()
        ]
    materials = [
        _read_material(_Reader(item, week.path, f"{week.where}.materials[{index}]",
                               _MATERIAL_KEYS), root, index)
        for index, item in enumerate(week.sequence("materials"))
    ]
    return WeekSpec(
        number=number, slug=week.slug("slug"), title=week.text("title"),
        summary=week.text("summary", required=False),
        theory_md=week.text_file("theory", root),
        practice_md=week.text_file("practice", root, required=False),
        publish_at=week.moment("publish_at", tz, required=False) or default_publish,
        sessions=sorted(sessions, key=lambda s: s.starts_at), materials=materials,
    )


def _read_session(session: _Reader, tz: zoneinfo.ZoneInfo,
                  schedule: dict[str, _Slot]) -> SessionSpec:
    kind = session.choice("kind", SESSION_KINDS)
    return SessionSpec(
        kind=kind,
        starts_at=session.moment("starts_at", tz),
        duration_minutes=session.integer("duration_minutes", required=False,
                                         default=schedule[kind].duration_minutes,
                                         minimum=15, maximum=600),
        title=session.text("title", required=False),
        teams_url=session.url("teams_url"),
    )


def _read_material(material: _Reader, root: Path, order: int) -> MaterialSpec:
    kind = material.choice("kind", MATERIAL_KINDS)
    common = {"title": material.text("title"), "kind": kind, "order": order,
              "description": material.text("description", required=False)}
    if kind == "link":
        if "file" in material.data:
            raise material.error("file", "a link material has a url, not a file")
        return MaterialSpec(url=material.url("url", required=True), **common)
    if "url" in material.data:
        raise material.error("url", "a file material has a file, not a url")
    target = _inside(material, "file", root, material.text("file"))
    return MaterialSpec(file_path=target, sha256=hashlib.sha256(target.read_bytes()).hexdigest(),
                        **common)

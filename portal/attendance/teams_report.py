"""Reading the attendance report a Teams meeting organiser downloads.

The file is UTF-16 (with a byte-order mark) and tab-separated, in three numbered sections:
``1. Summary`` (key, value lines: the meeting's title, start and end), ``2. Participants``
(one line per person: first join, last leave, total) and ``3. In-Meeting Activities`` (one
line per join and leave). Headers are in the organiser's language (English and Portuguese
are read here), dates in their locale (``3/2/27, 7:00:12 PM``, ``02/03/2027 19:00:12``,
``2027-03-02 19:00:12``). Guests have no e-mail.

Minutes are counted from the activities (every join and leave), overlapping intervals merged
(someone in on a laptop and a phone counts once); a report without that section falls back
to first join and last leave. Standard library only; nothing here knows about the database.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from portal.attendance.messages import AttendanceError

MAX_BYTES = 2 * 1024 * 1024

SUMMARY = ("summary", "resumo")
PARTICIPANTS = ("participants", "participantes")
ACTIVITIES = ("in-meeting activities", "atividades na reunião", "atividades durante a reunião")

TITLE = ("meeting title", "título da reunião", "titulo da reuniao")
START = ("start time", "hora de início", "horário de início", "hora de inicio")
END = ("end time", "hora de término", "horário de término", "hora de termino")

NAME = ("name", "nome", "nome completo", "full name")
EMAIL = ("email", "e-mail", "endereço de email", "endereço de e-mail")
UPN = ("participant id (upn)", "id do participante (upn)", "upn")
JOIN = ("join time", "hora de entrada", "horário de entrada", "first join", "primeira entrada")
LEAVE = ("leave time", "hora de saída", "horário de saída", "last leave", "última saída")
ROLE = ("role", "função", "funcao", "papel")

_SECTION = re.compile(r"^\s*(\d+)\.\s*(.+?)\s*$")
_DATE = re.compile(
    r"^\s*(?P<a>\d{1,4})[/.-](?P<b>\d{1,2})[/.-](?P<c>\d{2,4}),?\s+"
    r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?\s*$"
)


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime


@dataclass
class Person:
    name: str
    email: str  # lower case; the UPN when the e-mail column is empty; "" for a guest
    role: str
    intervals: list[Interval] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return int(merged_seconds(self.intervals) // 60)


@dataclass(frozen=True)
class Report:
    title: str
    start: dt.datetime
    end: dt.datetime | None
    people: list[Person]


def merged_seconds(intervals: Iterable[Interval]) -> float:
    """Seconds covered by ``intervals``, each moment counted once."""
    total = 0.0
    current: Interval | None = None
    for interval in sorted(intervals, key=lambda i: i.start):
        if current is None or interval.start > current.end:
            if current is not None:
                total += (current.end - current.start).total_seconds()
            current = interval
        elif interval.end > current.end:
            current = Interval(current.start, interval.end)
    if current is not None:
        total += (current.end - current.start).total_seconds()
    return total


def decode(data: bytes) -> str:
    if not data.strip(b"\x00\r\n\t \xff\xfe\xef\xbb\xbf"):
        raise AttendanceError("attendance.empty")
    if len(data) > MAX_BYTES:
        raise AttendanceError("attendance.too_big", max="2 MB")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data[1:2] == b"\x00":
        encoding = "utf-16-le"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise AttendanceError("attendance.not_text") from None
    if "\x00" in text:
        raise AttendanceError("attendance.not_text")
    return text


def _key(text: str) -> str:
    return " ".join(text.strip().strip('"').lower().split())


def _sections(text: str) -> dict[str, list[tuple[int, list[str]]]]:
    """Lines by section name (lower case), each with its line number and its cells."""
    sections: dict[str, list[tuple[int, list[str]]]] = {}
    current: list[tuple[int, list[str]]] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [cell.strip().strip('"').strip() for cell in line.split("\t")]
        if not any(cells):
            continue
        heading = _SECTION.match(cells[0]) if len([c for c in cells if c]) == 1 else None
        if heading:
            current = sections.setdefault(_key(heading.group(2)), [])
            continue
        if current is not None:
            current.append((number, cells))
    return sections


def _find(sections: dict, names: tuple[str, ...]) -> list[tuple[int, list[str]]] | None:
    for name in names:
        if name in sections:
            return sections[name]
    return None


class _Dates:
    """Dates in the organiser's locale: day or month first is decided once per file."""

    def __init__(self, values: list[str], tz: zoneinfo.ZoneInfo) -> None:
        self.tz = tz
        self.day_first = True
        firsts, seconds, ampm = [], [], False
        for value in values:
            match = _DATE.match(value)
            if match and len(match.group("a")) <= 2:
                firsts.append(int(match.group("a")))
                seconds.append(int(match.group("b")))
                ampm = ampm or bool(match.group("ampm"))
        if any(n > 12 for n in seconds) and not any(n > 12 for n in firsts):
            self.day_first = False
        elif not any(n > 12 for n in firsts) and ampm:
            self.day_first = False  # en-US: month first, 12-hour clock

    def parse(self, value: str, line: int) -> dt.datetime:
        match = _DATE.match(value)
        if not match:
            raise AttendanceError("attendance.bad_date", line=line, value=value[:40])
        a, b, c = (int(match.group(k)) for k in ("a", "b", "c"))
        if len(match.group("a")) == 4:
            year, month, day = a, b, c
        else:
            day, month = (a, b) if self.day_first else (b, a)
            year = c + 2000 if c < 100 else c
        hour, minute = int(match.group("h")), int(match.group("m"))
        second = int(match.group("s") or 0)
        ampm = (match.group("ampm") or "").replace(".", "").replace(" ", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        try:
            return dt.datetime(year, month, day, hour, minute, second, tzinfo=self.tz)
        except ValueError:
            raise AttendanceError("attendance.bad_date", line=line, value=value[:40]) from None


def _table(
    rows: list[tuple[int, list[str]]], section: str, wanted: dict[str, tuple[str, ...]]
) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """The columns ``wanted`` (name → header aliases) of a table whose first row is its
    header; a column that is not there is refused unless it is optional (e-mail, UPN, role)."""
    if not rows:
        raise AttendanceError("attendance.not_a_report", section=section)
    line, header = rows[0]
    keys = [_key(cell) for cell in header]
    columns = {}
    for name, aliases in wanted.items():
        found = next((i for i, key in enumerate(keys) if key in aliases), None)
        if found is None and name in ("name", "join", "leave"):
            raise AttendanceError(
                "attendance.missing_column", section=section, column=aliases[0].title(), line=line
            )
        if found is not None:
            columns[name] = found
    return columns, rows[1:]


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return cells[index] if index is not None and index < len(cells) else ""


def parse(data: bytes, *, tz: zoneinfo.ZoneInfo) -> Report:
    """The report in ``data``; AttendanceError says what is wrong with a file that is not one."""
    sections = _sections(decode(data))
    activities = _find(sections, ACTIVITIES)
    participants = _find(sections, PARTICIPANTS)
    rows = activities if activities else participants
    if rows is None:
        raise AttendanceError("attendance.not_a_report", section="2. Participants")
    section = "3. In-Meeting Activities" if activities else "2. Participants"
    columns, body = _table(
        rows,
        section,
        {"name": NAME, "join": JOIN, "leave": LEAVE, "email": EMAIL, "upn": UPN, "role": ROLE},
    )
    summary = {
        _key(cells[0]): (line, cells[1])
        for line, cells in _find(sections, SUMMARY) or []
        if len(cells) > 1
    }
    moments = [_cell(c, columns, "join") for _l, c in body] + [
        _cell(c, columns, "leave") for _l, c in body
    ]
    moments += [value for _line, value in summary.values()]
    dates = _Dates(moments, tz)

    people: dict[str, Person] = {}
    for line, cells in body:
        name = _cell(cells, columns, "name")
        if not name:
            continue
        email = (_cell(cells, columns, "email") or _cell(cells, columns, "upn")).lower()
        if "@" not in email:
            email = ""
        person = people.setdefault(
            email or f"guest:{name}",
            Person(name=name, email=email, role=_cell(cells, columns, "role")),
        )
        join, leave = _cell(cells, columns, "join"), _cell(cells, columns, "leave")
        start, end = dates.parse(join, line), dates.parse(leave, line)
        if end > start:
            person.intervals.append(Interval(start, end))

    title = next((summary[k][1] for k in TITLE if k in summary), "")
    start_at = next(
        (dates.parse(summary[k][1], summary[k][0]) for k in START if k in summary), None
    )
    end_at = next((dates.parse(summary[k][1], summary[k][0]) for k in END if k in summary), None)
    if start_at is None:
        joins = [i.start for p in people.values() for i in p.intervals]
        if not joins:
            raise AttendanceError("attendance.no_start")
        start_at = min(joins)
    return Report(title=title, start=start_at, end=end_at, people=list(people.values()))

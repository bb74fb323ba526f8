"""Teams attendance reports as the meeting organiser downloads them: UTF-16 with a BOM,
tab-separated, three numbered sections, headers and dates in the organiser's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Join:
    name: str
    email: str  # "" for a guest
    start: dt.datetime
    end: dt.datetime
    role: str = "Attendee"


ENGLISH = {
    "summary": "1. Summary",
    "title": "Meeting title",
    "count": "Attended participants",
    "start": "Start time",
    "end": "End time",
    "participants": "2. Participants",
    "p_header": [
        "Name",
        "First Join",
        "Last Leave",
        "In-Meeting Duration",
        "Email",
        "Participant ID (UPN)",
        "Role",
    ],
    "activities": "3. In-Meeting Activities",
    "a_header": [
        "Name",
        "Join Time",
        "Leave Time",
        "Duration",
        "Email",
        "Participant ID (UPN)",
        "Role",
    ],
}
PORTUGUESE = {
    "summary": "1. Resumo",
    "title": "Título da reunião",
    "count": "Participantes",
    "start": "Hora de início",
    "end": "Hora de término",
    "participants": "2. Participantes",
    "p_header": [
        "Nome",
        "Primeira entrada",
        "Última saída",
        "Duração na reunião",
        "Email",
        "ID do participante (UPN)",
        "Função",
    ],
    "activities": "3. Atividades na reunião",
    "a_header": [
        "Nome",
        "Hora de entrada",
        "Hora de saída",
        "Duração",
        "Email",
        "ID do participante (UPN)",
        "Função",
    ],
}


def us_date(moment: dt.datetime) -> str:
    """3/2/27, 7:00:05 PM (en-US, month first)."""
    hour, half = moment.hour % 12 or 12, "PM" if moment.hour >= 12 else "AM"
    return f"{moment.month}/{moment.day}/{moment:%y}, {hour}:{moment:%M:%S} {half}"


def br_date(moment: dt.datetime) -> str:
    """02/03/2027 19:00:05 (pt-BR, day first)."""
    return f"{moment:%d/%m/%Y %H:%M:%S}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h {seconds % 3600 // 60}m {seconds % 60}s"


def teams_report(
    joins: list[Join],
    *,
    title: str = "Aula teórica — semana 1",
    start: dt.datetime,
    end: dt.datetime,
    words: dict = ENGLISH,
    date=us_date,
    activities: bool = True,
    encoding: str = "utf-16",
) -> bytes:
    lines = [
        words["summary"],
        f"{words['title']}\t{title}",
        f"{words['count']}\t{len({j.email or j.name for j in joins})}",
        f"{words['start']}\t{date(start)}",
        f"{words['end']}\t{date(end)}",
        "",
        words["participants"],
        "\t".join(words["p_header"]),
    ]
    people: dict[str, list[Join]] = {}
    for join in joins:
        people.setdefault(join.email or join.name, []).append(join)
    for group in people.values():
        first, last = min(j.start for j in group), max(j.end for j in group)
        total = sum((j.end - j.start).total_seconds() for j in group)
        j = group[0]
        lines.append(
            "\t".join([j.name, date(first), date(last), _duration(total), j.email, j.email, j.role])
        )
    if activities:
        lines += ["", words["activities"], "\t".join(words["a_header"])]
        for j in joins:
            lines.append(
                "\t".join(
                    [
                        j.name,
                        date(j.start),
                        date(j.end),
                        _duration((j.end - j.start).total_seconds()),
                        j.email,
                        j.email,
                        j.role,
                    ]
                )
            )
    return ("\r\n".join(lines) + "\r\n").encode(encoding)

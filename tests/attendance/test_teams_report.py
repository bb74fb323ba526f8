"""Reading the Teams attendance report: both languages, both date orders, several joins per
person, guests, and files that are not a report."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.attendance.messages import AttendanceError
from portal.attendance.teams_report import Interval, merged_seconds, parse
from tests.attendance.conftest import SP, at
from tests.attendance.reports import PORTUGUESE, Join, br_date, teams_report

JOINS = [
    Join("Alice Aluna", "alice@example.edu", at(0, 5), at(105)),
    Join("Dora Discente", "dora@example.edu", at(2), at(40)),
    Join("Dora Discente", "dora@example.edu", at(35), at(70)),  # a second device, overlapping
    Join("Visitante", "", at(10), at(20), role="Attendee"),
]


def minutes_by_name(report) -> dict[str, int]:
    return {person.name: person.minutes for person in report.people}


@pytest.mark.parametrize(
    ("words", "date"),
    [({}, None), (PORTUGUESE, br_date)],
    ids=["english-us-dates", "portuguese-br-dates"],
)
def test_both_languages_and_date_orders_read_the_same(words, date) -> None:
    options = {"words": words} if words else {}
    if date:
        options["date"] = date
    report = parse(teams_report(JOINS, start=at(0, 5), end=at(105), **options), tz=SP)
    assert report.title == "Aula teórica — semana 1"
    assert report.start == at(0, 5)
    assert minutes_by_name(report) == {"Alice Aluna": 104, "Dora Discente": 68, "Visitante": 10}
    guest = next(p for p in report.people if p.name == "Visitante")
    assert guest.email == ""


def test_a_day_above_twelve_settles_the_date_order() -> None:
    """13/03 can only be day first, even with an AM/PM clock."""
    late = dt.datetime(2027, 3, 13, 19, 0, tzinfo=SP)
    data = teams_report(
        [Join("Alice Aluna", "alice@example.edu", late, late + dt.timedelta(minutes=90))],
        start=late,
        end=late + dt.timedelta(minutes=90),
        date=lambda m: (
            f"{m:%d/%m/%Y}, {m.hour % 12 or 12}:{m:%M:%S} {'PM' if m.hour >= 12 else 'AM'}"
        ),
    )
    assert parse(data, tz=SP).start == late


def test_a_report_without_activities_counts_first_join_to_last_leave() -> None:
    report = parse(teams_report(JOINS, start=at(0), end=at(105), activities=False), tz=SP)
    assert minutes_by_name(report)["Dora Discente"] == 68


def test_overlapping_intervals_count_once() -> None:
    assert (
        merged_seconds(
            [
                Interval(at(0), at(30)),
                Interval(at(10), at(20)),
                Interval(at(25), at(40)),
                Interval(at(50), at(60)),
            ]
        )
        == 50 * 60
    )


def test_a_utf8_copy_saved_by_another_tool_still_reads() -> None:
    data = teams_report(JOINS, start=at(0), end=at(105), encoding="utf-8-sig")
    assert minutes_by_name(parse(data, tz=SP))["Alice Aluna"] == 104


@pytest.mark.parametrize(
    ("data", "message_id"),
    [
        (b"", "attendance.empty"),
        (b"\xff\xfe", "attendance.empty"),
        (b"Nome,Nota\nAlice,10\n", "attendance.not_a_report"),
        (
            "2. Participants\nWho\tWhen\nAlice\tyesterday\n".encode("utf-16"),
            "attendance.missing_column",
        ),
        (b"\xff\xfe" + b"\x00\xd8" * 10, "attendance.not_text"),
        (b"x" * (2 * 1024 * 1024 + 1), "attendance.too_big"),
    ],
    ids=["empty", "only-a-bom", "another-csv", "no-join-column", "broken-utf16", "too-big"],
)
def test_a_file_that_is_not_a_report_says_why(data, message_id) -> None:
    with pytest.raises(AttendanceError) as refused:
        parse(data, tz=SP)
    assert refused.value.message_id == message_id


def test_a_date_it_cannot_read_names_its_line() -> None:
    data = teams_report(JOINS, start=at(0), end=at(105)).decode("utf-16")
    data = data.replace("3/2/27, 7:02:00 PM", "ontem à noite")
    with pytest.raises(AttendanceError) as refused:
        parse(data.encode("utf-16"), tz=SP)
    assert refused.value.message_id == "attendance.bad_date"
    assert refused.value.params["value"] == "ontem à noite"
    assert refused.value.params["line"] > 8

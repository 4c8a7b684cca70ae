"""UCP 600 14(b): five banking days following the day of presentation, per place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reports.banking_days import (
    CalendarCoverageError,
    CalendarError,
    add_banking_days,
    calendar_for_place,
    calendars,
    examination_deadline,
    load_calendar,
)


def test_weekend_is_skipped():
    # Thursday 2026-06-11 (no London holiday nearby): Fri, Mon, Tue, Wed, Thu -> 2026-06-18.
    deadline = examination_deadline(dt.date(2026, 6, 11), "LONDON")
    assert deadline.deadline == dt.date(2026, 6, 18)
    assert deadline.calendar_id == "GB-LON"
    assert deadline.skipped == ()
    assert deadline.note == ""


def test_weekend_and_holiday_are_skipped():
    # Thursday 2026-04-02 in London: Good Friday 04-03, weekend, Easter Monday 04-06;
    # banking days Tue 7, Wed 8, Thu 9, Fri 10, Mon 13.
    deadline = examination_deadline(dt.date(2026, 4, 2), "LONDON, UNITED KINGDOM")
    assert deadline.deadline == dt.date(2026, 4, 13)
    assert [h.date for h in deadline.skipped] == [dt.date(2026, 4, 3), dt.date(2026, 4, 6)]
    assert "Good Friday" in deadline.skipped[0].name


def test_same_dates_differ_by_place():
    presented = dt.date(2026, 5, 22)  # Friday before the 25 May bank holiday in London
    london = examination_deadline(presented, "GB-LON")
    singapore = examination_deadline(presented, "SINGAPORE")
    assert london.deadline == dt.date(2026, 6, 1)  # Tue 26, Wed 27, Thu 28, Fri 29, Mon 1
    # Singapore: 25 May is a banking day; 27 May (Hari Raya Haji) and 1 June (Vesak Day
    # in lieu) are not: Mon 25, Tue 26, Thu 28, Fri 29, Tue 2.
    assert singapore.deadline == dt.date(2026, 6, 2)
    assert [h.date for h in singapore.skipped] == [dt.date(2026, 5, 27), dt.date(2026, 6, 1)]


def test_unknown_place_counts_weekends_only_and_says_so():
    deadline = examination_deadline(dt.date(2026, 4, 2), "ULAANBAATAR")
    assert deadline.deadline == dt.date(2026, 4, 9)
    assert deadline.calendar_id == "WEEKENDS-ONLY"
    assert "ULAANBAATAR" in deadline.note


def test_date_outside_calendar_years_is_flagged_not_silent():
    calendar = calendars()["US-NYC"]
    with pytest.raises(CalendarCoverageError, match="2030"):
        add_banking_days(dt.date(2030, 1, 7), 5, calendar)
    deadline = examination_deadline(dt.date(2030, 1, 7), "NEW YORK")
    assert deadline.deadline == dt.date(2030, 1, 14)
    assert "2030" in deadline.note


def test_every_calendar_file_loads_and_is_dated():
    found = calendars()
    assert {"GB-LON", "US-NYC", "DE-FRA", "SG-SIN"} <= set(found)
    for calendar in found.values():
        assert calendar.source.startswith("https://")
        dt.date.fromisoformat(calendar.compiled)
        assert all(day.year in calendar.years for day in calendar.holidays)
    assert calendar_for_place("Frankfurt am Main").id == "DE-FRA"


def test_bad_calendar_file_names_file_and_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: XX\nname: X\nweekend: [saturday, sunday]\nsource: s\ncompiled: '2026-01-01'\n"
        "years: [2026]\nholidays:\n  - {date: '2026-01-01', name: A}\n  - {date: '2026-02-30', name: B}\n"
    )
    with pytest.raises(CalendarError, match=r"bad\.yaml:9: .*2026-02-30"):
        load_calendar(path)

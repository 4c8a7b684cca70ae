"""Banking days and the examination deadline of UCP 600 14(b).

A bank has "a maximum of five banking days following the day of presentation" to decide
whether a presentation complies. Which days are banking days depends on the place of
presentation, so each place has a small calendar file under ``reports/calendars/``: its
weekend days, its holidays for the years listed under ``years``, its public source and the
date it was compiled. A date outside a calendar's years is an error (``CalendarCoverageError``)
rather than a silent weekday count: a deadline that ignores a holiday is a missed deadline.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

CALENDAR_DIR = Path(__file__).resolve().parent / "calendars"
UCP600_14B_BANKING_DAYS = 5
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CalendarError(Exception):
    """A calendar file that cannot be used; the message names the file and the field."""


class CalendarCoverageError(CalendarError):
    """A date the calendar has no holiday data for."""


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name: str


@dataclass(frozen=True)
class BankingCalendar:
    """Weekend days and holidays of one place of presentation."""

    id: str
    name: str
    weekend: frozenset[int]  # date.weekday() numbers: 5 Saturday, 6 Sunday
    years: frozenset[int]
    holidays: dict[dt.date, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    source: str = ""
    compiled: str = ""

    def covers(self, day: dt.date) -> bool:
        return day.year in self.years

    def is_banking_day(self, day: dt.date) -> bool:
        if day.weekday() in self.weekend:
            return False
        if not self.covers(day):
            raise CalendarCoverageError(
                f"calendar {self.id} has holidays for {_years_text(self.years)} only, not for {day.isoformat()}"
            )
        return day not in self.holidays

    def holiday_name(self, day: dt.date) -> str | None:
        return self.holidays.get(day)


WEEKENDS_ONLY = BankingCalendar(
    id="WEEKENDS-ONLY",
    name="Saturdays and Sundays only (no holiday calendar for the place of presentation)",
    weekend=frozenset({5, 6}),
    years=frozenset(range(1900, 2200)),
)


def _years_text(years: frozenset[int]) -> str:
    ordered = sorted(years)
    if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}-{ordered[-1]}" if len(ordered) > 1 else str(ordered[0])
    return ", ".join(str(y) for y in ordered)


def _line_of(node: object, key: object = None) -> int | None:
    """1-based line of a ruamel node (or of one of its keys), for error messages."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is not None:
            return lc.key(key)[0] + 1 if isinstance(key, str) else lc.item(key)[0] + 1
        return lc.line + 1
    except (KeyError, IndexError, TypeError):
        return None


def _where(path: Path, node: object, key: object = None) -> str:
    line = _line_of(node, key)
    return f"{path}:{line}" if line else str(path)


def load_calendar(path: Path) -> BankingCalendar:
    """Read and validate one calendar file; CalendarError names the file, line and field."""
    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise CalendarError(f"{path}: cannot read the calendar: {err.strerror}") from None
    except YAMLError as err:
        raise CalendarError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise CalendarError(f"{path}: expected a mapping with id, name, weekend, years, holidays")
    for key in ("id", "name", "weekend", "years", "holidays", "source", "compiled"):
        if key not in data:
            raise CalendarError(f"{path}: field {key!r} is missing")
    weekend: set[int] = set()
    for index, name in enumerate(data["weekend"]):
        if str(name).lower() not in WEEKDAYS:
            raise CalendarError(f"{_where(path, data['weekend'], index)}: weekend: {name!r} is not a day name")
        weekend.add(WEEKDAYS.index(str(name).lower()))
    years: set[int] = set()
    for index, year in enumerate(data["years"]):
        if not isinstance(year, int) or not 1900 <= year <= 2199:
            raise CalendarError(f"{_where(path, data['years'], index)}: years: {year!r} is not a year")
        years.add(year)
    holidays: dict[dt.date, str] = {}
    for index, entry in enumerate(data["holidays"]):
        where = _where(path, data["holidays"], index)
        if not isinstance(entry, dict) or "date" not in entry or "name" not in entry:
            raise CalendarError(f"{where}: holidays: each entry needs a date and a name")
        text = str(entry["date"])
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise CalendarError(f"{where}: holidays: date {text!r} is not YYYY-MM-DD")
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise CalendarError(f"{where}: holidays: {text!r} is not a calendar date") from None
        if day.year not in years:
            raise CalendarError(f"{where}: holidays: {text} is outside the years {_years_text(frozenset(years))}")
        if day in holidays:
            raise CalendarError(f"{where}: holidays: {text} is listed twice")
        holidays[day] = str(entry["name"])
    return BankingCalendar(
        id=str(data["id"]),
        name=str(data["name"]),
        weekend=frozenset(weekend),
        years=frozenset(years),
        holidays=holidays,
        aliases=tuple(str(a).upper() for a in data.get("aliases", [])),
        source=str(data["source"]),
        compiled=str(data["compiled"]),
    )


@cache
def calendars(directory: Path = CALENDAR_DIR) -> dict[str, BankingCalendar]:
    """Every calendar of the folder by its id."""
    found: dict[str, BankingCalendar] = {}
    for path in sorted(directory.glob("*.yaml")):
        calendar = load_calendar(path)
        if calendar.id in found:
            raise CalendarError(f"{path}: calendar id {calendar.id} is used by two files")
        found[calendar.id] = calendar
    return found


def _place_key(text: str) -> str:
    return " ".join(re.sub(r"[^A-Z0-9/, -]", " ", text.upper()).split())


def calendar_for_place(place: str | None, directory: Path = CALENDAR_DIR) -> BankingCalendar | None:
    """The calendar of a place of presentation: by id (``GB-LON``), alias or leading city name."""
    if not place:
        return None
    known = calendars(directory)
    key = _place_key(place)
    if key in known:
        return known[key]
    for calendar in known.values():
        if key in calendar.aliases:
            return calendar
    # "LONDON, UNITED KINGDOM AT OUR COUNTERS": the city before the first comma or space run.
    city = key.split(",")[0].strip()
    for calendar in known.values():
        if any(alias.split(",")[0] == city for alias in calendar.aliases):
            return calendar
    return None


def add_banking_days(start: dt.date, days: int, calendar: BankingCalendar) -> dt.date:
    """The ``days``-th banking day after ``start`` (``start`` itself is never counted)."""
    if days < 0:
        raise ValueError("days must be zero or more")
    current, counted = start, 0
    while counted < days:
        current += dt.timedelta(days=1)
        if calendar.is_banking_day(current):
            counted += 1
    return current


@dataclass(frozen=True)
class ExaminationDeadline:
    """UCP 600 14(b): the last day to decide, and how it was counted."""

    presented_on: dt.date
    deadline: dt.date
    calendar_id: str
    calendar_name: str
    skipped: tuple[Holiday, ...]  # holidays (not weekends) passed over while counting
    note: str = ""  # why the count is less certain than usual, e.g. no calendar for the place

    def days_left(self, today: dt.date) -> int:
        """Calendar days from ``today`` to the deadline (negative once it has passed)."""
        return (self.deadline - today).days


def examination_deadline(
    presented_on: dt.date, place: str | None, directory: Path = CALENDAR_DIR
) -> ExaminationDeadline:
    """Five banking days following the day of presentation at ``place`` (UCP 600 14(b)).

    Without a calendar for the place, or outside its years, the count skips weekends only
    and ``note`` says so, so a report always shows a deadline and never hides the caveat.
    """
    calendar = calendar_for_place(place, directory)
    note = ""
    if calendar is None:
        calendar = WEEKENDS_ONLY
        note = (
            f"No holiday calendar for the place of presentation {place!r}: Saturdays and Sundays skipped, "
            "holidays not counted; check the local calendar."
            if place
            else "Place of presentation unknown: Saturdays and Sundays skipped, holidays not counted."
        )
    try:
        deadline = add_banking_days(presented_on, UCP600_14B_BANKING_DAYS, calendar)
    except CalendarCoverageError as err:
        note = f"{err}: Saturdays and Sundays skipped, holidays not counted; check the local calendar."
        fallback = BankingCalendar(calendar.id, calendar.name, calendar.weekend, WEEKENDS_ONLY.years)
        deadline = add_banking_days(presented_on, UCP600_14B_BANKING_DAYS, fallback)
    skipped = tuple(
        Holiday(day, calendar.holidays[day])
        for offset in range(1, (deadline - presented_on).days + 1)
        if (day := presented_on + dt.timedelta(days=offset)) in calendar.holidays
        and day.weekday() not in calendar.weekend
    )
    return ExaminationDeadline(presented_on, deadline, calendar.id, calendar.name, skipped, note)

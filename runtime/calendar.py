"""The business calendar: which days are worked and when, and deadline arithmetic on it.

Step time limits are stated in working days or hours ("two working days"), so a deadline must
skip weekends and public holidays and count make-up workdays (调休: a Saturday or Sunday worked
to bridge a holiday). The calendar is data an admin edits (a JSON file, validated like every
other definition, each problem with its JSON path); the arithmetic is pure functions of the
calendar and the moments passed in, so the scheduler can hand it an injected clock's "now" and
tests never sleep.

Moments are aware datetimes (the engine keeps UTC); the calendar's own time zone decides which
local day a moment falls on and where the working-hour windows lie. Working time is real
elapsed time inside those windows, so a window that spans a daylight-saving change counts what
the clock on the wall would not.

Semantics, the same for every caller:

* A **workday** is a date that is either not a weekend day or listed as a make-up workday, and is
  not a holiday. Every workday has the same **windows** (`workday_hours`), half-open in local wall
  time: with the default windows 09:00-12:00 and 13:00-18:00, 12:00 and 18:00 are already outside.
* `add_working_hours(start, h)` is the earliest moment by which `h` hours of working time have
  passed since `start`; a deadline that exactly fills a window ends at that window's close (12:00,
  not 13:00; Friday 18:00, not Monday 09:00).
* `add_working_days(start, n)` moves `start` forward to the next working moment (a start at 12:30
  counts from 13:00, a start on Saturday or after 18:00 from the next workday's 09:00), then keeps
  that wall-clock time on the n-th workday after it: Friday 15:00 + 1 is Monday 15:00, Friday
  20:00 + 1 is Tuesday 09:00. `n = 0` gives just the moved start.
* Both satisfy `working_time_between(start, deadline) == the amount asked for`.
* `working_time_between(a, b)` is negative when `b` is before `a`, so
  `working_time_between(deadline, now)` is "overdue by" when positive and "time left" negated.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from builder import paths
from builder.validation import show_value
from rules.errors import DefinitionError, Problem

SCHEMA_VERSION = 1
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_HOURS: tuple[tuple[str, str], ...] = (("09:00", "12:00"), ("13:00", "18:00"))
PROPERTIES = ("schema_version", "name", "source", "timezone", "workday_hours", "weekend",
              "holidays", "workdays", "years")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_TIME = re.compile(r"\d{2}:\d{2}\Z")


@dataclass(frozen=True)
class BusinessCalendar:
    """One organisation's working calendar, as its file describes it.

    Frozen, and reading no file of its own (zoneinfo aside), so one parsed calendar can be shared by every request and the
    scheduler. `weekend` holds `date.weekday()` numbers (Monday 0 … Sunday 6); `workdays` are the
    make-up workdays, each on a weekend day.
    """

    name: str
    timezone: str
    workday_hours: tuple[tuple[str, str], ...] = DEFAULT_HOURS
    weekend: tuple[int, ...] = (5, 6)
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    source: str = ""
    years: frozenset[int] | None = None  # the years whose official arrangement it lists, when the file says
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _windows: tuple[tuple[time, time], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        object.__setattr__(self, "_windows", tuple((_clock(s), _clock(e)) for s, e in self.workday_hours))
        ordered = all(s < e for s, e in self._windows) and all(
            earlier[1] <= later[0] for earlier, later in zip(self._windows, self._windows[1:]))
        if not self._windows or not ordered or len(set(self.weekend)) >= 7:
            raise ValueError(f"calendar {self.name!r} needs ordered, non-overlapping windows and a "
                             "workday in an ordinary week (validate_calendar names the problem)")

    # -- the file ------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> BusinessCalendar:
        """The calendar a *valid* document describes (run `validate_calendar` first)."""
        return cls(name=doc["name"], timezone=doc["timezone"], source=doc.get("source", ""),
                   workday_hours=tuple((s, e) for s, e in doc.get("workday_hours", DEFAULT_HOURS)),
                   weekend=tuple(sorted(WEEKDAYS.index(d) for d in doc.get("weekend", WEEKDAYS[5:]))),
                   holidays=frozenset(date.fromisoformat(d) for d in doc.get("holidays", ())),
                   workdays=frozenset(date.fromisoformat(d) for d in doc.get("workdays", ())),
                   years=frozenset(doc["years"]) if "years" in doc else None)

    def to_dict(self) -> dict[str, Any]:
        """The file's document: dates sorted, so save → load → save is byte-for-byte stable."""
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "timezone": self.timezone,
            "workday_hours": [[s, e] for s, e in self.workday_hours],
            "weekend": [WEEKDAYS[d] for d in sorted(self.weekend)],
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "workdays": [d.isoformat() for d in sorted(self.workdays)],
        }
        if self.source:
            doc["source"] = self.source
        if self.years is not None:
            doc["years"] = sorted(self.years)
        return doc

    # -- the years it knows ----------------------------------------------------------------------

    @property
    def covered_years(self) -> frozenset[int] | None:
        """The years whose holidays and make-up days this calendar lists: its `years`, else the
        years of the dates it lists; None for a calendar of weekends alone (it claims no more)."""
        if self.years is not None:
            return self.years
        return frozenset(d.year for d in self.holidays | self.workdays) or None

    def covers(self, day: date) -> bool:
        """Whether `day`'s year is one the calendar knows; a deadline past it is an estimate
        (weekends only: next year's official holidays are not known until they are published)."""
        years = self.covered_years
        return years is None or day.year in years

    def missing_years(self, first: date, last: date) -> list[int]:
        """The years from `first` to `last` the calendar does not know."""
        return [y for y in range(first.year, last.year + 1) if not self.covers(date(y, 1, 1))]

    # -- days and windows ------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone: local dates (serial numbers, date ranges) are read in it."""
        return self._zone

    def workdays_between(self, first: date, last: date) -> int:
        """Working days from `first` to `last`, both counted (a date range's length; 0 when
        `last` is before `first`). Counted arithmetically — whole weeks at once, then the
        holidays and make-up days inside — so a range of centuries costs no more than a week."""
        span = (last - first).days + 1
        if span <= 0:
            return 0
        weeks, rest = divmod(span, 7)
        count = weeks * (7 - len(set(self.weekend)))
        count += sum(1 for n in range(rest) if (first.weekday() + n) % 7 not in self.weekend)
        for day in self.holidays:
            if first <= day <= last and day.weekday() not in self.weekend:
                count -= 1
        for day in self.workdays:
            if first <= day <= last and day.weekday() in self.weekend and day not in self.holidays:
                count += 1
        return count

    def is_workday(self, d: date) -> bool:
        """Whether `d` (a local date in the calendar's zone) is worked."""
        if d in self.holidays:
            return False
        return d.weekday() not in self.weekend or d in self.workdays

    def working_hours_per_day(self) -> timedelta:
        """The nominal length of a workday: the windows' wall-clock lengths added up."""
        return sum((_span(s, e) for s, e in self._windows), timedelta())

    def windows(self, d: date) -> list[tuple[datetime, datetime]]:
        """The working windows of local date `d` as UTC (start, end) pairs; none on a day off."""
        if not self.is_workday(d):
            return []
        return [(datetime.combine(d, s, self._zone).astimezone(UTC),
                 datetime.combine(d, e, self._zone).astimezone(UTC)) for s, e in self._windows]

    def _windows_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Every window that ends after `moment`, in order, without end."""
        day = moment.astimezone(self._zone).date()
        while True:
            for start, end in self.windows(day):
                if end > moment:
                    yield start, end
            day += timedelta(days=1)

    # -- arithmetic ------------------------------------------------------------------------------

    def next_working_moment(self, at: datetime) -> datetime:
        """`at` itself when inside a window, else the start of the next window (UTC)."""
        at = _aware(at, "at")
        start, _ = next(self._windows_from(at))
        return max(start, at)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest moment by which `amount` of working time has passed since `start` (UTC)."""
        start = _aware(start, "start")
        if amount < timedelta():
            raise ValueError(f"working time must not be negative, got {amount}")
        left = amount
        if not left:
            return start
        for window_start, window_end in self._windows_from(start):
            begin = max(window_start, start)
            if left <= window_end - begin:
                return begin + left
            left -= window_end - begin
        raise AssertionError("unreachable: windows never run out")  # pragma: no cover

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """`add_working_time` with the amount in (possibly fractional) hours."""
        if isinstance(hours, bool) or not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number ≥ 0, got {hours!r}")
        return self.add_working_time(start, timedelta(hours=hours))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same wall-clock time as the next working moment from `start`, `days` workdays later (UTC)."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"days must be a whole number ≥ 0, got {days!r}")
        local = self.next_working_moment(start).astimezone(self._zone)
        day = local.date()
        for _ in range(days):
            day += timedelta(days=1)
            while not self.is_workday(day):
                day += timedelta(days=1)
        return datetime.combine(day, local.time().replace(tzinfo=None), self._zone).astimezone(UTC)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from `a` to `b`; negative when `b` is earlier (overdue = positive from deadline to now)."""
        a, b = _aware(a, "a"), _aware(b, "b")
        if b < a:
            return -self.working_time_between(b, a)
        total = timedelta()
        for window_start, window_end in self._windows_from(a):
            if window_start >= b:
                break
            total += min(window_end, b) - max(window_start, a)
        return total


# ---------------------------------------------------------------------------------------------
# Validation and loading


def validate_calendar(doc: Any, path: str = "") -> list[Problem]:
    """Every problem in a calendar document, in document order, each with its JSON path."""
    if not isinstance(doc, dict):
        return [Problem(path, "must be an object")]
    out: list[Problem] = []
    for name in doc:
        if name not in PROPERTIES:
            out.append(Problem(paths.key(path, str(name)), "unknown key"))
    if doc.get("schema_version") != SCHEMA_VERSION:
        where = paths.key(path, "schema_version")
        out.append(Problem(where, "missing") if "schema_version" not in doc else
                   Problem(where, f"must be {SCHEMA_VERSION}, got {show_value(doc['schema_version'])}"))
    if not isinstance(doc.get("name"), str) or not doc["name"].strip():
        out.append(Problem(paths.key(path, "name"), "missing" if "name" not in doc else
                           f"must be a non-empty string, got {show_value(doc['name'])}"))
    if not isinstance(doc.get("source", ""), str):
        out.append(Problem(paths.key(path, "source"), f"must be a string, got {show_value(doc['source'])}"))
    _timezone(doc, path, out)
    _hours(doc, path, out)
    weekend = _weekend(doc, path, out)
    holidays = _dates(doc, "holidays", path, out)
    workdays = _dates(doc, "workdays", path, out)
    _years(doc, path, out)
    for where, day in workdays.items():
        if day in holidays.values():
            out.append(Problem(where, f"{day} is also a holiday; a date is either a day off or a make-up workday"))
        elif weekend is not None and day.weekday() not in weekend:
            out.append(Problem(where, f"{day} is a {WEEKDAYS[day.weekday()]}, already a workday; "
                                      "a make-up workday falls on the weekend"))
    return out


def parse_calendar(doc: Any, path: str = "") -> BusinessCalendar:
    """The calendar a document describes; raises DefinitionError with every problem."""
    problems = validate_calendar(doc, path)
    if problems:
        raise DefinitionError(problems)
    return BusinessCalendar.from_dict(doc)


def load_calendar(path: str | Path) -> BusinessCalendar:
    """Read and parse a calendar file; a file that is not JSON is a DefinitionError too."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DefinitionError([Problem("", f"not JSON (line {exc.lineno}, column {exc.colno})")]) from None
    return parse_calendar(doc)


def _timezone(doc: dict[str, Any], path: str, out: list[Problem]) -> None:
    where, value = paths.key(path, "timezone"), doc.get("timezone")
    if value is None:
        out.append(Problem(where, "missing"))
        return
    try:
        known = isinstance(value, str) and bool(ZoneInfo(value))
    except (ValueError, ZoneInfoNotFoundError):
        known = False
    if not known:
        out.append(Problem(where, f"not a known time zone (e.g. \"Asia/Shanghai\"), got {show_value(value)}"))


def _hours(doc: dict[str, Any], path: str, out: list[Problem]) -> None:
    where = paths.key(path, "workday_hours")
    value = doc.get("workday_hours", [list(w) for w in DEFAULT_HOURS])
    if not isinstance(value, list) or not value:
        out.append(Problem(where, f"must be a non-empty list of [start, end] times, got {show_value(value)}"))
        return
    previous_end: time | None = None
    for i, window in enumerate(value):
        at = paths.index(where, i)
        if not (isinstance(window, list) and len(window) == 2 and all(isinstance(t, str) for t in window)):
            out.append(Problem(at, f'must be ["HH:MM", "HH:MM"], got {show_value(window)}'))
            previous_end = None
            continue
        times = []
        for j, text in enumerate(window):
            try:
                times.append(_clock(text))
            except ValueError:
                out.append(Problem(paths.index(at, j), f"not a time (HH:MM, 00:00-23:59), got {show_value(text)}"))
        if len(times) != 2:
            previous_end = None
            continue
        if times[0] >= times[1]:
            out.append(Problem(at, f"ends ({window[1]}) before it starts ({window[0]})"))
        elif previous_end is not None and times[0] < previous_end:
            out.append(Problem(at, f"starts ({window[0]}) before the previous window ends"))
        previous_end = times[1]


def _weekend(doc: dict[str, Any], path: str, out: list[Problem]) -> set[int] | None:
    where = paths.key(path, "weekend")
    value = doc.get("weekend", list(WEEKDAYS[5:]))
    if not isinstance(value, list):
        out.append(Problem(where, f"must be a list of day names, got {show_value(value)}"))
        return None
    days: set[int] = set()
    for i, name in enumerate(value):
        if name not in WEEKDAYS:
            out.append(Problem(paths.index(where, i), f"not a day name ({', '.join(WEEKDAYS)}), got {show_value(name)}"))
        elif WEEKDAYS.index(name) in days:
            out.append(Problem(paths.index(where, i), f"{name} is listed twice"))
        else:
            days.add(WEEKDAYS.index(name))
    if len(days) == 7:
        out.append(Problem(where, "leaves no workday in an ordinary week"))
    return days


def _dates(doc: dict[str, Any], name: str, path: str, out: list[Problem]) -> dict[str, date]:
    where, value = paths.key(path, name), doc.get(name, [])
    if not isinstance(value, list):
        out.append(Problem(where, f"must be a list of dates (YYYY-MM-DD), got {show_value(value)}"))
        return {}
    found: dict[str, date] = {}
    for i, text in enumerate(value):
        at = paths.index(where, i)
        try:
            if not (isinstance(text, str) and _DATE.match(text)):
                raise ValueError
            day = date.fromisoformat(text)
        except ValueError:
            out.append(Problem(at, f"not a date (YYYY-MM-DD), got {show_value(text)}"))
            continue
        if day in found.values():
            out.append(Problem(at, f"{day} is listed twice"))
            continue
        found[at] = day
    return found


def _years(doc: dict[str, Any], path: str, out: list[Problem]) -> None:
    if "years" not in doc:
        return
    where, value = paths.key(path, "years"), doc["years"]
    if not isinstance(value, list) or not value:
        out.append(Problem(where, f"must be a list of the years it lists holidays for (2026), got {show_value(value)}"))
        return
    for i, year in enumerate(value):
        if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2200:
            out.append(Problem(paths.index(where, i), f"not a year, got {show_value(year)}"))
        elif value.index(year) != i:
            out.append(Problem(paths.index(where, i), f"{year} is listed twice"))


def _clock(text: str) -> time:
    if not _TIME.match(text):
        raise ValueError(text)
    return time.fromisoformat(text)


def _span(start: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment


__all__ = [
    "SCHEMA_VERSION",
    "WEEKDAYS",
    "BusinessCalendar",
    "load_calendar",
    "parse_calendar",
    "validate_calendar",
]

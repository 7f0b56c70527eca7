"""Business-calendar arithmetic on the 2026 mainland China arrangement, plus its file format."""
from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.serial import canonical_json
from rules.errors import DefinitionError
from runtime.calendar import (
    BusinessCalendar,
    load_calendar,
    parse_calendar,
    validate_calendar,
)
from tests.support import DEMO

DEMO_FILE = DEMO / "calendar-cn-2026.json"
OFFICIAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "calendar-cn-2026.json"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def cn() -> BusinessCalendar:
    return load_calendar(DEMO_FILE)


def at(month: int, day: int, hour: int, minute: int = 0, zone: ZoneInfo = SHANGHAI) -> datetime:
    """A 2026 local wall-clock time as the aware UTC moment the engine would store."""
    return datetime(2026, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


# -- days ----------------------------------------------------------------------------------------

def test_workdays_follow_the_official_arrangement(cn: BusinessCalendar) -> None:
    assert cn.is_workday(date(2026, 9, 30))          # Wednesday before National Day
    assert not cn.is_workday(date(2026, 10, 1))      # National Day, a Thursday
    assert not cn.is_workday(date(2026, 10, 7))      # last day of the holiday week, a Wednesday
    assert cn.is_workday(date(2026, 10, 10))         # make-up Saturday
    assert not cn.is_workday(date(2026, 10, 11))     # an ordinary Sunday
    assert cn.is_workday(date(2026, 9, 20))          # make-up Sunday
    assert not cn.is_workday(date(2026, 1, 3))       # a holiday that is also a Saturday


def test_working_days_skip_the_national_day_week_and_count_the_makeup_saturday(cn: BusinessCalendar) -> None:
    start = at(9, 30, 15)
    assert cn.add_working_days(start, 1) == at(10, 8, 15)    # Thursday after the holiday week
    assert cn.add_working_days(start, 2) == at(10, 9, 15)
    assert cn.add_working_days(start, 3) == at(10, 10, 15)   # make-up Saturday counts
    assert cn.add_working_days(start, 4) == at(10, 12, 15)   # the Sunday does not
    assert cn.add_working_days(start, 1).tzinfo == UTC


def test_working_days_around_the_spring_festival_and_mid_autumn(cn: BusinessCalendar) -> None:
    assert cn.add_working_days(at(2, 13, 10), 1) == at(2, 14, 10)   # make-up Saturday before the festival
    assert cn.add_working_days(at(2, 13, 10), 2) == at(2, 24, 10)   # nine days off skipped
    assert cn.add_working_days(at(9, 24, 10), 1) == at(9, 28, 10)   # Mid-Autumn Friday + weekend
    assert cn.add_working_days(at(9, 18, 10), 1) == at(9, 20, 10)   # make-up Sunday


@pytest.mark.parametrize(("start", "due"), [
    (at(9, 11, 20), at(9, 15, 9)),      # Friday evening counts from Monday 09:00
    (at(9, 12, 10), at(9, 15, 9)),      # an ordinary Saturday likewise
    (at(9, 14, 7), at(9, 15, 9)),       # Monday before work counts from Monday 09:00
    (at(9, 14, 12, 30), at(9, 15, 13)), # lunch counts from 13:00
    (at(9, 14, 12), at(9, 15, 13)),     # 12:00 is already outside the morning window
    (at(9, 14, 9), at(9, 15, 9)),
])
def test_a_start_outside_working_hours_counts_from_the_next_working_moment(
        cn: BusinessCalendar, start: datetime, due: datetime) -> None:
    assert cn.add_working_days(start, 1) == due


def test_zero_days_is_the_next_working_moment(cn: BusinessCalendar) -> None:
    assert cn.add_working_days(at(9, 30, 19), 0) == at(10, 8, 9)
    assert cn.add_working_days(at(9, 30, 10, 15), 0) == at(9, 30, 10, 15)


# -- hours ---------------------------------------------------------------------------------------

def test_working_hours_cross_lunch_overnight_and_the_holiday_week(cn: BusinessCalendar) -> None:
    assert cn.add_working_hours(at(9, 14, 11), 2) == at(9, 14, 14)         # across lunch
    assert cn.add_working_hours(at(9, 14, 17), 2) == at(9, 15, 10)         # overnight
    assert cn.add_working_hours(at(9, 30, 16), 4) == at(10, 8, 11)         # over National Day
    assert cn.add_working_hours(at(10, 9, 17), 1.5) == at(10, 10, 9, 30)   # into the make-up Saturday
    assert cn.add_working_hours(at(9, 14, 9), 0) == at(9, 14, 9)


def test_a_deadline_that_fills_a_window_ends_at_its_close(cn: BusinessCalendar) -> None:
    assert cn.add_working_hours(at(9, 14, 9), 3) == at(9, 14, 12)     # not 13:00
    assert cn.add_working_hours(at(9, 18, 9), 8) == at(9, 18, 18)     # Friday 18:00, not Sunday's make-up 09:00
    assert cn.add_working_hours(at(9, 12, 10), 1) == at(9, 14, 10)    # Saturday start counts from Monday


def test_working_time_between_counts_only_windows_and_is_signed(cn: BusinessCalendar) -> None:
    assert cn.working_time_between(at(9, 30, 17), at(10, 8, 10)) == timedelta(hours=2)
    assert cn.working_time_between(at(9, 14, 11, 30), at(9, 14, 13, 30)) == timedelta(hours=1)
    assert cn.working_time_between(at(10, 1, 9), at(10, 7, 18)) == timedelta()
    assert cn.working_time_between(at(10, 8, 10), at(9, 30, 17)) == -timedelta(hours=2)
    assert cn.working_time_between(at(10, 9, 9), at(10, 12, 9)) == timedelta(hours=16)  # Fri + make-up Sat
    deadline = cn.add_working_days(at(9, 29, 15), 1)                                     # Wednesday 15:00
    assert cn.working_time_between(deadline, at(10, 8, 10)) == timedelta(hours=4)          # overdue by


def test_naive_or_negative_inputs_are_refused(cn: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cn.add_working_hours(datetime(2026, 9, 14, 9), 1)
    with pytest.raises(ValueError, match="hours must be"):
        cn.add_working_hours(at(9, 14, 9), -1)
    with pytest.raises(ValueError, match="days must be"):
        cn.add_working_days(at(9, 14, 9), 1.5)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
       minutes=st.integers(min_value=0, max_value=60 * 8 * 30), days=st.integers(min_value=0, max_value=30))
def test_deadlines_are_exactly_the_working_time_asked_for(start: datetime, minutes: int, days: int) -> None:
    cn = load_calendar(DEMO_FILE)
    amount = timedelta(minutes=minutes)
    due = cn.add_working_time(start, amount)
    assert cn.working_time_between(start, due) == amount
    if minutes:
        assert cn.add_working_time(start, amount - timedelta(microseconds=1)) < due   # the earliest such moment
    else:
        assert due == start
    by_days = cn.add_working_days(start, days)
    assert cn.working_time_between(start, by_days) == days * cn.working_hours_per_day()
    assert cn.is_workday(by_days.astimezone(SHANGHAI).date())


def _workdays_day_by_day(calendar: BusinessCalendar, first: date, last: date) -> int:
    return sum(1 for n in range((last - first).days + 1) if calendar.is_workday(first + timedelta(n)))


@settings(max_examples=200, deadline=None)
@given(first=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
       length=st.integers(min_value=-3, max_value=800),
       weekend=st.sets(st.integers(min_value=0, max_value=6), max_size=6),
       holidays=st.sets(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), max_size=40),
       workdays=st.sets(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), max_size=20))
def test_working_days_between_agree_with_counting_day_by_day(
        first: date, length: int, weekend: set[int], holidays: set[date], workdays: set[date]) -> None:
    calendar = BusinessCalendar(name="t", timezone="UTC", weekend=tuple(sorted(weekend)),
                                holidays=frozenset(holidays), workdays=frozenset(workdays))
    last = first + timedelta(days=length)
    assert calendar.workdays_between(first, last) == _workdays_day_by_day(calendar, first, last)


def test_working_days_of_a_huge_range_are_counted_without_walking_it(cn: BusinessCalendar) -> None:
    started = time.perf_counter()
    count = cn.workdays_between(date(1, 1, 1), date(9999, 12, 31))
    assert time.perf_counter() - started < 0.05   # day by day took seconds of the event loop
    assert count == 2608602
    assert cn.workdays_between(date(2026, 10, 1), date(2026, 10, 11)) == 3   # the 8th, 9th and make-up 10th


# -- time zones ------------------------------------------------------------------------------------

def test_daylight_saving_moves_the_utc_deadline_not_the_local_one() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    de = BusinessCalendar(name="de", timezone="Europe/Berlin")
    start = at(3, 27, 15, zone=berlin)                         # Friday, CET (UTC+1)
    due = de.add_working_days(start, 1)
    assert due == at(3, 30, 15, zone=berlin)                   # Monday, CEST (UTC+2)
    assert (start.hour, due.hour) == (14, 13)                  # so the UTC hour moves
    assert de.working_time_between(start, due) == timedelta(hours=8)


def test_a_window_across_a_clock_change_counts_real_elapsed_time() -> None:
    night = BusinessCalendar(name="night", timezone="Europe/Berlin", workday_hours=(("01:00", "04:00"),), weekend=())
    berlin = ZoneInfo("Europe/Berlin")
    spring = night.working_time_between(at(3, 29, 0, zone=berlin), at(3, 30, 0, zone=berlin))
    autumn = night.working_time_between(at(10, 25, 0, zone=berlin), at(10, 26, 0, zone=berlin))
    assert (spring, autumn) == (timedelta(hours=2), timedelta(hours=4))
    assert night.add_working_hours(at(3, 29, 1, zone=berlin), 2) == at(3, 29, 4, zone=berlin)


# -- the file ----------------------------------------------------------------------------------------

def test_the_demo_file_loads_and_round_trips_byte_for_byte(cn: BusinessCalendar) -> None:
    text = DEMO_FILE.read_text(encoding="utf-8")
    assert canonical_json(cn.to_dict()) == text
    assert parse_calendar(json.loads(text)) == cn
    assert (cn.name, cn.timezone, cn.weekend) == ("cn-mainland-2026", "Asia/Shanghai", (5, 6))
    assert (len(cn.holidays), len(cn.workdays)) == (33, 6)


@pytest.mark.skipif(not OFFICIAL.exists(), reason="the official arrangement lives in the shared workspace")
def test_the_demo_file_carries_every_official_holiday_and_makeup_workday(cn: BusinessCalendar) -> None:
    official = json.loads(OFFICIAL.read_text(encoding="utf-8"))
    assert cn.holidays == {date.fromisoformat(d) for h in official["holidays"] for d in h["days_off"]}
    assert cn.workdays == {date.fromisoformat(m["date"]) for m in official["makeup_workdays"]}
    assert cn.source == official["source"]


def test_validation_names_every_problem_with_its_path() -> None:
    doc = {
        "schema_version": 2, "name": "", "timezone": "Mars/Olympus", "colour": "red",
        "workday_hours": [["09:00", "12:00"], ["11:00", "18:00"], ["14:00", "13:00"], ["9am", "10:00"]],
        "weekend": ["saturday", "sunday", "sunday", "caturday"],
        "holidays": ["2026-10-01", "2026-10-02", "2026-10-01", "2026/10/03", 20261004],
        "workdays": ["2026-10-10", "2026-10-01", "2026-10-12"],
    }
    assert [str(p) for p in validate_calendar(doc)] == [
        "colour: unknown key",
        "schema_version: must be 1, got 2",
        'name: must be a non-empty string, got ""',
        'timezone: not a known time zone (e.g. "Asia/Shanghai"), got "Mars/Olympus"',
        "workday_hours[1]: starts (11:00) before the previous window ends",
        "workday_hours[2]: ends (13:00) before it starts (14:00)",
        'workday_hours[3][0]: not a time (HH:MM, 00:00-23:59), got "9am"',
        "weekend[2]: sunday is listed twice",
        'weekend[3]: not a day name (monday, tuesday, wednesday, thursday, friday, saturday, sunday), got "caturday"',
        "holidays[2]: 2026-10-01 is listed twice",
        'holidays[3]: not a date (YYYY-MM-DD), got "2026/10/03"',
        "holidays[4]: not a date (YYYY-MM-DD), got 20261004",
        "workdays[1]: 2026-10-01 is also a holiday; a date is either a day off or a make-up workday",
        "workdays[2]: 2026-10-12 is a monday, already a workday; a make-up workday falls on the weekend",
    ]
    assert [str(p) for p in validate_calendar([])] == ["must be an object"]
    assert "weekend: leaves no workday in an ordinary week" in [
        str(p) for p in validate_calendar({**json.loads(DEMO_FILE.read_text(encoding="utf-8")),
                                           "weekend": ["monday", "tuesday", "wednesday", "thursday", "friday",
                                                       "saturday", "sunday"]})]


def test_load_calendar_raises_definition_error_with_the_problems(tmp_path: Path) -> None:
    bad = tmp_path / "calendar.json"
    bad.write_text(json.dumps({"schema_version": 1, "name": "x", "timezone": "Asia/Shanghai",
                               "holidays": ["2026-02-30"]}), encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"holidays\[0\]: not a date") as caught:
        load_calendar(bad)
    assert [p.path for p in caught.value.problems] == ["holidays[0]"]
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(DefinitionError, match="not JSON"):
        load_calendar(bad)

"""The business calendar knows the years it covers (issue 12, item 6): a deadline in a year whose
official holidays it does not list is marked as estimated, and admins are warned ahead of time to
add the next year's arrangement — a due date once fell silently on 2027-01-01, a holiday."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from runtime.calendar import load_calendar, parse_calendar, validate_calendar
from runtime.deadlines import coverage_warning, estimated, plain_calendar
from runtime.i18n import localized
from tests.support import reading_in

DEMO = Path(__file__).resolve().parents[2] / "demo" / "calendar-cn-2026.json"


@pytest.fixture
def cn_2026():
    return load_calendar(DEMO)


def test_a_calendar_covers_the_years_of_the_holidays_it_lists_or_the_years_it_names(cn_2026):
    assert cn_2026.covered_years == {2026}
    assert cn_2026.covers(date(2026, 12, 31)) and not cn_2026.covers(date(2027, 1, 1))
    doc = {**json.loads(DEMO.read_text()), "years": [2026, 2027]}
    both = parse_calendar(doc)
    assert both.covers(date(2027, 6, 1)) and both.to_dict()["years"] == [2026, 2027]
    assert parse_calendar(both.to_dict()) == both  # save → load keeps it
    assert "years" not in cn_2026.to_dict()  # a file that never said stays as it was


def test_a_calendar_of_weekends_alone_claims_no_years_and_warns_of_none():
    plain = plain_calendar()
    assert plain.covered_years is None and plain.covers(date(2031, 1, 1))
    assert coverage_warning(plain, date(2026, 12, 5)) is None


def test_bad_years_are_named_with_their_json_path():
    doc = json.loads(DEMO.read_text())
    problems = {(p.path, p.message) for p in validate_calendar({**doc, "years": [2026, "2027", 2026, True]})}
    assert {path for path, _ in problems} == {"years[1]", "years[2]", "years[3]"}
    assert any("listed twice" in m for _, m in problems)
    assert [p.path for p in validate_calendar({**doc, "years": []})] == ["years"]


def test_a_deadline_past_the_known_years_is_estimated(cn_2026):
    assert estimated(cn_2026, datetime(2027, 1, 1, 2, tzinfo=UTC))
    assert not estimated(cn_2026, datetime(2026, 12, 31, 9, tzinfo=UTC))
    # the calendar's own zone decides the day: 2026-12-31 17:00 UTC is already 2027 in Shanghai
    assert estimated(cn_2026, datetime(2026, 12, 31, 17, tzinfo=UTC))


def test_admins_are_warned_ninety_days_ahead_in_their_language(cn_2026):
    assert coverage_warning(cn_2026, date(2026, 6, 1)) is None
    warning = coverage_warning(cn_2026, date(2026, 12, 5))
    assert warning is not None and "2026" in warning and "2027" in warning and "estimated" in warning
    with reading_in("zh_CN"):
        assert "2027" in localized(warning) and "估算" in localized(warning)
    assert "2027, 2028" not in coverage_warning(cn_2026, date(2027, 3, 1))

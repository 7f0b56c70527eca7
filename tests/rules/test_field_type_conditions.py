"""Conditions over the newer field types: percent, phone/email, date ranges, multiselect."""
from __future__ import annotations

import pytest

from rules.conditions import matches, validate_condition
from rules.derived import condition_types, facts_for

TYPES = {"share": "percent", "tel": "phone", "mail": "email", "trip": "daterange",
         "tags": "multiselect", "items": "table", "items.rate": "percent"}
OPTIONS = {"tags": ("red", "green", "blue")}


def problems(cond):
    return [str(p) for p in validate_condition(cond, TYPES, "when", options=OPTIONS)]


def test_a_date_range_offers_its_ends_and_length_and_percent_columns_add_up():
    types = condition_types(TYPES)
    assert {k: types[k] for k in ("trip.start", "trip.end", "trip.days", "items.rate.sum")} == {
        "trip.start": "date", "trip.end": "date", "trip.days": "number", "items.rate.sum": "percent"}
    facts = facts_for(TYPES, {"trip": {"start": "2026-12-30", "end": "2027-01-02"}, "items": []})
    assert (facts["trip.start"], facts["trip.end"], facts["trip.days"]) == ("2026-12-30", "2027-01-02", 4)


@pytest.mark.parametrize("cond, data, expected", [
    ({"$gt": {"share": 50}}, {"share": 50.5}, True),
    ({"$gte": {"trip.days": 3}}, {"trip": {"start": "2026-12-01", "end": "2026-12-03"}}, True),
    ({"$gte": {"trip.days": 4}}, {"trip": {"start": "2026-12-01", "end": "2026-12-03"}}, False),
    ({"$gte": {"trip.start": "2026-12-01"}}, {"trip": {"start": "2026-12-01", "end": "2026-12-03"}}, True),
    ({"$in": {"tags": ["red", "blue"]}}, {"tags": ["green", "blue"]}, True),
    ({"$in": {"tags": ["red"]}}, {"tags": ["green", "blue"]}, False),
    ({"$nin": {"tags": ["red"]}}, {"tags": ["green", "blue"]}, True),
    ({"$nin": {"tags": ["blue"]}}, {"tags": ["green", "blue"]}, False),
    ({"$mt": {"mail": "[a-z.]+@example[.]com"}}, {"mail": "li.na@example.com"}, True),
    ({"tel": "13812345678"}, {"tel": "13812345678"}, True),
])
def test_conditions_over_new_types(cond, data, expected):
    assert problems(cond) == []
    assert matches(cond, data) is expected


@pytest.mark.parametrize("cond, message", [
    ({"tags": "red"}, 'when.tags: multiselect field "tags" holds several values: test it with $in'),
    ({"$in": {"tags": ["pink"]}}, 'when.$in.tags[0]: "pink" is not an option of "tags" (red, green, blue)'),
    ({"$gt": {"trip": 3}}, 'when.$gt.trip: field "trip" of type daterange can only be tested with $ex or $nex'),
    ({"$gt": {"trip.days": "3"}}, 'when.$gt.trip.days: number field "trip.days": expected a number'),
    ({"$gt": {"share": "5"}}, 'when.$gt.share: percent field "share": expected a number'),
])
def test_conditions_over_new_types_are_checked(cond, message):
    assert problems(cond)[0].startswith(message)


def test_a_form_datetime_compares_with_a_condition_spelled_with_seconds():
    types = {"leaves": "datetime"}
    facts = facts_for(types, {"leaves": "2026-12-01T09:30"})
    assert matches({"leaves": "2026-12-01T09:30:00"}, facts)
    assert matches({"$gte": {"leaves": "2026-12-01T09:30:00"}}, facts)
    assert not matches({"$gt": {"leaves": "2026-12-01T09:30:00"}}, facts)

"""Server-side cleaning of submitted form data: types, unknown keys, tables, computed fields."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.formdata import clean_submission, field_name, form_values_from_pairs
from builder.forms import Form

FORM = Form.from_dict({
    "key": "expense",
    "version": 1,
    "title": "Expense",
    "fields": [
        {"key": "category", "type": "select", "required": True,
         "options": [{"value": "travel"}, {"value": "office"}]},
        {"key": "trip_start", "type": "date", "visible_when": {"category": "travel"},
         "required": True},
        {"key": "items", "type": "table", "required": True, "max_rows": 3, "columns": [
            {"key": "description", "type": "text", "required": True, "max_length": 10},
            {"key": "amount", "type": "money", "required": True, "min": 0.01},
            {"key": "qty", "type": "number", "min": 1, "max": 100},
            {"key": "line_total", "type": "money", "computed": "amount * qty"},
        ]},
        {"key": "total", "type": "money", "computed": "sum(items.amount)"},
        {"key": "total_upper", "type": "text", "computed": "rmb_upper(total)"},
        {"key": "reason", "type": "textarea", "required": True, "max_length": 20},
        {"key": "approval_note", "type": "text", "visible_when": {"$gt": {"total": 1000}}},
    ],
})

GOOD = {
    "category": "office",
    "items": [{"description": "Paper", "amount": "12.50"}],
    "reason": "supplies",
}


def clean(raw, **kwargs):
    return clean_submission(FORM, raw, **kwargs)


def test_a_good_submission_is_cleaned_and_computed():
    data, errors = clean(GOOD)
    assert errors == {}
    assert data == {"category": "office", "items": [{"description": "Paper", "amount": 12.5}],
                    "reason": "supplies", "total": 12.5, "total_upper": "壹拾贰元伍角整"}


# ------------------------------------------------------------------ coercion


@pytest.mark.parametrize("raw, cleaned", [
    ("1,200.50", 1200.5),
    ("1200", 1200),
    ("¥ 88", 88),
    ("12.30", 12.3),
    (7, 7),
    (0.1, 0.1),
])
def test_money_is_parsed_as_decimal_to_the_fen(raw, cleaned):
    data, errors = clean({**GOOD, "items": [{"description": "x", "amount": raw}]})
    assert errors == {}
    amount = data["items"][0]["amount"]
    assert amount == cleaned and type(amount) is type(cleaned)


@pytest.mark.parametrize("raw, message", [
    ("-5", "must not be negative"),
    ("abc", "must be an amount of money, like 1200.50"),
    ("1.2.3", "must be an amount of money, like 1200.50"),
    ("NaN", "must be an amount of money, like 1200.50"),
    (True, "must be an amount of money, like 1200.50"),
    ([1], "must be an amount of money, like 1200.50"),
    ("0.001", "has more than two decimal places (fen): like 1200.50"),  # a slip: never rounded to what nobody typed
    ("12.345", "has more than two decimal places (fen): like 1200.50"),
    ("3e2", "must be an amount of money, like 1200.50"),
    ("1e20", "must be an amount of money, like 1200.50"),
    ("1" + "0" * 20, "is too large"),
])
def test_bad_money_is_an_error_at_the_cell(raw, message):
    data, errors = clean({**GOOD, "items": [{"description": "x", "amount": raw}]})
    assert errors == {"items[0].amount": message}
    assert "amount" not in data["items"][0]


@pytest.mark.parametrize("raw, cleaned, error", [
    ("3", 3, None),
    ("2.5", 2.5, None),
    ("0", None, "must be at least 1"),
    ("101", None, "must be at most 100"),
    ("two", None, "must be a number"),
])
def test_numbers(raw, cleaned, error):
    data, errors = clean({**GOOD, "items": [{"description": "x", "amount": "1", "qty": raw}]})
    if error:
        assert errors == {"items[0].qty": error}
    else:
        assert errors == {} and data["items"][0]["qty"] == cleaned


@pytest.mark.parametrize("raw, error", [
    ("2026-03-01", None),
    ("2026-02-30", "must be a date (YYYY-MM-DD)"),
    ("01/03/2026", "must be a date (YYYY-MM-DD)"),
    ("20260301", "must be a date (YYYY-MM-DD)"),
    (20260301, "must be a date (YYYY-MM-DD)"),
])
def test_dates_are_iso(raw, error):
    data, errors = clean({**GOOD, "category": "travel", "trip_start": raw})
    assert errors == ({} if error is None else {"trip_start": error})
    if error is None:
        assert data["trip_start"] == "2026-03-01"


def test_selects_text_and_lengths():
    data, errors = clean({**GOOD, "category": "food", "reason": "  x" * 10,
                          "items": [{"description": "A very long line", "amount": "1"}]})
    assert errors == {
        "category": "must be one of: travel, office",
        "items[0].description": "must be at most 10 characters",
        "reason": "must be at most 20 characters",
    }
    data, errors = clean({**GOOD, "reason": "  line one\r\nline two  "})
    assert errors == {} and data["reason"] == "line one\nline two"
    data, errors = clean({**GOOD, "reason": 42})
    assert errors == {"reason": "must be text"}


def test_unknown_fields_are_errors():
    data, errors = clean({**GOOD, "nickname": "bob",
                          "items": [{"description": "x", "amount": "1", "colour": "red"}]})
    assert errors == {"nickname": "unknown field", "items[0].colour": "unknown field"}
    assert "nickname" not in data


def test_required_fields():
    data, errors = clean({"category": "", "reason": "   "})
    assert errors == {"category": "required", "items": "at least 1 row", "reason": "required"}
    assert data == {"total": 0, "total_upper": "零元整"}


# ------------------------------------------------------------------ tables


def test_table_rows_are_cleaned_with_paths():
    data, errors = clean({**GOOD, "items": [
        {"description": "Taxi", "amount": "30", "qty": "2"},
        {"amount": "x"},
        "not a row",
    ]})
    assert errors == {
        "items[1].description": "required",
        "items[1].amount": "must be an amount of money, like 1200.50",
        "items[2]": "must be an object",
    }
    assert data["items"][0] == {"description": "Taxi", "amount": 30, "qty": 2, "line_total": 60}


def test_row_limits():
    row = {"description": "x", "amount": "1"}
    assert clean({**GOOD, "items": [row] * 4})[1] == {"items": "at most 3 rows"}
    assert clean({**GOOD, "items": []})[1] == {"items": "at least 1 row"}
    assert clean({**GOOD, "items": {"0": row}})[1] == {"items": "must be a list of rows"}


# ------------------------------------------------------------------ computed fields


def test_a_forged_total_is_ignored_and_recomputed():
    raw = {**GOOD, "total": 1, "total_upper": "壹元整",
           "items": [{"description": "a", "amount": "0.10"}, {"description": "b", "amount": "0.20"},
                     {"description": "c", "amount": "1,200", "line_total": 999}]}
    data, errors = clean(raw)
    assert errors == {}
    assert data["total"] == 1200.3  # exact: not 1200.3000000000002
    assert data["total_upper"] == "壹仟贰佰元叁角整"
    assert "line_total" not in data["items"][2]  # no qty: nothing to compute, nothing forged kept


OVERFLOW = Form.from_dict({"key": "order", "version": 1, "title": "Order", "fields": [
    {"key": "qty", "type": "number"}, {"key": "price", "type": "money"},
    {"key": "total", "type": "money", "computed": "qty * price"},
    {"key": "label", "type": "number", "computed": "'x' * 0 + qty"},
    {"key": "lines", "type": "table", "columns": [
        {"key": "n", "type": "number"}, {"key": "twice", "type": "number", "computed": "n * n"}]},
]})


def test_a_computed_result_keeps_to_the_limits_of_typed_input():
    data, errors = clean_submission(OVERFLOW, {"qty": 10 ** 12, "price": 10 ** 9,
                                               "lines": [{"n": 10 ** 12}]})
    assert errors == {"total": "is too large", "lines[0].twice": "is too large",
                      "label": "cannot compute: \"*\": expected a number, got text 'x'"}
    assert "total" not in data and "twice" not in data["lines"][0]
    data, errors = clean_submission(OVERFLOW, {"qty": 3, "price": "1.5"})
    assert errors == {"label": "cannot compute: \"*\": expected a number, got text 'x'"}
    assert data["total"] == 4.5


def test_visibility_follows_computed_values():
    small = {**GOOD, "approval_note": "ok"}
    data, errors = clean(small)
    assert errors == {} and "approval_note" not in data  # hidden: total is 12.5
    big = {**small, "items": [{"description": "Laptop", "amount": "8,000"}]}
    data, errors = clean(big)
    assert errors == {} and data["approval_note"] == "ok"


def test_hidden_fields_are_not_required_and_lose_their_values():
    data, errors = clean({**GOOD, "trip_start": "not a date"})
    assert errors == {} and "trip_start" not in data
    data, errors = clean({**GOOD, "category": "travel"})
    assert errors == {"trip_start": "required"}


# ------------------------------------------------------------------ partial mode


def test_partial_mode_shows_nothing_for_an_untouched_form():
    assert clean({}, partial=True) == ({"total": 0, "total_upper": "零元整"}, {})


def test_partial_mode_reports_required_only_for_fields_present():
    data, errors = clean({"category": "", "items": [{"amount": "abc"}]}, partial=True)
    assert errors == {"category": "required",
                      "items[0].amount": "must be an amount of money, like 1200.50"}
    data, errors = clean({"items": []}, partial=True)
    assert errors == {"items": "at least 1 row"}
    assert clean({"category": "x"}, partial=True)[1] == {"category": "must be one of: travel, office"}


# ------------------------------------------------------------------ HTML form encoding


def test_field_names():
    assert field_name("reason") == "reason"
    assert field_name("items", 2, "amount") == "items-2-amount"
    with pytest.raises(ValueError):
        field_name("items", None, "amount")


def test_pairs_become_the_nested_raw_dict():
    pairs = [
        ("_csrf", "token"),
        ("category", "travel"),
        ("trip_start", ""),
        ("items-0-description", "Taxi"),
        ("items-0-amount", "12.5"),
        ("items-2-description", "Hotel"),
        ("items-2-amount", "300"),
        ("items-1-description", ""),
        ("items-x-amount", "1"),
        ("reason", "client visit"),
    ]
    raw = form_values_from_pairs(FORM, pairs)
    assert raw == {
        "category": "travel",
        "items": [{"description": "Taxi", "amount": "12.5"}, {},
                  {"description": "Hotel", "amount": "300"}],
        "items-x-amount": "1",
        "reason": "client visit",
    }
    data, errors = clean(raw)
    assert errors == {"trip_start": "required", "items[1].description": "required",
                      "items[1].amount": "required", "items-x-amount": "unknown field"}
    assert data["total"] == 312.5


def test_templates_and_parsing_agree_on_names():
    pairs = [(field_name("items", row, column), value)
             for row, (column, value) in enumerate([("description", "a"), ("amount", "2")])]
    assert form_values_from_pairs(FORM, pairs) == {
        "items": [{"description": "a"}, {"amount": "2"}]}


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["category", "trip_start", "items", "total", "reason", "approval_note", "x"]),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                 lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.sampled_from(["description", "amount", "qty", "zz"]), inner,
                                   max_size=3), max_leaves=10)),
       st.booleans())
def test_any_submission_gives_data_and_errors_never_an_exception(raw, partial):
    data, errors = clean(raw, partial=partial)
    assert isinstance(data, dict) and all(isinstance(v, str) for v in errors.values())


# ------------------------------------------------------------------ checkbox

TICKS = Form.from_dict({
    "key": "contract", "version": 1, "title": "Contract",
    "fields": [
        {"key": "foreign", "type": "checkbox"},
        {"key": "country", "type": "text", "required_when": {"foreign": True}},
        {"key": "confirmed", "type": "checkbox", "required": True},
    ],
})


@pytest.mark.parametrize("raw, value", [
    ({}, False), ({"foreign": "on"}, True), ({"foreign": True}, True), ({"foreign": False}, False),
    ({"foreign": "false"}, False), ({"foreign": ""}, False), ({"foreign": None}, False),
])
def test_a_checkbox_is_true_or_false_and_absent_means_unticked(raw, value):
    data, errors = clean_submission(TICKS, {**raw, "country": "DE", "confirmed": True})
    assert errors == {}
    assert data["foreign"] is value


@pytest.mark.parametrize("raw", [{"foreign": "maybe"}, {"foreign": 1}, {"foreign": [True]}])
def test_a_checkbox_refuses_anything_but_a_yes_or_no(raw):
    _, errors = clean_submission(TICKS, {**raw, "confirmed": True})
    assert errors == {"foreign": "must be true or false"}


def test_a_ticked_checkbox_drives_conditions_and_a_required_one_must_be_ticked():
    _, errors = clean_submission(TICKS, {"foreign": "on"})
    assert errors == {"country": "required", "confirmed": "required"}
    _, errors = clean_submission(TICKS, {"foreign": "on"}, partial=True)
    assert errors == {}  # an untouched box is not an error while the person types


def test_html_form_pairs_carry_a_ticked_box_as_on_and_omit_an_unticked_one():
    raw = form_values_from_pairs(TICKS, [("confirmed", "on")])
    data, errors = clean_submission(TICKS, raw)
    assert (data, errors) == ({"foreign": False, "confirmed": True}, {})

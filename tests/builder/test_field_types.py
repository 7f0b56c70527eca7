"""Every field type through cleaning (good values, bad values with their messages) and validation."""
from __future__ import annotations

import pytest

from builder.fieldtypes import CLEANERS, Names, range_days
from builder.formdata import clean_submission, field_name, form_values_from_pairs
from builder.forms import FIELD_TYPES, Field, Form

OPTIONS = [{"value": "a", "label": "A"}, {"value": "b"}, {"value": "c"}]
FIELDS = [
    {"key": "text", "type": "text", "min_length": 2, "max_length": 5},
    {"key": "textarea", "type": "textarea", "min_length": 3},
    {"key": "name", "type": "text"},
    {"key": "number", "type": "number", "min": 1},
    {"key": "money", "type": "money"},
    {"key": "percent", "type": "percent"},
    {"key": "share", "type": "percent", "max": 300},
    {"key": "date", "type": "date"},
    {"key": "datetime", "type": "datetime"},
    {"key": "trip", "type": "daterange"},
    {"key": "select", "type": "select", "options": OPTIONS},
    {"key": "radio", "type": "radio", "options": OPTIONS},
    {"key": "multi", "type": "multiselect", "options": OPTIONS},
    {"key": "ok", "type": "checkbox"},
    {"key": "user", "type": "user"},
    {"key": "users", "type": "user", "multiple": True},
    {"key": "dept", "type": "department"},
    {"key": "phone", "type": "phone"},
    {"key": "email", "type": "email"},
    {"key": "files", "type": "attachment"},
    {"key": "items", "type": "table", "columns": [
        {"key": "rate", "type": "percent"}, {"key": "at", "type": "datetime"},
        {"key": "kind", "type": "select", "options": OPTIONS}, {"key": "tel", "type": "phone"},
        {"key": "mail", "type": "email"}]},
    {"key": "number_", "type": "serial", "pattern": "BX-{yyyy}-{seq:6}"},
    {"key": "intro", "type": "section", "label": "About you"},
    {"key": "hint", "type": "note", "help": "Fill in everything."},
]
FORM = Form.from_dict({"key": "all", "version": 1, "title": "All", "fields": FIELDS})
DIRECTORY = Names.of(users=("zhang.wei", "li.na"), departments=("sales", "finance"))
SHA = "0" * 64


def clean_one(key, value, directory=DIRECTORY):
    data, errors = clean_submission(FORM, {key: value}, partial=True, directory=directory)
    return data.get(key), errors.get(key)


def test_every_declared_type_has_a_cleaner_or_is_special():
    special = {"checkbox", "table", "serial", "section", "note"}
    assert set(FIELD_TYPES) == set(CLEANERS) | special


@pytest.mark.parametrize("key, value, cleaned", [
    ("text", " hi ", "hi"),
    ("textarea", "one\r\ntwo", "one\ntwo"),
    ("textarea", "one\ttwo\nthree", "one\ttwo\nthree"),
    ("textarea", "x" * 5000, "x" * 5000),
    ("name", "x" * 200, "x" * 200),
    ("name", "tab\there", "tab here"),
    ("name", "invoice\u202efdp.exe", "invoicefdp.exe"),
    ("name", "\u2067abc\u2069 \u202ax\u202c", "abc x"),
    ("number", "1,234.5", 1234.5),
    ("money", "¥1,200.50", 1200.5),
    ("percent", "12.5", 12.5),
    ("percent", "12.5%", 12.5),
    ("percent", 0, 0),
    ("share", "250", 250),
    ("date", "2026-12-01", "2026-12-01"),
    ("datetime", "2026-12-01T09:30", "2026-12-01T09:30"),
    ("datetime", "2026-12-01 09:30:00", "2026-12-01T09:30"),
    ("trip", {"start": "2026-12-01", "end": "2026-12-03"}, {"start": "2026-12-01", "end": "2026-12-03"}),
    ("trip", {"start": "2026-12-01", "end": "2026-12-01"}, {"start": "2026-12-01", "end": "2026-12-01"}),
    ("trip", {"start": "2020-01-01", "end": "2029-12-31"}, {"start": "2020-01-01", "end": "2029-12-31"}),
    ("trip", {"start": "2020-02-29", "end": "2030-02-28"}, {"start": "2020-02-29", "end": "2030-02-28"}),
    ("date", "1900-01-01", "1900-01-01"),
    ("datetime", "2200-12-31T23:59", "2200-12-31T23:59"),
    ("select", "b", "b"),
    ("radio", "a", "a"),
    ("multi", ["c", "a", "c"], ["a", "c"]),
    ("multi", "b", ["b"]),
    ("ok", "on", True),
    ("user", "zhang.wei", "zhang.wei"),
    ("users", ["li.na", "zhang.wei", "li.na"], ["li.na", "zhang.wei"]),
    ("users", "li.na", ["li.na"]),
    ("dept", "sales", "sales"),
    ("phone", "138 1234 5678", "13812345678"),
    ("phone", "+86 138-1234-5678", "13812345678"),
    ("phone", "010-12345678", "010-12345678"),
    ("phone", "0755 1234567", "0755-1234567"),
    ("email", " Zhang.Wei@Example.COM ", "Zhang.Wei@example.com"),
    ("files", [{"id": "u1", "name": "a.pdf", "size": 3, "sha256": SHA, "type": "application/pdf"}],
     [{"id": "u1", "name": "a.pdf", "size": 3, "sha256": SHA, "type": "application/pdf"}]),
    ("items", [{"rate": "5", "at": "2026-12-01T08:00", "kind": "a", "tel": "13912345678",
                "mail": "a@B.cn"}],
     [{"rate": 5, "at": "2026-12-01T08:00", "kind": "a", "tel": "13912345678", "mail": "a@b.cn"}]),
])
def test_good_values_are_cleaned(key, value, cleaned):
    assert clean_one(key, value) == (cleaned, None)


@pytest.mark.parametrize("key, value, message", [
    ("text", "x", "must be at least 2 characters"),
    ("text", "abcdef", "must be at most 5 characters"),
    ("textarea", "ab", "must be at least 3 characters"),
    ("textarea", "x" * 5001, "must be at most 5000 characters"),
    ("name", "x" * 201, "must be at most 200 characters"),
    ("name", "nul\x00here", "must not contain control characters"),
    ("name", "\x1b[31mred", "must not contain control characters"),
    ("textarea", "bell\x07 and DEL\x7f", "must not contain control characters"),
    ("number", "0", "must be at least 1"),
    ("money", "-1", "must not be negative"),
    ("money", "1.005", "has more than two decimal places (fen): like 1200.50"),  # a slip, not 1.01
    ("money", 12.345, "has more than two decimal places (fen): like 1200.50"),
    ("money", "1e3", "must be an amount of money, like 1200.50"),
    ("percent", "101", "must be at most 100"),
    ("percent", "-0.5", "must be at least 0"),
    ("percent", "lots", "must be a percentage, like 12.5"),
    ("share", "301", "must be at most 300"),
    ("date", "2026-02-30", "must be a date (YYYY-MM-DD)"),
    ("datetime", "2026-12-01", "must be a date and time (YYYY-MM-DDTHH:MM)"),
    ("datetime", "2026-12-01T25:00", "must be a date and time (YYYY-MM-DDTHH:MM)"),
    ("trip", {"start": "2026-12-03", "end": "2026-12-01"}, "must end on or after its start"),
    ("trip", {"start": "2026-12-03", "end": "soon"}, "start and end must be dates (YYYY-MM-DD)"),
    ("trip", "2026-12-03", 'must be {"start": date, "end": date}'),
    ("trip", {"start": "0001-01-01", "end": "9999-12-31"},
     "start and end must be between the years 1900 and 2200"),
    ("trip", {"start": "2020-01-01", "end": "2030-01-01"}, "must span at most 10 years"),
    ("trip", {"start": "2020-02-29", "end": "2030-03-01"}, "must span at most 10 years"),
    ("date", "1899-12-31", "must be between the years 1900 and 2200"),
    ("date", "9999-12-31", "must be between the years 1900 and 2200"),
    ("datetime", "0001-01-01T00:00", "must be between the years 1900 and 2200"),
    ("select", "z", "must be one of: a, b, c"),
    ("radio", ["a"], "must be one of: a, b, c"),
    ("multi", ["a", "z"], "'z' is not one of: a, b, c"),
    ("multi", {"a": 1}, "must be a list of options"),
    ("user", "nobody", 'no user "nobody"'),
    ("user", ["li.na", "zhang.wei"], "must be one user"),
    ("user", "two words", "must be a user id"),
    ("users", ["li.na", "ghost"], 'no user "ghost"'),
    ("dept", "mars", 'no department "mars"'),
    ("phone", "12345", "must be a mobile number (13812345678) or a landline (010-12345678)"),
    ("phone", "12812345678", "must be a mobile number"),
    ("email", "not-an-email", "must be an email address, like name@example.com"),
    ("email", "a..b@example.com", "must be an email address"),
    ("email", "a@localhost", "must be an email address"),
    ("files", "u1", "must be a list of uploaded files"),
    ("intro", "anything", "holds no value"),
    ("hint", "anything", "holds no value"),
])
def test_bad_values_are_refused_with_a_message(key, value, message):
    cleaned, error = clean_one(key, value)
    assert cleaned is None
    assert error is not None and error.startswith(message)


def test_messages_never_echo_more_than_a_glimpse_of_a_value():
    huge = "z" * 1_000_000
    for key, value in (("multi", [huge]), ("user", huge[:100]), ("users", ["li.na", huge[:100]])):
        cleaned, error = clean_one(key, value)
        assert cleaned is None and error is not None
        assert error.count("z") <= 60 and "…" in error, (key, error[:80])


def test_table_cells_are_refused_with_their_path():
    data, errors = clean_submission(FORM, {"items": [{"rate": "120", "tel": "1"}]}, partial=True)
    assert errors == {"items[0].rate": "must be at most 100",
                      "items[0].tel": "must be a mobile number (13812345678) or a landline (010-12345678)"}


def test_without_a_directory_only_the_shape_of_people_is_checked():
    assert clean_one("user", "anyone", directory=None) == ("anyone", None)
    assert clean_one("dept", "a b", directory=None) == (None, "must be a department id")


def test_a_serial_number_is_never_read_from_input():
    data, errors = clean_submission(FORM, {"number_": "BX-2026-999999"}, partial=True)
    assert "number_" not in data and errors == {}


def test_form_pairs_keep_repeated_values_and_join_date_range_ends():
    pairs = [("multi", "a"), ("multi", "c"), ("users", "li.na"), ("users", "zhang.wei"),
             ("user", "li.na"), ("user", "zhang.wei"), (field_name("trip", end="start"), "2026-12-01"),
             (field_name("trip", end="end"), "2026-12-03"), ("text", "hi")]
    raw = form_values_from_pairs(FORM, pairs)
    assert raw == {"multi": ["a", "c"], "users": ["li.na", "zhang.wei"], "user": "zhang.wei",
                   "trip": {"start": "2026-12-01", "end": "2026-12-03"}, "text": "hi"}
    data, errors = clean_submission(FORM, raw, partial=True, directory=DIRECTORY)
    assert errors == {}
    assert data["trip"] == {"start": "2026-12-01", "end": "2026-12-03"}


def test_an_empty_date_range_is_missing_and_so_required():
    form = Form.from_dict({"key": "f", "version": 1, "title": "F",
                           "fields": [{"key": "trip", "type": "daterange", "required": True}]})
    raw = form_values_from_pairs(form, [("trip-start", ""), ("trip-end", "")])
    assert clean_submission(form, raw) == ({}, {"trip": "required"})


def test_range_days_counts_both_ends():
    assert range_days({"start": "2026-12-01", "end": "2026-12-03"}) == 3
    assert range_days({"start": "2026-12-31", "end": "2026-12-31"}) == 1


def test_computed_percent_is_a_number_within_bounds():
    form = Form.from_dict({"key": "f", "version": 1, "title": "F", "fields": [
        {"key": "part", "type": "number"}, {"key": "whole", "type": "number"},
        {"key": "share", "type": "percent", "computed": "part / whole * 100"}]})
    assert clean_submission(form, {"part": 1, "whole": 8})[0]["share"] == 12.5
    assert clean_submission(form, {"part": 9, "whole": 8})[1] == {"share": "must be at most 100"}


# ------------------------------------------------------------------ validation of definitions

from builder.validation import validate_form  # noqa: E402


def problems_of(*fields):
    doc = {"key": "f", "version": 1, "title": "F", "fields": list(fields)}
    return [str(p) for p in validate_form(doc)]


def test_the_every_type_form_is_valid():
    assert problems_of(*FIELDS) == []


@pytest.mark.parametrize("field, expected", [
    ({"key": "r", "type": "radio"}, "fields[0].options: a radio field needs at least one option"),
    ({"key": "m", "type": "multiselect", "options": []},
     "fields[0].options: a multiselect field needs at least one option"),
    ({"key": "a", "type": "attachment", "accept": [".PDF"]},
     'fields[0].accept[0]: must be a file extension in lower case without the dot, like pdf, got ".PDF"'),
    ({"key": "a", "type": "attachment", "accept": "pdf"},
     'fields[0].accept: must be a list of file extensions, like ["pdf", "jpg"]'),
    ({"key": "a", "type": "attachment", "max_files": 0}, "fields[0].max_files: must be a positive integer, got 0"),
    ({"key": "a", "type": "attachment", "max_size": "1MB"},
     'fields[0].max_size: must be a positive integer, got "1MB"'),
    ({"key": "s", "type": "serial"},
     "fields[0].pattern: a serial field needs a pattern, like BX-{yyyy}-{seq:6}"),
    ({"key": "s", "type": "serial", "pattern": "BX-{yyyy}"},
     "fields[0].pattern: must contain {seq:N}, the running number"),
    ({"key": "s", "type": "serial", "pattern": "BX-{year}-{seq:4}"},
     'fields[0].pattern: unknown token "{year}" (use {yyyy}, {yy}, {mm}, {dd}, {seq:N})'),
    ({"key": "s", "type": "serial", "pattern": "{seq:4}", "required": True},
     "fields[0].required: a serial field is never filled in, so it can't be required"),
    ({"key": "t", "type": "text", "pattern": "x{seq:2}"},
     "fields[0].pattern: a text field can't have pattern (only serial)"),
    ({"key": "t", "type": "text", "multiple": True},
     "fields[0].multiple: a text field can't have multiple (only user, department)"),
    ({"key": "d", "type": "date", "working_days": True},
     "fields[0].working_days: a date field can't have working_days (only daterange)"),
    ({"key": "u", "type": "user", "multiple": "yes"}, 'fields[0].multiple: must be true or false, got "yes"'),
    ({"key": "t", "type": "text", "min_length": 5, "max_length": 3},
     "fields[0].min_length: min_length 5 is greater than max_length 3"),
    ({"key": "t", "type": "textarea", "max_length": 10_000_000},
     "fields[0].max_length: must be at most 100000 (a long document is an attachment)"),
    ({"key": "t", "type": "text", "min_length": -1},
     "fields[0].min_length: must be a whole number, 0 or more, got -1"),
    ({"key": "n", "type": "percent", "default": 120},
     "fields[0].default: must be a value of the field's type: must be at most 100"),
    ({"key": "n", "type": "select", "options": [{"value": "a"}], "default": "b"},
     "fields[0].default: must be a value of the field's type: must be one of: a"),
    ({"key": "n", "type": "daterange", "default": {"start": "2026-12-02", "end": "2026-12-01"}},
     "fields[0].default: must be a value of the field's type: must end on or after its start"),
    ({"key": "n", "type": "checkbox", "default": "on"}, 'fields[0].default: must be true or false, got "on"'),
    ({"key": "n", "type": "attachment", "default": []},
     "fields[0].default: a attachment field can't have default"),
    ({"key": "h", "type": "section", "required": True},
     "fields[0].required: a section field is never filled in, so it can't be required"),
])
def test_type_properties_are_validated_with_paths(field, expected):
    assert expected in problems_of(field) or any(p.startswith(expected) for p in problems_of(field))


@pytest.mark.parametrize("field", [
    {"key": "n", "type": "percent", "default": 12.5},
    {"key": "n", "type": "multiselect", "options": [{"value": "a"}, {"value": "b"}], "default": ["b"]},
    {"key": "n", "type": "checkbox", "default": True},
    {"key": "n", "type": "phone", "default": "010-12345678"},
    {"key": "u", "type": "user", "multiple": True, "default": ["li.na"]},
    {"key": "a", "type": "attachment", "accept": ["pdf", "jpg"], "max_files": 3, "max_size": 1048576},
    {"key": "d", "type": "daterange", "working_days": True},
    {"key": "s", "type": "serial", "pattern": "HT{yy}{mm}{dd}-{seq:3}"},
])
def test_good_type_properties_pass(field):
    assert problems_of(field) == []


def test_a_half_typed_date_range_is_not_an_error_while_typing_but_is_at_submission():
    assert clean_one("trip", {"start": "2026-12-03"}) == (None, None)
    data, errors = clean_submission(FORM, {"trip": {"start": "2026-12-03"}})
    assert errors == {"trip": "needs a start and an end date"}

"""Form-level rules: `required_when`, cross-field `validations`, and derived facts of tables, from
the definition (validation with JSON paths, JSON round trip) to cleaning a submission."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.exchange import dumps, export_bundle, import_bundle, schema_problems
from builder.formdata import clean_submission
from builder.forms import Form, Validation
from builder.validation import parse_form, validate_form
from rules.errors import Problem

DEMO = Path(__file__).resolve().parents[2] / "demo" / "processes" / "expense.json"

TRIP = {
    "key": "trip",
    "version": 1,
    "title": "Business trip",
    "fields": [
        {"key": "kind", "type": "select", "required": True,
         "options": [{"value": "domestic"}, {"value": "abroad"}]},
        {"key": "passport_no", "type": "text", "required_when": {"kind": "abroad"}},
        {"key": "start_date", "type": "date", "required": True},
        {"key": "end_date", "type": "date", "required": True},
        {"key": "claimed", "type": "money"},
        {"key": "items", "type": "table", "columns": [
            {"key": "description", "type": "text", "required": True},
            {"key": "amount", "type": "money", "required": True},
            {"key": "invoice_no", "type": "text",
             "required_when": {"$gt": {"items.amount.sum": 1000}}},
        ]},
        {"key": "total", "type": "money", "computed": "sum(items.amount)"},
        {"key": "approval_note", "type": "textarea",
         "visible_when": {"$gt": {"items.count": 2}},
         "required_when": {"$gt": {"items.amount.max": 500}}},
    ],
    "validations": [
        {"when": {"$gte": {"end_date": {"$m": "start_date"}}},
         "message": {"en": "The trip cannot end before it starts", "zh_CN": "结束日期不能早于开始日期"},
         "fields": ["end_date"]},
        {"when": {"items.amount.sum": {"$m": "claimed"}},
         "message": "The invoice lines must add up to the claimed amount"},
    ],
}
FORM = parse_form(TRIP)
GOOD = {"kind": "domestic", "start_date": "2026-03-01", "end_date": "2026-03-03",
        "claimed": "120", "items": [{"description": "Train", "amount": "100"},
                                    {"description": "Taxi", "amount": "20"}]}


def clean(raw, **kwargs):
    return clean_submission(FORM, raw, **kwargs)


# ------------------------------------------------------------------ the definition


def test_the_form_round_trips_through_its_dataclasses():
    assert FORM.to_dict() == TRIP
    assert FORM.field("passport_no").required_when == {"kind": "abroad"}
    assert FORM.validations[1] == Validation(
        when={"items.amount.sum": {"$m": "claimed"}},
        message="The invoice lines must add up to the claimed amount")
    assert Form.from_dict(FORM.to_dict()) == FORM


def test_the_form_offers_derived_facts():
    facts = FORM.facts({"items": [{"amount": 0.1}, {"amount": 0.2}]})
    assert facts["items.amount.sum"] == 0.3 and facts["items.count"] == 2
    assert FORM.facts({})["items.count"] == 0
    types = FORM.condition_types()
    assert types["items.amount.sum"] == "money" and types["items.count"] == "number"
    assert "items.amount" not in types and types["end_date"] == "date"


def test_export_import_export_keeps_form_rules_byte_for_byte():
    bundle = json.loads(DEMO.read_text("utf-8"))
    bundle["form"]["fields"].append(
        {"key": "note", "type": "textarea", "required_when": {"$gt": {"items.amount.sum": 50000}}})
    bundle["form"]["validations"] = [
        {"when": {"$lte": {"items.amount.max": 10000}}, "message": {"en": "One invoice is at most 10,000"},
         "fields": ["items"]}]
    bundle["rulesets"][0]["inputs"].append({"key": "items.count", "type": "number"})
    assert schema_problems(bundle) == []
    flow, form, rulesets = import_bundle(copy.deepcopy(bundle), roles={"finance", "vp", "gm", "cashier"},
                                         users=set())
    text = dumps(export_bundle(flow, form, rulesets))
    again = import_bundle(json.loads(text), roles={"finance", "vp", "gm", "cashier"}, users=set())
    assert dumps(export_bundle(*again)) == text
    assert json.loads(text)["form"]["validations"] == bundle["form"]["validations"]


def problems(doc):
    return [str(p) for p in validate_form(doc)]


def trip(**changes):
    doc = copy.deepcopy(TRIP)
    doc.update(changes)
    return doc


def with_field(position, **changes):
    doc = trip()
    doc["fields"][position] = {**doc["fields"][position], **changes}
    return doc


@pytest.mark.parametrize("doc, expected", [
    (trip(validations=[{"when": {"$gte": {"end_dat": {"$m": "start_date"}}}, "message": "x"}]),
     ['validations[0].when.$gte.end_dat: unknown field "end_dat"']),
    (trip(validations=[{"when": {"$gte": {"end_date": {"$m": "start"}}}, "message": "x"}]),
     ['validations[0].when.$gte.end_date.$m: unknown field "start"']),
    (trip(validations=[{"when": {"$gte": {"end_date": {"$m": "claimed"}}}, "message": "x"}]),
     ['validations[0].when.$gte.end_date.$m: cannot compare date field "end_date" with money field '
      '"claimed"']),
    (trip(validations=[{"when": {"$gt": {"items.amount": 5}}, "message": "x"}]),
     ['validations[0].when.$gt.items.amount: "items.amount" is a table column with a value per row; '
      "use items.amount.sum, items.amount.min, items.amount.max, items.amount.count"]),
    (trip(validations=[{"when": {"kind": "moon"}, "message": "x"}]),
     ['validations[0].when.kind: "moon" is not an option of "kind" (domestic, abroad)']),
    (trip(validations=[{"message": "x", "fields": ["nope", 3], "level": "warn"}]),
     ["validations[0].level: unknown key", "validations[0].when: missing",
      'validations[0].fields[0]: unknown field "nope"', "validations[0].fields[1]: must be a field key, got 3"]),
    (trip(validations=[{"when": {"kind": "abroad"}}]),
     ["validations[0].message: missing: the text to show when the check fails"]),
    (trip(validations=[{"when": {"kind": "abroad"}, "message": ""}]),
     ["validations[0].message: must not be empty"]),
    (trip(validations=[{"when": {"kind": "abroad"}, "message": 5, "fields": "end_date"}]),
     ["validations[0].message: must be text or a mapping of locale to text",
      "validations[0].fields: must be a list of field keys"]),
    (trip(validations={"when": {}}), ["validations: must be a list"]),
    (trip(validations=["x"]), ["validations[0]: must be an object"]),
    (with_field(1, required_when={"$gt": {"kinds": 1}}),
     ['fields[1].required_when.$gt.kinds: unknown field "kinds"']),
    (with_field(1, required=True), ["fields[1].required_when: a field is either required or "
                                    "required_when, not both"]),
    (with_field(6, required_when={"kind": "abroad"}),
     ["fields[6].required_when: a computed field can't be required"]),
])
def test_form_rule_problems_name_their_json_paths(doc, expected):
    assert problems(doc) == expected


def test_a_column_s_required_when_reads_the_form():
    doc = trip()
    doc["fields"][5]["columns"][2]["required_when"] = {"$gt": {"amount": 5}}
    assert problems(doc) == ['fields[5].columns[2].required_when.$gt.amount: unknown field "amount"']


def test_the_schema_accepts_the_form_rules_and_refuses_strays():
    bundle = json.loads(DEMO.read_text("utf-8"))
    bundle["form"] = copy.deepcopy(TRIP)
    assert [p for p in schema_problems(bundle) if p.path.startswith("form")] == []
    bundle["form"]["validations"][0]["extra"] = 1
    bundle["form"]["fields"][1]["required_when"] = 5
    assert [str(p) for p in schema_problems(bundle)] == [
        "form.fields[1].required_when: 5 is not valid under any of the given schemas",
        "form.validations[0].extra: unknown key"]


# ------------------------------------------------------------------ cleaning


def test_a_good_submission_passes_every_rule():
    data, errors = clean(GOOD)
    assert errors == {}
    assert data["total"] == 120 and "items.amount.sum" not in data  # derived facts stay out


def test_required_when_asks_only_while_its_condition_holds():
    assert clean({**GOOD, "kind": "abroad"})[1] == {"passport_no": "required"}
    assert clean({**GOOD, "kind": "abroad", "passport_no": "E123"})[1] == {}
    assert clean({**GOOD, "kind": "abroad"}, partial=True)[1] == {}
    assert clean({**GOOD, "kind": "abroad", "passport_no": ""}, partial=True)[1] == {
        "passport_no": "required"}


def test_required_when_on_a_column_asks_in_every_row():
    raw = {**GOOD, "claimed": "1200", "items": [{"description": "Flight", "amount": "1100"},
                                                {"description": "Taxi", "amount": "100",
                                                 "invoice_no": "T-1"}]}
    assert clean(raw)[1] == {"items[0].invoice_no": "required"}
    assert clean({**raw, "items": raw["items"][1:], "claimed": "100"})[1] == {}


def test_a_hidden_field_is_never_required():
    items = [{"description": "Hotel", "amount": "600"}]
    assert clean({**GOOD, "claimed": "600", "items": items})[1] == {}  # one line: note hidden
    three = items * 3
    assert clean({**GOOD, "claimed": "1800", "items": three})[1] == {
        "approval_note": "required", "items[0].invoice_no": "required",
        "items[1].invoice_no": "required", "items[2].invoice_no": "required"}


def test_a_failed_validation_shows_its_message_on_the_fields_it_names():
    assert clean({**GOOD, "end_date": "2026-02-27"})[1] == {"end_date": "The trip cannot end before it starts"}
    assert clean({**GOOD, "end_date": "2026-02-27"}, locale="zh_CN")[1] == {
        "end_date": "结束日期不能早于开始日期"}


def test_a_validation_naming_no_field_is_reported_on_the_form():
    assert clean({**GOOD, "claimed": "119.99"})[1] == {
        "": "The invoice lines must add up to the claimed amount"}


def test_a_validation_waits_until_the_fields_it_compares_are_filled_in():
    raw = {k: v for k, v in GOOD.items() if k not in ("end_date", "claimed")}
    assert clean(raw)[1] == {"end_date": "required"}
    assert clean(raw, partial=True)[1] == {}
    assert clean({**raw, "end_date": "tomorrow"})[1] == {"end_date": "must be a date (YYYY-MM-DD)"}


def test_an_absent_table_adds_up_to_zero():
    raw = {k: v for k, v in GOOD.items() if k != "items"}
    assert clean({**raw, "claimed": "0"})[1] == {}
    assert clean({**raw, "claimed": "5"})[1] == {
        "": "The invoice lines must add up to the claimed amount"}


def test_a_field_error_is_not_overwritten_by_a_validation():
    form = parse_form(trip(validations=[TRIP["validations"][0],
                                        {"when": {"$lt": {"end_date": "2026-12-31"}},
                                         "message": "This year only", "fields": ["end_date"]}]))
    raw = {**GOOD, "end_date": "2027-01-01", "start_date": "2027-01-02"}
    assert clean_submission(form, raw)[1] == {"end_date": "The trip cannot end before it starts"}


def test_visible_when_sees_derived_facts():
    form = parse_form({"key": "f", "version": 1, "title": "F", "fields": [
        {"key": "items", "type": "table", "columns": [{"key": "amount", "type": "money"}]},
        {"key": "why", "type": "text", "visible_when": {"$gte": {"items.amount.sum": 100}},
         "required": True}]})
    assert clean_submission(form, {"items": [{"amount": 60}]})[1] == {}
    assert clean_submission(form, {"items": [{"amount": 60}, {"amount": 40}]})[1] == {"why": "required"}
    assert clean_submission(form, {})[1] == {}


# ------------------------------------------------------------------ robustness

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6)
    | st.sampled_from(["end_date", "items.amount.sum", "items.count", "claimed", "$m", "kind"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["when", "message", "fields", "$m", "$gte", "$and", "end_date",
                         "items.amount.max", "kind", "en"]), inner, max_size=3),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_form_rules_give_problems_never_exceptions(data):
    doc = copy.deepcopy(TRIP)
    target = data.draw(st.sampled_from([doc, doc["validations"][0], doc["validations"][1],
                                        doc["fields"][1], doc["fields"][5]["columns"][2]]))
    target[data.draw(st.sampled_from(sorted(target) + ["required_when", "validations"]))] = \
        data.draw(JSON)
    found = validate_form(doc)
    assert all(isinstance(p, Problem) for p in found)
    if not found:
        clean_submission(Form.from_dict(doc), GOOD)

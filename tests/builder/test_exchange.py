"""The export/import format: byte-stable round trips and every problem with its document path."""
from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from builder.deadlines import ESCALATION_ACTIONS, TIME_UNITS, Duration, Rung
from builder.exchange import (FORMAT, dumps, export_bundle, export_schema, import_bundle, loads,
                              schema_problems)
from builder.flows import APPROVAL_MODES, ASSIGNEE_KINDS, STEP_KINDS, Assignee, Branch, Flow, ProcessMeta, Urgent
from builder.forms import FIELD_TYPES, SCALAR_TYPES, Field, Form, Option
from builder.serial import canonical_json
from rules.errors import DefinitionError
from rules.ruleset import HIT_POLICIES, Ruleset

DEMO = Path(__file__).resolve().parents[2] / "demo" / "processes" / "expense.json"
ROLES = {"finance", "vp", "gm", "cashier"}
USERS = {"li.na"}


def demo() -> dict:
    return json.loads(DEMO.read_text("utf-8"))


def problems_of(doc) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        import_bundle(doc, roles=ROLES, users=USERS)
    return [str(p) for p in caught.value.problems]


# ------------------------------------------------------------------ round trip


def test_export_import_export_is_byte_identical_on_the_demo():
    text = DEMO.read_text("utf-8")
    assert canonical_json(json.loads(text)) == text  # the file is itself canonical
    flow, form, rulesets = import_bundle(json.loads(text), roles=ROLES, users=USERS)
    assert dumps(export_bundle(flow, form, rulesets)) == text
    again = loads(dumps(export_bundle(flow, form, rulesets)), roles=ROLES, users=USERS)
    assert again == (flow, form, rulesets)


def test_the_green_channel_round_trips_byte_identical_and_passes_the_schema():
    doc = demo()
    doc["flow"]["urgent"] = {"allowed": True, "execution": "pay", "deadline": {"amount": 3, "unit": "days"}}
    text = dumps(doc)
    flow, form, rulesets = import_bundle(json.loads(text), roles=ROLES, users=USERS)
    assert flow.urgent == Urgent(allowed=True, execution="pay", deadline=Duration(3, "days"))
    assert dumps(export_bundle(flow, form, rulesets)) == text
    assert list(Draft202012Validator(export_schema()).iter_errors(json.loads(text))) == []
    doc["flow"]["urgent"]["allowed"] = False  # switched off, its settings kept
    off = dumps(doc)
    assert dumps(export_bundle(*import_bundle(json.loads(off), roles=ROLES, users=USERS))) == off


def test_import_builds_the_definitions():
    flow, form, rulesets = import_bundle(demo(), roles=ROLES, users=USERS)
    assert isinstance(flow, Flow) and flow.key == "expense" and flow.form == form.key
    assert isinstance(form, Form) and form.field("total").computed == "sum(items.amount)"
    assert [r.ref for r in rulesets] == ["expense-approval-tier@1"]
    assert [s.id for s in flow.walk()] == ["dept_head", "finance", "tier", "vp_major", "gm",
                                           "vp", "pay"]


def test_a_first_export_normalises_and_then_stays_stable():
    doc = demo()
    del doc["flow"]["steps"][2]["else"]
    doc["flow"]["steps"][0]["assignee"] = {"kind": "dept_head"}
    first = dumps(export_bundle(*import_bundle(doc, roles=ROLES, users=USERS)))
    assert first == DEMO.read_text("utf-8")  # `else: []` and `levels: 1` spelled out
    second = dumps(export_bundle(*import_bundle(json.loads(first), roles=ROLES, users=USERS)))
    assert second == first


def test_deadlines_and_escalation_round_trip_byte_identical():
    doc = demo()
    doc["flow"]["steps"][0]["deadline"] = {"amount": 2, "unit": "days"}
    doc["flow"]["steps"][0]["escalation"] = [
        {"after": {"amount": 4, "unit": "hours"}, "action": "remind"},
        {"after": {"amount": 3, "unit": "days"}, "action": "auto_approve"}]
    doc["flow"]["steps"][-1]["deadline"] = {"amount": 16, "unit": "hours"}
    text = dumps(doc)
    flow, form, rulesets = import_bundle(json.loads(text), roles=ROLES, users=USERS)
    assert dumps(export_bundle(flow, form, rulesets)) == text
    assert list(Draft202012Validator(export_schema()).iter_errors(json.loads(text))) == []


def test_import_names_a_broken_deadline_or_ladder_by_its_path():
    doc = demo()
    doc["flow"]["steps"][0]["escalation"] = [{"after": {"amount": 0, "unit": "days"}, "action": "remind"}]
    doc["flow"]["steps"][-1]["deadline"] = {"unit": "weeks", "amount": 1}
    assert problems_of(doc) == [
        "flow.steps[0].escalation[0].after.amount: must be a whole number from 1 to 1000, got 0",
        'flow.steps[3].deadline.unit: unknown unit "weeks" (one of hours, days)',
    ]


def test_export_sorts_rulesets_by_key():
    flow, form, (tier,) = import_bundle(demo(), roles=ROLES, users=USERS)
    other = dataclasses.replace(tier, key="a-first")
    bundle = export_bundle(flow, form, [tier, other])
    assert bundle["format"] == FORMAT == 1
    assert [r["key"] for r in bundle["rulesets"]] == ["a-first", "expense-approval-tier"]


# ------------------------------------------------------------------ problems


def test_every_problem_is_reported_with_its_document_path():
    doc = demo()
    doc["flow"]["steps"][2]["branches"][0]["steps"][1]["assignee"]["role"] = "cfo"
    doc["flow"]["steps"][3]["id"] = "finance"
    doc["flow"]["colour"] = "blue"
    doc["form"]["fields"][1]["type"] = "mony"
    doc["form"]["fields"][2]["columns"][2]["min"] = "0.01"
    doc["rulesets"][0]["rows"][1]["when"] = {"$gt": {"totl": 5000}}
    assert problems_of(doc) == [
        "flow.colour: unknown key",
        'flow.steps[2].branches[0].steps[1].assignee.role: unknown role "cfo"',
        'flow.steps[3].id: duplicate step id "finance"',
        'form.fields[1].type: unknown field type "mony"',
        'form.fields[2].columns[2].min: must be a number, got "0.01"',
        'rulesets[0].rows[1].when.$gt.totl: unknown field "totl"',
    ]


def test_branch_outcomes_are_checked_against_the_bundled_ruleset():
    doc = demo()
    doc["flow"]["steps"][2]["branches"][1]["outcome"] = {"tier": "ceo"}
    assert problems_of(doc) == [
        'flow.steps[2].branches[1].outcome.tier: "ceo" is not one of none, vp, gm '
        '(output "tier" of ruleset "expense-approval-tier")']


def test_rulesets_are_checked_against_the_bundled_form():
    doc = demo()
    doc["form"]["fields"][3]["key"] = "sum_total"
    assert problems_of(doc) == [
        'rulesets[0].inputs[0].key: unknown form field "total"']


def test_a_broken_ruleset_is_reported_once_not_also_as_unknown():
    doc = demo()
    doc["rulesets"][0]["hit_policy"] = "any"
    assert problems_of(doc) == [
        'rulesets[0].hit_policy: unknown hit policy "any"; use first, unique or collect']


def test_missing_and_duplicate_rulesets():
    doc = demo()
    doc["rulesets"].append(copy.deepcopy(doc["rulesets"][0]))
    assert problems_of(doc) == ['rulesets[1].key: duplicate ruleset "expense-approval-tier"']
    doc["rulesets"] = []
    assert problems_of(doc) == [
        'flow.rulesets[0]: unknown ruleset "expense-approval-tier"',
        'flow.steps[2].ruleset: unknown ruleset "expense-approval-tier"',
    ]


def test_the_flow_must_use_the_bundled_form():
    doc = demo()
    doc["flow"]["form"] = "leave-request"
    assert problems_of(doc) == [
        'flow.form: the flow uses form "leave-request" but the form is "expense-claim"']


@pytest.mark.parametrize("value, message", [
    (2, "format: unsupported format 2; this server reads format 1"),
    ("1", 'format: unsupported format "1"; this server reads format 1'),
    (True, "format: unsupported format true; this server reads format 1"),
])
def test_other_formats_are_refused_by_name(value, message):
    assert problems_of({**demo(), "format": value}) == [message]


@pytest.mark.parametrize("doc, problems", [
    ([], ["must be an object (a formflow export document)"]),
    ({}, ["flow: missing", "form: missing", "format: missing", "rulesets: missing"]),
    ({"format": 1, "flow": {}, "form": {}, "rulesets": [], "extra": 1},
     ["extra: unknown key", "flow.form: missing", "flow.key: missing", "flow.steps: missing",
      "flow.title: missing", "flow.version: missing", "form.fields: missing", "form.key: missing",
      "form.version: missing"]),
    ({"format": 1, "flow": 1, "form": "x", "rulesets": {}},
     ["flow: must be an object", "form: must be an object", "rulesets: must be a list, got an object"]),
])
def test_structural_problems(doc, problems):
    assert problems_of(doc) == problems


def test_schema_problems_use_our_path_style():
    doc = demo()
    doc["flow"]["steps"][2]["branches"][0]["steps"][0]["assignee"]["levels"] = "two"
    doc["form"]["fields"][4]["requried"] = True
    assert [str(p) for p in schema_problems(doc)] == [
        'flow.steps[2].branches[0].steps[0].assignee.levels: must be a whole number, got "two"',
        "form.fields[4].requried: unknown key",
    ]


def test_schema_problems_are_remembered_only_for_documents_json_spells_the_same():
    doc = demo()
    assert schema_problems(doc) == schema_problems(demo()) == []
    doc["form"]["fields"] = tuple(doc["form"]["fields"])  # not a JSON list: checked as it is
    assert [str(p) for p in schema_problems(doc)] == ["form.fields: must be a list, got tuple"]


def test_loads_refuses_text_that_is_not_json():
    with pytest.raises(DefinitionError, match=r"not valid JSON: Expecting value \(line 1, column 1\)"):
        loads("nope", roles=ROLES, users=USERS)
    with pytest.raises(DefinitionError, match="not valid JSON: NaN is not a JSON number"):
        loads('{"format": NaN}', roles=ROLES, users=USERS)


# ------------------------------------------------------------------ the published schema


def test_the_schema_is_valid_draft_2020_12_and_accepts_the_demo():
    schema = export_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert list(Draft202012Validator(schema).iter_errors(demo())) == []


def _json_names(cls) -> set[str]:
    return {f.metadata.get("json", f.name) for f in dataclasses.fields(cls)}


def test_the_schema_keeps_in_step_with_the_dataclasses():
    defs = export_schema()["$defs"]
    assert set(defs["form"]["properties"]) == _json_names(Form)
    assert set(defs["field"]["properties"]) == _json_names(Field)
    assert set(defs["option"]["properties"]) == _json_names(Option)
    assert set(defs["flow"]["properties"]) == _json_names(Flow)
    assert set(defs["meta"]["properties"]) == _json_names(ProcessMeta)
    assert set(defs["branch_path"]["properties"]) == _json_names(Branch)
    assert set(defs["assignee"]["properties"]) == _json_names(Assignee)
    assert set(defs["ruleset"]["properties"]) == _json_names(Ruleset)
    assert defs["field"]["properties"]["type"]["enum"] == list(FIELD_TYPES)
    assert defs["column"]["properties"]["type"]["enum"] == list(SCALAR_TYPES)
    assert defs["step"]["properties"]["kind"]["enum"] == list(STEP_KINDS)
    assert defs["assignee"]["properties"]["kind"]["enum"] == list(ASSIGNEE_KINDS)
    assert set(defs["urgent"]["properties"]) == set(defs["urgent"]["required"]) == _json_names(Urgent)
    assert defs["approval"]["properties"]["mode"]["enum"] == list(APPROVAL_MODES)
    assert defs["duration"]["properties"]["unit"]["enum"] == list(TIME_UNITS)
    assert defs["escalation"]["items"]["properties"]["action"]["enum"] == list(ESCALATION_ACTIONS)
    assert set(defs["escalation"]["items"]["properties"]) == _json_names(Rung)
    assert set(defs["duration"]["properties"]) == _json_names(Duration)
    assert defs["ruleset"]["properties"]["hit_policy"]["enum"] == list(HIT_POLICIES)
    for kind, cls in STEP_KINDS.items():
        assert set(defs[kind]["properties"]) == {"kind"} | _json_names(cls), kind

"""Form and flow validation: every problem at once, each at its JSON path, never an exception."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builder.flows import BranchStep, Flow
from builder.forms import Form
from builder.validation import parse_flow, parse_form, validate_flow, validate_form
from rules.errors import DefinitionError, Problem
from rules.ruleset import parse_ruleset

DEMO = Path(__file__).resolve().parents[2] / "demo" / "processes" / "expense.json"
ROLES = {"finance", "vp", "gm", "cashier"}
USERS = {"li.na", "zhao.min"}

FORM = {
    "key": "purchase",
    "version": 1,
    "title": "Purchase request",
    "fields": [
        {"key": "kind", "type": "select", "required": True,
         "options": [{"value": "goods"}, {"value": "service"}]},
        {"key": "lines", "type": "table", "min_rows": 1, "columns": [
            {"key": "item", "type": "text", "required": True, "max_length": 100},
            {"key": "amount", "type": "money", "required": True, "min": 0.01},
        ]},
        {"key": "total", "type": "money", "computed": "sum(lines.amount)"},
        {"key": "contract", "type": "text", "visible_when": {"kind": "service"}},
    ],
}

RULESET = {
    "key": "purchase-tier", "version": 1, "hit_policy": "first",
    "inputs": [{"key": "total", "type": "money"}],
    "outputs": [{"key": "tier", "type": "select", "options": ["low", "high"]}],
    "rows": [{"when": {"$gt": {"total": 10000}}, "then": {"tier": "high"}}],
    "default": {"tier": "low"},
}

FLOW = {
    "key": "purchase",
    "version": 1,
    "title": "Purchase",
    "form": "purchase",
    "rulesets": ["purchase-tier"],
    "steps": [
        {"id": "head", "kind": "approval", "assignee": {"kind": "dept_head", "levels": 1}},
        {"id": "tier", "kind": "branch", "ruleset": "purchase-tier",
         "branches": [{"outcome": {"tier": "high"}, "steps": [
             {"id": "gm", "kind": "approval", "assignee": {"kind": "role", "role": "gm"}}]}],
         "else": []},
        {"id": "buy", "kind": "task", "assignee": {"kind": "user", "user": "li.na"}},
    ],
}


def form_doc(**changes):
    doc = copy.deepcopy(FORM)
    doc.update(changes)
    return doc


def flow_problems(doc, **kwargs):
    form = Form.from_dict(FORM)
    rulesets = {"purchase-tier": parse_ruleset(RULESET, form.field_types())}
    options = {"form": form, "rulesets": rulesets, "roles": ROLES, "users": USERS}
    options.update(kwargs)
    return [str(p) for p in validate_flow(doc, **options)]


# ------------------------------------------------------------------ forms


def test_valid_forms_have_no_problems():
    assert validate_form(FORM) == []
    assert validate_form(json.loads(DEMO.read_text("utf-8"))["form"]) == []


def test_several_form_problems_are_reported_together():
    doc = form_doc(version=0)
    doc["fields"][0]["options"].append({"value": "goods"})
    doc["fields"][1]["columns"].append({"key": "amount", "type": "number"})
    doc["fields"][2]["type"] = "mony"
    doc["fields"].append({"key": "note", "type": "textarea", "requried": True})
    assert [str(p) for p in validate_form(doc)] == [
        "version: must be a positive integer, got 0",
        'fields[0].options[2].value: duplicate value "goods"',
        'fields[1].columns[2].key: duplicate key "amount"',
        'fields[2].type: unknown field type "mony"',
        "fields[4].requried: unknown key",
    ]


def test_paths_are_rooted_where_the_caller_says():
    doc = form_doc()
    doc["fields"][2]["type"] = "mony"
    assert validate_form(doc, "form") == [
        Problem("form.fields[2].type", 'unknown field type "mony"')]


@pytest.mark.parametrize("field, problems", [
    ({"key": "Total", "type": "number"},
     ['fields[4].key: must be a slug ([a-z][a-z0-9_-]*), got "Total"']),
    ({"key": "kind", "type": "text"}, ['fields[4].key: duplicate key "kind"']),
    ({"type": "text"}, ["fields[4].key: missing"]),
    ({"key": "x"}, ["fields[4].type: missing"]),
    ({"key": "x", "type": "select"}, ["fields[4].options: a select field needs at least one option"]),
    ({"key": "x", "type": "select", "options": [{"value": ""}, {"label": "A"}]},
     ['fields[4].options[0].value: must be non-empty text, got ""',
      "fields[4].options[1].value: missing"]),
    ({"key": "x", "type": "table"}, ["fields[4].columns: a table needs at least one column"]),
    ({"key": "x", "type": "table", "columns": [{"key": "sub", "type": "table",
                                                "columns": [{"key": "y", "type": "text"}]}]},
     ['fields[4].columns[0].type: a table column must be one of text, textarea, number, money, '
      'percent, date, datetime, select, phone, email, not "table"']),
    ({"key": "x", "type": "number", "min": 10, "max": 5},
     ["fields[4].min: min 10 is greater than max 5"]),
    ({"key": "x", "type": "number", "min": "1"}, ['fields[4].min: must be a number, got "1"']),
    ({"key": "x", "type": "text", "max": 5},
     ["fields[4].max: a text field can't have max (only number, money, percent)"]),
    ({"key": "x", "type": "text", "max_length": 0},
     ["fields[4].max_length: must be a positive integer, got 0"]),
    ({"key": "x", "type": "text", "options": [{"value": "a"}]},
     ["fields[4].options: a text field can't have options (only select, radio, multiselect)"]),
    ({"key": "x", "type": "text", "required": "yes"},
     ['fields[4].required: must be true or false, got "yes"']),
    ({"key": "x", "type": "text", "label": ["a"]},
     ["fields[4].label: must be text or a mapping of locale to text"]),
    ({"key": "x", "type": "table", "min_rows": 3, "max_rows": 1,
      "columns": [{"key": "y", "type": "text"}]},
     ["fields[4].min_rows: min_rows 3 is greater than max_rows 1"]),
    ({"key": "x", "type": "money", "computed": "total * 0.06", "required": True},
     ["fields[4].required: a computed field can't be required"]),
    ({"key": "x", "type": "money", "computed": "sum(lines.amout) + nope"},
     ['fields[4].computed: unknown column "amout" in table "lines"',
      'fields[4].computed: unknown field "nope"']),
    ({"key": "x", "type": "money", "computed": "__import__('os')"},
     ['fields[4].computed: the function "__import__" is not allowed (allowed: round, min, max, '
      'abs, sum, count, days_between, rmb_upper)']),
    ({"key": "x", "type": "money", "computed": "x + 1"},
     ['fields[4].computed: a computed field can\'t use itself ("x")']),
    ({"key": "x", "type": "select", "options": [{"value": "a"}], "computed": "'a'"},
     ["fields[4].computed: a select field can't have computed (only text, textarea, number, "
      "money, percent, date)"]),
    ({"key": "x", "type": "text", "visible_when": {"$gt": {"totl": 5}}},
     ['fields[4].visible_when.$gt.totl: unknown field "totl"']),
    ({"key": "x", "type": "text", "visible_when": {"kind": "food"}},
     ['fields[4].visible_when.kind: "food" is not an option of "kind" (goods, service)']),
    ({"key": "x", "type": "text", "visible_when": {"$gtt": {"total": 5}}},
     ['fields[4].visible_when: unknown operator "$gtt"']),
    ({"key": "x", "type": "checkbox", "placeholder": "tick"},
     ["fields[4].placeholder: a checkbox field can't have placeholder (only text, textarea, "
      "number, money, percent, date, datetime, select, phone, email, user, department)"]),
    ({"key": "x", "type": "checkbox", "computed": "total > 5"},
     ["fields[4].computed: a checkbox field can't have computed (only text, textarea, number, "
      "money, percent, date)"]),
    ({"key": "x", "type": "table", "columns": [{"key": "ok", "type": "checkbox"}]},
     ['fields[4].columns[0].type: a table column must be one of text, textarea, number, money, '
      'percent, date, datetime, select, phone, email, not "checkbox"']),
])
def test_field_problems(field, problems):
    doc = form_doc()
    doc["fields"].append(field)
    assert [str(p) for p in validate_form(doc)] == problems


def test_a_checkbox_is_a_field_conditions_compare_with_true():
    doc = form_doc()
    doc["fields"] += [{"key": "urgent", "type": "checkbox", "label": "Urgent"},
                      {"key": "why", "type": "text", "required_when": {"urgent": True}}]
    assert validate_form(doc) == []
    assert Form.from_dict(doc).condition_types()["urgent"] == "checkbox"
    doc["fields"][-1]["required_when"] = {"urgent": "yes"}
    assert [str(p) for p in validate_form(doc)] == [
        'fields[5].required_when.urgent: checkbox field "urgent" needs true or false, got "yes"']


def test_table_columns_are_checked_like_fields():
    doc = form_doc()
    doc["fields"][1]["columns"][1].update(type="mony")
    doc["fields"][1]["columns"].append({"key": "net", "type": "money",
                                        "computed": "amount / 1.06"})
    doc["fields"][1]["columns"].append({"key": "gross", "type": "money",
                                        "computed": "price * 1.06"})
    doc["fields"][1]["columns"].append({"key": "y", "type": "text",
                                        "visible_when": {"kind": "goods"}})
    # `amount` is reported once, at its type; what uses it (`net`, `total`) is not blamed too
    assert [str(p) for p in validate_form(doc)] == [
        'fields[1].columns[1].type: unknown field type "mony"',
        'fields[1].columns[3].computed: unknown field "price"',
        "fields[1].columns[4].visible_when: a table column can't have visible_when; "
        "put it on the table",
    ]


def test_computed_columns_use_their_sibling_columns():
    doc = form_doc()
    doc["fields"][1]["columns"].append({"key": "net", "type": "money",
                                        "computed": "round(amount / 1.06, 2)"})
    assert validate_form(doc) == []


def test_computed_fields_may_use_each_other_but_not_in_a_loop():
    doc = form_doc()
    doc["fields"].append({"key": "tax", "type": "money", "computed": "total * 0.06"})
    assert validate_form(doc) == []
    doc["fields"].append({"key": "a", "type": "number", "computed": "b + 1"})
    doc["fields"].append({"key": "b", "type": "number", "computed": "a + 1"})
    assert [str(p) for p in validate_form(doc)] == [
        "fields[5].computed: computed fields use each other in a loop: a → b → a",
        "fields[6].computed: computed fields use each other in a loop: b → a → b",
    ]


@pytest.mark.parametrize("field, problem", [
    ({"key": "big", "type": "money", "computed": "abs(-1e308) * 1e308"},
     "fields[3].computed: always gives a value the field refuses: is too large"),
    ({"key": "big", "type": "number", "computed": "1 / 0"},
     "fields[3].computed: division by zero in expression '1 / 0'"),
    ({"key": "big", "type": "number", "computed": "round(total, 100000000)"},
     "fields[3].computed: round: the number of digits must be a whole number from 0 to 10"),
    ({"key": "big", "type": "percent", "computed": "150"},
     "fields[3].computed: always gives a value the field refuses: must be at most 100"),
    ({"key": "big", "type": "number", "computed": "'many'"},
     "fields[3].computed: always gives a value the field refuses: the expression gave 'many', "
     "not a number"),
])
def test_computed_fields_that_always_fail_are_refused_at_save(field, problem):
    doc = form_doc()
    doc["fields"].insert(3, field)
    assert [str(p) for p in validate_form(doc)] == [problem]


@pytest.mark.parametrize("doc, problems", [
    (None, ["must be an object"]),
    ([], ["must be an object"]),
    ({}, ["key: missing", "version: missing", "fields: missing"]),
    ({"key": "a", "version": True, "fields": {}},
     ["version: must be a positive integer, got true", "fields: must be a list"]),
    ({"key": "a", "version": 1, "fields": []}, ["fields: a form needs at least one field"]),
    ({"key": "a", "version": 1, "fields": [3, None]},
     ["fields[0]: must be an object", "fields[1]: must be an object"]),
])
def test_malformed_forms_are_problems_not_exceptions(doc, problems):
    assert [str(p) for p in validate_form(doc)] == problems


def test_parse_form_raises_with_every_problem():
    with pytest.raises(DefinitionError) as caught:
        parse_form(form_doc(key="Bad", version=-1), "form")
    assert [str(p) for p in caught.value.problems] == [
        'form.key: must be a slug ([a-z][a-z0-9_-]*), got "Bad"',
        "form.version: must be a positive integer, got -1",
    ]
    form = parse_form(FORM)
    assert isinstance(form, Form) and form.field("total").computed == "sum(lines.amount)"


# ------------------------------------------------------------------ flows


def test_valid_flows_have_no_problems():
    assert flow_problems(FLOW) == []
    bundle = json.loads(DEMO.read_text("utf-8"))
    form = Form.from_dict(bundle["form"])
    rulesets = {r["key"]: parse_ruleset(r, form.field_types()) for r in bundle["rulesets"]}
    assert validate_flow(bundle["flow"], form=form, rulesets=rulesets, roles=ROLES,
                         users=set()) == []


def test_unknown_role_names_the_step_and_the_role():
    doc = copy.deepcopy(FLOW)
    doc["steps"].append({"id": "cfo", "kind": "approval",
                         "assignee": {"kind": "role", "role": "cfo"}})
    assert flow_problems(doc) == ['steps[3].assignee.role: unknown role "cfo"']


def test_several_flow_problems_are_reported_together():
    doc = copy.deepcopy(FLOW)
    doc["form"] = "expense-claim"
    doc["rulesets"].append("missing")
    doc["steps"][0]["assignee"] = {"kind": "dept_head", "levels": 9, "role": "vp"}
    branch = doc["steps"][1]
    branch["branches"][0]["outcome"] = {"tier": "huge", "level": 2}
    branch["branches"][0]["steps"][0]["assignee"] = {"kind": "user", "user": "nobody"}
    branch["else"] = [{"id": "head", "kind": "task", "assignee": {"kind": "role", "role": "gm"}}]
    doc["steps"][2] = {"id": "buy", "kind": "task"}
    doc["steps"].append({"id": "cc", "kind": "robot"})
    assert flow_problems(doc) == [
        'form: the flow uses form "expense-claim" but the form is "purchase"',
        'rulesets[1]: unknown ruleset "missing"',
        "steps[0].assignee.levels: must be a whole number from 1 to 5, got 9",
        'steps[0].assignee.role: not used by a "dept_head" assignee',
        'steps[1].branches[0].outcome.tier: "huge" is not one of low, high '
        '(output "tier" of ruleset "purchase-tier")',
        'steps[1].branches[0].outcome.level: "level" is not an output of ruleset "purchase-tier" '
        "(outputs: tier)",
        'steps[1].branches[0].steps[0].assignee.user: unknown user "nobody"',
        'steps[1].else[0].id: duplicate step id "head"',
        "steps[2].assignee: missing: a task step needs an assignee",
        'steps[3].kind: unknown step kind "robot" (one of approval, task, notify, branch, parallel, subflow)',
    ]


def test_branch_rulesets_must_be_listed_and_known():
    doc = copy.deepcopy(FLOW)
    doc["rulesets"] = []
    assert flow_problems(doc) == [
        'steps[1].ruleset: ruleset "purchase-tier" is not listed in the flow\'s rulesets']
    doc["steps"][1]["ruleset"] = "other"
    assert flow_problems(doc) == ['steps[1].ruleset: unknown ruleset "other"']
    assert flow_problems(FLOW, rulesets={}) == [
        'rulesets[0]: unknown ruleset "purchase-tier"',
        'steps[1].ruleset: unknown ruleset "purchase-tier"',
    ]


@pytest.mark.parametrize("change, problems", [
    ({"steps": []}, ["steps: a flow needs at least one step"]),
    ({"title": None}, ["title: must be text or a mapping of locale to text"]),
    ({"meta": {"level": "top", "effective_date": "2026-02-30", "owner": 3, "typo": ""}},
     ["meta.typo: unknown key", "meta.owner: must be text, got 3",
      'meta.level: unknown level "top" (one of main, sub, operation)',
      'meta.effective_date: must be a date (YYYY-MM-DD), got "2026-02-30"']),
    ({"rulesets": ["purchase-tier", "purchase-tier"]},
     ['rulesets[1]: duplicate ruleset "purchase-tier"']),
])
def test_flow_header_problems(change, problems):
    doc = copy.deepcopy(FLOW)
    doc.update(change)
    assert flow_problems(doc) == problems


URGENT = {"allowed": True, "execution": "buy", "deadline": {"amount": 2, "unit": "days"}}


def test_a_green_channel_to_a_task_step_on_the_main_path_is_valid():
    assert flow_problems({**FLOW, "urgent": URGENT}) == []
    assert flow_problems({**FLOW, "urgent": {**URGENT, "allowed": False}}) == []


@pytest.mark.parametrize("urgent, problems", [
    ([], ["urgent: must be an object"]),
    ({}, ["urgent.allowed: missing", "urgent.deadline: missing", "urgent.execution: missing"]),
    ({**URGENT, "allowed": "yes", "why": 1}, ["urgent.why: unknown key", 'urgent.allowed: must be true or false, got "yes"']),
    ({**URGENT, "execution": "nowhere"}, ['urgent.execution: unknown step "nowhere"']),
    ({**URGENT, "execution": "gm"},
     ['urgent.execution: step "gm" is inside a branch: the execution step must be on the main path']),
    ({**URGENT, "execution": "tier"},
     ['urgent.execution: step "tier" is a branch step: the execution step must be a task step']),
    ({**URGENT, "execution": 7}, ["urgent.execution: must be a step id, got 7"]),
    ({**URGENT, "deadline": {"amount": 0, "unit": "weeks", "x": 1}},
     ["urgent.deadline.x: unknown key", "urgent.deadline.amount: must be a whole number from 1 to 1000, got 0",
      'urgent.deadline.unit: unknown unit "weeks" (one of hours, days)']),
    ({**URGENT, "deadline": {"amount": True}},
     ["urgent.deadline.amount: must be a whole number from 1 to 1000, got true",
      "urgent.deadline.unit: missing: hours or days"]),
    ({**URGENT, "deadline": "2d"}, ['urgent.deadline: must be {"amount": n, "unit": "hours" or "days"}, got "2d"']),
])
def test_green_channel_problems_have_paths(urgent, problems):
    assert flow_problems({**FLOW, "urgent": urgent}) == problems


def test_the_execution_step_cannot_be_the_first_step():
    doc = copy.deepcopy(FLOW)
    doc["steps"].insert(0, {"id": "prep", "kind": "task", "assignee": {"kind": "role", "role": "gm"}})
    assert flow_problems({**doc, "urgent": {**URGENT, "execution": "prep"}}) == [
        'urgent.execution: step "prep" is the first step: an urgent start would skip nothing']
    assert flow_problems({**FLOW, "urgent": {**URGENT, "execution": "head"}}) == [
        'urgent.execution: step "head" is an approval step: the execution step must be a task step']


def test_an_urgent_start_cannot_skip_past_a_parallel_step_even_inside_a_branch():
    doc = copy.deepcopy(FLOW)
    doc["steps"][1]["branches"][0]["steps"] = [{"id": "both", "kind": "parallel", "branches": [
        {"steps": [{"id": "gm", "kind": "approval", "assignee": {"kind": "role", "role": "gm"}}]},
        {"steps": [{"id": "cfo", "kind": "approval", "assignee": {"kind": "role", "role": "gm"}}]}]}]
    assert flow_problems({**doc, "urgent": URGENT}) == [
        'urgent.execution: step "both" before it is a parallel step, which an urgent start cannot skip past']


LADDER = [{"after": {"amount": 4, "unit": "hours"}, "action": "remind"},
          {"after": {"amount": 1, "unit": "days"}, "action": "urge"},
          {"after": {"amount": 2, "unit": "days"}, "action": "transfer_superior"},
          {"after": {"amount": 3, "unit": "days"}, "action": "auto_reject"}]


def test_deadlines_and_escalation_ladders_are_accepted_on_human_steps():
    doc = copy.deepcopy(FLOW)
    doc["steps"][0].update(deadline={"amount": 2, "unit": "days"}, escalation=LADDER)
    doc["steps"][2].update(deadline={"amount": 8, "unit": "hours"},
                           escalation=[{"after": {"amount": 1, "unit": "days"}, "action": "transfer_superior"}])
    assert flow_problems(doc) == []
    flow = Flow.from_dict(doc)
    assert flow.to_dict()["steps"][0]["escalation"] == LADDER
    assert flow.step("head").deadline.amount == 2 and flow.step("buy").escalation[0].after.unit == "days"


@pytest.mark.parametrize("step, timing, problems", [
    (0, {"deadline": {"amount": 0, "unit": "weeks", "soon": True}},
     ["steps[0].deadline.soon: unknown key",
      "steps[0].deadline.amount: must be a whole number from 1 to 1000, got 0",
      'steps[0].deadline.unit: unknown unit "weeks" (one of hours, days)']),
    (0, {"deadline": 3}, ['steps[0].deadline: must be {"amount": n, "unit": "hours" or "days"}, got 3']),
    (0, {"deadline": {"amount": 1.5}}, ["steps[0].deadline.amount: must be a whole number from 1 to 1000, got 1.5",
                                         "steps[0].deadline.unit: missing: hours or days"]),
    (0, {"escalation": {"after": 1}}, ["steps[0].escalation: must be a list of rungs, each {after, action}"]),
    (0, {"escalation": [{"after": {"amount": 1, "unit": "days"}, "action": "auto_approve"},
                        {"after": {"amount": 1, "unit": "days"}, "action": "remind"}, "urge",
                        {"action": "fire", "when": 1}]},
     ["steps[0].escalation[0].action: auto_approve ends the task, so it must be the last rung",
      "steps[0].escalation[1].after: must be later than the rung before it (1 days)",
      "steps[0].escalation[2]: must be an object with after and action",
      "steps[0].escalation[3].when: unknown key",
      "steps[0].escalation[3].after: missing: how long after the task was created",
      'steps[0].escalation[3].action: unknown action "fire" '
      "(one of remind, urge, transfer_superior, auto_approve, auto_reject)"]),
    (2, {"escalation": [{"after": {"amount": 2, "unit": "hours"}, "action": "auto_reject"}]},
     ["steps[2].escalation[0].action: a task step is completed, not decided: auto_reject needs an approval step"]),
])
def test_deadline_and_escalation_problems_name_their_paths(step, timing, problems):
    doc = copy.deepcopy(FLOW)
    doc["steps"][step].update(timing)
    assert flow_problems(doc) == problems


def test_only_human_steps_take_a_deadline():
    doc = copy.deepcopy(FLOW)
    doc["steps"][1]["deadline"] = {"amount": 1, "unit": "days"}
    assert flow_problems(doc) == ["steps[1].deadline: unknown key"]


def test_flows_can_be_checked_without_a_form():
    doc = copy.deepcopy(FLOW)
    doc["form"] = "anything"
    assert flow_problems(doc, form=None) == []


def test_parse_flow_builds_the_flow_or_raises():
    flow = parse_flow(FLOW, form=Form.from_dict(FORM),
                      rulesets={"purchase-tier": parse_ruleset(RULESET)}, roles=ROLES, users=USERS)
    assert isinstance(flow, Flow) and isinstance(flow.step("tier"), BranchStep)
    with pytest.raises(DefinitionError, match='steps: a flow needs at least one step'):
        parse_flow({**FLOW, "steps": []}, form=None, rulesets={}, roles=ROLES, users=USERS)


# ------------------------------------------------------------------ robustness

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.sampled_from(["text", "table", "select", "approval", "branch", "role", "kind", "$gt"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["key", "type", "fields", "columns", "options", "value", "computed",
                         "visible_when", "min", "max", "steps", "kind", "id", "assignee", "role",
                         "branches", "outcome", "ruleset", "else", "meta", "levels", "version",
                         "urgent", "execution", "deadline", "amount", "unit"]),
        inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_gives_problems_never_an_exception(doc):
    assert all(isinstance(p, Problem) for p in validate_form(doc))
    assert all(isinstance(p, Problem) for p in validate_flow(
        doc, form=None, rulesets={}, roles=ROLES, users=USERS))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_valid_documents_never_raise(data):
    doc = copy.deepcopy(FLOW)
    target = data.draw(st.sampled_from([doc, doc["steps"][0], doc["steps"][1],
                                        doc["steps"][1]["branches"][0], doc["steps"][0]["assignee"]]))
    target[data.draw(st.sampled_from(sorted(target)))] = data.draw(JSON)
    assert isinstance(flow_problems(doc), list)
    form = copy.deepcopy(FORM)
    field = data.draw(st.sampled_from(form["fields"] + form["fields"][1]["columns"]))
    field[data.draw(st.sampled_from(sorted(field)))] = data.draw(JSON)
    assert isinstance(validate_form(form), list)

"""Field permissions in flow documents (`start_fields`, a step's `fields`): validation with JSON
paths, the export round trip, and the pure edit/diff logic."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from builder.exchange import dumps, export_bundle, import_bundle, loads, schema_problems
from builder.formdata import NOT_ASKED, clean_submission
from builder.forms import Form
from builder.permissions import (NOT_EDITABLE, edit, editable_at_start, editable_at_step, not_asked_at_start,
                                 step_permission)
from rules.errors import DefinitionError

DEMO = Path(__file__).resolve().parents[2] / "demo" / "processes" / "expense.json"
ROLES = {"finance", "vp", "gm", "cashier"}
USERS = {"li.na"}


def bundle(start_fields=None, finance_fields=None) -> dict:
    """The demo expense process, with permissions: the reason hidden at the start, the invoice
    lines editable at finance (finance corrects a line), the category hidden from the cashier."""
    doc = json.loads(DEMO.read_text("utf-8"))
    doc["flow"]["start_fields"] = start_fields if start_fields is not None else {"reason": "hidden"}
    doc["flow"]["steps"][1]["fields"] = (finance_fields if finance_fields is not None
                                         else {"items": "editable", "category": "readonly"})
    doc["flow"]["steps"][-1]["fields"] = {"category": "hidden"}
    return doc


def problems_of(doc) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        import_bundle(doc, roles=ROLES, users=USERS)
    return [str(p) for p in caught.value.problems]


def test_permissions_survive_export_import_export_byte_for_byte():
    text = dumps(bundle())
    flow, form, rulesets = import_bundle(json.loads(text), roles=ROLES, users=USERS)
    assert flow.start_fields == {"reason": "hidden"}
    assert flow.step("finance").fields == {"items": "editable", "category": "readonly"}
    assert dumps(export_bundle(flow, form, rulesets)) == text
    assert loads(text, roles=ROLES, users=USERS) == (flow, form, rulesets)
    assert schema_problems(json.loads(text)) == []


def test_without_permissions_nothing_is_written():
    doc = json.loads(DEMO.read_text("utf-8"))
    flow, form, rulesets = import_bundle(doc, roles=ROLES, users=USERS)
    exported = export_bundle(flow, form, rulesets)["flow"]
    assert "start_fields" not in exported and all("fields" not in s for s in exported["steps"])


@pytest.mark.parametrize("start_fields, finance_fields, problems", [
    ({"reason": "visible"}, None,
     ['flow.start_fields.reason: unknown permission "visible" (one of hidden, readonly, editable)']),
    ({"salary": "hidden"}, None, ['flow.start_fields.salary: unknown field "salary"']),
    ({}, {"items": "writable"},
     ['flow.steps[1].fields.items: unknown permission "writable" (one of hidden, readonly, editable)']),
    ({}, {"items.amount": "editable"},
     ['flow.steps[1].fields.items.amount: a permission covers a whole table: name "items", not one column']),
    ({}, {"reason": 3},
     ["flow.steps[1].fields.reason: unknown permission 3 (one of hidden, readonly, editable)"]),
    ({}, ["items"],
     ['flow.steps[1].fields: must be an object of field key to "hidden", "readonly" or "editable"']),
])
def test_permission_problems_name_their_path(start_fields, finance_fields, problems):
    assert problems_of(bundle(start_fields, finance_fields)) == problems


def test_only_human_steps_have_fields():
    doc = bundle()
    doc["flow"]["steps"][2]["fields"] = {"items": "hidden"}  # the branch step
    assert problems_of(doc) == ["flow.steps[2].fields: unknown key"]


def test_defaults_editable_at_the_start_readonly_at_a_step():
    flow, form, _ = import_bundle(bundle(), roles=ROLES, users=USERS)
    assert not_asked_at_start(flow, form) == {"reason"}
    assert editable_at_start(flow, form) == {"category", "items", "invoices"}  # total is computed
    assert editable_at_step(flow.step("finance"), form) == {"items"}
    assert editable_at_step(flow.step("dept_head"), form) == frozenset()
    assert step_permission(flow.step("dept_head"), "items") == "readonly"
    assert step_permission(flow.step("pay"), "category") == "hidden"


def form() -> Form:
    return Form.from_dict(json.loads(DEMO.read_text("utf-8"))["form"])


CLAIM = {"category": "travel", "reason": "Visit",
         "items": [{"description": "Taxi", "invoice_no": "A1", "amount": 120},
                   {"description": "Hotel", "invoice_no": "A2", "amount": 800}]}


def test_clean_submission_skips_fields_not_asked():
    data, errors = clean_submission(form(), {k: v for k, v in CLAIM.items() if k != "reason"},
                                    skip=frozenset({"reason"}))
    assert errors == {} and "reason" not in data and data["total"] == 920
    _, errors = clean_submission(form(), CLAIM, skip=frozenset({"reason"}))
    assert errors == {"reason": NOT_ASKED}


def test_an_edit_changes_editable_fields_and_records_the_diff():
    data, _ = clean_submission(form(), CLAIM)
    lines = copy.deepcopy(data["items"])
    lines[1]["amount"] = "750.5"
    result = edit(form(), data, {"items": lines}, frozenset({"items"}))
    assert result.errors == {}
    assert result.data["items"][1]["amount"] == 750.5 and result.data["total"] == 870.5
    assert result.changes == {"items": {"from": data["items"], "to": result.data["items"]},
                              "total": {"from": 920, "to": 870.5}}


def test_an_edit_refuses_other_fields_and_changes_nothing():
    data, _ = clean_submission(form(), CLAIM)
    result = edit(form(), data, {"reason": "Other", "nope": 1}, frozenset({"items"}))
    assert result.errors == {"reason": NOT_EDITABLE, "nope": "unknown field"}
    assert result.data is data and result.changes == {}


def test_required_fields_become_required_where_editable():
    data, _ = clean_submission(form(), {k: v for k, v in CLAIM.items() if k != "reason"},
                               skip=frozenset({"reason"}))
    assert edit(form(), data, {}, frozenset({"items"})).errors == {}  # reason: nobody asked yet
    assert edit(form(), data, {}, frozenset({"reason"})).errors == {"reason": "required"}
    assert edit(form(), data, {"reason": "Visit"}, frozenset({"reason"})).changes == {
        "reason": {"from": None, "to": "Visit"}}


def test_a_whole_form_edit_clears_what_it_leaves_out_and_keeps_what_it_may_not_touch():
    data, _ = clean_submission(form(), CLAIM)
    resubmitted = {"category": "office", "items": CLAIM["items"][:1], "total": 1}  # a forged total is recomputed
    result = edit(form(), data, resubmitted, frozenset({"category", "items"}), whole=True)
    assert result.errors == {}
    assert result.data["reason"] == "Visit" and result.data["category"] == "office" and result.data["total"] == 120

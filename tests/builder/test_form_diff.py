"""Form diffs as structured changes: what a designer's 修订记录 is made of."""
from __future__ import annotations

import copy
import json

import pytest

from builder.form_diff import Change, form_changes
from tests.support import DEMO


@pytest.fixture
def form() -> dict:
    return json.loads((DEMO / "processes" / "expense.json").read_text(encoding="utf-8"))["form"]


def changed(form: dict, edit) -> list[Change]:
    after = copy.deepcopy(form)
    edit(after)
    return form_changes(form, after)


def field(doc: dict, key: str) -> dict:
    return next(f for f in doc["fields"] if f["key"] == key)


def test_a_new_form_and_an_unchanged_one(form):
    assert form_changes(None, form) == [Change("created", label=form["title"])]
    assert form_changes(form, copy.deepcopy(form)) == []
    assert changed(form, lambda d: field(d, "reason").__setitem__("required", True)) == []  # it was already
    assert changed(form, lambda d: field(d, "total").__setitem__("required", False)) == []  # the default


def test_fields_added_removed_retyped_and_relabelled_per_language(form):
    def edit(d):
        d["fields"].append({"key": "trip", "type": "text", "label": "Trip"})
        d["fields"] = [f for f in d["fields"] if f["key"] != "reason"]
        field(d, "total")["type"] = "number"
        field(d, "category")["label"]["en"] = "Kind"
    changes = changed(form, edit)
    assert Change("added", "trip", "Trip", after="text") in changes
    assert Change("removed", "reason", field(form, "reason")["label"], before="textarea") in changes
    assert Change("retyped", "total", field(form, "total")["label"], before="money", after="number") in changes
    assert Change("relabelled", "category", {"en": "Kind", "zh_CN": "费用类别"}, "en", "Category", "Kind") in changes
    assert not any(c.kind == "relabelled" and c.name == "zh_CN" for c in changes)


def test_options_added_removed_relabelled_and_reordered(form):
    def edit(d):
        options = field(d, "category")["options"]
        options.append({"value": "training", "label": "Training"})
        options[:] = [o for o in options if o["value"] != "meals"]
        options[0]["label"] = {"en": "Trips", "zh_CN": "差旅"}
        options[0], options[1] = options[1], options[0]
    kinds = [(c.kind, c.name) for c in changed(form, edit)]
    assert kinds == [("option_added", "training"), ("option_removed", "meals"), ("option_relabelled", "travel"),
                     ("options_reordered", "")]


def test_table_columns_are_named_table_dot_column(form):
    def edit(d):
        items = field(d, "items")
        items["columns"][2]["max"] = 20000
        items["columns"].append({"key": "note", "type": "text"})
        items["max_rows"] = 20
    changes = changed(form, edit)
    assert Change("limit", "items", field(form, "items")["label"], "max_rows", 50, 20) in changes
    assert Change("limit", "items.amount", {"en": "Amount", "zh_CN": "金额"}, "max", 10000000, 20000) in changes
    assert Change("added", "items.note", "", after="text") in changes


def test_rules_moves_and_validations(form):
    def edit(d):
        field(d, "reason")["visible_when"] = {"$eq": {"category": "travel"}}
        field(d, "total")["computed"] = "sum(items.amount) * 1"
        d["fields"].insert(0, d["fields"].pop())  # reason first
        d["validations"] = [{"when": {"$gt": {"total": 0}}, "message": "Something to claim"}]
        d["title"] = "Claims"
    changes = changed(form, edit)
    kinds = [(c.kind, c.field, c.name) for c in changes]
    assert kinds[0] == ("title", "", "")
    assert ("moved", "reason", "") in kinds and not any(k[0] == "moved" and k[1] != "reason" for k in kinds)
    assert ("rule", "reason", "visible_when") in kinds and ("rule", "total", "computed") in kinds
    assert kinds[-1] == ("validation_added", "", "Something to claim")
    removed = form_changes({**form, "validations": [{"when": {"$gt": {"total": 0}}, "message": "x"}]}, form)
    assert [(c.kind, c.name) for c in removed] == [("validation_removed", "x")]


def test_changes_round_trip_through_plain_data(form):
    changes = changed(form, lambda d: field(d, "total").__setitem__("type", "number"))
    assert [Change.from_dict(json.loads(json.dumps(c.to_dict()))) for c in changes] == changes

"""The structured difference between two flow versions: matched by step id, so renames and moves
are one change each, and defaults never show as changes."""
from __future__ import annotations

import copy
import json

from builder.flow_diff import FlowChange, flow_changes
from tests.support import DEMO

CONTRACT = json.loads((DEMO / "processes" / "contract.json").read_text(encoding="utf-8"))["flow"]


def changed(mutate) -> list[FlowChange]:
    after = copy.deepcopy(CONTRACT)
    mutate(after)
    return flow_changes(CONTRACT, after)


def test_a_new_process_is_one_change_and_the_same_document_none():
    assert flow_changes(None, CONTRACT) == [FlowChange("created", title=CONTRACT["title"])]
    assert flow_changes(CONTRACT, copy.deepcopy(CONTRACT)) == []
    with_defaults = copy.deepcopy(CONTRACT)
    with_defaults["steps"][0]["mode"] = "single"
    with_defaults["policies"] = {"no_assignee": "admin"}
    assert flow_changes(CONTRACT, with_defaults) == []


def test_who_acts_how_and_within_what_time():
    def edit(doc):
        doc["steps"][1]["assignee"] = {"kind": "role", "role": "finance"}
        doc["steps"][2]["mode"] = "all"
        doc["steps"][0]["deadline"] = {"amount": 3, "unit": "days"}
    changes = changed(edit)
    assert [(c.kind, c.step, c.name) for c in changes] == [
        ("step", "dept_head", "deadline"), ("step", "legal", "assignee"), ("step", "finance", "mode")]
    assignee = changes[1]
    assert assignee.before == {"kind": "role", "role": "legal"} and assignee.after == {"kind": "role", "role": "finance"}


def test_an_added_step_does_not_make_the_ones_after_it_moved():
    def edit(doc):
        doc["steps"].insert(1, {"id": "cc_sales", "kind": "notify", "assignee": {"kind": "role", "role": "finance"}})
    assert [(c.kind, c.step) for c in changed(edit)] == [("step_added", "cc_sales")]


def test_moved_renamed_and_removed_steps():
    def edit(doc):
        doc["steps"][1], doc["steps"][2] = doc["steps"][2], doc["steps"][1]
        doc["steps"][0]["title"] = {"en": "Head", "zh_CN": "负责人"}
        del doc["steps"][3]
    kinds = [(c.kind, c.step) for c in changed(edit)]
    assert ("step_renamed", "dept_head") in kinds and ("step_removed", "vp") in kinds
    assert ("step_moved", "finance") in kinds or ("step_moved", "legal") in kinds
    assert kinds[-1] == ("step_removed", "vp")  # removals come last


def test_branch_outcomes_process_properties_and_policies():
    def edit(doc):
        branch_step = next(s for s in doc["steps"] if s["kind"] == "branch")
        branch_step["branches"][0]["outcome"] = {"grade": "ordinary"}
        doc["meta"]["owner"] = "finance"
        doc["policies"] = {"submitter_approver": "skip"}
        doc["title"] = {"en": "Contracts", "zh_CN": "合同"}
    changes = changed(edit)
    assert [(c.kind, c.name) for c in changes] == [("process", "title"), ("policy", "submitter_approver"),
                                                   ("meta", "owner"), ("branch_changed", "1")]
    assert changes[-1].before == {"outcome": {"grade": "major"}} and changes[-1].after == {"outcome": {"grade": "ordinary"}}


def test_changes_survive_a_round_trip_through_the_change_record():
    def edit(doc):
        doc["steps"][1]["assignee"] = {"kind": "role", "role": "finance"}
    for change in changed(edit):
        assert FlowChange.from_dict(json.loads(json.dumps(change.to_dict()))) == change

"""The flow designer's pure edits (builder.flow_editing) and places (builder.flow_tree), on the demo
contract flow and on tiny flows declared here: what each operation changes, that the input is
never changed, the id it selects, and bad input refused with the path it concerns."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from builder import flow_editing as ed
from builder.flow_tree import containers, dom_id, find, problems_by_step, step_ids, steps_at
from builder.forms import Form
from builder.validation import validate_flow
from rules.errors import DefinitionError, Problem
from rules.ruleset import Ruleset
from tests.support import DEMO

CONTRACT = json.loads((DEMO / "processes" / "contract.json").read_text(encoding="utf-8"))


@pytest.fixture
def contract() -> dict[str, Any]:
    return copy.deepcopy(CONTRACT["flow"])


def ids_in(doc: dict[str, Any], container: str = "") -> list[str]:
    return [s["id"] for s in steps_at(copy.deepcopy(doc), container)]


def problems(doc: dict[str, Any]) -> list[Problem]:
    bundle = CONTRACT
    return validate_flow(doc, form=Form.from_dict(bundle["form"]),
                         rulesets={r["key"]: Ruleset.from_dict(r) for r in bundle["rulesets"]},
                         roles={"legal", "finance", "vp", "gm", "cashier"}, users={"li.na"})


def tiny() -> dict[str, Any]:
    return {"key": "t", "version": 1, "title": "T", "form": "f", "steps": [
        {"id": "a", "kind": "approval", "assignee": {"kind": "role", "role": "legal"}},
        {"id": "split", "kind": "branch", "branches": [
            {"when": {"$gt": {"amount": 5}}, "steps": [{"id": "b", "kind": "task", "assignee": {"kind": "dept_head", "levels": 1}}]},
            {"when": {"$gt": {"amount": 1}}, "steps": []}],
         "else": [{"id": "c", "kind": "notify", "assignee": {"kind": "dept_head", "levels": 1}}]},
        {"id": "both", "kind": "parallel", "branches": [
            {"steps": [{"id": "d", "kind": "approval", "assignee": {"kind": "role", "role": "legal"}}]},
            {"steps": [{"id": "e", "kind": "approval", "assignee": {"kind": "role", "role": "finance"}}]}]},
    ]}


# ---------------------------------------------------------------- places


def test_places_name_the_main_column_branches_otherwise_and_lanes() -> None:
    doc = tiny()
    assert containers(doc) == ["", "split/b0", "split/b1", "split/else", "both/l0", "both/l1"]
    assert ids_in(doc, "split/b0") == ["b"]
    assert ids_in(doc, "split/else") == ["c"]
    assert ids_in(doc, "both/l1") == ["e"]
    place, step = find(doc, "e")
    assert (place.container, place.index, place.path, step["kind"]) == ("both/l1", 0, "steps[2].branches[1].steps[0]", "approval")
    assert step_ids(doc) == ["a", "split", "b", "c", "both", "d", "e"]
    assert dom_id("") == "root" and dom_id("split/else") == "split--else"


@pytest.mark.parametrize("container", ["split/l0", "both/b0", "both/else", "split/b7", "nowhere/b0", "x"])
def test_a_place_that_does_not_exist_is_refused(container: str) -> None:
    with pytest.raises(DefinitionError, match="there is no"):
        ed.insert_step(tiny(), container, 0, "approval")


def test_problems_go_to_the_innermost_step_whose_path_holds_theirs() -> None:
    found = [Problem("steps[1].branches[0].steps[0].assignee.levels", "x"), Problem("steps[1].branches[1].when", "y"),
             Problem("steps[2].branches[1].steps[0]", "z"), Problem("rulesets[0]", "w"), Problem("steps", "v"),
             Problem("steps[10].id", "stale")]
    grouped = problems_by_step(tiny(), found)
    assert {k: [p.message for p in v] for k, v in grouped.items()} == {
        "b": ["x"], "split": ["y"], "e": ["z"], "": ["w", "v", "stale"]}


# ---------------------------------------------------------------- inserting


@pytest.mark.parametrize("kind", ed.KINDS)
def test_every_kind_is_inserted_with_its_defaults_and_a_readable_unique_id(contract, kind: str) -> None:
    before = copy.deepcopy(contract)
    doc, new = ed.insert_step(contract, "", 1, kind)
    assert contract == before  # never mutated
    assert doc["steps"][1]["id"] == new == kind
    assert doc["steps"][1]["title"] == ed.TITLES[kind]
    again, second = ed.insert_step(doc, "major/b0", 0, kind)
    assert second == f"{kind}_2"
    assert len(set(step_ids(again))) == len(step_ids(again))
    found = [p for p in problems(doc) if p.path.startswith("steps[1]")]
    expected = {"branch": ["steps[1].branches[0].when"], "subflow": ["steps[1].process"]}.get(kind, [])
    assert [p.path for p in found] == expected  # what is still to be chosen, nothing else


def test_defaults_are_those_a_dingtalk_user_expects() -> None:
    taken: set[str] = {"approval"}
    assert ed.new_step("approval", taken)["assignee"] == {"kind": "dept_head", "levels": 1}
    assert ed.new_step("notify", taken)["assignee"] == {"kind": "dept_head", "levels": 1}
    branch = ed.new_step("branch", taken)
    assert len(branch["branches"]) == 1 and "when" not in branch["branches"][0] and branch["else"] == []
    parallel = ed.new_step("parallel", taken)
    assert [lane["steps"][0]["kind"] for lane in parallel["branches"]] == ["approval", "approval"]
    assert {"approval", "approval_2", "approval_3", "approval_4"} <= taken  # nested ids are unique too
    assert ed.new_step("subflow", taken)["process"] == ""


def test_insert_at_the_end_and_into_an_empty_otherwise(contract) -> None:
    doc, new = ed.insert_step(contract, "major/else", None, "task")
    assert ids_in(doc, "major/else") == [new]
    doc, last = ed.insert_step(doc, "", None, "notify")
    assert doc["steps"][-1]["id"] == last


def test_an_unknown_kind_is_refused(contract) -> None:
    with pytest.raises(DefinitionError, match='unknown step kind "timer"'):
        ed.insert_step(contract, "", 0, "timer")


# ---------------------------------------------------------------- moving, copying, deleting


def test_move_within_the_column_and_by_one_place(contract) -> None:
    doc, selected = ed.move_step(contract, "vp", "", 0)
    assert selected == "vp"
    assert ids_in(doc) == ["vp", "dept_head", "legal", "finance", "major", "sign"]
    doc, _ = ed.move_by(doc, "vp", 1)
    assert ids_in(doc)[:2] == ["dept_head", "vp"]
    top, _ = ed.move_by(contract, "dept_head", -1)
    assert ids_in(top) == ids_in(contract)  # at the edge it stays


def test_move_between_branches_and_lanes() -> None:
    doc, _ = ed.move_step(tiny(), "b", "split/b1", 0)
    assert ids_in(doc, "split/b0") == [] and ids_in(doc, "split/b1") == ["b"]
    doc, _ = ed.move_step(doc, "d", "both/l1", 1)
    assert ids_in(doc, "both/l0") == [] and ids_in(doc, "both/l1") == ["e", "d"]
    doc, _ = ed.move_step(doc, "c", "", 0)
    assert ids_in(doc)[0] == "c" and ids_in(doc, "split/else") == []


def test_a_step_cannot_move_into_itself() -> None:
    with pytest.raises(DefinitionError, match="cannot move into itself") as caught:
        ed.move_step(tiny(), "split", "split/b0", 0)
    assert caught.value.problems[0].path == "steps[1]"
    outer = {**tiny(), "steps": [{"id": "outer", "kind": "branch", "branches": [{"steps": tiny()["steps"]}], "else": []}]}
    with pytest.raises(DefinitionError, match="cannot move into itself"):
        ed.move_step(outer, "outer", "both/l0", 0)  # nor into a step inside it


def test_copy_goes_right_after_with_fresh_ids_for_every_nested_step() -> None:
    doc, twin = ed.copy_step(tiny(), "both")
    assert ids_in(doc) == ["a", "split", "both", twin]
    assert twin == "both_2"
    copied = doc["steps"][3]
    assert [lane["steps"][0]["id"] for lane in copied["branches"]] == ["d_2", "e_2"]
    assert copied["title"] == {"zh_CN": "并行审批（副本）", "en": "In parallel (copy)"}  # it had no title of its own
    assert len(set(step_ids(doc))) == len(step_ids(doc))
    doc, again = ed.copy_step(doc, twin)
    assert again == "both_3"  # not both_2_2


def test_copy_says_copy_in_each_language(contract) -> None:
    doc, twin = ed.copy_step(contract, "legal")
    assert twin == "legal_2"
    assert doc["steps"][2]["title"] == {"en": "Legal review (copy)", "zh_CN": "法务审核（副本）"}


def test_delete_selects_the_step_before_else_after_else_the_holder(contract) -> None:
    doc, selected = ed.delete_step(contract, "legal")
    assert "legal" not in step_ids(doc) and selected == "dept_head"
    doc, selected = ed.delete_step(doc, "dept_head")
    assert selected == "finance"
    doc, selected = ed.delete_step(doc, "gm")
    assert selected == "major"
    assert contract["steps"][1]["id"] == "legal"


def test_deleting_a_branch_step_takes_its_steps_and_drops_its_ruleset(contract) -> None:
    doc, _ = ed.delete_step(contract, "major")
    assert "gm" not in step_ids(doc)
    assert "rulesets" not in doc


def test_an_unknown_step_is_refused(contract) -> None:
    for operation in (lambda: ed.delete_step(contract, "nobody"), lambda: ed.copy_step(contract, "nobody"),
                      lambda: ed.move_by(contract, "nobody", 1), lambda: ed.set_step(contract, "nobody", {})):
        with pytest.raises(DefinitionError, match='there is no step "nobody"'):
            operation()


# ---------------------------------------------------------------- branches and lanes


def test_branches_are_added_before_otherwise_and_reordered_by_priority() -> None:
    doc, selected = ed.add_branch(tiny(), "split")
    assert selected == "split"
    branches = doc["steps"][1]["branches"]
    assert len(branches) == 3 and branches[2]["label"] == {"zh_CN": "条件3", "en": "Condition 3"}
    assert [s["id"] for s in doc["steps"][1]["else"]] == ["c"]  # otherwise is untouched
    doc, _ = ed.move_branch(doc, "split", 0, 1)
    assert [b.get("when") for b in doc["steps"][1]["branches"]][:2] == [{"$gt": {"amount": 1}}, {"$gt": {"amount": 5}}]
    doc, _ = ed.move_branch(doc, "split", 2, 1)  # already last: stays
    assert len(doc["steps"][1]["branches"]) == 3 and "when" not in doc["steps"][1]["branches"][2]


def test_the_last_branch_cannot_be_deleted_and_otherwise_is_not_a_branch() -> None:
    doc, _ = ed.delete_branch(tiny(), "split", 0)
    assert ids_in(doc, "split/b0") == [] and "b" not in step_ids(doc)
    with pytest.raises(DefinitionError, match="at least one branch") as caught:
        ed.delete_branch(doc, "split", 0)
    assert caught.value.problems[0].path == "steps[1].branches"
    with pytest.raises(DefinitionError, match="there is no branch 2"):
        ed.delete_branch(doc, "split", 1)
    with pytest.raises(DefinitionError, match="not a branch step"):
        ed.add_branch(doc, "both")


def test_lanes_are_added_with_an_approval_and_at_least_two_stay() -> None:
    doc, _ = ed.add_lane(tiny(), "both")
    lanes = doc["steps"][2]["branches"]
    assert len(lanes) == 3 and lanes[2]["steps"][0]["kind"] == "approval"
    assert len(set(step_ids(doc))) == len(step_ids(doc))
    doc, _ = ed.delete_lane(doc, "both", 0)
    assert "d" not in step_ids(doc)
    with pytest.raises(DefinitionError, match="at least two lanes"):
        ed.delete_lane(doc, "both", 0)
    with pytest.raises(DefinitionError, match="not a parallel step"):
        ed.add_lane(doc, "split")


# ---------------------------------------------------------------- the panel


def test_set_step_title_assignee_mode_deadline_and_permissions(contract) -> None:
    doc, selected = ed.set_step(contract, "legal", {
        "title.en": "Lawyers", "assignee.kind": "dept_heads", "mode": "all",
        "deadline.amount": "4", "deadline.unit": "hours", "fields.amount": "editable"})
    step = doc["steps"][1]
    assert selected == "legal"
    assert step["title"] == {"en": "Lawyers", "zh_CN": "法务审核"}
    assert step["assignee"] == {"kind": "dept_heads", "levels": 1}
    assert step["mode"] == "all"
    assert step["deadline"] == {"amount": 4, "unit": "hours"}
    assert step["fields"] == {"amount": "editable"}
    doc, _ = ed.set_step(doc, "legal", {"assignee.levels": "3", "mode": "single", "deadline.amount": "",
                                        "fields.amount": ""})
    step = doc["steps"][1]
    assert step["assignee"] == {"kind": "dept_heads", "levels": 3}
    assert "mode" not in step and "deadline" not in step and "fields" not in step
    assert not [p for p in problems(doc) if p.path.startswith("steps[1]")]


def test_switching_the_assignee_kind_keeps_what_the_new_kind_uses() -> None:
    doc, _ = ed.set_step(tiny(), "a", {"assignee.kind": "user"})
    assert doc["steps"][0]["assignee"] == {"kind": "user"}  # the user is still to be chosen
    doc, _ = ed.set_step(doc, "a", {"assignee.user": "li.na"})
    assert doc["steps"][0]["assignee"] == {"kind": "user", "user": "li.na"}
    doc, _ = ed.set_step(doc, "a", {"assignee.kind": "role"})
    assert doc["steps"][0]["assignee"] == {"kind": "role"}


@pytest.mark.parametrize(("changes", "path", "message"), [
    ({"assignee.kind": "robot"}, "steps[0].assignee.kind", "must be one of user, role"),
    ({"assignee.levels": "2"}, "steps[0].assignee.levels", 'not used by a "role" assignee'),
    ({"mode": "most"}, "steps[0].mode", "must be one of single, any, all, sequential"),
    ({"deadline.amount": "0"}, "steps[0].deadline.amount", "from 1 to 1000"),
    ({"deadline.amount": "two"}, "steps[0].deadline.amount", "whole number"),
    ({"deadline.unit": "weeks"}, "steps[0].deadline.unit", "one of hours, days"),
    ({"fields.amount": "secret"}, "steps[0].fields.amount", "one of hidden, readonly, editable"),
    ({"process": "x"}, "steps[0].process", '"process" cannot be set on a approval step'),
    ({"title.fr": "x"}, "steps[0].title", "say which language"),
])
def test_bad_panel_input_is_refused_with_its_path(changes: dict[str, str], path: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message) as caught:
        ed.set_step(tiny(), "a", changes)
    assert caught.value.problems[0].path == path


def test_an_assignee_the_submitter_chooses_maybe_among_a_role_and_maybe_several() -> None:
    doc, _ = ed.set_step(tiny(), "a", {"assignee.kind": "chosen"})
    assert doc["steps"][0]["assignee"] == {"kind": "chosen", "role": "legal"}  # the role it had still limits it
    doc, _ = ed.set_step(doc, "a", {"assignee.role": "", "assignee.multiple": "on"})
    assert doc["steps"][0]["assignee"] == {"kind": "chosen", "multiple": True}
    doc, _ = ed.set_step(doc, "a", {"assignee.multiple": ""})
    assert doc["steps"][0]["assignee"] == {"kind": "chosen"}
    assert not [p for p in problems(doc) if p.path.startswith("steps[0]")]


def test_levels_are_one_to_five() -> None:
    doc, _ = ed.set_step(tiny(), "b", {"assignee.levels": "5"})
    assert doc["steps"][1]["branches"][0]["steps"][0]["assignee"]["levels"] == 5
    with pytest.raises(DefinitionError, match="from 1 to 5"):
        ed.set_step(tiny(), "b", {"assignee.levels": "6"})


def test_a_branch_step_decided_by_a_ruleset_lists_it_and_its_branches_match_outcomes() -> None:
    doc, _ = ed.set_step(tiny(), "split", {"ruleset": "contract-major"})
    step = doc["steps"][1]
    assert step["ruleset"] == "contract-major" and doc["rulesets"] == ["contract-major"]
    assert all("when" not in b for b in step["branches"])
    doc, _ = ed.set_branch(doc, "split", 0, {"outcome.grade": '"major"', "label.en": "Major"})
    assert step != doc["steps"][1]
    assert doc["steps"][1]["branches"][0]["outcome"] == {"grade": "major"}
    assert doc["steps"][1]["branches"][0]["label"] == {"en": "Major"}
    doc, _ = ed.set_step(doc, "split", {"ruleset": ""})
    assert "ruleset" not in doc["steps"][1] and "rulesets" not in doc
    assert all("outcome" not in b for b in doc["steps"][1]["branches"])


def test_a_ruleset_assignee_lists_its_ruleset_and_others_listed_stay(contract) -> None:
    doc, _ = ed.set_step(contract, "vp", {"assignee.kind": "ruleset", "assignee.ruleset": "approvers"})
    assert doc["rulesets"] == ["contract-major", "approvers"]
    doc, _ = ed.set_step(doc, "vp", {"assignee.kind": "role"})
    assert doc["rulesets"] == ["contract-major"]


def test_set_branch_condition_and_outcome_text() -> None:
    doc, _ = ed.set_branch(tiny(), "split", 1, {"when": {"$lte": {"amount": 1}}})
    assert doc["steps"][1]["branches"][1]["when"] == {"$lte": {"amount": 1}}
    doc, _ = ed.set_branch(doc, "split", 1, {"when": None})
    assert "when" not in doc["steps"][1]["branches"][1]
    with pytest.raises(DefinitionError, match="must be a condition") as caught:
        ed.set_branch(tiny(), "split", 1, {"when": "amount > 1"})
    assert caught.value.problems[0].path == "steps[1].branches[1].when"
    doc, _ = ed.set_branch(tiny(), "split", 0, {"outcome.grade": "major"})
    assert doc["steps"][1]["branches"][0]["outcome"] == {"grade": "major"}
    doc, _ = ed.set_branch(doc, "split", 0, {"outcome.grade": ""})
    assert "outcome" not in doc["steps"][1]["branches"][0]


def test_subflow_process_and_inputs() -> None:
    doc, new = ed.insert_step(tiny(), "", None, "subflow")
    doc, _ = ed.set_step(doc, new, {"process": "expense", "inputs.total": "amount"})
    step = doc["steps"][-1]
    assert step["process"] == "expense" and step["inputs"] == {"total": "amount"}
    doc, _ = ed.set_step(doc, new, {"inputs.total": ""})
    assert "inputs" not in doc["steps"][-1]


def test_places_to_move_to_leave_out_the_step_itself() -> None:
    assert ed.places(tiny(), "split") == ["", "both/l0", "both/l1"]
    assert ed.places(tiny(), "b") == containers(tiny())

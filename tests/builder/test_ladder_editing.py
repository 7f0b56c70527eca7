"""The escalation ladder edited through `set_step` (builder.ladder_editing) on the demo contract
flow: adding rungs with their defaults, changing, moving and removing them, bad input refused at
the rung's JSON path with the document untouched, and the checks that judge the ladder as a whole
(order, a deciding rung last, decisions on approvals only) on what the edits make."""
from __future__ import annotations

import copy

import pytest

from builder import flow_editing as ed
from builder.ladder_editing import is_structural, new_rung
from rules.errors import DefinitionError
from tests.builder.test_flow_editing import CONTRACT, problems

# The contract flow: steps[1] is the legal review (an approval: 3 days, a reminder after 2 days);
# steps[5] is the signing (a task: 5 days, no ladder).
LEGAL, SIGN = "legal", "sign"


@pytest.fixture
def contract() -> dict:
    return copy.deepcopy(CONTRACT["flow"])


def ladder(doc: dict, index: int = 1) -> list:
    return doc["steps"][index].get("escalation", [])


def rung(amount: int, action: str, unit: str = "days") -> dict:
    return {"after": {"amount": amount, "unit": unit}, "action": action}


def test_add_climbs_the_ladder_one_unit_later_each_time(contract):
    assert ladder(contract) == [rung(2, "remind")]
    doc, selected = ed.set_step(contract, LEGAL, {"escalation.add": ""})
    assert selected == LEGAL and ladder(doc) == [rung(2, "remind"), rung(3, "urge")]
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.add": ""})
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.add": ""})
    assert ladder(doc)[2:] == [rung(4, "transfer_superior"), rung(5, "transfer_superior")]  # never decides by itself
    assert ladder(contract) == [rung(2, "remind")]  # the input is never changed
    assert not [p for p in problems(doc) if p.path.startswith("steps[1]")]


def test_the_first_rung_comes_at_the_time_limit_or_after_a_day():
    assert new_rung([], {"amount": 4, "unit": "hours"}) == rung(4, "remind", "hours")
    assert new_rung([], None) == rung(1, "remind")
    assert new_rung([{"after": {"amount": "x"}, "action": "fire"}], {"amount": 2, "unit": "days"}) == rung(2, "remind")


def test_a_task_step_gets_a_ladder_at_its_time_limit(contract):
    doc, _ = ed.set_step(contract, SIGN, {"escalation.add": ""})
    assert ladder(doc, 5) == [rung(5, "remind")]


def test_amount_unit_and_action_change_one_rung(contract):
    doc, _ = ed.set_step(contract, LEGAL, {"escalation.add": ""})
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.1.amount": " 12 ", "escalation.1.unit": "hours",
                                      "escalation.1.action": "transfer_superior"})
    assert ladder(doc) == [rung(2, "remind"), rung(12, "transfer_superior", "hours")]
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.1.unit": "days", "escalation.1.action": "auto_approve"})
    assert ladder(doc)[1] == rung(12, "auto_approve")
    assert not [p for p in problems(doc) if p.path.startswith("steps[1]")]


def test_up_and_down_move_a_rung_and_stop_at_the_ends(contract):
    doc, _ = ed.set_step(contract, LEGAL, {"escalation.add": "", "escalation.1.action": "auto_reject"})
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.add": ""})  # after the decision: the checks say so
    assert [r["action"] for r in ladder(doc)] == ["remind", "auto_reject", "remind"]
    assert [p.path for p in problems(doc) if p.path.startswith("steps[1]")] == ["steps[1].escalation[1].action"]
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.1.down": "1"})
    assert [r["action"] for r in ladder(doc)] == ["remind", "remind", "auto_reject"]
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.2.down": "1", "escalation.0.up": "1"})
    assert [r["action"] for r in ladder(doc)] == ["remind", "remind", "auto_reject"]
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.2.up": "1"})
    assert [r["after"]["amount"] for r in ladder(doc)] == [2, 3, 4]


def test_remove_drops_a_rung_and_the_last_one_the_ladder(contract):
    doc, _ = ed.set_step(contract, LEGAL, {"escalation.add": ""})
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.0.remove": ""})
    assert ladder(doc) == [rung(3, "urge")]
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.0.remove": ""})
    assert "escalation" not in doc["steps"][1]


def test_checks_judge_the_ladder_the_edits_make(contract):
    doc, _ = ed.set_step(contract, LEGAL, {"escalation.add": "", "escalation.1.amount": "2"})
    found = {p.path: p.message for p in problems(doc) if p.path.startswith("steps[1]")}
    assert found == {"steps[1].escalation[1].after": "must be later than the rung before it (2 days)"}
    doc, _ = ed.set_step(doc, LEGAL, {"escalation.1.amount": "3", "escalation.0.action": "auto_approve"})
    found = {p.path: p.message for p in problems(doc) if p.path.startswith("steps[1]")}
    assert found == {"steps[1].escalation[0].action": "auto_approve ends the task, so it must be the last rung"}


@pytest.mark.parametrize(("step", "changes", "path", "message"), [
    (LEGAL, {"escalation.0.amount": "0"}, "steps[1].escalation[0].after.amount", 'from 1 to 1000, got "0"'),
    (LEGAL, {"escalation.0.amount": "two"}, "steps[1].escalation[0].after.amount", "whole number"),
    (LEGAL, {"escalation.0.amount": ""}, "steps[1].escalation[0].after.amount", "whole number"),
    (LEGAL, {"escalation.0.unit": "weeks"}, "steps[1].escalation[0].after.unit", "one of hours, days"),
    (LEGAL, {"escalation.0.action": "fire"}, "steps[1].escalation[0].action", "one of remind, urge, transfer_superior"),
    (SIGN, {"escalation.add": "", "escalation.0.action": "auto_approve"}, "steps[5].escalation[0].action",
     "a task step is completed, not decided"),
    (LEGAL, {"escalation.1.amount": "3"}, "steps[1].escalation[1]", "there is no rung 2"),
    (LEGAL, {"escalation.x.remove": ""}, "steps[1].escalation", '"escalation.x.remove" is not a change of the ladder'),
    (LEGAL, {"escalation.0.after": "3"}, "steps[1].escalation", "not a change of the ladder"),
    ("major", {"escalation.add": ""}, "steps[4].escalation", "cannot be set on a branch step"),
])
def test_bad_ladder_input_is_refused_at_the_rungs_path(contract, step, changes, path, message):
    before = copy.deepcopy(contract)
    with pytest.raises(DefinitionError, match=message) as caught:
        ed.set_step(contract, step, changes)
    assert caught.value.problems[0].path == path
    assert contract == before


def test_structural_changes_are_told_apart_for_a_plain_post():
    assert [p for p in ("escalation.add", "escalation.1.remove", "escalation.0.up", "escalation.2.down",
                        "escalation.1.amount", "deadline.amount", "title.en") if is_structural(p)] == [
        "escalation.add", "escalation.1.remove", "escalation.0.up", "escalation.2.down"]

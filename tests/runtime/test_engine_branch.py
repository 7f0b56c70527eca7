"""Branch steps that decide by their own conditions (no ruleset), on form data and derived facts."""
from __future__ import annotations

import copy

import pytest

from runtime.errors import DefinitionError
from runtime.setup import INSTALLER
from runtime.state import TaskStatus
from tests.support import claim


def routed(demo_bundle: dict) -> dict:
    """The expense form with a tiny flow: big claims to the GM, meals to finance, else straight on."""
    bundle = copy.deepcopy(demo_bundle)
    bundle["rulesets"] = []
    bundle["flow"] = {
        "key": "routed", "version": 1, "title": "Routed", "form": "expense-claim",
        "steps": [
            {"id": "route", "kind": "branch", "title": "Route", "branches": [
                {"when": {"$gt": {"items.amount.sum": 1000}}, "label": "Large",
                 "steps": [{"id": "gm", "kind": "approval", "title": "GM", "assignee": {"kind": "role", "role": "gm"}}]},
                {"when": {"$and": [{"category": "meals"}, {"$gte": {"items.count": 2}}]}, "label": "Group meal",
                 "steps": [{"id": "fin", "kind": "approval", "title": "Finance", "assignee": {"kind": "role", "role": "finance"}}]},
            ], "else": []},
            {"id": "pay", "kind": "task", "title": "Pay", "assignee": {"kind": "role", "role": "cashier"}},
        ]}
    return bundle


def first_open_step(workflow, instance) -> str:
    tasks = [workflow.state.tasks[t] for t in instance.task_ids]
    return next(t.step for t in tasks if t.status is TaskStatus.OPEN)


@pytest.mark.parametrize(("lines", "category", "step"), [
    ([800, 300], "travel", "gm"),
    ([50, 60], "meals", "fin"),
    ([50], "meals", "pay"),
    ([1000], "office", "pay"),
])
def test_the_first_branch_whose_condition_holds_is_taken(workflow, demo_bundle, lines, category, step):
    workflow.import_bundle(INSTALLER, routed(demo_bundle))
    instance = workflow.start(workflow.org.user("zhang.wei"), "routed", claim(lines, category=category))
    assert first_open_step(workflow, instance) == step


def test_the_decision_records_the_facts_it_read(workflow, demo_bundle):
    workflow.import_bundle(INSTALLER, routed(demo_bundle))
    instance = workflow.start(workflow.org.user("zhang.wei"), "routed", claim([800, 300]))
    (decide,) = [e for e in instance.events if e["action"] == "decide"]
    assert decide["branch"] == 0
    assert decide["inputs"] == {"category": "travel", "items.amount.sum": 1100, "items.count": 2}
    assert "ruleset" not in decide


def test_a_branch_without_a_condition_or_on_an_unknown_field_is_refused(workflow, demo_bundle):
    bundle = routed(demo_bundle)
    branches = bundle["flow"]["steps"][0]["branches"]
    del branches[0]["when"]
    branches[1]["when"] = {"$gt": {"totl": 5}}
    with pytest.raises(DefinitionError) as refused:
        workflow.import_bundle(INSTALLER, bundle)
    paths = {p.path for p in refused.value.problems}
    assert "flow.steps[0].branches[0].when" in paths
    assert any(p.startswith("flow.steps[0].branches[1].when") for p in paths)

"""`branch` steps that decide by their own conditions (no ruleset), on form data and derived facts.
The tiny flow: big claims to the GM, group meals to finance, else straight on to the cashier."""
from __future__ import annotations

import pytest

from runtime.errors import DefinitionError
from runtime.setup import INSTALLER
from runtime.state import TaskStatus
from tests.runtime.flows import approval, bundle, publish, task
from tests.support import assert_reloads, claim

ROUTE = {"id": "route", "kind": "branch", "title": "Route", "branches": [
    {"when": {"$gt": {"items.amount.sum": 1000}}, "label": "Large",
     "steps": [approval("gm", title="GM", assignee={"kind": "role", "role": "gm"})]},
    {"when": {"$and": [{"category": "meals"}, {"$gte": {"items.count": 2}}]}, "label": "Group meal",
     "steps": [approval("fin", title="Finance", assignee={"kind": "role", "role": "finance"})]},
], "else": []}
PAY = task("pay", assignee={"kind": "role", "role": "cashier"})


def first_open_step(workflow, instance) -> str:
    tasks = [workflow.state.tasks[t] for t in instance.task_ids]
    return next(t.step for t in tasks if t.status is TaskStatus.OPEN)


@pytest.mark.parametrize(("lines", "category", "step"), [
    ([800, 300], "travel", "gm"),
    ([50, 60], "meals", "fin"),
    ([50], "meals", "pay"),
    ([1000], "office", "pay"),
])
def test_the_first_branch_whose_condition_holds_is_taken(workflow, lines, category, step):
    publish(workflow, "routed", ROUTE, PAY)
    instance = workflow.start(workflow.org.user("zhang.wei"), "routed", claim(lines, category=category))
    assert first_open_step(workflow, instance) == step
    assert_reloads(workflow)


def test_the_decision_records_the_facts_it_read(workflow):
    publish(workflow, "routed", ROUTE, PAY)
    instance = workflow.start(workflow.org.user("zhang.wei"), "routed", claim([800, 300]))
    (decide,) = [e for e in instance.events if e["action"] == "decide"]
    assert decide["branch"] == 0
    assert decide["inputs"] == {"category": "travel", "items.amount.sum": 1100, "items.count": 2}
    assert "ruleset" not in decide
    assert_reloads(workflow)


def test_a_branch_without_a_condition_or_on_an_unknown_field_is_refused(workflow):
    doc = bundle("routed", ROUTE, PAY)
    branches = doc["flow"]["steps"][0]["branches"]
    del branches[0]["when"]
    branches[1]["when"] = {"$gt": {"totl": 5}}
    with pytest.raises(DefinitionError) as refused:
        workflow.import_bundle(INSTALLER, doc)
    paths = {p.path for p in refused.value.problems}
    assert "flow.steps[0].branches[0].when" in paths
    assert any(p.startswith("flow.steps[0].branches[1].when") for p in paths)

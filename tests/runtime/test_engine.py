"""The expense process end to end through the workflow service, on the memory and file stores."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from runtime.errors import DefinitionError, ValidationFailed
from runtime.setup import INSTALLER, open_workflow
from runtime.state import InstanceStatus, TaskStatus
from runtime.store.repository import FileRepository
from tests.support import claim


def user(workflow, name):
    return workflow.org.user(name)


def open_task(workflow, instance):
    tasks = [workflow.state.tasks[t] for t in workflow.state.instances[instance.id].task_ids]
    (task,) = [t for t in tasks if t.status is TaskStatus.OPEN]
    return task


def act(workflow, instance, action="approve", text=""):
    task = open_task(workflow, instance)
    return task, workflow.act(user(workflow, task.assignee), task.id, action, text)


def test_a_12000_claim_goes_head_finance_vp_then_cashier(workflow):
    instance = workflow.start(user(workflow, "zhang.wei"), "expense", claim([8000, 4000]))
    assert instance.data["total"] == 12000
    assert instance.rulesets == {"expense-approval-tier": 1}
    path = []
    for action in ("approve", "approve", "approve", "complete"):
        task, instance = act(workflow, instance, action)
        path.append((task.step, task.assignee))
    assert path == [("dept_head", "li.na"), ("finance", "zhao.min"), ("vp", "chen.gang"), ("pay", "sun.li")]
    assert instance.status is InstanceStatus.COMPLETED
    (decision,) = [e for e in instance.events if e["action"] == "decide"]
    assert decision["ruleset"] == "expense-approval-tier" and decision["ruleset_version"] == 1
    assert decision["fired"] == [2] and decision["outcome"] == {"tier": "vp"}
    assert decision["inputs"] == {"total": 12000}


@pytest.mark.parametrize(("lines", "steps"), [
    ([30000, 30000], ["dept_head", "finance", "vp_major", "gm", "pay"]),
    ([5000], ["dept_head", "finance", "pay"]),
    ([5000.01], ["dept_head", "finance", "vp", "pay"]),
])
def test_the_tier_ruleset_decides_the_chain(workflow, lines, steps):
    instance = workflow.start(user(workflow, "liu.yang"), "expense", claim(lines))
    seen = []
    while instance.status is InstanceStatus.RUNNING:
        task, instance = act(workflow, instance, "complete" if open_task(workflow, instance).kind == "task" else "approve")
        seen.append(task.step)
    assert seen == steps


def test_a_head_never_approves_their_own_claim(workflow):
    instance = workflow.start(user(workflow, "li.na"), "expense", claim([100]))
    task = open_task(workflow, instance)
    assert (task.step, task.assignee) == ("dept_head", "yang.hua")  # li.na's head is the one above her


def test_the_only_holder_of_a_role_cannot_approve_their_own_claim(workflow):
    instance = workflow.start(user(workflow, "zhao.min"), "expense", claim([100]))
    assert open_task(workflow, instance).assignee == "yang.hua"  # zhao.min heads finance
    _, instance = act(workflow, instance)
    assert open_task(workflow, instance).assignee == "yang.hua"  # finance review: the superior again


def test_bad_data_is_refused_with_field_errors_and_changes_nothing(workflow):
    events_before = list(workflow.repo.read_events())
    data = claim([100])
    data["nickname"] = "x"
    data["items"][0]["amount"] = "abc"
    del data["reason"]
    with pytest.raises(ValidationFailed) as failed:
        workflow.start(user(workflow, "zhang.wei"), "expense", data)
    assert {"nickname", "items[0].amount", "reason"} <= set(failed.value.errors)
    assert list(workflow.repo.read_events()) == events_before


def test_a_forged_total_is_recomputed(workflow):
    data = claim([10, 20.5])
    data["total"] = 1
    instance = workflow.start(user(workflow, "zhang.wei"), "expense", data)
    assert instance.data["total"] == 30.5


def test_running_instances_keep_the_ruleset_version_they_started_with(workflow, demo_bundle):
    old = workflow.start(user(workflow, "zhang.wei"), "expense", claim([6000]))
    changed = copy.deepcopy(demo_bundle)
    changed["rulesets"][0]["rows"][1]["when"] = {"$gt": {"total": 8000}}
    workflow.import_bundle(INSTALLER, changed)
    assert workflow.latest("expense").rulesets["expense-approval-tier"].version == 2
    new = workflow.start(user(workflow, "zhang.wei"), "expense", claim([6000]))
    for instance in (old, new):
        for _ in range(2):
            _, instance = act(workflow, instance)
    assert open_task(workflow, old).step == "vp"
    assert open_task(workflow, new).step == "pay"


def test_a_restart_rebuilds_exactly_the_same_state(tmp_path: Path):
    repo = FileRepository(tmp_path / "data")
    workflow = open_workflow(repo, demo=True)
    instance = workflow.start(user(workflow, "zhang.wei"), "expense", claim([12000]))
    act(workflow, instance)
    rejected = workflow.start(user(workflow, "liu.yang"), "expense", claim([50]))
    act(workflow, rejected, "reject", "No receipt")
    instances, tasks = dict(workflow.state.instances), dict(workflow.state.tasks)
    repo.close()
    repo = FileRepository(tmp_path / "data")
    again = open_workflow(repo, demo=True)
    assert again.state.instances == instances
    assert again.state.tasks == tasks
    assert again.latest("expense").flow.version == 1  # re-loading the demo published nothing new
    repo.close()


def test_importing_an_older_bundle_makes_it_current_again(workflow, demo_bundle):
    changed = copy.deepcopy(demo_bundle)
    changed["rulesets"][0]["rows"][1]["when"] = {"$gt": {"total": 8000}}
    workflow.import_bundle(INSTALLER, changed)
    workflow.import_bundle(INSTALLER, demo_bundle)
    current = workflow.latest("expense").rulesets["expense-approval-tier"]
    assert current.version == 3 and current.rows[1].when == {"$gt": {"total": 5000}}
    workflow.import_bundle(INSTALLER, demo_bundle)
    assert workflow.latest("expense").rulesets["expense-approval-tier"].version == 3  # same: no new version


def test_a_shared_ruleset_must_still_fit_the_other_processes(workflow, demo_bundle):
    other = copy.deepcopy(demo_bundle)
    other["flow"]["key"] = "travel"
    other["form"]["key"] = "travel-claim"
    other["flow"]["form"] = "travel-claim"
    other["form"]["fields"] = [f for f in other["form"]["fields"] if f["key"] != "total"] + [
        {"key": "sum", "type": "money", "label": "Sum", "computed": "sum(items.amount)"}]
    other["rulesets"][0]["inputs"] = [{"key": "sum", "type": "money"}]
    other["rulesets"][0]["rows"] = [{"when": {"$gt": {"sum": 100}}, "then": {"tier": "vp"}}]
    with pytest.raises(DefinitionError, match=r'rulesets\[0\]\.inputs\[0\]\.key'):
        workflow.import_bundle(INSTALLER, other)
    assert workflow.latest("expense").rulesets["expense-approval-tier"].version == 1

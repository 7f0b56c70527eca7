"""`subflow` steps: start another published process for the same submitter and wait for its end."""
from __future__ import annotations

import pytest

from runtime.errors import Conflict, DefinitionError, TransitionNotAllowed
from runtime.state import InstanceStatus, TaskStatus
from tests.runtime.flows import act, actions, approval, open_tasks, publish, task
from tests.support import assert_reloads, claim

SUB = {"id": "sub", "kind": "subflow", "title": "Purchase", "process": "purchase",
       "inputs": {"category": "category", "reason": "reason", "items": "items"}}


@pytest.fixture
def parent(workflow):
    publish(workflow, "purchase", approval("buyer", "zhao.min"))
    publish(workflow, "project", approval("head", "li.na"), SUB, task("archive", "sun.li"))
    return workflow.start(workflow.org.user("zhang.wei"), "project", claim([300, 200])).id


def child_of(workflow, parent_id):
    (child,) = workflow.state.instances[parent_id].children
    return workflow.state.instances[child]


def test_the_sub_process_starts_with_the_mapped_data_and_the_parent_waits(workflow, parent):
    act(workflow, open_tasks(workflow, parent)[0])
    child = child_of(workflow, parent)
    assert child.process == "purchase" and child.submitter == "zhang.wei" and child.parent == parent
    assert [i["amount"] for i in child.data["items"]] == [300, 200]
    assert open_tasks(workflow, parent) == []
    assert [t.step for t in open_tasks(workflow, child.id)] == ["buyer"]
    assert_reloads(workflow)


def test_the_parent_goes_on_when_the_sub_process_completes(workflow, parent):
    act(workflow, open_tasks(workflow, parent)[0])
    child = child_of(workflow, parent)
    act(workflow, open_tasks(workflow, child.id)[0])
    assert workflow.state.instances[child.id].status is InstanceStatus.COMPLETED
    assert [t.step for t in open_tasks(workflow, parent)] == ["archive"]
    done = next(e for e in workflow.state.instances[parent].events if e["action"] == "subflow_done")
    assert (done["child"], done["status"]) == (child.id, "completed")
    assert_reloads(workflow)


def test_a_rejected_sub_process_rejects_the_parent(workflow, parent):
    act(workflow, open_tasks(workflow, parent)[0])
    child = child_of(workflow, parent)
    act(workflow, open_tasks(workflow, child.id)[0], "reject", "No budget")
    assert workflow.state.instances[parent].status is InstanceStatus.REJECTED
    assert_reloads(workflow)


def test_a_parent_withdrawn_takes_its_sub_process_with_it(workflow):
    publish(workflow, "purchase", approval("buyer", "zhao.min"))
    publish(workflow, "quick", SUB, task("archive", "sun.li"))
    parent = workflow.start(workflow.org.user("zhang.wei"), "quick", claim([50])).id
    child = child_of(workflow, parent)
    workflow.withdraw(workflow.org.user("zhang.wei"), parent)
    assert workflow.state.instances[child.id].status is InstanceStatus.WITHDRAWN
    assert {workflow.state.tasks[t].status for t in child.task_ids} == {TaskStatus.CANCELLED}
    assert_reloads(workflow)


def test_a_sub_process_without_people_completes_at_once_and_the_parent_goes_on(workflow):
    cc = {"id": "cc", "kind": "notify", "assignee": {"kind": "role", "role": "hr"}}
    publish(workflow, "notice", cc)
    publish(workflow, "chain", {**SUB, "process": "notice"}, task("archive", "sun.li"))
    parent = workflow.start(workflow.org.user("zhang.wei"), "chain", claim([50])).id
    assert [t.step for t in open_tasks(workflow, parent)] == ["archive"]
    assert "subflow_done" in actions(workflow, parent)
    assert_reloads(workflow)


def test_a_sub_process_must_be_published_and_take_fields_it_has(workflow):
    with pytest.raises(DefinitionError) as missing:
        publish(workflow, "project", SUB)
    assert 'flow.steps[0].process: no published process "purchase"' in str(missing.value)
    publish(workflow, "purchase", approval("buyer", "zhao.min"))
    with pytest.raises(DefinitionError) as unknown:
        publish(workflow, "project", {**SUB, "inputs": {"budget": "reason"}})
    assert 'flow.steps[0].inputs.budget: the form of "purchase" has no field "budget"' in str(unknown.value)


LANES = {"id": "p", "kind": "parallel", "branches": [
    {"steps": [SUB]}, {"steps": [approval("check", "chen.gang")]}]}


def test_a_return_from_another_lane_ends_the_running_sub_process(workflow):
    publish(workflow, "purchase", approval("buyer", "zhao.min"))
    publish(workflow, "project", LANES, task("archive", "sun.li"))
    parent = workflow.start(workflow.org.user("zhang.wei"), "project", claim([100])).id
    old = child_of(workflow, parent).id
    check = next(t for t in open_tasks(workflow, parent) if t.step == "check")
    workflow.send_back(workflow.org.user("chen.gang"), check.id, "submitter", "Wrong cost centre")
    assert workflow.state.instances[old].status is InstanceStatus.WITHDRAWN
    assert workflow.state.instances[parent].status is InstanceStatus.RETURNED
    workflow.resubmit(workflow.org.user("zhang.wei"), parent, claim([100]))
    new = workflow.state.instances[parent].children[-1]
    assert new != old and [t.step for t in open_tasks(workflow, new)] == ["buyer"]
    act(workflow, next(t for t in open_tasks(workflow, parent) if t.step == "check"))
    assert open_tasks(workflow, parent) == []  # still waiting for the new sub-process
    act(workflow, open_tasks(workflow, new)[0])
    assert [t.step for t in open_tasks(workflow, parent)] == ["archive"]
    assert_reloads(workflow)


def test_a_sub_process_back_with_the_submitter_ends_with_its_parent(workflow):
    publish(workflow, "purchase", approval("buyer", "zhao.min"))
    publish(workflow, "project", LANES, task("archive", "sun.li"))
    parent = workflow.start(workflow.org.user("zhang.wei"), "project", claim([100])).id
    child = child_of(workflow, parent).id
    workflow.send_back(workflow.org.user("zhao.min"), open_tasks(workflow, child)[0].id, "submitter", "Supplier?")
    act(workflow, open_tasks(workflow, parent)[0], "reject", "Not this year")
    assert workflow.state.instances[child].status is InstanceStatus.WITHDRAWN
    with pytest.raises(TransitionNotAllowed):
        workflow.resubmit(workflow.org.user("zhang.wei"), child, claim([100]))
    assert_reloads(workflow)


def test_withdrawing_waits_for_nobody_having_acted_in_the_sub_process_either(workflow):
    publish(workflow, "purchase", approval("buyer", "zhao.min"), approval("buyer2", "chen.gang"))
    publish(workflow, "quick", SUB, task("archive", "sun.li"))
    parent = workflow.start(workflow.org.user("zhang.wei"), "quick", claim([50])).id
    child = child_of(workflow, parent).id
    with pytest.raises(Conflict, match="withdraw that one instead"):
        workflow.withdraw(workflow.org.user("zhang.wei"), child)
    act(workflow, open_tasks(workflow, child)[0])
    with pytest.raises(Conflict, match="zhao.min has already acted"):
        workflow.withdraw(workflow.org.user("zhang.wei"), parent)
    assert workflow.state.instances[parent].status is InstanceStatus.RUNNING


def test_processes_that_would_start_each_other_for_ever_are_refused(workflow):
    publish(workflow, "purchase", approval("buyer", "zhao.min"))
    publish(workflow, "project", SUB)
    looping = {**SUB, "process": "project", "inputs": {}}
    with pytest.raises(DefinitionError) as refused:
        publish(workflow, "purchase", looping)
    assert ("flow.steps[0].process: sub-processes would start each other for ever: purchase → project → purchase"
            in str(refused.value))

"""Return (退回) to the submitter or to an earlier step, which sends the request straight back to
the step that returned it once acted on; engine and API (resubmission: test_action_resubmit.py).
The tiny flow: the department head, finance, the VP, then the cashier pays."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.errors import ValidationFailed
from runtime.settings import Settings
from runtime.state import InstanceStatus, TaskStatus
from runtime.store.repository import MemoryRepository
from runtime.setup import INSTALLER
from tests.runtime.flows import approval, bundle, open_task, open_tasks, publish, task, user
from tests.support import assert_reloads, bearer, claim

STEPS = (approval("dept_head", assignee={"kind": "dept_head", "levels": 1}),
         approval("finance", assignee={"kind": "role", "role": "finance"}),
         approval("vp", assignee={"kind": "role", "role": "vp"}),
         task("pay", assignee={"kind": "role", "role": "cashier"}))


@pytest.fixture
def at_finance(workflow):
    publish(workflow, "claim", *STEPS)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([12000]))
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    return instance


def test_return_to_the_submitter_needs_a_reason(workflow, at_finance):
    instance = at_finance
    task_ = open_task(workflow, instance)
    with pytest.raises(ValidationFailed, match="reason"):
        workflow.send_back(user(workflow, "zhao.min"), task_.id, "submitter", " ")
    returned = workflow.send_back(user(workflow, "zhao.min"), task_.id, "submitter", "Invoice 2 is a copy")
    assert returned.status is InstanceStatus.RETURNED
    assert workflow.state.tasks[task_.id].status is TaskStatus.RETURNED
    assert open_tasks(workflow, instance.id) == []
    assert_reloads(workflow)


def test_return_to_an_earlier_step_then_straight_back(workflow, at_finance):
    instance = at_finance
    task_ = open_task(workflow, instance)
    for wrong in ("vp", "finance", "nowhere"):
        with pytest.raises(ValidationFailed, match="one of submitter, dept_head"):
            workflow.send_back(user(workflow, "zhao.min"), task_.id, wrong, "check")
    workflow.send_back(user(workflow, "zhao.min"), task_.id, "dept_head", "Please confirm the trip")
    back = open_task(workflow, instance)
    assert (back.step, back.assignee) == ("dept_head", "li.na")
    assert_reloads(workflow)
    workflow.act(user(workflow, "li.na"), back.id, "approve")
    assert open_task(workflow, instance).step == "finance"
    workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "approve")
    assert open_task(workflow, instance).step == "vp"
    assert_reloads(workflow)


def test_the_api_shape_for_return():
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as client:
        publish(client.app.state.workflow, "claim", *STEPS)
        staff, head = bearer(client, "zhang.wei"), bearer(client, "li.na")
        one = client.post("/api/instances", json={"process": "claim", "data": claim([100])}, headers=staff).json()
        url = f"/api/tasks/{one['tasks'][0]['id']}/return"
        assert client.post(url, json={"to": "submitter"}, headers=head).status_code == 422
        r = client.post(url, json={"to": "submitter", "reason": "Add the receipt"}, headers=head)
        assert r.status_code == 200 and r.json()["status"] == "returned"
        assert_reloads(client.app.state.workflow)


def test_a_returning_step_passed_by_after_the_fix_does_not_come_back_again(workflow):
    """The step that returned the request is skipped once resubmitted (nobody fits any more):
    the request goes on after it, once, and never loops back to it."""
    doc = bundle("chosen", approval("a", "li.na"), approval("c", assignee={"kind": "field", "field": "approver"}),
                 approval("d", "chen.gang"), policies={"no_assignee": "skip"})
    doc["form"]["fields"].append({"key": "approver", "label": "Approver", "type": "select",
                                  "options": [{"value": "wu.qiang", "label": "Wu"}]})
    workflow.import_bundle(INSTALLER, doc)
    instance = workflow.start(user(workflow, "zhang.wei"), "chosen", {**claim([100]), "approver": "wu.qiang"})
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    workflow.send_back(user(workflow, "wu.qiang"), open_task(workflow, instance).id, "submitter", "Not needed")
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([100]))
    # a saw the approver named, so her approval no longer covers the data (runtime/coverage.py)
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    workflow.act(user(workflow, "chen.gang"), open_task(workflow, instance).id, "approve")
    assert workflow.state.instances[instance.id].status is InstanceStatus.COMPLETED
    assert workflow.state.instances[instance.id].resume_at == ""
    assert_reloads(workflow)


def test_no_return_to_a_step_that_was_passed_by_automatically(workflow):
    doc = bundle("chosen", approval("a", "li.na"), approval("b", assignee={"kind": "field", "field": "approver"}),
                 approval("c", "chen.gang"), policies={"no_assignee": "auto_approve"})
    doc["form"]["fields"].append({"key": "approver", "label": "Approver", "type": "text"})
    workflow.import_bundle(INSTALLER, doc)
    instance = workflow.start(user(workflow, "zhang.wei"), "chosen", claim([100]))  # nobody named for b
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")  # b passes by itself
    with pytest.raises(ValidationFailed, match='cannot return to "b": one of submitter, a'):
        workflow.send_back(user(workflow, "chen.gang"), open_task(workflow, instance).id, "b", "Check it")
    assert open_task(workflow, instance).step == "c"

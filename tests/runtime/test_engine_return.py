"""Return (退回) to the submitter or to an earlier step, and resubmission straight back to the
step that returned it."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.errors import Conflict, Forbidden, ValidationFailed
from runtime.settings import Settings
from runtime.state import InstanceStatus, TaskStatus
from runtime.store.repository import MemoryRepository
from tests.support import bearer, claim


def user(wf, name):
    return wf.org.user(name)


def open_task(wf, instance):
    (task,) = [t for t in (wf.state.tasks[i] for i in wf.state.instances[instance.id].task_ids)
               if t.status is TaskStatus.OPEN]
    return task


def at_finance(wf):
    instance = wf.start(user(wf, "zhang.wei"), "expense", claim([12000]))
    wf.act(user(wf, "li.na"), open_task(wf, instance).id, "approve")
    return instance


def test_return_to_the_submitter_and_resubmit_goes_straight_back(workflow):
    instance = at_finance(workflow)
    task = open_task(workflow, instance)
    with pytest.raises(ValidationFailed, match="reason"):
        workflow.send_back(user(workflow, "zhao.min"), task.id, "submitter", " ")
    returned = workflow.send_back(user(workflow, "zhao.min"), task.id, "submitter", "Invoice 2 is a copy")
    assert returned.status is InstanceStatus.RETURNED
    assert workflow.state.tasks[task.id].status is TaskStatus.RETURNED
    with pytest.raises(Forbidden):
        workflow.resubmit(user(workflow, "liu.yang"), instance.id, claim([12000]))
    fixed = claim([8000, 4000])
    fixed["items"][1]["invoice_no"] = "INV-ORIGINAL"
    again = workflow.resubmit(user(workflow, "zhang.wei"), instance.id, fixed)
    assert again.status is InstanceStatus.RUNNING and again.data["items"][1]["invoice_no"] == "INV-ORIGINAL"
    assert (open_task(workflow, instance).step, open_task(workflow, instance).assignee) == ("finance", "zhao.min")
    with pytest.raises(Conflict):
        workflow.resubmit(user(workflow, "zhang.wei"), instance.id, fixed)
    workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "approve")
    assert open_task(workflow, instance).step == "vp"  # the flow goes on as usual from there


def test_return_to_an_earlier_step_then_straight_back(workflow):
    instance = at_finance(workflow)
    task = open_task(workflow, instance)
    for wrong in ("vp", "finance", "nowhere"):
        with pytest.raises(ValidationFailed, match="one of submitter, dept_head"):
            workflow.send_back(user(workflow, "zhao.min"), task.id, wrong, "check")
    workflow.send_back(user(workflow, "zhao.min"), task.id, "dept_head", "Please confirm the trip")
    back = open_task(workflow, instance)
    assert (back.step, back.assignee) == ("dept_head", "li.na")
    workflow.act(user(workflow, "li.na"), back.id, "approve")
    assert open_task(workflow, instance).step == "finance"
    workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "approve")
    assert open_task(workflow, instance).step == "vp"


def test_the_api_shapes_for_return_and_resubmit():
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as client:
        staff, head = bearer(client, "zhang.wei"), bearer(client, "li.na")
        one = client.post("/api/instances", json={"process": "expense", "data": claim([100])}, headers=staff).json()
        url = f"/api/tasks/{one['tasks'][0]['id']}/return"
        assert client.post(url, json={"to": "submitter"}, headers=head).status_code == 422
        r = client.post(url, json={"to": "submitter", "reason": "Add the receipt"}, headers=head)
        assert r.status_code == 200 and r.json()["status"] == "returned"
        r = client.post(f"/api/instances/{one['id']}/resubmit", json={"data": claim([100])}, headers=staff)
        assert r.status_code == 200 and r.json()["status"] == "running"
        twice = client.post(f"/api/instances/{one['id']}/resubmit", json={"data": claim([100])}, headers=staff)
        assert twice.status_code == 409

"""Transfer (转交): the assignee hands an open task to someone else, who then decides it; engine
and API. The tiny flow: the department head, then finance, then the cashier pays."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.errors import Forbidden, ValidationFailed
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.flows import approval, first_task, publish, task, user
from tests.support import assert_reloads, bearer, claim

STEPS = (approval("dept_head", assignee={"kind": "dept_head", "levels": 1}),
         approval("finance", assignee={"kind": "role", "role": "finance"}),
         task("pay", assignee={"kind": "role", "role": "cashier"}))


def test_transfer_hands_the_task_over(workflow):
    publish(workflow, "claim", *STEPS)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    task_ = first_task(workflow, instance)
    with pytest.raises(ValidationFailed, match="yourself"):
        workflow.transfer(user(workflow, "li.na"), task_.id, "li.na")
    with pytest.raises(ValidationFailed, match="filed the request"):
        workflow.transfer(user(workflow, "li.na"), task_.id, "zhang.wei")
    with pytest.raises(ValidationFailed, match="no user"):
        workflow.transfer(user(workflow, "li.na"), task_.id, "nobody")
    with pytest.raises(Forbidden):
        workflow.transfer(user(workflow, "wang.fang"), task_.id, "yang.hua")
    workflow.transfer(user(workflow, "li.na"), task_.id, "yang.hua", "I am away this week")
    assert_reloads(workflow)
    assert [t.id for t in workflow.inbox(user(workflow, "yang.hua"))] == [task_.id]
    assert workflow.inbox(user(workflow, "li.na")) == []
    with pytest.raises(Forbidden):
        workflow.act(user(workflow, "li.na"), task_.id, "approve")
    workflow.act(user(workflow, "yang.hua"), task_.id, "approve")
    assert first_task(workflow, instance).step == "finance"
    assert_reloads(workflow)


def test_the_api_route_for_transfer():
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as client:
        publish(client.app.state.workflow, "claim", *STEPS)
        staff, head = bearer(client, "zhang.wei"), bearer(client, "li.na")
        one = client.post("/api/instances", json={"process": "claim", "data": claim([100])}, headers=staff).json()
        task_id = one["tasks"][0]["id"]
        # a signer queued after the head first: the task still moves over whole
        assert client.post(f"/api/tasks/{task_id}/add-signer", json={"user": "zhou.jie", "position": "after"},
                           headers=head).status_code == 200
        r = client.post(f"/api/tasks/{task_id}/transfer", json={"to": "yang.hua"}, headers=head)
        assert r.status_code == 200 and r.json()["tasks"][0]["assignee"] == "yang.hua"
        assert_reloads(client.app.state.workflow)

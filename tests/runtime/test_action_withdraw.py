"""Withdraw (撤回): the submitter takes the request back, as long as nobody has acted on it yet;
engine and API. The tiny flow: the department head, then finance, then the cashier pays."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.errors import Conflict, Forbidden
from runtime.settings import Settings
from runtime.state import InstanceStatus, TaskStatus
from runtime.store.repository import MemoryRepository
from tests.runtime.flows import approval, first_task, publish, task, user
from tests.support import assert_reloads, bearer, claim

STEPS = (approval("dept_head", assignee={"kind": "dept_head", "levels": 1}),
         approval("finance", assignee={"kind": "role", "role": "finance"}),
         task("pay", assignee={"kind": "role", "role": "cashier"}))


@pytest.fixture
def instance(workflow):
    publish(workflow, "claim", *STEPS)
    return workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))


def test_withdraw_before_anyone_acted(workflow, instance):
    task_ = first_task(workflow, instance)
    with pytest.raises(Forbidden):
        workflow.withdraw(user(workflow, "li.na"), instance.id)
    done = workflow.withdraw(user(workflow, "zhang.wei"), instance.id)
    assert done.status is InstanceStatus.WITHDRAWN
    assert workflow.state.tasks[task_.id].status is TaskStatus.CANCELLED
    assert workflow.inbox(user(workflow, "li.na")) == []
    assert_reloads(workflow)


def test_no_withdrawing_once_someone_acted(workflow, instance):
    workflow.act(user(workflow, "li.na"), first_task(workflow, instance).id, "approve")
    with pytest.raises(Conflict, match="li.na has already acted"):
        workflow.withdraw(user(workflow, "zhang.wei"), instance.id)
    assert_reloads(workflow)


def test_the_api_route_for_withdraw():
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as client:
        publish(client.app.state.workflow, "claim", *STEPS)
        staff, head = bearer(client, "zhang.wei"), bearer(client, "li.na")
        one = client.post("/api/instances", json={"process": "claim", "data": claim([100])}, headers=staff).json()
        task_id = one["tasks"][0]["id"]
        assert client.post(f"/api/tasks/{task_id}/transfer", json={"to": "yang.hua"}, headers=head).status_code == 200
        assert client.post(f"/api/instances/{one['id']}/withdraw", headers=staff).status_code == 409
        two = client.post("/api/instances", json={"process": "claim", "data": claim([100])}, headers=staff).json()
        assert client.post(f"/api/instances/{two['id']}/withdraw", headers=head).status_code == 403
        r = client.post(f"/api/instances/{two['id']}/withdraw", headers=staff)
        assert r.status_code == 200 and r.json()["status"] == "withdrawn"
        assert_reloads(client.app.state.workflow)

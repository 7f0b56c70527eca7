"""Add a signer (加签) before or after oneself at an open task; engine and API. The tiny flow: the
department head, then finance, then the cashier pays."""
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


def test_add_signer_before_and_after(workflow):
    publish(workflow, "claim", *STEPS)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    task_ = first_task(workflow, instance)
    with pytest.raises(ValidationFailed, match="before"):
        workflow.add_signer(user(workflow, "li.na"), task_.id, "zhou.jie", "sideways")
    with pytest.raises(Forbidden):
        workflow.add_signer(user(workflow, "zhou.jie"), task_.id, "wu.qiang", "after")
    workflow.add_signer(user(workflow, "li.na"), task_.id, "zhou.jie", "before")
    assert_reloads(workflow)
    assert [t.id for t in workflow.inbox(user(workflow, "zhou.jie"))] == [task_.id]
    workflow.act(user(workflow, "zhou.jie"), task_.id, "approve")
    back = first_task(workflow, instance)
    assert (back.step, back.assignee) == ("dept_head", "li.na")  # then back to the one who asked
    assert_reloads(workflow)
    workflow.add_signer(user(workflow, "li.na"), back.id, "wu.qiang", "after")
    workflow.act(user(workflow, "li.na"), back.id, "approve")
    after = first_task(workflow, instance)
    assert (after.step, after.assignee) == ("dept_head", "wu.qiang")
    assert_reloads(workflow)
    workflow.act(user(workflow, "wu.qiang"), after.id, "approve")
    assert first_task(workflow, instance).step == "finance"
    assert_reloads(workflow)


def test_the_api_route_for_add_signer():
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as client:
        publish(client.app.state.workflow, "claim", *STEPS)
        staff, head = bearer(client, "zhang.wei"), bearer(client, "li.na")
        one = client.post("/api/instances", json={"process": "claim", "data": claim([100])}, headers=staff).json()
        task_id = one["tasks"][0]["id"]
        signer = client.post(f"/api/tasks/{task_id}/add-signer", json={"user": "zhou.jie", "position": "after"},
                             headers=head)
        assert signer.status_code == 200
        assert client.post(f"/api/tasks/{task_id}/add-signer", json={"user": "zhou.jie", "position": "up"},
                           headers=head).status_code == 422
        assert_reloads(client.app.state.workflow)

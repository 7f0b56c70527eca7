"""Urge (催办): the submitter reminds the assignee of an open task, at most once an hour; engine
and API. The tiny flow: the department head, then finance, then the cashier pays."""
from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.errors import Conflict, Forbidden
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.flows import actions, approval, first_task, publish, task, user
from tests.support import assert_reloads, bearer, claim

STEPS = (approval("dept_head", assignee={"kind": "dept_head", "levels": 1}),
         approval("finance", assignee={"kind": "role", "role": "finance"}),
         task("pay", assignee={"kind": "role", "role": "cashier"}))


def test_urge_at_most_once_an_hour(workflow):
    publish(workflow, "claim", *STEPS)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    task_ = first_task(workflow, instance)
    with pytest.raises(Forbidden):
        workflow.urge(user(workflow, "li.na"), task_.id)
    workflow.urge(user(workflow, "zhang.wei"), task_.id)
    assert_reloads(workflow)
    with pytest.raises(Conflict, match="once an hour"):
        workflow.urge(user(workflow, "zhang.wei"), task_.id)
    workflow.engine.now.now += timedelta(minutes=61)
    workflow.urge(user(workflow, "zhang.wei"), task_.id)
    assert actions(workflow, instance.id).count("urge") == 2
    assert_reloads(workflow)


def test_the_api_route_for_urge():
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as client:
        publish(client.app.state.workflow, "claim", *STEPS)
        staff = bearer(client, "zhang.wei")
        one = client.post("/api/instances", json={"process": "claim", "data": claim([100])}, headers=staff).json()
        task_id = one["tasks"][0]["id"]
        assert client.post(f"/api/tasks/{task_id}/urge", headers=staff).status_code == 200
        assert client.post(f"/api/tasks/{task_id}/urge", headers=staff).status_code == 409
        assert_reloads(client.app.state.workflow)

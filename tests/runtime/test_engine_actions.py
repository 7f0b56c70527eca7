"""Withdraw (撤回), transfer (转交) and urge (催办) on the demo expense flow, engine and API."""
from __future__ import annotations

from datetime import timedelta

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


def first_task(wf, instance):
    return wf.state.tasks[wf.state.instances[instance.id].task_ids[-1]]


def test_withdraw_before_anyone_acted(workflow):
    instance = workflow.start(user(workflow, "zhang.wei"), "expense", claim([100]))
    task = first_task(workflow, instance)
    with pytest.raises(Forbidden):
        workflow.withdraw(user(workflow, "li.na"), instance.id)
    done = workflow.withdraw(user(workflow, "zhang.wei"), instance.id)
    assert done.status is InstanceStatus.WITHDRAWN
    assert workflow.state.tasks[task.id].status is TaskStatus.CANCELLED
    assert workflow.inbox(user(workflow, "li.na")) == []


def test_no_withdrawing_once_someone_acted(workflow):
    instance = workflow.start(user(workflow, "zhang.wei"), "expense", claim([100]))
    workflow.act(user(workflow, "li.na"), first_task(workflow, instance).id, "approve")
    with pytest.raises(Conflict, match="li.na has already acted"):
        workflow.withdraw(user(workflow, "zhang.wei"), instance.id)


def test_transfer_hands_the_task_over(workflow):
    instance = workflow.start(user(workflow, "zhang.wei"), "expense", claim([100]))
    task = first_task(workflow, instance)
    with pytest.raises(ValidationFailed, match="yourself"):
        workflow.transfer(user(workflow, "li.na"), task.id, "li.na")
    with pytest.raises(ValidationFailed, match="filed the request"):
        workflow.transfer(user(workflow, "li.na"), task.id, "zhang.wei")
    with pytest.raises(ValidationFailed, match="no user"):
        workflow.transfer(user(workflow, "li.na"), task.id, "nobody")
    with pytest.raises(Forbidden):
        workflow.transfer(user(workflow, "wang.fang"), task.id, "yang.hua")
    workflow.transfer(user(workflow, "li.na"), task.id, "yang.hua", "I am away this week")
    assert [t.id for t in workflow.inbox(user(workflow, "yang.hua"))] == [task.id]
    assert workflow.inbox(user(workflow, "li.na")) == []
    with pytest.raises(Forbidden):
        workflow.act(user(workflow, "li.na"), task.id, "approve")
    workflow.act(user(workflow, "yang.hua"), task.id, "approve")
    assert first_task(workflow, instance).step == "finance"


def test_urge_at_most_once_an_hour(workflow):
    instance = workflow.start(user(workflow, "zhang.wei"), "expense", claim([100]))
    task = first_task(workflow, instance)
    with pytest.raises(Forbidden):
        workflow.urge(user(workflow, "li.na"), task.id)
    workflow.urge(user(workflow, "zhang.wei"), task.id)
    with pytest.raises(Conflict, match="once an hour"):
        workflow.urge(user(workflow, "zhang.wei"), task.id)
    workflow.engine.now.now += timedelta(minutes=61)
    workflow.urge(user(workflow, "zhang.wei"), task.id)
    assert [e["action"] for e in workflow.state.instances[instance.id].events].count("urge") == 2


def test_the_api_routes_for_withdraw_transfer_and_urge():
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as client:
        staff, head = bearer(client, "zhang.wei"), bearer(client, "li.na")
        one = client.post("/api/instances", json={"process": "expense", "data": claim([100])}, headers=staff).json()
        task_id = one["tasks"][0]["id"]
        assert client.post(f"/api/tasks/{task_id}/urge", headers=staff).status_code == 200
        assert client.post(f"/api/tasks/{task_id}/urge", headers=staff).status_code == 409
        signer = client.post(f"/api/tasks/{task_id}/add-signer", json={"user": "zhou.jie", "position": "after"},
                             headers=head)
        assert signer.status_code == 200
        assert client.post(f"/api/tasks/{task_id}/add-signer", json={"user": "zhou.jie", "position": "up"},
                           headers=head).status_code == 422
        r = client.post(f"/api/tasks/{task_id}/transfer", json={"to": "yang.hua"}, headers=head)
        assert r.status_code == 200 and r.json()["tasks"][0]["assignee"] == "yang.hua"
        assert client.post(f"/api/instances/{one['id']}/withdraw", headers=staff).status_code == 409
        two = client.post("/api/instances", json={"process": "expense", "data": claim([100])}, headers=staff).json()
        assert client.post(f"/api/instances/{two['id']}/withdraw", headers=head).status_code == 403
        r = client.post(f"/api/instances/{two['id']}/withdraw", headers=staff)
        assert r.status_code == 200 and r.json()["status"] == "withdrawn"


def test_add_signer_before_and_after(workflow):
    instance = workflow.start(user(workflow, "zhang.wei"), "expense", claim([100]))
    task = first_task(workflow, instance)
    with pytest.raises(ValidationFailed, match="before"):
        workflow.add_signer(user(workflow, "li.na"), task.id, "zhou.jie", "sideways")
    with pytest.raises(Forbidden):
        workflow.add_signer(user(workflow, "zhou.jie"), task.id, "wu.qiang", "after")
    workflow.add_signer(user(workflow, "li.na"), task.id, "zhou.jie", "before")
    assert [t.id for t in workflow.inbox(user(workflow, "zhou.jie"))] == [task.id]
    workflow.act(user(workflow, "zhou.jie"), task.id, "approve")
    back = first_task(workflow, instance)
    assert (back.step, back.assignee) == ("dept_head", "li.na")  # then back to the one who asked
    workflow.add_signer(user(workflow, "li.na"), back.id, "wu.qiang", "after")
    workflow.act(user(workflow, "li.na"), back.id, "approve")
    after = first_task(workflow, instance)
    assert (after.step, after.assignee) == ("dept_head", "wu.qiang")
    workflow.act(user(workflow, "wu.qiang"), after.id, "approve")
    assert first_task(workflow, instance).step == "finance"


def test_a_rejection_names_a_code_when_the_process_keeps_a_list(workflow, demo_bundle):
    import copy

    from runtime.setup import INSTALLER

    coded = copy.deepcopy(demo_bundle)
    coded["flow"]["reject_codes"] = [{"value": "no-invoice", "label": "No valid invoice"},
                                     {"value": "not-business", "label": "Not a business expense"}]
    workflow.import_bundle(INSTALLER, coded)
    instance = workflow.start(user(workflow, "zhang.wei"), "expense", claim([100]))
    task = first_task(workflow, instance)
    with pytest.raises(ValidationFailed, match="choose one of: no-invoice, not-business"):
        workflow.act(user(workflow, "li.na"), task.id, "reject", "Receipt missing")
    with pytest.raises(ValidationFailed, match="choose one of"):
        workflow.act(user(workflow, "li.na"), task.id, "reject", "Receipt missing", code="other")
    done = workflow.act(user(workflow, "li.na"), task.id, "reject", "Receipt missing", code="no-invoice")
    assert done.status is InstanceStatus.REJECTED
    assert [e.get("code") for e in done.events if e["action"] == "reject"] == ["no-invoice"]


def test_anyone_involved_may_comment_and_nothing_else_changes(workflow):
    instance = workflow.start(user(workflow, "zhang.wei"), "expense", claim([100]))
    task = first_task(workflow, instance)
    with pytest.raises(Forbidden):
        workflow.comment(user(workflow, "liu.yang"), instance.id, "Hello")
    with pytest.raises(ValidationFailed):
        workflow.comment(user(workflow, "li.na"), instance.id, "  ")
    after = workflow.comment(user(workflow, "li.na"), instance.id, "Which client was it?")
    assert after.events[-1]["comment"] == "Which client was it?"
    assert first_task(workflow, instance) == workflow.state.tasks[task.id]
    assert after.status is InstanceStatus.RUNNING

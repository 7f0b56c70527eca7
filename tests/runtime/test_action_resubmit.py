"""Resubmit (重新提交) a returned request: only the submitter, only once per return, and it goes
back to the step that returned it (after the earlier approvals the change invalidated:
tests/runtime/test_approval_coverage.py); engine and API. The tiny flow: the department head,
finance, the VP, then the cashier pays; finance returns the request to the submitter."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.errors import Conflict, Forbidden
from runtime.settings import Settings
from runtime.state import InstanceStatus
from runtime.store.repository import MemoryRepository
from tests.runtime.flows import approval, open_task, open_tasks, publish, task, user
from tests.support import assert_reloads, bearer, claim

STEPS = (approval("dept_head", assignee={"kind": "dept_head", "levels": 1}),
         approval("finance", assignee={"kind": "role", "role": "finance"}),
         approval("vp", assignee={"kind": "role", "role": "vp"}),
         task("pay", assignee={"kind": "role", "role": "cashier"}))


@pytest.fixture
def returned(workflow):
    publish(workflow, "claim", *STEPS)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([12000]))
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    workflow.send_back(user(workflow, "zhao.min"), open_task(workflow, instance).id, "submitter",
                       "Invoice 2 is a copy")
    return instance


def test_resubmit_goes_back_to_the_step_that_returned_it_once_the_head_approved_the_change(workflow, returned):
    instance = returned
    assert workflow.state.instances[instance.id].status is InstanceStatus.RETURNED
    with pytest.raises(Forbidden):
        workflow.resubmit(user(workflow, "liu.yang"), instance.id, claim([12000]))
    fixed = claim([8000, 4000])
    fixed["items"][1]["invoice_no"] = "INV-ORIGINAL"
    again = workflow.resubmit(user(workflow, "zhang.wei"), instance.id, fixed)
    assert again.status is InstanceStatus.RUNNING and again.data["items"][1]["invoice_no"] == "INV-ORIGINAL"
    # the head approved other invoices: she approves again first (runtime/coverage.py), then finance
    assert (open_task(workflow, instance).step, open_task(workflow, instance).assignee) == ("dept_head", "li.na")
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    assert (open_task(workflow, instance).step, open_task(workflow, instance).assignee) == ("finance", "zhao.min")
    assert_reloads(workflow)
    with pytest.raises(Conflict):
        workflow.resubmit(user(workflow, "zhang.wei"), instance.id, fixed)
    workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "approve")
    assert open_task(workflow, instance).step == "vp"  # the flow goes on as usual from there
    assert_reloads(workflow)


def test_the_api_shape_for_resubmit():
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as client:
        publish(client.app.state.workflow, "claim", *STEPS)
        staff, head = bearer(client, "zhang.wei"), bearer(client, "li.na")
        one = client.post("/api/instances", json={"process": "claim", "data": claim([100])}, headers=staff).json()
        url = f"/api/tasks/{one['tasks'][0]['id']}/return"
        r = client.post(url, json={"to": "submitter", "reason": "Add the receipt"}, headers=head)
        assert r.status_code == 200 and r.json()["status"] == "returned"
        r = client.post(f"/api/instances/{one['id']}/resubmit", json={"data": claim([100])}, headers=staff)
        assert r.status_code == 200 and r.json()["status"] == "running"
        twice = client.post(f"/api/instances/{one['id']}/resubmit", json={"data": claim([100])}, headers=staff)
        assert twice.status_code == 409
        assert_reloads(client.app.state.workflow)


def test_only_the_submitter_opens_the_correction_page_and_only_once_returned():
    from tests.runtime.test_pages import sign_in

    app = create_app(Settings(demo=True), MemoryRepository())
    with TestClient(app, follow_redirects=False) as web:
        wf = app.state.workflow
        publish(wf, "fix", approval("head", "li.na"))
        instance = wf.start(wf.org.user("zhang.wei"), "fix", claim([100])).id
        sign_in(web, "zhang.wei")
        assert web.get(f"/instances/{instance}/resubmit").status_code == 409  # not returned yet
        wf.send_back(wf.org.user("li.na"), open_tasks(wf, instance)[0].id, "submitter", "Add the receipt")
        assert web.get(f"/instances/{instance}/resubmit").status_code == 200
        sign_in(web, "li.na")  # involved, but not the one who filed it
        assert web.get(f"/instances/{instance}/resubmit").status_code == 403

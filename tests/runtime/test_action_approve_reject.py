"""Approve (同意) and reject (驳回): only the assignee decides, once; a rejection needs a reason,
and a reason code when the process keeps a list of them. The tiny flow: the department head, then
finance, then the cashier pays."""
from __future__ import annotations

import pytest

from runtime.errors import Conflict, Forbidden, ValidationFailed
from runtime.state import InstanceStatus, TaskStatus
from tests.runtime.flows import approval, open_task, publish, task, user
from tests.support import assert_reloads, claim

STEPS = (approval("dept_head", assignee={"kind": "dept_head", "levels": 1}),
         approval("finance", assignee={"kind": "role", "role": "finance"}),
         task("pay", assignee={"kind": "role", "role": "cashier"}))
REJECT_CODES = [{"value": "no-invoice", "label": "No valid invoice"},
                {"value": "not-business", "label": "Not a business expense"}]


@pytest.fixture
def instance(workflow):
    publish(workflow, "claim", *STEPS)
    return workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))


def test_rejection_needs_a_reason_and_then_ends_the_request(workflow, instance):
    task_ = open_task(workflow, instance)
    before = workflow.state.instances[instance.id]
    with pytest.raises(ValidationFailed, match="reason"):
        workflow.act(user(workflow, "li.na"), task_.id, "reject", "   ")
    assert workflow.state.instances[instance.id] == before
    instance = workflow.act(user(workflow, "li.na"), task_.id, "reject", "Duplicate invoice")
    assert instance.status is InstanceStatus.REJECTED
    assert workflow.state.tasks[task_.id].status is TaskStatus.REJECTED
    assert [e["action"] for e in instance.events][-2:] == ["reject", "finish"]
    assert instance.events[-2]["reason"] == "Duplicate invoice"
    assert workflow.inbox(user(workflow, "zhao.min")) == []
    assert_reloads(workflow)


def test_only_the_assignee_acts_and_only_once(workflow, instance):
    task_ = open_task(workflow, instance)
    with pytest.raises(Forbidden, match="assigned to li.na"):
        workflow.act(user(workflow, "zhang.wei"), task_.id, "approve")
    workflow.act(user(workflow, "li.na"), task_.id, "approve")
    assert_reloads(workflow)
    with pytest.raises(Conflict, match='already "approved"'):
        workflow.act(user(workflow, "li.na"), task_.id, "approve")
    with pytest.raises(Conflict, match='cannot complete here: a "approval" step allows only approve, reject'):
        workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "complete")
    assert_reloads(workflow)


def test_a_rejection_names_a_code_when_the_process_keeps_a_list(workflow):
    publish(workflow, "claim", *STEPS, reject_codes=REJECT_CODES)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    task_ = open_task(workflow, instance)
    with pytest.raises(ValidationFailed, match="choose one of: no-invoice, not-business"):
        workflow.act(user(workflow, "li.na"), task_.id, "reject", "Receipt missing")
    with pytest.raises(ValidationFailed, match="choose one of"):
        workflow.act(user(workflow, "li.na"), task_.id, "reject", "Receipt missing", code="other")
    done = workflow.act(user(workflow, "li.na"), task_.id, "reject", "Receipt missing", code="no-invoice")
    assert done.status is InstanceStatus.REJECTED
    assert [e.get("code") for e in done.events if e["action"] == "reject"] == ["no-invoice"]
    assert_reloads(workflow)

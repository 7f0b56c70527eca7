"""`task` steps (办理): the assignee completes them, filling in the output fields editable at the
step; nobody else may complete them, and they are not approved or rejected. The tiny flow: HR
prepares (writing the reason, which the start form does not ask), then the cashier pays."""
from __future__ import annotations

import pytest

from runtime.errors import Conflict, Forbidden, ValidationFailed
from runtime.state import InstanceStatus, TaskStatus
from tests.runtime.flows import act, actions, open_tasks, publish, task
from tests.support import assert_reloads, claim

PREPARE = task("prepare", "wu.qiang", fields={"reason": "editable"})
PAY = task("pay", assignee={"kind": "role", "role": "cashier"})


@pytest.fixture
def started(workflow):
    publish(workflow, "errand", PREPARE, PAY, start_fields={"reason": "hidden"})
    data = claim([100])
    del data["reason"]
    return workflow.start(workflow.org.user("zhang.wei"), "errand", data).id


def test_completing_each_task_moves_on_and_the_last_ends_the_request(workflow, started):
    (prepare,) = open_tasks(workflow, started)
    assert (prepare.step, prepare.kind, prepare.assignee) == ("prepare", "task", "wu.qiang")
    workflow.act(workflow.org.user("wu.qiang"), prepare.id, "complete", "Booked", data={"reason": "Client visit"})
    assert workflow.state.tasks[prepare.id].status is TaskStatus.COMPLETED
    assert_reloads(workflow)
    (pay,) = open_tasks(workflow, started)
    assert (pay.step, pay.assignee) == ("pay", "sun.li")
    done = act(workflow, pay, "complete")
    assert done.status is InstanceStatus.COMPLETED
    assert actions(workflow, started).count("complete") == 2
    assert open_tasks(workflow, started) == []
    assert_reloads(workflow)


def test_a_task_is_completed_not_approved_or_rejected(workflow, started):
    (prepare,) = open_tasks(workflow, started)
    for action, text in (("approve", ""), ("reject", "No")):
        with pytest.raises(Conflict, match=f'cannot {action} here: a "task" step allows only complete'):
            act(workflow, prepare, action, text)
    assert workflow.state.tasks[prepare.id].status is TaskStatus.OPEN
    assert_reloads(workflow)


def test_nobody_else_may_complete_it_and_nobody_twice(workflow, started):
    (prepare,) = open_tasks(workflow, started)
    for other in ("zhang.wei", "sun.li", "li.na"):
        with pytest.raises(Forbidden, match="assigned to wu.qiang"):
            workflow.act(workflow.org.user(other), prepare.id, "complete", data={"reason": "Mine"})
    assert workflow.state.tasks[prepare.id].status is TaskStatus.OPEN
    assert "reason" not in workflow.state.instances[started].data
    workflow.act(workflow.org.user("wu.qiang"), prepare.id, "complete", data={"reason": "Client visit"})
    with pytest.raises(Conflict):
        workflow.act(workflow.org.user("wu.qiang"), prepare.id, "complete", data={"reason": "Again"})
    assert workflow.state.instances[started].data["reason"] == "Client visit"
    assert_reloads(workflow)


def test_the_output_field_is_required_at_the_task_and_its_change_recorded(workflow, started):
    (prepare,) = open_tasks(workflow, started)
    hr = workflow.org.user("wu.qiang")
    with pytest.raises(ValidationFailed) as missing:
        workflow.act(hr, prepare.id, "complete")
    assert missing.value.errors == {"reason": "required"}
    with pytest.raises(ValidationFailed) as refused:
        workflow.act(hr, prepare.id, "complete", data={"reason": "Client visit", "category": "meals"})
    assert refused.value.errors == {"category": "cannot be changed here"}
    assert workflow.state.tasks[prepare.id].status is TaskStatus.OPEN
    record = workflow.act(hr, prepare.id, "complete", data={"reason": "Client visit"})
    assert record.data["reason"] == "Client visit"
    (done,) = [e for e in record.events if e["action"] == "complete"]
    assert done["changes"] == {"reason": {"from": None, "to": "Client visit"}}
    assert [t.step for t in open_tasks(workflow, started)] == ["pay"]
    assert_reloads(workflow)

"""Comment (评论): anyone involved in a request may comment on it, and nothing else changes. The
tiny flow: the department head, then finance, then the cashier pays."""
from __future__ import annotations

import pytest

from runtime.errors import Forbidden, ValidationFailed
from runtime.state import InstanceStatus
from tests.runtime.flows import approval, first_task, publish, task, user
from tests.support import assert_reloads, claim

STEPS = (approval("dept_head", assignee={"kind": "dept_head", "levels": 1}),
         approval("finance", assignee={"kind": "role", "role": "finance"}),
         task("pay", assignee={"kind": "role", "role": "cashier"}))


def test_anyone_involved_may_comment_and_nothing_else_changes(workflow):
    publish(workflow, "claim", *STEPS)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    task_ = first_task(workflow, instance)
    with pytest.raises(Forbidden):
        workflow.comment(user(workflow, "liu.yang"), instance.id, "Hello")
    with pytest.raises(ValidationFailed):
        workflow.comment(user(workflow, "li.na"), instance.id, "  ")
    after = workflow.comment(user(workflow, "li.na"), instance.id, "Which client was it?")
    assert after.events[-1]["comment"] == "Which client was it?"
    assert first_task(workflow, instance) == workflow.state.tasks[task_.id]
    assert after.status is InstanceStatus.RUNNING
    assert_reloads(workflow)


def test_a_comment_longer_than_a_paragraph_is_refused_and_not_recorded(workflow):
    publish(workflow, "long", approval("head", "li.na"))
    instance = workflow.start(workflow.org.user("zhang.wei"), "long", claim([100]))
    before = len(workflow.state.instances[instance.id].events)
    with pytest.raises(ValidationFailed, match="comment: at most 2000 characters"):
        workflow.comment(workflow.org.user("zhang.wei"), instance.id, "x" * 2001)
    assert len(workflow.state.instances[instance.id].events) == before

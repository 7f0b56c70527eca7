"""`notify` steps (抄送, CC): nobody acts, the flow goes straight on, and the people copied may read
the request. The tiny flow: copy HR, then the cashier pays."""
from __future__ import annotations

import pytest

from runtime.errors import Forbidden
from tests.runtime.flows import open_tasks, publish, task
from tests.support import assert_reloads, claim

CC = {"id": "cc", "kind": "notify", "title": "Copy HR", "assignee": {"kind": "role", "role": "hr"}}
PAY = task("pay", assignee={"kind": "role", "role": "cashier"})


def test_cc_needs_no_action_and_lets_them_read(workflow):
    publish(workflow, "review", CC, PAY)
    instance = workflow.start(workflow.org.user("zhang.wei"), "review", claim([100])).id
    assert [t.step for t in open_tasks(workflow, instance)] == ["pay"]
    assert workflow.state.instances[instance].copied == ("wu.qiang",)
    assert workflow.instance_for(workflow.org.user("wu.qiang"), instance).id == instance
    with pytest.raises(Forbidden):
        workflow.instance_for(workflow.org.user("liu.yang"), instance)
    assert_reloads(workflow)

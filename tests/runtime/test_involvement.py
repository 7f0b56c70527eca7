"""Who may read a request: whoever filed it or was ever part of a step, also after handing it on."""
from __future__ import annotations

from tests.runtime.flows import approval, open_tasks, publish
from tests.support import claim


def test_handing_a_task_on_does_not_lock_you_out_of_the_request(workflow):
    publish(workflow, "hand", approval("head", "li.na"))
    instance = workflow.start(workflow.org.user("zhang.wei"), "hand", claim([100])).id
    (task,) = open_tasks(workflow, instance)
    workflow.add_signer(workflow.org.user("li.na"), task.id, "wang.fang", "before")
    assert workflow.instance_for(workflow.org.user("li.na"), instance).id == instance  # queued after wang.fang
    workflow.transfer(workflow.org.user("wang.fang"), task.id, "chen.gang")
    assert workflow.instance_for(workflow.org.user("wang.fang"), instance).id == instance  # handed it on
    assert workflow.instance_for(workflow.org.user("chen.gang"), instance).id == instance
    assert not workflow.state.instances[instance].involves("zhou.jie", workflow.state.tasks)

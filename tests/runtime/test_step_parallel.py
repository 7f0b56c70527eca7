"""`parallel` steps: every lane runs at once, and the flow goes on exactly once, after the last."""
from __future__ import annotations

import threading

import pytest

from runtime.state import InstanceStatus, TaskStatus
from tests.runtime.flows import act, actions, approval, open_tasks, publish, task
from tests.support import assert_reloads, claim

REVIEW = {"id": "review", "kind": "parallel", "title": "Parallel review", "branches": [
    {"label": "Technology", "steps": [approval("tech", "zhou.jie"), approval("tech_head", "li.na")]},
    {"label": "Quality", "steps": [approval("quality", "wu.qiang")]},
    {"label": "Logistics", "steps": [approval("logistics", "chen.gang")]},
]}


@pytest.fixture
def started(workflow):
    publish(workflow, "review", REVIEW, approval("gm", "yang.hua"), task("archive", "sun.li"))
    return workflow.start(workflow.org.user("zhang.wei"), "review", claim([100])).id


def test_all_lanes_start_at_once(workflow, started):
    assert sorted(t.step for t in open_tasks(workflow, started)) == ["logistics", "quality", "tech"]
    assert_reloads(workflow)


def test_the_flow_goes_on_only_after_every_lane(workflow, started):
    by_step = {t.step: t for t in open_tasks(workflow, started)}
    act(workflow, by_step["quality"])
    act(workflow, by_step["tech"])
    assert_reloads(workflow)
    assert sorted(t.step for t in open_tasks(workflow, started)) == ["logistics", "tech_head"]
    act(workflow, by_step["logistics"])
    assert [t.step for t in open_tasks(workflow, started)] == ["tech_head"]
    act(workflow, open_tasks(workflow, started)[0])
    assert [t.step for t in open_tasks(workflow, started)] == ["gm"]
    assert actions(workflow, started).count("join") == 1
    assert_reloads(workflow)


def test_a_rejection_in_one_lane_rejects_and_closes_the_others(workflow, started):
    by_step = {t.step: t for t in open_tasks(workflow, started)}
    act(workflow, by_step["quality"], "reject", "Tolerances not met")
    assert workflow.state.instances[started].status is InstanceStatus.REJECTED
    assert workflow.state.tasks[by_step["tech"].id].status is TaskStatus.CANCELLED
    assert open_tasks(workflow, started) == []
    assert_reloads(workflow)


def test_returning_from_a_lane_runs_the_whole_review_again(workflow, started):
    by_step = {t.step: t for t in open_tasks(workflow, started)}
    act(workflow, by_step["quality"])
    workflow.send_back(workflow.org.user("chen.gang"), by_step["logistics"].id, "submitter", "Wrong address")
    assert open_tasks(workflow, started) == []
    workflow.resubmit(workflow.org.user("zhang.wei"), started, claim([100]))
    assert sorted(t.step for t in open_tasks(workflow, started)) == ["logistics", "quality", "tech"]
    assert_reloads(workflow)


def test_lanes_finishing_at_the_same_moment_join_exactly_once(workflow, started):
    """The last two lanes are approved from two threads at once: one join, one GM task."""
    by_step = {t.step: t for t in open_tasks(workflow, started)}
    act(workflow, by_step["tech"])
    act(workflow, next(t for t in open_tasks(workflow, started) if t.step == "tech_head"))
    last = [by_step["quality"], by_step["logistics"]]
    barrier = threading.Barrier(len(last))

    def approve(t):
        barrier.wait()
        act(workflow, t)

    threads = [threading.Thread(target=approve, args=(t,)) for t in last]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert actions(workflow, started).count("join") == 1
    assert [t.step for t in open_tasks(workflow, started)] == ["gm"]
    assert_reloads(workflow)


def test_a_parallel_step_needs_two_lanes_each_with_steps(workflow):
    from runtime.errors import DefinitionError
    one = {"id": "p", "kind": "parallel", "branches": [{"steps": [approval("a", "li.na")]}]}
    empty = {"id": "p", "kind": "parallel", "branches": [{"steps": []}, {"steps": [approval("a", "li.na")]}]}
    with pytest.raises(DefinitionError, match=r"steps\[0\]\.branches: a parallel step needs"):
        publish(workflow, "bad", one)
    with pytest.raises(DefinitionError, match=r"branches\[0\]\.steps"):
        publish(workflow, "bad", empty)


def test_a_return_from_a_nested_parallel_step_runs_the_outermost_review_again(workflow):
    inner = {"id": "inner", "kind": "parallel", "branches": [
        {"steps": [approval("a", "zhou.jie")]}, {"steps": [approval("b", "wu.qiang")]}]}
    outer = {"id": "outer", "kind": "parallel", "branches": [
        {"steps": [inner]}, {"steps": [approval("c", "chen.gang")]}]}
    publish(workflow, "nested", outer, approval("gm", "yang.hua"))
    instance = workflow.start(workflow.org.user("zhang.wei"), "nested", claim([100])).id
    by_step = {t.step: t for t in open_tasks(workflow, instance)}
    workflow.send_back(workflow.org.user("zhou.jie"), by_step["a"].id, "submitter", "Fix the drawing")
    workflow.resubmit(workflow.org.user("zhang.wei"), instance, claim([100]))
    assert sorted(t.step for t in open_tasks(workflow, instance)) == ["a", "b", "c"]
    for t in open_tasks(workflow, instance):
        act(workflow, t)
    assert [t.step for t in open_tasks(workflow, instance)] == ["gm"]
    assert_reloads(workflow)

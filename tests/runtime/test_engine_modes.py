"""Approval modes (或签 any, 会签 all, 依次 sequential) and CC (抄送), each on a tiny flow."""
from __future__ import annotations

import copy

import pytest

from runtime.errors import Forbidden
from runtime.setup import INSTALLER
from runtime.state import InstanceStatus, TaskStatus
from tests.support import claim

# Roles with several holders in the demo: none, so the review board is made of named people.
BOARD = ["zhou.jie", "wu.qiang", "chen.gang"]


def flow_with(demo_bundle: dict, *steps: dict) -> dict:
    bundle = copy.deepcopy(demo_bundle)
    bundle["rulesets"] = []
    bundle["flow"] = {"key": "review", "version": 1, "title": "Review", "form": "expense-claim",
                      "steps": [*steps, {"id": "pay", "kind": "task", "title": "Pay",
                                         "assignee": {"kind": "role", "role": "cashier"}}]}
    return bundle


@pytest.fixture
def board(workflow):
    """Give the three board members a shared role, so one step can go to all of them."""
    doc = copy.deepcopy(workflow.org.doc)
    doc["roles"].append({"key": "board", "name": "Board"})
    for user in doc["users"]:
        if user["username"] in BOARD:
            user["roles"] = [*user["roles"], "board"]
    workflow.repo.put_org(doc)
    from runtime.setup import open_workflow

    return open_workflow(workflow.repo, demo=False)


def review(mode: str) -> dict:
    return {"id": "review", "kind": "approval", "title": "Board review", "mode": mode,
            "assignee": {"kind": "role", "role": "board"}}


def open_tasks(wf, instance):
    tasks = [wf.state.tasks[t] for t in wf.state.instances[instance.id].task_ids]
    return [t for t in tasks if t.status is TaskStatus.OPEN]


def act(wf, task, action="approve", text=""):
    return wf.act(wf.org.user(task.assignee), task.id, action, text)


def start(wf, demo_bundle, *steps):
    wf.import_bundle(INSTALLER, flow_with(demo_bundle, *steps))
    return wf.start(wf.org.user("zhang.wei"), "review", claim([100]))


def test_any_first_decision_wins_and_closes_the_others(board, demo_bundle):
    instance = start(board, demo_bundle, review("any"))
    tasks = open_tasks(board, instance)
    assert sorted(t.assignee for t in tasks) == sorted(BOARD)
    act(board, tasks[1])
    assert [t.step for t in open_tasks(board, instance)] == ["pay"]
    assert {board.state.tasks[t.id].status for t in tasks} == {TaskStatus.APPROVED, TaskStatus.CANCELLED}


def test_all_waits_for_everyone(board, demo_bundle):
    instance = start(board, demo_bundle, review("all"))
    first, second, third = open_tasks(board, instance)
    act(board, first)
    act(board, second)
    assert {t.id for t in open_tasks(board, instance)} == {third.id}
    act(board, third)
    assert [t.step for t in open_tasks(board, instance)] == ["pay"]


def test_all_one_rejection_rejects(board, demo_bundle):
    instance = start(board, demo_bundle, review("all"))
    first, second, third = open_tasks(board, instance)
    act(board, first)
    done = act(board, second, "reject", "Budget exceeded")
    assert done.status is InstanceStatus.REJECTED
    assert board.state.tasks[third.id].status is TaskStatus.CANCELLED
    assert open_tasks(board, instance) == []


def test_sequential_goes_one_after_another_in_order(board, demo_bundle):
    instance = start(board, demo_bundle, review("sequential"))
    order = []
    for _ in BOARD:
        (task,) = open_tasks(board, instance)
        order.append(task.assignee)
        with pytest.raises(Forbidden):
            board.act(board.org.user("zhang.wei"), task.id, "approve")
        act(board, task)
    assert order == sorted(BOARD)
    assert [t.step for t in open_tasks(board, instance)] == ["pay"]


def test_cc_needs_no_action_and_lets_them_read(board, demo_bundle):
    cc = {"id": "cc", "kind": "notify", "title": "Copy HR", "assignee": {"kind": "role", "role": "hr"}}
    instance = start(board, demo_bundle, cc)
    assert [t.step for t in open_tasks(board, instance)] == ["pay"]
    assert board.state.instances[instance.id].copied == ("wu.qiang",)
    assert board.instance_for(board.org.user("wu.qiang"), instance.id).id == instance.id
    with pytest.raises(Forbidden):
        board.instance_for(board.org.user("liu.yang"), instance.id)


def test_a_repeat_approver_is_approved_automatically_when_the_flow_says_so(board, demo_bundle):
    head = {"id": "head", "kind": "approval", "title": "Head", "assignee": {"kind": "dept_head"}}
    again = {"id": "again", "kind": "approval", "title": "Head again", "assignee": {"kind": "user", "user": "li.na"}}
    bundle = flow_with(demo_bundle, head, again)
    bundle["flow"]["policies"] = {"repeat_approver": "auto_approve"}
    board.import_bundle(INSTALLER, bundle)
    instance = board.start(board.org.user("zhang.wei"), "review", claim([100]))
    act(board, open_tasks(board, instance)[0])
    assert [t.step for t in open_tasks(board, instance)] == ["pay"]
    auto = [e for e in board.state.instances[instance.id].events if e.get("auto")]
    assert [(e["step"], e["action"]) for e in auto] == [("again", "approve")]
    bundle["flow"]["policies"] = {"repeat_approver": "ask"}
    board.import_bundle(INSTALLER, bundle)
    asked = board.start(board.org.user("zhang.wei"), "review", claim([100]))
    act(board, open_tasks(board, asked)[0])
    assert [t.step for t in open_tasks(board, asked)] == ["again"]

"""`approval` steps and their modes (single, 或签 any, 会签 all, 依次 sequential), each on a tiny
flow: a board review by a role with three holders, then the cashier pays."""
from __future__ import annotations

import copy

import pytest

from runtime.errors import Forbidden
from runtime.state import InstanceStatus, TaskStatus
from tests.runtime.flows import act, approval, open_tasks, publish, task
from tests.support import assert_reloads, claim

# Roles with several holders in the demo: none, so the review board is made of named people.
BOARD = ["zhou.jie", "wu.qiang", "chen.gang"]
PAY = task("pay", assignee={"kind": "role", "role": "cashier"})


def review(mode: str) -> dict:
    return approval("review", title="Board review", mode=mode, assignee={"kind": "role", "role": "board"})


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


def start(wf, *steps, **flow):
    publish(wf, "review", *steps, PAY, **flow)
    return wf.start(wf.org.user("zhang.wei"), "review", claim([100])).id


def test_single_goes_to_one_holder_and_their_approval_moves_on(board):
    instance = start(board, review("single"))
    first, other, _ = sorted(BOARD)
    (only,) = open_tasks(board, instance)
    assert only.assignee == first
    with pytest.raises(Forbidden):
        board.act(board.org.user(other), only.id, "approve")
    act(board, only)
    assert [t.step for t in open_tasks(board, instance)] == ["pay"]
    assert board.state.tasks[only.id].status is TaskStatus.APPROVED
    assert_reloads(board)


def test_any_first_decision_wins_and_closes_the_others(board):
    instance = start(board, review("any"))
    tasks = open_tasks(board, instance)
    assert sorted(t.assignee for t in tasks) == sorted(BOARD)
    act(board, tasks[1])
    assert [t.step for t in open_tasks(board, instance)] == ["pay"]
    assert {board.state.tasks[t.id].status for t in tasks} == {TaskStatus.APPROVED, TaskStatus.CANCELLED}
    assert_reloads(board)


def test_all_waits_for_everyone(board):
    instance = start(board, review("all"))
    first, second, third = open_tasks(board, instance)
    act(board, first)
    act(board, second)
    assert {t.id for t in open_tasks(board, instance)} == {third.id}
    assert_reloads(board)
    act(board, third)
    assert [t.step for t in open_tasks(board, instance)] == ["pay"]
    assert_reloads(board)


def test_all_one_rejection_rejects(board):
    instance = start(board, review("all"))
    first, second, third = open_tasks(board, instance)
    act(board, first)
    done = act(board, second, "reject", "Budget exceeded")
    assert done.status is InstanceStatus.REJECTED
    assert board.state.tasks[third.id].status is TaskStatus.CANCELLED
    assert open_tasks(board, instance) == []
    assert_reloads(board)


def test_sequential_goes_one_after_another_in_order(board):
    instance = start(board, review("sequential"))
    order = []
    for _ in BOARD:
        (task_,) = open_tasks(board, instance)
        order.append(task_.assignee)
        with pytest.raises(Forbidden):
            board.act(board.org.user("zhang.wei"), task_.id, "approve")
        act(board, task_)
        assert_reloads(board)
    assert order == sorted(BOARD)
    assert [t.step for t in open_tasks(board, instance)] == ["pay"]


def test_a_repeat_approver_is_approved_automatically_when_the_flow_says_so(board):
    head = approval("head", assignee={"kind": "dept_head"})
    again = approval("again", "li.na", title="Head again")
    instance = start(board, head, again, policies={"repeat_approver": "auto_approve"})
    act(board, open_tasks(board, instance)[0])
    assert [t.step for t in open_tasks(board, instance)] == ["pay"]
    auto = [e for e in board.state.instances[instance].events if e.get("auto")]
    assert [(e["step"], e["action"]) for e in auto] == [("again", "approve")]
    assert_reloads(board)
    asked = start(board, head, again, policies={"repeat_approver": "ask"})
    act(board, open_tasks(board, asked)[0])
    assert [t.step for t in open_tasks(board, asked)] == ["again"]
    assert_reloads(board)


def test_a_signer_added_to_a_countersign_gets_their_turn(workflow):
    heads = approval("review", mode="all", assignee={"kind": "dept_heads", "levels": 2})
    publish(workflow, "countersign", heads, PAY)
    instance = workflow.start(workflow.org.user("zhang.wei"), "countersign", claim([100])).id
    by = {t.assignee: t for t in open_tasks(workflow, instance)}
    workflow.add_signer(workflow.org.user("li.na"), by["li.na"].id, "chen.gang", "after")
    act(workflow, workflow.state.tasks[by["li.na"].id])
    act(workflow, by["yang.hua"])
    assert [(t.step, t.assignee) for t in open_tasks(workflow, instance)] == [("review", "chen.gang")]
    act(workflow, open_tasks(workflow, instance)[0])
    assert [t.step for t in open_tasks(workflow, instance)] == ["pay"]
    assert_reloads(workflow)

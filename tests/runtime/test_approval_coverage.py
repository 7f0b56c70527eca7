"""An approval covers the data its approver saw (runtime/coverage.py): a resubmission or a later
edit that changes what an earlier approver saw invalidates that approval, and the step runs again
before the request goes on; approvals whose data did not change stand. Engine through `Workflow`."""
from __future__ import annotations

import copy

import pytest

from runtime.coverage import DIGEST, INVALIDATE, step_digest
from runtime.state import InstanceStatus, TaskStatus
from tests.runtime.flows import act, approval, open_task, open_tasks, publish, task, user
from tests.support import assert_reloads, claim

HEAD = approval("dept_head", "li.na")
FINANCE = approval("finance", assignee={"kind": "role", "role": "finance"})
VP = approval("vp", "chen.gang")
BOARD = ["zhou.jie", "wu.qiang", "chen.gang"]


def _events(wf, instance_id, action):
    return [e for e in wf.state.instances[instance_id].events if e["action"] == action]


def _return_to_submitter(wf, instance_id, who="zhao.min"):
    (returning,) = open_tasks(wf, instance_id)
    wf.send_back(user(wf, who), returning.id, "submitter", "Attach the receipt")


def test_each_approval_records_a_digest_of_what_its_approver_could_see(workflow):
    publish(workflow, "claim", approval("dept_head", "li.na", fields={"reason": "hidden"}), FINANCE)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    act(workflow, open_task(workflow, instance))
    (approved,) = _events(workflow, instance.id, "approve")
    defs = workflow.pinned(workflow.state.instances[instance.id])
    data = workflow.state.instances[instance.id].data
    assert approved[DIGEST] == step_digest(defs.flow, defs.form, "dept_head", data)
    assert approved[DIGEST] == step_digest(defs.flow, defs.form, "dept_head", {**data, "reason": "other"})
    assert approved[DIGEST] != step_digest(defs.flow, defs.form, "dept_head", {**data, "total": 4999})


def test_a_resubmission_that_changes_what_the_head_saw_runs_her_step_again(workflow):
    publish(workflow, "claim", HEAD, FINANCE, VP)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    act(workflow, open_task(workflow, instance))
    _return_to_submitter(workflow, instance.id)
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([4999]))
    again = open_task(workflow, instance)
    assert (again.step, again.assignee) == ("dept_head", "li.na")
    (invalidated,) = _events(workflow, instance.id, INVALIDATE)
    assert invalidated["step"] == "dept_head" and invalidated["approvers"] == ["li.na"]
    assert invalidated["cause"] == "resubmit"
    assert invalidated["changes"]["total"] == {"from": 100, "to": 4999}
    assert_reloads(workflow)
    act(workflow, again)
    assert open_task(workflow, instance).step == "finance"  # then on to the one who returned it
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "vp"
    assert_reloads(workflow)


def test_a_resubmission_that_changes_nothing_an_approver_saw_goes_straight_back(workflow):
    publish(workflow, "claim", approval("dept_head", "li.na", fields={"reason": "hidden"}), FINANCE, VP)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    act(workflow, open_task(workflow, instance))
    _return_to_submitter(workflow, instance.id)
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([100], reason="Client visit, Shanghai"))
    assert open_task(workflow, instance).step == "finance"
    assert not _events(workflow, instance.id, INVALIDATE)


def test_later_approvals_whose_data_did_not_change_stand(workflow):
    """The head sees everything, the VP not the reason: a new reason runs only the head's step
    again; the VP's approval stands (recorded as a skip that says so), and finance gets it back."""
    publish(workflow, "claim", HEAD, approval("vp", "chen.gang", fields={"reason": "hidden"}), FINANCE)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    act(workflow, open_task(workflow, instance))
    act(workflow, open_task(workflow, instance))
    _return_to_submitter(workflow, instance.id)
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([100], reason="Trade fair"))
    assert open_task(workflow, instance).step == "dept_head"
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "finance"
    (stood,) = [e for e in _events(workflow, instance.id, "skip") if e["step"] == "vp"]
    assert "chen.gang" in stood["reason"] and "still covers" in stood["reason"]
    assert_reloads(workflow)


def test_every_approval_whose_data_changed_runs_again_in_order(workflow):
    publish(workflow, "claim", HEAD, VP, FINANCE)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    act(workflow, open_task(workflow, instance))
    act(workflow, open_task(workflow, instance))
    _return_to_submitter(workflow, instance.id)
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([4999]))
    assert [e["step"] for e in _events(workflow, instance.id, INVALIDATE)] == ["dept_head", "vp"]
    assert open_task(workflow, instance).step == "dept_head"
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "vp"
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "finance"


@pytest.fixture
def board(workflow):
    """Three people share a role, so one countersign step (会签) goes to all of them."""
    doc = copy.deepcopy(workflow.org.doc)
    doc["roles"].append({"key": "board", "name": "Board"})
    for person in doc["users"]:
        if person["username"] in BOARD:
            person["roles"] = [*person["roles"], "board"]
    workflow.repo.put_org(doc)
    from runtime.setup import open_workflow

    return open_workflow(workflow.repo, demo=False)


def test_in_a_countersign_every_approver_whose_data_changed_approves_again(board):
    publish(board, "claim", approval("board", mode="all", assignee={"kind": "role", "role": "board"}), FINANCE)
    instance = board.start(user(board, "zhang.wei"), "claim", claim([100]))
    for each in open_tasks(board, instance.id):
        act(board, each)
    _return_to_submitter(board, instance.id)
    board.resubmit(user(board, "zhang.wei"), instance.id, claim([4999]))
    (invalidated,) = _events(board, instance.id, INVALIDATE)
    assert sorted(invalidated["approvers"]) == sorted(BOARD)
    assert sorted(t.assignee for t in open_tasks(board, instance.id)) == sorted(BOARD)
    assert_reloads(board)


def test_in_a_countersign_each_approval_covers_what_that_approver_approved(board):
    """The second board member corrects a line: the first approved the old amount, so the step
    runs again for all of them (the third had not decided yet)."""
    publish(board, "claim", approval("board", mode="all", assignee={"kind": "role", "role": "board"},
                                     fields={"items": "editable"}), FINANCE)
    instance = board.start(user(board, "zhang.wei"), "claim", claim([100, 200]))
    first, second, third = open_tasks(board, instance.id)
    act(board, first)
    board.act(user(board, second.assignee), second.id, "approve", data={"items": claim([100, 150])["items"]})
    (invalidated,) = _events(board, instance.id, INVALIDATE)
    assert invalidated["approvers"] == [first.assignee] and invalidated["step"] == "board"
    assert board.state.tasks[third.id].status is TaskStatus.CANCELLED
    digests = {e["actor"]: e[DIGEST] for e in _events(board, instance.id, "approve")}
    assert digests[first.assignee] != digests[second.assignee]
    assert sorted(t.assignee for t in open_tasks(board, instance.id)) == sorted(BOARD)
    assert_reloads(board)


@pytest.mark.parametrize("mode", ["all", "sequential"])
def test_the_last_signers_edit_does_not_let_the_step_stand_for_those_who_signed_the_old_data(board, mode):
    """The others on the step approved 300; the last one corrects a line to 250 and so completes
    the step. The step does not stand on its own approvals: after the head, everyone on it signs
    the corrected data again before finance (the edit once let the step stand, and finance paid
    on data two of the three had never seen)."""
    publish(board, "claim", HEAD, approval("board", mode=mode, assignee={"kind": "role", "role": "board"},
                                           fields={"items": "editable"}), FINANCE)
    instance = board.start(user(board, "zhang.wei"), "claim", claim([100, 200]))
    act(board, open_task(board, instance))
    for _ in BOARD[:-1]:
        act(board, open_tasks(board, instance.id)[0])
    (last,) = open_tasks(board, instance.id)
    board.act(user(board, last.assignee), last.id, "approve", data={"items": claim([100, 150])["items"]})
    assert all("board" not in e["standing"] for e in _events(board, instance.id, INVALIDATE))
    act(board, open_task(board, instance))  # the head, first
    signed = []
    while (now := open_tasks(board, instance.id)) and now[0].step == "board":
        signed.append(now[0].assignee)
        act(board, now[0])
    assert sorted(signed) == sorted(BOARD) and open_task(board, instance).step == "finance"
    assert_reloads(board)


def test_an_edit_at_a_later_step_sends_the_request_back_to_the_earlier_approver_first(workflow):
    """Finance corrects a line: the head approved the old amount, so she approves again before
    anything goes on; finance's own approval covers the corrected data and stands."""
    publish(workflow, "claim", HEAD, approval("finance", "zhao.min", fields={"items": "editable"}), VP)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100, 200]))
    act(workflow, open_task(workflow, instance))
    corrected = claim([100, 150])["items"]
    workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "approve", data={"items": corrected})
    (invalidated,) = _events(workflow, instance.id, INVALIDATE)
    assert invalidated["cause"] == "edit" and invalidated["step"] == "dept_head"
    assert invalidated["changes"]["total"] == {"from": 300, "to": 250}
    assert invalidated["standing"] == ["finance"]
    assert open_task(workflow, instance).step == "dept_head"
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "vp"  # finance's approval stood
    assert workflow.state.instances[instance.id].data["total"] == 250
    assert_reloads(workflow)


def test_an_edit_nobody_earlier_saw_goes_on_as_before(workflow):
    publish(workflow, "claim", approval("dept_head", "li.na", fields={"items": "hidden", "total": "hidden"}),
            approval("finance", "zhao.min", fields={"items": "editable"}), VP)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100, 200]))
    act(workflow, open_task(workflow, instance))
    workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "approve",
                 data={"items": claim([100, 150])["items"]})
    assert open_task(workflow, instance).step == "vp" and not _events(workflow, instance.id, INVALIDATE)


def test_in_parallel_review_only_the_lane_whose_data_changed_runs_again(workflow):
    lanes = {"id": "reviews", "kind": "parallel", "title": "Reviews",
             "branches": [{"label": "Legal", "steps": [approval("legal", "zhou.jie")]},
                          {"label": "HR", "steps": [approval("hr", "wu.qiang", fields={"reason": "hidden"})]}]}
    publish(workflow, "claim", lanes, FINANCE)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    for _ in range(2):
        act(workflow, open_tasks(workflow, instance.id)[0])
    _return_to_submitter(workflow, instance.id)
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([100], reason="Trade fair"))
    assert [t.step for t in open_tasks(workflow, instance.id)] == ["legal"]
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "finance"
    assert_reloads(workflow)


def test_a_resubmission_from_the_start_records_what_it_invalidated(workflow):
    """`on_reject.resume: start`: every step runs again anyway; the invalidation is on the record."""
    publish(workflow, "claim", HEAD,
            approval("finance", "zhao.min", on_reject={"to": "submitter", "resume": "start"}), VP)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    act(workflow, open_task(workflow, instance))
    act(workflow, open_task(workflow, instance), "reject", "Wrong amount")
    assert workflow.state.instances[instance.id].status is InstanceStatus.RETURNED
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([4999]))
    assert [e["step"] for e in _events(workflow, instance.id, INVALIDATE)] == ["dept_head"]
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "finance"
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "vp"
    assert all(t.status is not TaskStatus.OPEN or t.step == "vp"
               for t in (workflow.state.tasks[i] for i in workflow.state.instances[instance.id].task_ids))


def test_the_task_page_and_the_record_say_what_changed_in_the_readers_language():
    from starlette.testclient import TestClient

    from runtime.app import create_app
    from runtime.settings import Settings
    from runtime.store.repository import MemoryRepository
    from tests.runtime.test_pages import sign_in

    app = create_app(Settings(demo=True), MemoryRepository())
    with TestClient(app, follow_redirects=False) as web:
        wf = app.state.workflow
        publish(wf, "claim", HEAD, approval("finance", "zhao.min", fields={"reason": "hidden"}))
        instance = wf.start(user(wf, "zhang.wei"), "claim", claim([100], reason="Taxi"))
        act(wf, open_task(wf, instance))
        _return_to_submitter(wf, instance.id)
        wf.resubmit(user(wf, "zhang.wei"), instance.id, claim([4999], reason="Flight"))
        sign_in(web, "li.na")
        web.cookies.set("formflow_lang", "zh_CN")
        r = web.get(f"/tasks/{open_task(wf, instance).id}")
        assert r.status_code == 200 and r.template.name == "instance.html"
        assert "合计金额：100.00 (壹佰元整) → 4,999.00 (肆仟玖佰玖拾玖元整)" in r.context["changed_since"]
        assert any("报销事由" in line for line in r.context["changed_since"])
        (entry,) = [e for e in r.context["timeline"] if e.action == INVALIDATE]
        assert "李娜" in entry.text and entry.changes == r.context["changed_since"]
        act(wf, open_task(wf, instance))
        sign_in(web, "zhao.min")  # finance may not see the reason: not in what changed, nor on the record
        web.cookies.set("formflow_lang", "en")
        r = web.get(f"/tasks/{open_task(wf, instance).id}")  # finance returned it: it sees what changed since
        assert r.context["changed_since"] and not any("Reason" in line or "Flight" in line
                                                      for line in r.context["changed_since"])
        (entry,) = [e for e in r.context["timeline"] if e.action == INVALIDATE]
        assert entry.changes and not any("Reason" in line or "Flight" in line for line in entry.changes)


def test_a_reader_who_may_not_see_every_field_gets_no_digest(workflow):
    """A digest over a hidden salary is as good as the salary: its few likely values hash quickly."""
    publish(workflow, "claim", approval("dept_head", "li.na"),
            approval("finance", "zhao.min", fields={"reason": "hidden"}))
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    act(workflow, open_task(workflow, instance))
    finance = user(workflow, "zhao.min")
    shown = workflow.view(finance, workflow.instance_for(finance, instance.id))
    assert not any(DIGEST in e for e in shown.events)
    head = user(workflow, "li.na")
    assert any(DIGEST in e for e in workflow.view(head, workflow.instance_for(head, instance.id)).events)


def test_a_task_step_after_an_invalidated_approval_runs_again_when_its_data_changed(workflow):
    publish(workflow, "claim", HEAD, task("check", "wu.qiang"), FINANCE)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    act(workflow, open_task(workflow, instance))
    act(workflow, open_task(workflow, instance), "complete")
    _return_to_submitter(workflow, instance.id)
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([4999]))
    assert [e["step"] for e in _events(workflow, instance.id, INVALIDATE)] == ["dept_head", "check"]
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "check"


def test_a_task_steps_completion_alone_never_sends_the_request_back(workflow):
    publish(workflow, "claim", approval("dept_head", "li.na", fields={"reason": "hidden"}),
            task("check", "wu.qiang"), FINANCE)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100]))
    act(workflow, open_task(workflow, instance))
    act(workflow, open_task(workflow, instance), "complete")
    _return_to_submitter(workflow, instance.id)
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([100], reason="Trade fair"))
    assert open_task(workflow, instance).step == "finance" and not _events(workflow, instance.id, INVALIDATE)


def test_returned_to_an_earlier_step_that_edits_the_head_approves_again_then_the_returner(workflow):
    """The VP sends it back to finance, who corrects a line: the head approved the old amount, so
    she approves again; finance's correction stands; then the VP, who returned it, decides."""
    publish(workflow, "claim", HEAD, approval("finance", "zhao.min", fields={"items": "editable"}), VP)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100, 200]))
    act(workflow, open_task(workflow, instance))
    act(workflow, open_task(workflow, instance))
    workflow.send_back(user(workflow, "chen.gang"), open_task(workflow, instance).id, "finance", "Line 2 is wrong")
    workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "approve",
                 data={"items": claim([100, 150])["items"]})
    assert open_task(workflow, instance).step == "dept_head"
    assert workflow.state.instances[instance.id].resume_at == ""
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "vp"
    act(workflow, open_task(workflow, instance))
    assert workflow.state.instances[instance.id].status is InstanceStatus.COMPLETED
    assert_reloads(workflow)


def test_an_edit_in_one_lane_closes_the_other_lanes_and_runs_the_earlier_step_first(workflow):
    lanes = {"id": "reviews", "kind": "parallel", "title": "Reviews",
             "branches": [{"label": "Legal",
                           "steps": [approval("legal", "zhou.jie", fields={"items": "editable"})]},
                          {"label": "HR", "steps": [approval("hr", "wu.qiang")]}]}
    publish(workflow, "claim", HEAD, lanes, FINANCE)
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([100, 200]))
    act(workflow, open_task(workflow, instance))
    legal, hr = sorted(open_tasks(workflow, instance.id), key=lambda t: t.step != "legal")
    workflow.act(user(workflow, "zhou.jie"), legal.id, "approve", data={"items": claim([100, 150])["items"]})
    assert workflow.state.tasks[hr.id].status is TaskStatus.CANCELLED
    assert open_task(workflow, instance).step == "dept_head"
    act(workflow, open_task(workflow, instance))
    assert [t.step for t in open_tasks(workflow, instance.id)] == ["hr"]  # legal's approval stands
    act(workflow, open_task(workflow, instance))
    assert open_task(workflow, instance).step == "finance"
    assert_reloads(workflow)


def test_the_step_that_returned_a_request_sees_what_the_resubmission_changed():
    """No approval was invalidated (the head returned it before approving), yet the head asked for
    a fix: their task page lists what the submitter changed, and nothing after an unchanged one."""
    from starlette.testclient import TestClient

    from runtime.app import create_app
    from runtime.settings import Settings
    from runtime.store.repository import MemoryRepository
    from tests.runtime.test_pages import sign_in

    app = create_app(Settings(demo=True), MemoryRepository())
    with TestClient(app, follow_redirects=False) as web:
        wf = app.state.workflow
        zhang = user(wf, "zhang.wei")
        instance = wf.start(zhang, "expense", claim([300], reason="Taxi"))
        sign_in(web, "li.na")
        web.cookies.set("formflow_lang", "en")
        for reason, changed in (("Taxi to Acme Ltd", ("Reason: Taxi → Taxi to Acme Ltd",)), ("Taxi to Acme Ltd", ())):
            wf.send_back(user(wf, "li.na"), open_task(wf, instance).id, "submitter", "Which client?")
            wf.resubmit(zhang, instance.id, claim([300], reason=reason))
            r = web.get(f"/tasks/{open_task(wf, instance).id}")
            assert r.status_code == 200 and r.template.name == "instance.html"
            assert r.context["changed_since"] == changed

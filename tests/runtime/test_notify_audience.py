"""Who is told of what (`runtime.outbox.audience`), through real commands on the demo: the person
a task goes to, the submitter of a returned, rejected or approved request, whoever loses a task to
a withdrawal, the person urged, those copied in and those involved when someone comments; never
the person acting, never an auditor's to-do, never someone who may not read the request. The
board is rebuilt from the log alone, with the same notices."""
from __future__ import annotations

import pytest

from runtime.outbox.audience import WorkflowLookups, batches, notices_of
from runtime.outbox.center import Notifications
from tests.runtime.flows import publish, task
from tests.support import claim


@pytest.fixture
def told(workflow):
    center = Notifications(workflow)
    center.start()
    yield center
    center.stop()


def kinds(center, username):
    return [(n.kind, n.instance) for n, _ in reversed(center.items(username))]


def test_a_new_task_tells_its_assignee_and_nobody_tells_the_actor(workflow, told):
    zhang, li = workflow.org.user("zhang.wei"), workflow.org.user("li.na")
    claim_id = workflow.start(zhang, "expense", claim([700])).id
    assert kinds(told, "li.na") == [("assigned", claim_id)]
    assert kinds(told, "zhang.wei") == []
    workflow.act(li, workflow.inbox(li)[0].id, "approve", "ok")
    assert kinds(told, "zhao.min") == [("assigned", claim_id)]
    assert kinds(told, "li.na") == [("assigned", claim_id)]  # her own approval tells her nothing
    notice = told.items("li.na")[0][0]
    assert notice.link == f"/tasks/{notice.task}" and str(told.sentence(notice, "en")) == (
        "Expense reimbursement from Zhang Wei is waiting for you")
    assert str(told.sentence(notice, "zh_CN").localized()) != ""


def test_returned_urged_commented_and_approved_reach_the_right_people(workflow, told):
    zhang, li = workflow.org.user("zhang.wei"), workflow.org.user("li.na")
    claim_id = workflow.start(zhang, "expense", claim([700])).id
    head_task = workflow.inbox(li)[0].id
    workflow.urge(zhang, head_task)
    workflow.comment(zhang, claim_id, "The receipt is attached")
    workflow.send_back(li, head_task, "submitter", "Add the hotel invoice")
    assert kinds(told, "li.na") == [("assigned", claim_id), ("urged", claim_id), ("comment", claim_id)]
    assert kinds(told, "zhang.wei") == [("returned", claim_id)]
    returned = told.items("zhang.wei")[0][0]
    assert str(told.sentence(returned, "en")) == (
        "Li Na returned your Expense reimbursement to you: Add the hotel invoice")
    assert returned.link == f"/instances/{claim_id}"


def test_a_withdrawal_tells_whoever_lost_a_task(workflow, told):
    zhang = workflow.org.user("zhang.wei")
    claim_id = workflow.start(zhang, "expense", claim([700])).id
    workflow.withdraw(zhang, claim_id)
    assert kinds(told, "li.na") == [("assigned", claim_id), ("withdrawn", claim_id)]


def test_those_copied_in_are_told_and_a_stranger_never(workflow, told):
    cc = {"id": "cc", "kind": "notify", "title": "Copy HR", "assignee": {"kind": "role", "role": "hr"}}
    publish(workflow, "review", cc, task("pay", assignee={"kind": "role", "role": "cashier"}))
    claim_id = workflow.start(workflow.org.user("zhang.wei"), "review", claim([100])).id
    assert kinds(told, "wu.qiang") == [("copied", claim_id)]
    assert all(not told.items(u) for u in ("liu.yang", "chen.gang", "admin"))


def test_a_reader_who_may_not_read_the_request_is_never_told(workflow):
    class Lookups(WorkflowLookups):
        def may_read(self, user, instance):
            return user.username != "li.na"
    zhang = workflow.org.user("zhang.wei")
    workflow.start(zhang, "expense", claim([700]))
    batch = list(workflow.repo.read_events())[-2:]
    assert [n.recipient for n in notices_of(batch, WorkflowLookups(workflow))] == ["li.na"]
    assert notices_of(batch, Lookups(workflow)) == []


def test_the_board_rebuilt_from_the_log_holds_the_same_notices_and_read_marks(workflow, told):
    zhang, li = workflow.org.user("zhang.wei"), workflow.org.user("li.na")
    for _ in range(3):
        workflow.start(zhang, "expense", claim([700]))
    first = told.items("li.na")[-1][0]
    told.board.mark_read("li.na", first.id)
    assert told.unread("li.na") == 2
    again = Notifications(workflow)
    again.start()
    try:
        assert again.items("li.na") == told.items("li.na")
        assert again.unread("li.na") == 2
        again.board.mark_all_read("li.na")
        assert again.unread("li.na") == 0
        workflow.act(li, workflow.inbox(li)[0].id, "approve", "ok")
        workflow.start(zhang, "expense", claim([800]))
        assert again.unread("li.na") == 1
    finally:
        again.stop()


def test_batches_are_cut_where_the_log_marks_each_commit(workflow):
    workflow.start(workflow.org.user("zhang.wei"), "expense", claim([700]))
    cut = list(batches(workflow.repo.read_events()))
    assert all(b[-1].get("commit") for b in cut) and [e["action"] for e in cut[-1]] == ["start", "task"]


def test_the_schedulers_reminders_urges_overdue_and_transfers_reach_the_assignee(repo, demo_bundle):
    from runtime.calendar import load_calendar
    from runtime.setup import DEMO_CALENDAR, open_workflow
    from tests.runtime.test_deadlines import escalate_at, local, start
    from tests.support import FakeClock

    wf = open_workflow(repo, demo=True, calendar=load_calendar(DEMO_CALENDAR))
    wf.engine.now = FakeClock()
    center = Notifications(wf)
    center.start()
    instance = start(wf, demo_bundle, local(3, 2, 10))
    escalate_at(wf, local(3, 9, 9))  # every rung: remind, urge, overdue, transfer to the superior, approve
    assert kinds(center, "li.na") == [("assigned", instance), ("reminded", instance), ("reminded", instance),
                                      ("overdue", instance)]
    assert kinds(center, "yang.hua") == [("escalated", instance)]
    assert kinds(center, "sun.li") == [("assigned", instance)]
    reminder = center.items("li.na")[1][0]
    assert str(center.sentence(reminder, "en")) == "Reminder: Timed review from Zhang Wei is still waiting for you"
    center.stop()

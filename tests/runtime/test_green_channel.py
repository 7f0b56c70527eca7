"""The green channel (特事特办，事后补齐审批手续): an urgent start goes straight to the execution step,
each skipped approval becomes a post-hoc task due on the business calendar, the instance stays
marked until they are all done, and a report lists the open ones."""
from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from rules.evaluation import default_evaluator
from runtime.app import create_app
from runtime.errors import Conflict, Forbidden, ValidationFailed
from runtime.service import Workflow
from runtime.settings import Settings
from runtime.setup import INSTALLER
from runtime.state import InstanceStatus, TaskStatus
from runtime.store.repository import MemoryRepository
from tests.support import FakeClock, bearer, claim, signed_in

FRIDAY_5PM_SHANGHAI = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
URGENT = {"allowed": True, "execution": "pay", "deadline": {"amount": 2, "unit": "days"}}
STEPS = [
    {"id": "head", "kind": "approval", "title": "Head", "assignee": {"kind": "dept_head", "levels": 1}},
    {"id": "size", "kind": "branch", "title": "Size", "else": [],
     "branches": [{"when": {"$gt": {"total": 5000}}, "label": "Large", "steps": [
         {"id": "vp", "kind": "approval", "title": "VP", "assignee": {"kind": "role", "role": "vp"}}]}]},
    {"id": "prepare", "kind": "task", "title": "Prepare", "assignee": {"kind": "role", "role": "hr"}},
    {"id": "cc", "kind": "notify", "title": "Legal copy", "assignee": {"kind": "role", "role": "legal"}},
    {"id": "pay", "kind": "task", "title": "Pay", "assignee": {"kind": "role", "role": "cashier"}},
]


def bundle(demo_bundle: dict, urgent: dict | None = URGENT) -> dict:
    doc = copy.deepcopy(demo_bundle)
    doc["rulesets"] = []
    doc["flow"] = {"key": "rush", "version": 1, "title": "Rush order", "form": "expense-claim",
                   "steps": copy.deepcopy(STEPS), **({"urgent": urgent} if urgent else {})}
    return doc


@pytest.fixture
def wf(workflow, demo_bundle):
    workflow.import_bundle(INSTALLER, bundle(demo_bundle))
    workflow.engine.now = FakeClock(FRIDAY_5PM_SHANGHAI)
    return workflow


def person(wf, name):
    return wf.org.user(name)


def tasks_of(wf, instance):
    return [wf.state.tasks[t] for t in wf.state.instances[instance.id].task_ids]


def open_main(wf, instance):
    return [(t.step, t.assignee) for t in tasks_of(wf, instance) if t.status is TaskStatus.OPEN and not t.post_hoc]


def post_hoc(wf, instance):
    return {t.step: t for t in tasks_of(wf, instance) if t.post_hoc}


def urgent_start(wf, lines=(12000,), reason="Line stopped: the supplier needs paying today"):
    return wf.start(person(wf, "zhang.wei"), "rush", claim(list(lines)), urgent={"reason": reason})


def test_an_urgent_start_skips_to_execution_and_owes_the_skipped_approvals(wf):
    instance = urgent_start(wf)
    assert instance.status is InstanceStatus.RUNNING
    assert open_main(wf, instance) == [("pay", "sun.li")]
    owed = post_hoc(wf, instance)
    assert {s: (t.assignee, t.status) for s, t in owed.items()} == {
        "head": ("li.na", TaskStatus.OPEN), "vp": ("chen.gang", TaskStatus.OPEN)}
    # Friday 17:00 in Shanghai + 2 working days = Tuesday 17:00 (the weekend is not counted)
    assert {t.due for t in owed.values()} == {"2026-03-10T09:00:01.000Z"}
    assert (instance.urgent_reason, instance.post_hoc_open) == ("Line stopped: the supplier needs paying today", 2)
    actions = [(e["action"], e.get("step")) for e in instance.events]
    assert actions == [("start", None), ("task", "head"), ("decide", "size"), ("task", "vp"),
                       ("urgent_skip", "prepare"), ("notify", "cc"), ("task", "pay")]
    assert instance.events[0]["urgent"] == {"reason": "Line stopped: the supplier needs paying today"}
    assert all(e["post_hoc"] and e["due"] for e in instance.events if e["action"] == "task" and e["step"] != "pay")
    assert "zhou.jie" in instance.copied


def test_branches_are_decided_as_usual_so_only_the_approvals_the_path_needs_are_owed(wf):
    instance = urgent_start(wf, lines=(100,))
    assert set(post_hoc(wf, instance)) == {"head"}
    assert open_main(wf, instance) == [("pay", "sun.li")]


@pytest.mark.parametrize("process, urgent, message", [
    ("expense", {"reason": "Now"}, "this process does not allow urgent starts"),
    ("rush", {"reason": "   "}, "say why the request is urgent"),
    ("rush", {}, "say why the request is urgent"),
    ("rush", "now", "must be an object with the reason it is urgent"),
])
def test_an_urgent_start_is_refused_unless_allowed_and_explained(wf, process, urgent, message):
    before = (len(list(wf.repo.read_events())), len(wf.state.instances))
    with pytest.raises(ValidationFailed) as refused:
        wf.start(person(wf, "zhang.wei"), process, claim([100]), urgent=urgent)
    assert refused.value.errors == {"urgent": message}
    assert (len(list(wf.repo.read_events())), len(wf.state.instances)) == before


def test_a_switched_off_channel_refuses_and_data_errors_come_together(wf, demo_bundle):
    wf.import_bundle(INSTALLER, bundle(demo_bundle, {**URGENT, "allowed": False}))
    with pytest.raises(ValidationFailed) as refused:
        wf.start(person(wf, "zhang.wei"), "rush", {"category": "travel"}, urgent={"reason": "Now"})
    assert refused.value.errors["urgent"] == "this process does not allow urgent starts"
    assert "reason" in refused.value.errors  # the form's own problems are reported at the same time


def test_post_hoc_tasks_do_not_block_and_outlive_the_completed_request(wf):
    instance = urgent_start(wf)
    (pay,) = [t for t in tasks_of(wf, instance) if t.step == "pay"]
    done = wf.act(person(wf, "sun.li"), pay.id, "complete", "Paid by wire")
    assert done.status is InstanceStatus.COMPLETED and done.post_hoc_open == 2
    owed = post_hoc(wf, instance)
    assert all(t.status is TaskStatus.OPEN for t in owed.values())  # completing cancelled nothing
    assert wf.act(person(wf, "li.na"), owed["head"].id, "approve", "Agreed").post_hoc_open == 1
    after = wf.act(person(wf, "chen.gang"), owed["vp"].id, "approve")
    assert (after.post_hoc_open, after.post_hoc_refused, after.status) == (0, False, InstanceStatus.COMPLETED)


def test_a_post_hoc_rejection_is_recorded_and_flags_review_but_cannot_undo_the_execution(wf):
    instance = urgent_start(wf)
    owed = post_hoc(wf, instance)
    with pytest.raises(ValidationFailed, match="reason"):
        wf.act(person(wf, "chen.gang"), owed["vp"].id, "reject", " ")
    with pytest.raises(Conflict, match="post-hoc"):
        wf.send_back(person(wf, "chen.gang"), owed["vp"].id, "submitter", "Redo it")
    refused = wf.act(person(wf, "chen.gang"), owed["vp"].id, "reject", "Should have gone to tender")
    assert refused.status is InstanceStatus.RUNNING and refused.post_hoc_refused and refused.post_hoc_open == 1
    assert open_main(wf, instance) == [("pay", "sun.li")]  # the execution goes on
    assert wf.state.tasks[owed["vp"].id].status is TaskStatus.REJECTED
    with pytest.raises(Forbidden):
        wf.act(person(wf, "zhang.wei"), owed["head"].id, "approve")


def test_a_post_hoc_approver_cannot_change_the_data_the_request_went_ahead_on(workflow, demo_bundle):
    """The head may correct lines at her step; after the fact she may not: the request was paid on
    what it held (an edit once rewrote a paid claim to 99,999 and nothing ran again)."""
    doc = bundle(demo_bundle)
    doc["flow"]["steps"][0]["fields"] = {"items": "editable"}
    workflow.import_bundle(INSTALLER, doc)
    workflow.engine.now = FakeClock(FRIDAY_5PM_SHANGHAI)
    instance = urgent_start(workflow)
    owed = post_hoc(workflow, instance)
    before = workflow.state.instances[instance.id].events
    with pytest.raises(Conflict, match="cannot change the data"):
        workflow.act(person(workflow, "li.na"), owed["head"].id, "approve", data={"items": claim([99999])["items"]})
    assert workflow.state.instances[instance.id].events == before
    assert workflow.act(person(workflow, "li.na"), owed["head"].id, "approve").data["total"] == 12000


def test_a_signer_added_after_a_post_hoc_approver_gets_a_post_hoc_task_with_the_same_due_date(wf):
    instance = urgent_start(wf, lines=(100,))
    head = post_hoc(wf, instance)["head"]
    wf.add_signer(person(wf, "li.na"), head.id, "wang.fang", "after")
    wf.act(person(wf, "li.na"), head.id, "approve")
    (following,) = [t for t in tasks_of(wf, instance) if t.status is TaskStatus.OPEN and t.post_hoc]
    assert (following.assignee, following.due) == ("wang.fang", head.due)
    assert wf.state.instances[instance.id].post_hoc_open == 1
    assert wf.act(person(wf, "wang.fang"), following.id, "approve").post_hoc_open == 0


def test_withdrawing_before_anyone_acted_closes_the_post_hoc_tasks_too(wf):
    instance = urgent_start(wf)
    gone = wf.withdraw(person(wf, "zhang.wei"), instance.id)
    assert (gone.status, gone.post_hoc_open) == (InstanceStatus.WITHDRAWN, 0)


def test_state_rebuilt_from_the_log_equals_the_state_before(wf):
    first, second = urgent_start(wf), urgent_start(wf, lines=(100,))
    (pay,) = open_main(wf, first)
    wf.act(person(wf, "sun.li"), next(t.id for t in tasks_of(wf, first) if t.step == pay[0]), "complete")
    wf.act(person(wf, "chen.gang"), post_hoc(wf, first)["vp"].id, "reject", "Too costly")
    wf.act(person(wf, "li.na"), post_hoc(wf, second)["head"].id, "approve")
    reopened = Workflow(wf.repo, default_evaluator())
    assert reopened.state.instances == wf.state.instances
    assert reopened.state.tasks == wf.state.tasks
    assert reopened.state.open_by_assignee == wf.state.open_by_assignee


def test_the_report_lists_open_post_hoc_approvals_overdue_first(wf):
    first = urgent_start(wf)
    wf.engine.now = FakeClock(datetime(2026, 3, 11, 1, 0, tzinfo=UTC))  # past the first one's due date
    second = urgent_start(wf, lines=(100,))
    wf.act(person(wf, "chen.gang"), post_hoc(wf, first)["vp"].id, "approve")
    rows = wf.post_hoc_report(person(wf, "admin"))
    assert [(r.instance.id, r.task.step, r.task.assignee, r.overdue) for r in rows] == [
        (first.id, "head", "li.na", True), (second.id, "head", "li.na", False)]
    with pytest.raises(Forbidden):
        wf.post_hoc_report(person(wf, "zhang.wei"))


# ------------------------------------------------------------------ API and pages


@pytest.fixture
def client(demo_bundle):
    with TestClient(create_app(Settings(demo=True), MemoryRepository()), follow_redirects=False) as c:
        c.app.state.workflow.import_bundle(INSTALLER, bundle(demo_bundle))
        c.app.state.workflow.engine.now = FakeClock(FRIDAY_5PM_SHANGHAI)
        yield c


def test_the_api_starts_urgently_and_refuses_with_422_at_urgent(client):
    staff = bearer(client, "zhang.wei")
    for process, urgent in (("expense", {"reason": "Now"}), ("rush", {"reason": ""})):
        r = client.post("/api/instances", json={"process": process, "data": claim([100]), "urgent": urgent},
                        headers=staff)
        assert r.status_code == 422 and set(r.json()["errors"]) == {"urgent"}
    assert client.app.state.workflow.state.instances == {}
    r = client.post("/api/instances", json={"process": "rush", "data": claim([9000]),
                                            "urgent": {"reason": "Customer waiting"}}, headers=staff)
    assert r.status_code == 201
    body = r.json()
    assert body["urgent"] == {"reason": "Customer waiting", "post_hoc_open": 2, "post_hoc_refused": False}
    assert sorted((t["step"], t.get("post_hoc", False), "due" in t) for t in body["tasks"]) == [
        ("head", True, True), ("pay", False, False), ("vp", True, True)]
    head = bearer(client, "li.na")
    (owed,) = client.get("/api/tasks", headers=head).json()
    assert owed["post_hoc"] is True and owed["due"] == "2026-03-10T09:00:01.000Z"
    report = client.get("/api/reports/post-hoc", headers=bearer(client, "admin"))
    assert report.status_code == 200
    assert [(row["instance"], row["step"], row["assignee"], row["overdue"]) for row in report.json()] == [
        (body["id"], "head", "li.na", False), (body["id"], "vp", "chen.gang", False)]
    assert client.get("/api/reports/post-hoc", headers=staff).status_code == 403


def sign_in(client, username):
    client.cookies.clear()
    return signed_in(client, username)


def rush_form(csrf, **extra):
    return {"csrf_token": csrf, "category": "travel", "reason": "Client visit", "items-0-description": "Train",
            "items-0-invoice_no": "A1", "items-0-amount": "7000", **extra}


def test_the_pages_offer_the_channel_show_the_mark_and_the_report(client):
    en = {"Accept-Language": "en"}
    csrf = sign_in(client, "zhang.wei")
    assert 'id="urgent"' in client.get("/start/rush", headers=en).text
    assert 'id="urgent"' not in client.get("/start/expense", headers=en).text
    blank = client.post("/start/rush", data=rush_form(csrf, _urgent="1", _urgent_reason=" "),
                        headers={**en, "HX-Request": "true"})
    assert blank.status_code == 422 and 'id="error-urgent"' in blank.text
    assert client.app.state.workflow.state.instances == {}
    r = client.post("/start/rush", data=rush_form(csrf, _urgent="1", _urgent_reason="Customer waiting"))
    assert r.status_code == 303
    page = client.get(r.headers["location"], headers=en).text
    assert 'id="green-channel"' in page and "Customer waiting" in page
    assert page.count('class="post-hoc-row') == 2 and "2 post-hoc approvals open" in page
    assert client.get("/reports/post-hoc", headers=en).status_code == 403
    sign_in(client, "admin")
    report = client.get("/reports/post-hoc", headers=en)
    assert report.status_code == 200 and report.text.count('class="report-row') == 2
    zh = client.get("/reports/post-hoc", headers={"Accept-Language": "zh-CN"}).text
    assert "事后补批" in zh


def test_a_post_hoc_approval_still_falls_overdue_after_the_request_completed(workflow):
    from datetime import timedelta

    from tests.runtime.flows import approval, open_tasks, publish, task

    publish(workflow, "urg", approval("head", "li.na"), task("pay", "sun.li"),
            urgent={"allowed": True, "execution": "pay", "deadline": {"amount": 1, "unit": "days"}})
    instance = workflow.start(workflow.org.user("zhang.wei"), "urg", claim([100]), urgent={"reason": "Fire"}).id
    pay = next(t for t in open_tasks(workflow, instance) if t.step == "pay")
    workflow.act(workflow.org.user("sun.li"), pay.id, "complete")
    assert workflow.state.instances[instance].status is InstanceStatus.COMPLETED
    workflow.engine.now.now += timedelta(days=5)
    workflow.escalate_due()
    (post_hoc,) = open_tasks(workflow, instance)
    assert post_hoc.post_hoc and post_hoc.overdue_at


def test_the_request_page_marks_a_post_hoc_approval_once_it_is_overdue():
    from datetime import timedelta

    from tests.runtime.flows import approval, publish, task
    from tests.runtime.test_pages import sign_in

    app = create_app(Settings(demo=True, escalate_every=0), MemoryRepository())
    with TestClient(app, follow_redirects=False) as web:
        wf = app.state.workflow
        wf.engine.now = FakeClock()
        publish(wf, "urg", approval("head", "li.na"), task("pay", "sun.li"),
                urgent={"allowed": True, "execution": "pay", "deadline": {"amount": 1, "unit": "days"}})
        instance = wf.start(wf.org.user("zhang.wei"), "urg", claim([100]), urgent={"reason": "Fire"}).id
        sign_in(web, "zhang.wei")
        assert "overdue-mark" not in web.get(f"/instances/{instance}").text
        wf.engine.now.now += timedelta(days=5)
        assert "overdue-mark" in web.get(f"/instances/{instance}").text

"""Per-step field permissions: hidden at the start (not asked, not required), filled in or
corrected where editable (the change recorded as a diff), refused where not, hidden from whoever
may not see it, and decided on by the branches that come after."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from rules.evaluation import default_evaluator
from runtime.app import create_app
from runtime.errors import ValidationFailed
from runtime.service import Workflow
from runtime.settings import Settings
from runtime.setup import INSTALLER, open_workflow
from runtime.state import InstanceStatus, TaskStatus
from runtime.store.repository import FileRepository, MemoryRepository
from runtime.visibility import redact_events, visible_fields
from tests.support import FakeClock, bearer

FORM = {
    "key": "offer-form", "version": 1, "title": "Job offer",
    "fields": [
        {"key": "candidate", "type": "text", "label": "Candidate", "required": True},
        {"key": "salary", "type": "money", "label": "Monthly salary", "required": True},
        {"key": "costs", "type": "table", "label": "Relocation costs", "min_rows": 1, "columns": [
            {"key": "what", "type": "text", "label": "What", "required": True},
            {"key": "amount", "type": "money", "label": "Amount", "required": True}]},
        {"key": "total", "type": "money", "label": "Total costs", "computed": "sum(costs.amount)"},
    ],
}
# HR sets the salary nobody asked the submitter for; finance may correct a cost line; a high
# salary goes to the GM; the cashier onboards the hire without seeing the salary.
FLOW = {
    "key": "offer", "version": 1, "title": "Job offer", "form": "offer-form",
    "start_fields": {"salary": "hidden"},
    "steps": [
        {"id": "hr", "kind": "task", "title": "HR sets the salary", "assignee": {"kind": "role", "role": "hr"},
         "fields": {"salary": "editable"}},
        {"id": "finance", "kind": "approval", "title": "Finance", "assignee": {"kind": "role", "role": "finance"},
         "fields": {"costs": "editable"}},
        {"id": "level", "kind": "branch", "branches": [
            {"when": {"$gt": {"salary": 20000}}, "label": "High salary", "steps": [
                {"id": "gm", "kind": "approval", "title": "GM", "assignee": {"kind": "role", "role": "gm"}}]}],
         "else": []},
        {"id": "onboard", "kind": "task", "title": "Onboard", "assignee": {"kind": "role", "role": "cashier"},
         "fields": {"salary": "hidden"}},
    ],
}
BUNDLE = {"format": 1, "flow": FLOW, "form": FORM, "rulesets": []}
OFFER = {"candidate": "Ada", "costs": [{"what": "Train", "amount": 300}, {"what": "Hotel", "amount": 900}]}


def publish(wf: Workflow) -> Workflow:
    wf.import_bundle(INSTALLER, BUNDLE)
    return wf


@pytest.fixture
def wf(workflow):
    return publish(workflow)


def user(wf, name):
    return wf.org.user(name)


def open_task(wf, instance_id):
    (task,) = [t for t in (wf.state.tasks[i] for i in wf.state.instances[instance_id].task_ids)
               if t.status is TaskStatus.OPEN]
    return task


def started(wf):
    return wf.start(user(wf, "zhang.wei"), "offer", OFFER).id


def through_hr(wf, salary=18000):
    instance = started(wf)
    wf.act(user(wf, "wu.qiang"), open_task(wf, instance).id, "complete", data={"salary": salary})
    return instance


def test_hidden_at_the_start_is_neither_asked_nor_required(wf):
    instance = wf.state.instances[started(wf)]
    assert "salary" not in instance.data and instance.data["total"] == 1200
    with pytest.raises(ValidationFailed) as refused:
        wf.start(user(wf, "zhang.wei"), "offer", {**OFFER, "salary": 99999})
    assert refused.value.errors == {"salary": "cannot be filled in here"}


def test_editable_at_a_step_becomes_required_and_the_change_is_recorded(wf):
    instance = started(wf)
    task = open_task(wf, instance)
    with pytest.raises(ValidationFailed) as missing:
        wf.act(user(wf, "wu.qiang"), task.id, "complete")
    assert missing.value.errors == {"salary": "required"}
    wf.act(user(wf, "wu.qiang"), task.id, "complete", data={"salary": "18,000"})
    record = wf.state.instances[instance]
    assert record.data["salary"] == 18000
    (done,) = [e for e in record.events if e["action"] == "complete"]
    assert done["changes"] == {"salary": {"from": None, "to": 18000}}


def test_finance_corrects_a_line_and_the_total_follows(wf):
    instance = through_hr(wf)
    before = wf.state.instances[instance].data
    lines = [{"what": "Train", "amount": 300}, {"what": "Hotel", "amount": 850}]
    wf.act(user(wf, "zhao.min"), open_task(wf, instance).id, "approve", data={"costs": lines})
    after = wf.state.instances[instance]
    assert after.data["costs"] == lines and after.data["total"] == 1150
    (approved,) = [e for e in after.events if e["action"] == "approve"]
    assert approved["changes"] == {"costs": {"from": before["costs"], "to": lines},
                                   "total": {"from": 1200, "to": 1150}}


def test_changing_a_field_not_editable_here_is_refused_and_changes_nothing(wf):
    instance = through_hr(wf)
    task = open_task(wf, instance)
    before = wf.state.instances[instance]
    for edits in ({"salary": 1}, {"candidate": "Bob"}, {"total": 5}):
        with pytest.raises(ValidationFailed) as refused:
            wf.act(user(wf, "zhao.min"), task.id, "approve", data=edits)
        assert refused.value.errors == {next(iter(edits)): "cannot be changed here"}
    with pytest.raises(ValidationFailed, match="data"):
        wf.act(user(wf, "zhao.min"), task.id, "reject", "no", data={"costs": []})
    assert wf.state.instances[instance] is before
    assert wf.state.tasks[task.id].status is TaskStatus.OPEN


@pytest.mark.parametrize("salary, next_step", [(25000, "gm"), (18000, "onboard")])
def test_a_later_branch_decides_on_the_edited_value(wf, salary, next_step):
    instance = through_hr(wf, salary)
    wf.act(user(wf, "zhao.min"), open_task(wf, instance).id, "approve")
    assert open_task(wf, instance).step == next_step
    (decided,) = [e for e in wf.state.instances[instance].events if e["action"] == "decide"]
    assert decided["inputs"] == {"salary": salary}


def test_resubmission_keeps_what_the_start_may_not_touch(wf):
    instance = through_hr(wf)
    wf.send_back(user(wf, "zhao.min"), open_task(wf, instance).id, "submitter", "Name the hotel")
    with pytest.raises(ValidationFailed, match="salary"):
        wf.resubmit(user(wf, "zhang.wei"), instance, {**OFFER, "salary": 1})
    fixed = {**OFFER, "costs": [{"what": "Hotel Astoria", "amount": 900}]}
    again = wf.resubmit(user(wf, "zhang.wei"), instance, fixed)
    assert again.status is InstanceStatus.RUNNING
    assert again.data["salary"] == 18000 and again.data["total"] == 900


def _visible_data(flow, form, steps, is_submitter, data):
    shown = visible_fields(flow, form, steps, is_submitter)
    return {k: v for k, v in data.items() if k in shown}


def test_visible_data_is_by_involvement():
    from builder.flows import Flow
    from builder.forms import Form

    flow, form = Flow.from_dict(FLOW), Form.from_dict(FORM)
    data = {"candidate": "Ada", "salary": 18000, "costs": [], "total": 0}
    assert _visible_data(flow, form, {"onboard"}, False, data) == {"candidate": "Ada", "costs": [], "total": 0}
    assert _visible_data(flow, form, (), True, data) == {"candidate": "Ada", "costs": [], "total": 0}
    assert _visible_data(flow, form, {"onboard", "hr"}, False, data) == data  # any involvement that shows it
    assert _visible_data(flow, form, {"finance"}, False, data) == data
    assert _visible_data(flow, form, (), False, data) == {}
    assert _visible_data(flow, form, {"no-such-step"}, False, data) == {}
    events = ({"action": "complete", "changes": {"salary": {"from": None, "to": 1}}},
              {"action": "decide", "inputs": {"salary": 1, "costs.amount.sum": 2}})
    readable = Flow.from_dict({**FLOW, "start_fields": {"salary": "readonly"}})
    assert _visible_data(readable, form, (), True, data) == data  # not asked at the start, read afterwards
    assert redact_events(events, frozenset({"salary"})) == ({"action": "complete"},
                                                            {"action": "decide", "inputs": {"costs.amount.sum": 2}})


@pytest.fixture
def client():
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as test_client:
        publish(test_client.app.state.workflow)
        yield test_client


def test_the_api_hides_a_field_from_the_assignee_of_a_step_that_hides_it(client):
    staff, hr, finance, cashier, auditor = (bearer(client, u) for u in
                                            ("zhang.wei", "wu.qiang", "zhao.min", "sun.li", "admin"))
    r = client.post("/api/instances", json={"process": "offer", "data": {**OFFER, "salary": 5}}, headers=staff)
    assert r.status_code == 422 and r.json()["errors"] == {"salary": "cannot be filled in here"}
    one = client.post("/api/instances", json={"process": "offer", "data": OFFER}, headers=staff).json()
    hr_task = one["tasks"][0]["id"]
    r = client.post(f"/api/tasks/{hr_task}/complete", json={"data": {"candidate": "Bob"}}, headers=hr)
    assert r.status_code == 422 and r.json()["errors"] == {"candidate": "cannot be changed here"}
    r = client.post(f"/api/tasks/{hr_task}/complete", json={"data": ["salary"]}, headers=hr)
    assert r.status_code == 422 and "data" in r.json()["errors"]
    r = client.post(f"/api/tasks/{hr_task}/complete", json={"data": {"salary": 18000}}, headers=hr)
    assert r.status_code == 200
    finance_task = client.get("/api/tasks", headers=finance).json()[0]["id"]
    assert client.post(f"/api/tasks/{finance_task}/approve", json={}, headers=finance).status_code == 200

    def seen_by(headers):
        body = client.get(f"/api/instances/{one['id']}", headers=headers).json()
        return body, str(body["events"])

    body, events = seen_by(cashier)  # their only involvement: the open onboarding task
    assert body["tasks"][-1]["step"] == "onboard" and "salary" not in body["data"] and "salary" not in events
    assert body["data"]["candidate"] == "Ada"
    body, events = seen_by(staff)  # hidden at the start
    assert "salary" not in body["data"] and "salary" not in events
    for headers in (hr, finance, auditor):
        body, events = seen_by(headers)
        assert body["data"]["salary"] == 18000 and "salary" in events
    page = client.get(f"/tasks/{body['tasks'][-1]['id']}", headers=cashier).text
    assert "Monthly salary" not in page and "18,000" not in page and "Relocation costs" in page


def test_the_task_page_puts_editable_fields_in_the_action_form(client):
    staff, hr = bearer(client, "zhang.wei"), bearer(client, "wu.qiang")
    start = client.get("/start/offer", headers=staff).text
    assert 'name="candidate"' in start and 'name="salary"' not in start
    one = client.post("/api/instances", json={"process": "offer", "data": OFFER}, headers=staff).json()
    task = one["tasks"][0]["id"]
    page = client.get(f"/tasks/{task}", headers=hr).text
    form = page[page.index('id="complete-form"'):page.index("</form>", page.index('id="complete-form"'))]
    assert 'name="data.salary"' in form and 'name="data.candidate"' not in form
    assert 'id="data-candidate"' in page and 'id="data-salary"' not in page  # read-only shown as a value
    client.cookies.set("formflow_lang", "en")
    preview = client.post(f"/tasks/{task}/preview", data={"data.salary": "abc"}, headers=hr)
    assert preview.status_code == 422 and "must be an amount of money" in preview.text


def test_save_and_reload_give_the_same_state(tmp_path):
    repo = FileRepository(tmp_path / "data")
    try:
        wf = publish(open_workflow(repo, demo=True))
        wf.engine.now = FakeClock()
        instance = through_hr(wf, 25000)
        wf.act(user(wf, "zhao.min"), open_task(wf, instance).id, "approve",
               data={"costs": [{"what": "Train", "amount": 280}]})
        again = Workflow(repo, default_evaluator())
        assert again.state.instances == wf.state.instances and again.state.tasks == wf.state.tasks
        assert again.state.instances[instance].data["total"] == 280
        assert open_task(again, instance).step == "gm"
    finally:
        repo.close()

"""Errors and notes on the task and request pages written for people (issue 11 item 2): local
times, people's names, step titles and option labels, never stamps, usernames, ids or codes; the
API keeps its English sentence as it was. Who returned a request, when and why, and who urged a
task on, shown where the person acts."""
from __future__ import annotations

import html

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.test_route_and_progress import ORDER
from tests.runtime.test_pages import HX, expense_form
from tests.support import FakeClock, bearer, signed_in


USERS = ("zhang.wei", "li.na", "zhao.min", "liu.yang", "he.ming")


@pytest.fixture
def app():
    """The demo app, with a signed-in client (reading English) for each of USERS, entered first:
    each client's start opens the workflow anew, so the clock is set once they all are."""
    app = create_app(Settings(demo=True), MemoryRepository())
    clients = {u: TestClient(app, follow_redirects=False).__enter__() for u in USERS}
    app.clients = {}
    for username, client in clients.items():
        client.cookies.set("formflow_lang", "en")
        app.clients[username] = (client, signed_in(client, username))
    app.state.workflow.engine.now = FakeClock()
    yield app
    for client, _ in app.clients.values():
        client.__exit__(None, None, None)


def client_of(app, username: str) -> tuple[TestClient, str]:
    return app.clients[username]


@pytest.fixture
def claim(app):
    """zhang.wei's claim filed on the page at 09:00 UTC (17:00 in Shanghai); the request and its task."""
    staff, csrf = client_of(app, "zhang.wei")
    url = staff.post("/start/expense", data=expense_form(csrf), headers=HX).headers["HX-Redirect"].split("?")[0]
    instance = app.state.workflow.state.instances[url.rsplit("/", 1)[1]]
    return instance, instance.task_ids[-1]


def flashed(response) -> str:
    assert response.headers.get("HX-Retarget") == "#flash", response.text
    return response.context["error"]


def test_an_urge_too_soon_says_when_in_local_time(app, claim):
    instance, task_id = claim
    staff, csrf = client_of(app, "zhang.wei")
    assert staff.post(f"/tasks/{task_id}/urge", data={"csrf_token": csrf}, headers=HX).status_code == 200
    again = staff.post(f"/tasks/{task_id}/urge", data={"csrf_token": csrf}, headers=HX)
    assert again.status_code == 409
    message = flashed(again)
    assert message.startswith("this task was urged at 2026-03-02 17:00;") and "T09:" not in message
    api = staff.post(f"/api/tasks/{task_id}/urge", json={}, headers=bearer(staff, "zhang.wei"))
    assert api.status_code == 409 and "2026-03-02T09:00:" in api.json()["error"]  # the API: as it was


def test_a_stale_page_and_a_task_already_done_are_sentences(app, claim):
    _, task_id = claim
    head, csrf = client_of(app, "li.na")
    stale = head.post(f"/tasks/{task_id}/approve", data={"csrf_token": csrf, "version": "0"}, headers=HX)
    assert flashed(stale) == ("This task has changed since you opened it: someone acted on it in the meantime. "
                              "Reload the page to see it as it is now, then try again.")
    assert head.post(f"/tasks/{task_id}/approve", data={"csrf_token": csrf}, headers=HX).status_code == 200
    again = head.post(f"/tasks/{task_id}/approve", data={"csrf_token": csrf}, headers=HX)
    assert flashed(again) == "You cannot approve now: this task is approved."


def test_refusals_at_a_step_name_people_and_steps(app, claim):
    _, task_id = claim
    head, csrf = client_of(app, "li.na")
    r = head.post(f"/tasks/{task_id}/add-signer", data={"csrf_token": csrf, "user": "zhang.wei", "position": "after"},
                  headers=HX)
    assert r.status_code == 422
    assert r.context["errors"]["user"] == "Zhang Wei cannot be added: already on this step or filed the request"
    app.state.workflow.act(app.state.workflow.org.user("li.na"), task_id, "approve")
    finance_task = app.state.workflow.state.instances[claim[0].id].task_ids[-1]
    finance, csrf = client_of(app, "zhao.min")
    r = finance.post(f"/tasks/{finance_task}/return", data={"csrf_token": csrf, "to": "nowhere", "reason": "?"},
                     headers=HX)
    assert r.context["errors"]["to"] == 'cannot return to "nowhere": one of the submitter, Department head review'


def test_a_rejection_code_error_lists_the_labels(app):
    workflow = app.state.workflow
    instance = workflow.start(workflow.org.user("liu.yang"), "order-review", ORDER)
    tech = next(workflow.state.tasks[t] for t in instance.task_ids if workflow.state.tasks[t].step == "tech_review")
    reviewer, csrf = client_of(app, tech.assignee)
    r = reviewer.post(f"/tasks/{tech.id}/reject", data={"csrf_token": csrf, "reason": "No", "code": "zzz"}, headers=HX)
    assert r.status_code == 422
    assert r.context["errors"]["code"].startswith("choose one of: Delivery date cannot be met, Technical requirements")
    assert "delivery," not in r.context["errors"]["code"]


def test_the_returned_step_and_the_submitter_see_who_returned_it_when_and_why(app, claim):
    instance, task_id = claim
    workflow = app.state.workflow
    workflow.act(workflow.org.user("li.na"), task_id, "approve")
    finance_task = workflow.state.instances[instance.id].task_ids[-1]
    workflow.send_back(workflow.org.user("zhao.min"), finance_task, "dept_head", "Which project is this for?")
    back_at_head = workflow.state.instances[instance.id].task_ids[-1]
    head, _ = client_of(app, "li.na")
    note = head.get(f"/tasks/{back_at_head}").context["returned_note"]
    assert (note["who"], note["reason"], note["step"]) == ("zhao.min", "Which project is this for?", "finance")
    page = html.unescape(head.get(f"/tasks/{back_at_head}").text)
    assert "Returned by Zhao Min on 2026-03-02 17:00." in page and "What needs fixing: Which project" in page
    workflow.act(workflow.org.user("li.na"), back_at_head, "approve")
    finance_again = workflow.state.instances[instance.id].task_ids[-1]
    workflow.send_back(workflow.org.user("zhao.min"), finance_again, "submitter", "Invoice 2 is a copy")
    staff, _ = client_of(app, "zhang.wei")
    assert staff.get(f"/instances/{instance.id}").context["returned_note"]["reason"] == "Invoice 2 is a copy"
    resubmit = staff.get(f"/instances/{instance.id}/resubmit")
    assert resubmit.context["returned"]["who"] == "zhao.min"
    assert head.get(f"/tasks/{back_at_head}").context["returned_note"] is None  # done with: no longer shown


def test_the_person_urged_sees_who_urged_and_when(app, claim):
    instance, task_id = claim
    head, _ = client_of(app, "li.na")
    assert head.get(f"/tasks/{task_id}").context["urged_note"] is None
    app.state.workflow.urge(app.state.workflow.org.user("zhang.wei"), task_id)
    page = head.get(f"/tasks/{task_id}")
    assert page.context["urged_note"]["who"] == "zhang.wei"
    assert "Urged by Zhang Wei at 2026-03-02 17:00" in html.unescape(page.text)

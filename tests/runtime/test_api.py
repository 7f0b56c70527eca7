"""The JSON API through Starlette's TestClient: every route, with its 401/403/404/409/422 cases."""
from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.support import DEMO, claim


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as c:
        yield c


_tokens: dict[str, str] = {}


def auth(client: TestClient, username: str) -> dict[str, str]:
    if username not in _tokens:
        r = client.post("/api/login", json={"username": username, "password": "demo"})
        assert r.status_code == 200, r.text
        _tokens[username] = r.json()["token"]
    return {"Authorization": f"Bearer {_tokens[username]}"}


def start(client: TestClient, who: str, lines: list[float]) -> dict:
    r = client.post("/api/instances", json={"process": "expense", "data": claim(lines)}, headers=auth(client, who))
    assert r.status_code == 201, r.text
    return r.json()


def test_login_refuses_a_wrong_password_without_saying_which_part_was_wrong(client):
    wrong_password = client.post("/api/login", json={"username": "li.na", "password": "nope"})
    wrong_user = client.post("/api/login", json={"username": "nobody", "password": "demo"})
    assert wrong_password.status_code == wrong_user.status_code == 401
    assert wrong_password.json() == wrong_user.json() == {"error": "wrong username or password"}


def test_every_call_needs_a_token(client):
    assert client.get("/api/tasks").status_code == 401
    assert client.get("/api/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_processes_lists_the_published_expense_process(client):
    r = client.get("/api/processes", headers=auth(client, "zhang.wei"))
    assert r.status_code == 200
    assert {"key": "expense", "version": 1, "title": "Expense reimbursement", "form": "expense-claim"} in r.json()


def test_start_returns_the_instance_and_its_first_task(client):
    body = start(client, "zhang.wei", [8000, 4000])
    assert body["status"] == "running"
    assert [(t["step"], t["assignee"]) for t in body["tasks"]] == [("dept_head", "li.na")]
    assert set(body["tasks"][0]) == {"id", "step", "assignee"}


def test_start_with_bad_data_is_422_with_field_errors(client):
    data = claim([1])
    data["items"][0]["amount"] = "twelve"
    data["colour"] = "red"
    r = client.post("/api/instances", json={"process": "expense", "data": data}, headers=auth(client, "zhang.wei"))
    assert r.status_code == 422
    assert {"items[0].amount", "colour"} <= set(r.json()["errors"])


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"process": "expense", "data": {"total": NaN}}'])
def test_a_malformed_body_is_400(client, body):
    r = client.post("/api/instances", content=body, headers=auth(client, "zhang.wei"))
    assert r.status_code == 400 and "JSON" in r.json()["error"]


def test_an_unknown_process_is_404(client):
    r = client.post("/api/instances", json={"process": "nope", "data": {}}, headers=auth(client, "zhang.wei"))
    assert r.status_code == 404


def test_the_whole_chain_over_the_api(client):
    instance = start(client, "zhang.wei", [8000, 4000])
    for who, action in [("li.na", "approve"), ("zhao.min", "approve"), ("chen.gang", "approve"), ("sun.li", "complete")]:
        mine = client.get("/api/tasks", headers=auth(client, who)).json()
        (task,) = [t for t in mine if t["instance"] == instance["id"]]
        assert set(task) == {"id", "instance", "process", "step", "assignee", "created", "due", "overdue"}
        r = client.post(f"/api/tasks/{task['id']}/{action}", json={"comment": f"ok from {who}"}, headers=auth(client, who))
        assert r.status_code == 200, r.text
    full = client.get(f"/api/instances/{instance['id']}", headers=auth(client, "zhang.wei")).json()
    assert full["status"] == "completed" and full["process"] == "expense"
    assert full["data"]["total"] == 12000
    actions = [e["action"] for e in full["events"]]
    assert actions == ["start", "task", "approve", "task", "approve", "decide", "task", "approve", "task",
                       "complete", "finish"]
    for e in full["events"]:
        assert {"seq", "at", "actor", "action"} <= set(e)
    decide = full["events"][actions.index("decide")]
    assert (decide["ruleset"], decide["ruleset_version"], decide["fired"]) == ("expense-approval-tier", 1, [2])


def test_reject_needs_a_reason_only_the_assignee_acts_and_a_second_act_conflicts(client):
    instance = start(client, "liu.yang", [300])
    task_id = instance["tasks"][0]["id"]
    assert instance["tasks"][0]["assignee"] == "wang.fang"
    url = f"/api/tasks/{task_id}"
    assert client.post(url + "/reject", json={}, headers=auth(client, "wang.fang")).status_code == 422
    assert client.post(url + "/reject", json={"reason": 5}, headers=auth(client, "wang.fang")).status_code == 422
    assert client.post(url + "/approve", json={}, headers=auth(client, "li.na")).status_code == 403
    assert client.post(url + "/approve", json={}, headers=auth(client, "liu.yang")).status_code == 403
    r = client.post(url + "/reject", json={"reason": "Not a business expense"}, headers=auth(client, "wang.fang"))
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    again = client.post(url + "/approve", json={}, headers=auth(client, "wang.fang"))
    assert again.status_code == 409 and "rejected" in again.json()["error"]
    assert client.post("/api/tasks/nope/approve", json={}, headers=auth(client, "wang.fang")).status_code == 404


def test_instances_are_readable_only_by_those_involved(client):
    instance = start(client, "liu.yang", [300])
    url = f"/api/instances/{instance['id']}"
    assert client.get(url, headers=auth(client, "liu.yang")).status_code == 200
    assert client.get(url, headers=auth(client, "wang.fang")).status_code == 200
    assert client.get(url, headers=auth(client, "zhang.wei")).status_code == 403
    assert client.get(url, headers=auth(client, "admin")).status_code == 200
    assert client.get("/api/instances/missing", headers=auth(client, "liu.yang")).status_code == 404


def test_export_import_export_is_byte_identical(client):
    first = client.get("/api/flows/expense/export", headers=auth(client, "admin"))
    assert first.status_code == 200
    assert first.text == (DEMO / "processes" / "expense.json").read_text(encoding="utf-8")
    r = client.post("/api/flows/import", content=first.content, headers=auth(client, "admin"))
    assert r.status_code == 201 and r.json() == {"key": "expense", "version": 1}
    assert client.get("/api/flows/expense/export", headers=auth(client, "admin")).content == first.content


def test_import_needs_the_designer_role_and_reports_every_problem(client):
    bundle = json.loads((DEMO / "processes" / "expense.json").read_text(encoding="utf-8"))
    assert client.post("/api/flows/import", json=bundle, headers=auth(client, "zhang.wei")).status_code == 403
    broken = copy.deepcopy(bundle)
    broken["flow"]["steps"][1]["assignee"]["role"] = "cfo"
    broken["form"]["fields"][0]["type"] = "colour"
    r = client.post("/api/flows/import", json=broken, headers=auth(client, "admin"))
    assert r.status_code == 422
    paths = {p["path"]: p["message"] for p in r.json()["problems"]}
    assert paths["flow.steps[1].assignee.role"] == 'unknown role "cfo"'
    assert "form.fields[0].type" in paths
    assert client.get("/api/flows/expense/export", headers=auth(client, "admin")).json()["flow"]["version"] == 1


def test_logout_ends_the_token(client):
    r = client.post("/api/login", json={"username": "yang.hua", "password": "demo"})
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/api/tasks", headers=headers).status_code == 200
    assert client.post("/api/logout", headers=headers).status_code == 204
    assert client.get("/api/tasks", headers=headers).status_code == 401


def test_text_json_cannot_store_cannot_half_import(client):
    bundle = json.loads((DEMO / "processes" / "expense.json").read_text(encoding="utf-8"))
    bundle["rulesets"][0]["rows"][1]["when"] = {"$gt": {"total": 7000}}
    bundle["flow"]["description"] = "\ud800"
    body = json.dumps(bundle).encode()  # the lone surrogate travels as the escape \ud800
    r = client.post("/api/flows/import", content=body, headers={**auth(client, "admin"), "content-type": "application/json"})
    assert r.status_code == 400
    exported = client.get("/api/flows/expense/export", headers=auth(client, "admin")).json()
    assert exported["rulesets"][0]["rows"][1]["when"] == {"$gt": {"total": 5000}}


def test_deeply_nested_json_is_a_400_not_a_crash(client):
    body = b'{"username":' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert client.post("/api/login", content=body).status_code == 400


def test_request_ids_make_retries_safe_and_versions_catch_stale_actions(client):
    staff = auth(client, "liu.yang")
    body = {"process": "expense", "data": claim([450]), "request_id": "retry-me"}
    first = client.post("/api/instances", json=body, headers=staff).json()
    again = client.post("/api/instances", json=body, headers=staff)
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    task = client.get(f"/api/instances/{first['id']}", headers=staff).json()["tasks"][0]
    url = f"/api/tasks/{task['id']}/approve"
    stale = client.post(url, json={"version": task["version"] + 1}, headers=auth(client, "wang.fang"))
    assert stale.status_code == 409 and "changed since you opened it" in stale.json()["error"]
    assert client.post(url, json={"version": "one"}, headers=auth(client, "wang.fang")).status_code == 422
    ok = client.post(url, json={"version": task["version"]}, headers=auth(client, "wang.fang"))
    assert ok.status_code == 200

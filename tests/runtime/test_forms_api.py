"""The forms API through HTTP: shapes and statuses outside scripts rely on, designer/admin only,
and requests pinned to the form version they started with."""
from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.support import bearer, definitions_copy, demo_with_auditor

URL = "/api/forms/expense-claim"
LEAVE = {"key": "leave", "version": 1, "title": {"en": "Leave", "zh_CN": "请假"},
         "fields": [{"key": "days", "type": "number", "label": {"en": "Days", "zh_CN": "天数"}, "required": True}]}


@pytest.fixture(scope="module")
def seeded() -> MemoryRepository:
    """The demo plus an auditor, built once; each test gets its own copy."""
    return demo_with_auditor()


@pytest.fixture
def client(seeded) -> Iterator[TestClient]:
    repo = definitions_copy(seeded)
    with TestClient(create_app(Settings(), repo)) as c:
        yield c


@pytest.fixture
def admin(client) -> dict[str, str]:
    return bearer(client, "admin")


def test_staff_and_auditors_are_refused_everywhere(client):
    calls = [("get", "/api/forms", None), ("get", URL, None), ("put", URL, LEAVE),
             ("put", "/api/forms/leave", LEAVE), ("post", URL + "/undo", None), ("post", URL + "/redo", None),
             ("post", URL + "/publish", {"note": "x"}), ("get", URL + "/versions", None),
             ("delete", URL + "/draft", None)]
    for name in ("zhang.wei", "audit.gu"):
        headers = bearer(client, name)
        for method, url, body in calls:
            kwargs = {"json": body} if body is not None else {}
            r = client.request(method.upper(), url, headers=headers, **kwargs)
            assert r.status_code == 403, (name, method, url, r.status_code)
    assert client.get("/api/forms/leave", headers=bearer(client, "admin")).status_code == 404  # nothing was made


def test_the_list_and_the_draft(client, admin):
    forms = {f["key"]: f for f in client.get("/api/forms", headers=admin).json()}
    assert forms["expense-claim"] == {"key": "expense-claim", "title": {"en": "Expense claim", "zh_CN": "费用报销单"},
                                      "version": 1, "draft": False, "used_by": ["expense"]}
    draft = client.get(URL, headers=admin).json()
    assert draft["key"] == "expense-claim" and draft["version"] == 2 and "category" in [f["key"] for f in draft["fields"]]
    assert client.get("/api/forms/nothing", headers=admin).status_code == 404


def test_an_invalid_put_is_a_422_with_paths_and_saves_nothing(client, admin):
    draft = client.get(URL, headers=admin).json()
    broken = copy.deepcopy(draft)
    broken["fields"][0]["type"] = "dropdown"
    r = client.put(URL, json=broken, headers=admin)
    assert r.status_code == 422
    assert "fields[0].type" in r.json()["errors"] and "dropdown" in r.json()["errors"]["fields[0].type"]
    assert client.get(URL, headers=admin).json() == draft
    assert client.put(URL, content=b"[1]", headers=admin).status_code == 400


def test_put_undo_redo_publish_versions(client, admin):
    draft = client.get(URL, headers=admin).json()
    changed = copy.deepcopy(draft)
    next(f for f in changed["fields"] if f["key"] == "category")["options"].append({"value": "training", "label": {"en": "Training", "zh_CN": "培训"}})
    saved = client.put(URL, json=changed, headers=admin)
    assert saved.status_code == 200 and saved.json() == changed
    assert {f["key"]: f for f in client.get("/api/forms", headers=admin).json()}["expense-claim"]["draft"] is True
    assert client.post(URL + "/undo", headers=admin).json() == draft
    assert client.post(URL + "/undo", headers=admin).status_code == 409
    assert client.post(URL + "/redo", headers=admin).json() == changed
    assert client.post(URL + "/redo", headers=admin).status_code == 409
    assert client.delete(URL + "/draft", headers=admin).status_code == 204
    assert client.get(URL, headers=admin).json() == draft
    assert client.put(URL, json=changed, headers=admin).status_code == 200
    no_note = client.post(URL + "/publish", json={}, headers=admin)
    assert no_note.status_code == 422 and list(no_note.json()["errors"]) == ["note"]
    published = client.post(URL + "/publish", json={"note": "training courses"}, headers=admin)
    assert published.status_code == 201 and published.json() == {"key": "expense-claim", "version": 2}
    assert client.post(URL + "/publish", json={"note": "again"}, headers=admin).status_code == 409
    versions = client.get(URL + "/versions", headers={**admin, "Accept-Language": "en"}).json()
    assert [(v["version"], v["by"], v["note"]) for v in versions] == [(1, "", ""), (2, "admin", "training courses")]
    assert versions[1]["diff"] == ['Options of "Category": added "Training"'] and versions[1]["at"]
    chinese = client.get(URL + "/versions", headers={**admin, "Accept-Language": "zh-CN"}).json()
    assert chinese[1]["diff"] == ['“费用类别”的选项：新增“培训”']


def test_a_refused_publish_is_a_422_naming_the_users(client, admin):
    draft = client.get(URL, headers=admin).json()
    draft["fields"] = [f for f in draft["fields"] if f["key"] != "total"]
    assert client.put(URL, json=draft, headers=admin).status_code == 200
    r = client.post(URL + "/publish", json={"note": "no total"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"] == {"fields": 'field "total" cannot be removed: used by ruleset expense-approval-tier'}


def test_a_put_on_a_new_key_makes_a_form_and_its_first_publish_a_process(client, admin):
    r = client.put("/api/forms/leave", json=LEAVE, headers=admin)
    assert r.status_code == 200 and r.json() == LEAVE
    assert client.post("/api/forms/leave/publish", json={"note": "first"}, headers=admin).json() == \
        {"key": "leave", "version": 1}
    started = client.post("/api/instances", json={"process": "leave", "data": {"days": 2}},
                          headers=bearer(client, "zhang.wei"))
    assert started.status_code == 201 and [t["assignee"] for t in started.json()["tasks"]] == ["li.na"]
    assert client.put("/api/forms/Bad Key", json=LEAVE, headers=admin).status_code == 422


def test_running_requests_keep_rendering_and_validating_against_their_version(client, admin):
    client.put("/api/forms/leave", json=LEAVE, headers=admin)
    client.post("/api/forms/leave/publish", json={"note": "first"}, headers=admin)
    staff, head = bearer(client, "zhang.wei"), bearer(client, "li.na")
    first = client.post("/api/instances", json={"process": "leave", "data": {"days": 2}}, headers=staff).json()
    v2 = {**LEAVE, "version": 2, "fields": [*LEAVE["fields"], {"key": "why", "type": "textarea", "required": True}]}
    assert client.put("/api/forms/leave", json=v2, headers=admin).status_code == 200
    assert client.post("/api/forms/leave/publish", json={"note": "say why"}, headers=admin).json()["version"] == 2

    page = client.get(f"/instances/{first['id']}", headers=staff)
    assert page.status_code == 200 and page.template.name == "instance.html"
    assert page.context["defs"].form.version == 1 and [f.key for f in page.context["fields"]] == ["days"]
    returned = client.post(f"/api/tasks/{first['tasks'][0]['id']}/return", json={"to": "submitter", "reason": "3 days?"},
                           headers=head)
    assert returned.status_code == 200, returned.text
    again = client.post(f"/api/instances/{first['id']}/resubmit", json={"data": {"days": 3}}, headers=staff)
    assert again.status_code == 200, again.text  # v1 has no "why" to require
    assert client.get(f"/api/instances/{first['id']}", headers=staff).json()["data"] == {"days": 3}
    new = client.post("/api/instances", json={"process": "leave", "data": {"days": 3}}, headers=staff)
    assert new.status_code == 422 and "why" in new.json()["errors"]

"""The processes API through HTTP: drafts, problems, publishing and versions; designer/admin only;
the shapes outside scripts rely on; a refused document saves nothing."""
from __future__ import annotations

import copy
from xml.etree import ElementTree
from collections.abc import Iterator
from typing import Any
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.support import FakeClock, bearer, definitions_copy, demo_with_auditor

URL = "/api/flows/contract"


@pytest.fixture(scope="module")
def seeded() -> MemoryRepository:
    return demo_with_auditor()


@pytest.fixture
def client(seeded) -> Iterator[TestClient]:
    repo = definitions_copy(seeded)
    with TestClient(create_app(Settings(), repo)) as c:
        c.app.state.workflow.engine.now = FakeClock()  # Monday 2 March 2026
        yield c


@pytest.fixture
def admin(client) -> dict[str, str]:
    return bearer(client, "admin")


def test_staff_and_auditors_cannot_change_or_read_drafts(client):
    draft = client.get(URL, headers=bearer(client, "admin")).json()
    calls = [("get", "/api/flows", None), ("get", URL, None), ("put", URL, draft), ("get", URL + "/problems", None),
             ("post", URL + "/undo", None), ("post", URL + "/redo", None), ("delete", URL + "/draft", None),
             ("post", URL + "/publish", {"note": "x"}), ("get", URL + "/versions", None)]
    for name in ("zhang.wei", "audit.gu"):
        headers = bearer(client, name)
        for method, url, body in calls:
            kwargs = {"json": body} if body is not None else {}
            r = client.request(method.upper(), url, headers=headers, **kwargs)
            assert r.status_code == 403, (name, method, url, r.status_code)


def test_export_is_for_designers_admins_and_auditors(client):
    assert client.get(URL + "/export", headers=bearer(client, "zhang.wei")).status_code == 403
    assert client.get(URL + "/export", headers=bearer(client, "audit.gu")).status_code == 200
    assert client.get(URL + "/export", headers=bearer(client, "admin")).json()["flow"]["key"] == "contract"


@pytest.mark.parametrize("suffix, found", [
    ("bpmn", "{http://www.omg.org/spec/BPMN/20100524/MODEL}process"),
    ("dmn", "{https://www.omg.org/spec/DMN/20191111/MODEL/}decision"),
])
def test_the_bpmn_and_dmn_downloads_are_for_the_same_readers_and_name_their_file(client, suffix, found):
    url = f"{URL}/export.{suffix}"
    assert client.get(url, headers=bearer(client, "zhang.wei")).status_code == 403
    r = client.get(url, headers=bearer(client, "audit.gu"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert r.headers["content-disposition"] == f'attachment; filename="contract.{suffix}"'
    element = ElementTree.fromstring(r.content).find(found)
    assert element.get("id") == {"bpmn": "contract", "dmn": "contract-major"}[suffix]
    assert client.get(f"/api/flows/nothing/export.{suffix}", headers=bearer(client, "admin")).status_code == 404


def test_the_list_and_a_draft_that_is_the_next_version(client, admin):
    flows = {f["key"]: f for f in client.get("/api/flows", headers=admin).json()}
    assert flows["contract"] == {"key": "contract", "title": flows["contract"]["title"], "form": "contract-approval",
                                 "version": 1, "draft": False}
    assert len(flows) == 8  # the seven seeds and the change approval
    r = client.get(URL, headers=admin)
    assert r.status_code == 200 and r.headers["etag"] == '"1.0"'
    assert r.json()["key"] == "contract" and r.json()["version"] == 2


def test_a_valid_put_is_saved_and_an_invalid_one_is_refused_with_paths_saving_nothing(client, admin):
    doc = client.get(URL, headers=admin).json()
    doc["steps"][0]["title"] = {"en": "Head of department", "zh_CN": "部门负责人"}
    r = client.put(URL, json=doc, headers=admin)
    assert r.status_code == 200 and r.json()["steps"][0]["title"]["en"] == "Head of department"
    assert r.headers["etag"] == '"1.1"'
    saved = r.json()
    broken = copy.deepcopy(doc)
    broken["steps"][1]["assignee"] = {"kind": "role", "role": "astronaut"}
    broken["steps"][2]["kind"] = "dance"
    r = client.put(URL, json=broken, headers=admin)
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"steps[1].assignee.role", "steps[2].kind"}
    after = client.get(URL, headers=admin)
    assert after.json() == saved and after.headers["etag"] == '"1.1"'


def test_a_put_with_a_stale_if_match_is_a_conflict(client, admin):
    doc = client.get(URL, headers=admin).json()
    client.put(URL, json={**doc, "title": {"en": "Contracts", "zh_CN": "合同"}}, headers=admin)
    r = client.put(URL, json=doc, headers={**admin, "If-Match": '"1.0"'})
    assert r.status_code == 409
    assert client.get(URL, headers=admin).json()["title"]["en"] == "Contracts"


def test_undo_redo_and_discard(client, admin):
    doc = client.get(URL, headers=admin).json()
    client.put(URL, json={**doc, "title": {"en": "Contracts", "zh_CN": "合同"}}, headers=admin)
    assert client.post(URL + "/undo", headers=admin).json()["title"] == doc["title"]
    assert client.post(URL + "/redo", headers=admin).json()["title"]["en"] == "Contracts"
    assert client.post(URL + "/redo", headers=admin).status_code == 409
    assert client.delete(URL + "/draft", headers=admin).status_code == 204
    assert client.get(URL, headers=admin).json()["title"] == doc["title"]


def test_publishing_needs_a_note_and_a_change_then_makes_the_next_version(client, admin):
    doc = client.get(URL, headers=admin).json()
    assert client.post(URL + "/publish", json={"note": "same"}, headers=admin).status_code == 409  # nothing changed
    client.put(URL, json={**doc, "title": {"en": "Contracts", "zh_CN": "合同审批"}}, headers=admin)
    r = client.post(URL + "/publish", json={"note": " "}, headers=admin)
    assert r.status_code == 422 and "note" in r.json()["errors"]
    r = client.post(URL + "/publish", json={"note": "Renamed (002 修订记录)"}, headers=admin)
    assert r.status_code == 201 and r.json() == {"key": "contract", "version": 2}
    versions = client.get(URL + "/versions", headers=admin).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["by"] == "admin" and versions[1]["note"] == "Renamed (002 修订记录)"
    listed = client.get("/api/processes", headers=bearer(client, "zhang.wei")).json()
    assert {p["key"]: p["version"] for p in listed}["contract"] == 2


def test_an_effective_date_must_be_a_date_not_in_the_past(client, admin):
    doc = client.get(URL, headers=admin).json()
    client.put(URL, json={**doc, "title": {"en": "Contracts", "zh_CN": "合同审批"}}, headers=admin)
    for bad in ("tomorrow", "2026-03-01", 20260401):
        r = client.post(URL + "/publish", json={"note": "n", "effective": bad}, headers=admin)
        assert r.status_code == 422 and "effective" in r.json()["errors"], bad
    r = client.post(URL + "/publish", json={"note": "n", "effective": "2026-03-02"}, headers=admin)
    assert r.status_code == 201
    assert client.get(URL + "/versions", headers=admin).json()[-1]["effective"] == "2026-03-02"


def test_every_demo_process_has_no_problems_and_a_broken_draft_has_them_at_their_paths(client, admin):
    for flow in client.get("/api/flows", headers=admin).json():
        assert client.get(f"/api/flows/{flow['key']}/problems", headers=admin).json() == {"errors": {}}, flow["key"]
    doc = client.get(URL, headers=admin).json()
    doc["steps"][1]["assignee"] = {"kind": "dept_head", "levels": 5}
    r = client.put(URL, json=doc, headers=admin)  # past the top for every department: refused by a script's PUT
    assert r.status_code == 422 and list(r.json()["errors"]) == ["steps[1].assignee.levels"]


def test_an_unknown_process_is_404_and_a_new_key_starts_a_draft(client, admin):
    assert client.get("/api/flows/nope", headers=admin).status_code == 404
    doc = client.get(URL, headers=admin).json()
    r = client.put("/api/flows/contract-b", json={**doc, "key": "contract-b"}, headers=admin)
    assert r.status_code == 200 and r.json()["version"] == 1
    assert client.put("/api/flows/contract-c", json={**doc, "key": "other"}, headers=admin).status_code == 422


def test_a_future_dated_version_takes_over_on_its_date(client, admin):
    doc = client.get(URL, headers=admin).json()
    retitled = {**doc, "title": {"en": "Contracts from April", "zh_CN": "合同审批（四月起）"}}
    client.put(URL, json=retitled, headers=admin)
    assert client.post(URL + "/publish", json={"note": "From April", "effective": "2026-04-01"},
                       headers=admin).status_code == 201
    staff = bearer(client, "zhang.wei")
    current = {p["key"]: p for p in client.get("/api/processes", headers=staff).json()}["contract"]
    assert current["version"] == 1  # published, not yet in effect
    client.app.state.workflow.engine.now.now += timedelta(days=30)  # 1 April
    current = {p["key"]: p for p in client.get("/api/processes", headers=staff).json()}["contract"]
    assert current["version"] == 2 and current["title"] == "Contracts from April"


def test_versions_say_what_changed_in_words_in_the_readers_language(client, admin):
    doc = client.get(URL, headers=admin).json()
    doc["steps"][1]["assignee"] = {"kind": "role", "role": "finance"}
    doc["steps"][0]["deadline"] = {"amount": 3, "unit": "days"}
    client.put(URL, json=doc, headers=admin)
    client.post(URL + "/publish", json={"note": "Finance reviews first"}, headers=admin)
    words = client.get(URL + "/versions", headers={**admin, "Accept-Language": "en"}).json()[-1]["diff"]
    assert words == ['Step "Department head review": time limit: 2 working days → 3 working days',
                     'Step "Legal review": who acts: role "legal" → role "finance"']
    chinese = client.get(URL + "/versions", headers={**admin, "Accept-Language": "zh-CN"}).json()[-1]["diff"]
    assert chinese == ["步骤“部门负责人审核”：时限：2 个工作日 → 3 个工作日", "步骤“法务审核”：处理人：角色“legal” → 角色“finance”"]


def test_the_impact_of_publishing_counts_running_requests_by_version_and_step(client, admin):
    from tests.runtime.test_demo_processes import contract
    staff = bearer(client, "liu.yang")
    for _ in range(2):
        assert client.post("/api/instances", json={"process": "contract", "data": contract()},
                           headers=staff).status_code == 201
    head = bearer(client, "wang.fang")
    first = client.get("/api/tasks", headers=head).json()[0]
    assert client.post(f"/api/tasks/{first['id']}/approve", json={}, headers=head).status_code == 200
    assert client.get(URL + "/impact", headers=admin).json() == {
        "running": 2, "by_version": {"1": 2}, "by_step": {"dept_head": 1, "legal": 1}}
    assert client.get(URL + "/impact", headers=staff).status_code == 403


def publish_change(client, admin, title: str) -> Any:
    doc = client.get(URL, headers=admin).json()
    client.put(URL, json={**doc, "title": {"en": title, "zh_CN": title}}, headers=admin)
    return client.post(URL + "/publish", json={"note": f"Renamed {title}"}, headers=admin)


def ask_for_approval(client, admin) -> None:
    doc = client.get(URL, headers=admin).json()
    doc["meta"]["change_approval"] = True
    client.put(URL, json=doc, headers=admin)
    assert client.post(URL + "/publish", json={"note": "Changes need the owner"}, headers=admin).status_code == 201


def test_where_the_process_asks_for_it_its_owner_approves_the_change_before_it_is_published(client, admin):
    ask_for_approval(client, admin)  # version 2: from now on changes go to legal, the owner
    r = publish_change(client, admin, "Contracts")
    assert r.status_code == 202 and r.json()["approver"] == "zhou.jie"
    assert client.get("/api/processes", headers=admin).json()[1]["version"] == 2  # not yet
    assert publish_change(client, admin, "Contracts again").status_code == 409  # one change at a time
    legal = bearer(client, "zhou.jie")
    task = next(t for t in client.get("/api/tasks", headers=legal).json() if t["instance"] == r.json()["pending"])
    request = client.get(f"/api/instances/{task['instance']}", headers=legal).json()
    assert request["process"] == "process-change" and request["data"]["process"] == "contract"
    assert "Contracts" in request["data"]["changes"]
    assert client.post(f"/api/tasks/{task['id']}/approve", json={"comment": "Fine"}, headers=legal).status_code == 200
    versions = client.get(URL + "/versions", headers=admin).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[-1]["by"] == "admin" and versions[-1]["approved_by"] == "zhou.jie"
    assert client.get(URL, headers=admin).json()["title"]["en"] == "Contracts again"  # edited since: kept


def test_a_refused_change_publishes_nothing_and_keeps_the_draft(client, admin):
    ask_for_approval(client, admin)
    pending = publish_change(client, admin, "Contracts").json()["pending"]
    legal = bearer(client, "zhou.jie")
    task = next(t for t in client.get("/api/tasks", headers=legal).json() if t["instance"] == pending)
    assert client.post(f"/api/tasks/{task['id']}/reject", json={"reason": "Not now"}, headers=legal).status_code == 200
    assert [v["version"] for v in client.get(URL + "/versions", headers=admin).json()] == [1, 2]
    assert client.get(URL, headers=admin).json()["title"]["en"] == "Contracts"
    assert publish_change(client, admin, "Contracts later").status_code == 202  # may be asked again


def test_simulating_the_draft_shows_the_route_with_people_and_refuses_bad_data(client, admin):
    from tests.runtime.test_demo_processes import contract
    r = client.post(URL + "/simulate", json={"data": contract(amount="2,000,000"), "submitter": "liu.yang"},
                    headers=admin)
    assert r.status_code == 200, r.text
    path = r.json()["path"]
    assert [p["step"] for p in path] == ["dept_head", "legal", "finance", "vp", "major", "gm", "sign"]
    assert path[0]["people"][0]["username"] == "wang.fang" and path[0]["due"]
    assert path[4]["because"] and path[4]["branch"] == 0
    doc = client.get(URL, headers=admin).json()
    doc["steps"].pop(3)  # the draft without the VP
    client.put(URL, json=doc, headers=admin)
    r = client.post(URL + "/simulate", json={"data": contract(), "submitter": "liu.yang"}, headers=admin)
    assert [p["step"] for p in r.json()["path"]] == ["dept_head", "legal", "finance", "major", "sign"]
    r = client.post(URL + "/simulate", json={"data": contract(amount="lots"), "submitter": "liu.yang"}, headers=admin)
    assert r.status_code == 422 and "amount" in r.json()["errors"]
    assert client.post(URL + "/simulate", json={"data": contract(), "submitter": "liu.yang"},
                       headers=bearer(client, "liu.yang")).status_code == 403


def test_saved_scenarios_rerun_on_publish_and_a_changed_route_waits_for_confirmation(client, admin):
    from tests.runtime.test_demo_processes import contract
    doc = client.get(URL, headers=admin).json()
    route = [p["step"] for p in client.post(URL + "/simulate", json={"data": contract(), "submitter": "liu.yang"},
                                             headers=admin).json()["path"]]
    doc["scenarios"] = [{"name": "Ordinary supply contract", "submitter": "liu.yang", "data": contract(), "route": route}]
    client.put(URL, json=doc, headers=admin)
    assert client.post(URL + "/publish", json={"note": "Scenario saved"}, headers=admin).status_code == 201
    doc = client.get(URL, headers=admin).json()
    doc["steps"].pop(3)  # no VP any more: the saved route changes
    client.put(URL, json=doc, headers=admin)
    r = client.post(URL + "/publish", json={"note": "Without the VP"}, headers={**admin, "Accept-Language": "en"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["scenarios[0].route"]
    assert "dept_head → legal → finance → major → sign" in r.json()["errors"]["scenarios[0].route"]
    r = client.post(URL + "/publish", json={"note": "Without the VP", "confirm_routes": True}, headers=admin)
    assert r.status_code == 201
    published = client.get(URL + "/export", headers=admin).json()["flow"]
    assert published["scenarios"][0]["route"] == ["dept_head", "legal", "finance", "major", "sign"]

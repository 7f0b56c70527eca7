"""The rules API: drafts, what-if, lint, saved tests that guard publishing, versions."""
from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.support import claim

KEY = "expense-approval-tier"
URL = f"/api/rulesets/{KEY}"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as c:
        yield c


def auth(client: TestClient, username: str = "admin") -> dict[str, str]:
    token = client.post("/api/login", json={"username": username, "password": "demo"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def raised(draft: dict, threshold: int) -> dict:
    changed = copy.deepcopy(draft)
    changed["ruleset"]["rows"][1]["when"] = {"$gt": {"total": threshold}}
    return {"ruleset": changed["ruleset"], "tests": changed["tests"]}


def test_only_designers_see_rules(client):
    staff = auth(client, "zhang.wei")
    assert client.get("/api/rulesets", headers=staff).status_code == 403
    assert client.get(URL, headers=staff).status_code == 403
    assert client.put(URL, json={}, headers=staff).status_code == 403
    assert KEY in [r["key"] for r in client.get("/api/rulesets", headers=auth(client)).json()]


def test_the_draft_starts_as_the_next_version_of_the_latest(client):
    draft = client.get(URL, headers=auth(client)).json()
    assert draft["based_on"] == 1 and draft["ruleset"]["version"] == 2 and draft["tests"] == []


def test_an_invalid_draft_is_refused_with_paths_and_changes_nothing(client):
    admin = auth(client)
    draft = client.get(URL, headers=admin).json()
    broken = raised(draft, 8000)
    broken["ruleset"]["rows"][0]["when"] = {"$between": {"total": [1, 2]}}
    broken["ruleset"]["rows"][1]["then"] = {"tier": "cfo"}
    r = client.put(URL, json=broken, headers=admin)
    assert r.status_code == 422
    paths = [p["path"] for p in r.json()["problems"]]
    assert any(p.startswith("ruleset.rows[0].when") for p in paths)
    assert any(p.startswith("ruleset.rows[1].then") for p in paths)
    assert client.get(URL, headers=admin).json() == draft


def test_what_if_evaluates_the_draft_and_published_versions(client):
    admin = auth(client)
    draft = client.get(URL, headers=admin).json()
    assert client.put(URL, json=raised(draft, 8000), headers=admin).status_code == 200
    on_draft = client.post(URL + "/evaluate", json={"data": {"total": 6000}}, headers=admin).json()
    assert on_draft["outcome"] == {"tier": "none"} and on_draft["fired"] == [] and on_draft["default_used"]
    on_v1 = client.post(URL + "/evaluate", json={"data": {"total": 6000}, "version": 1}, headers=admin).json()
    assert on_v1["outcome"] == {"tier": "vp"} and on_v1["fired"] == [2]
    assert {"row", "matched"} <= set(on_v1["trace"][0])
    bad = client.post(URL + "/evaluate", json={"data": {"total": "lots"}}, headers=admin)
    assert bad.status_code == 422 and "total" in bad.text


def test_lint_is_returned_for_the_draft(client):
    admin = auth(client)
    r = client.get(URL + "/lint", headers=admin)
    assert r.status_code == 200 and isinstance(r.json()["findings"], list)
    draft = client.get(URL, headers=admin).json()
    shadowed = raised(draft, 60000)  # row 2 (> 60,000) now sits under row 1 (> 50,000)
    assert client.put(URL, json=shadowed, headers=admin).status_code == 200
    findings = client.get(URL + "/lint", headers=admin).json()["findings"]
    assert any(f["kind"] == "shadowed" and f["row"] == 2 for f in findings)


def test_a_failing_saved_test_blocks_publishing_until_corrected(client):
    admin = auth(client)
    draft = raised(client.get(URL, headers=admin).json(), 8000)
    draft["tests"] = [{"name": "6,000 needs the VP", "data": {"total": 6000}, "expect": {"tier": "vp"}}]
    assert client.put(URL, json=draft, headers=admin).status_code == 200
    blocked = client.post(URL + "/publish", json={"note": "raise to 8,000"}, headers=admin)
    assert blocked.status_code == 422
    assert blocked.json()["problems"][0]["path"] == "tests[0]"
    draft["tests"][0]["expect"] = {"tier": "none"}
    client.put(URL, json=draft, headers=admin)
    assert client.post(URL + "/publish", json={"note": ""}, headers=admin).status_code == 422
    published = client.post(URL + "/publish", json={"note": "raise to 8,000"}, headers=admin)
    assert published.status_code == 201 and published.json() == {"key": KEY, "version": 2}
    history = client.get(URL + "/versions", headers=admin).json()
    assert [(v["version"], v["by"], v["note"]) for v in history][-1] == (2, "admin", "raise to 8,000")
    again = client.post(URL + "/publish", json={"note": "again"}, headers=admin)
    assert again.status_code == 409
    assert client.get(URL, headers=admin).json()["tests"][0]["expect"] == {"tier": "none"}


def test_new_claims_use_the_new_version_running_ones_keep_theirs(client):
    admin, staff = auth(client), auth(client, "zhang.wei")
    before = client.post("/api/instances", json={"process": "expense", "data": claim([6000])}, headers=staff).json()
    draft = client.get(URL, headers=admin).json()
    client.put(URL, json=raised(draft, 8000), headers=admin)
    client.post(URL + "/publish", json={"note": "raise to 8,000"}, headers=admin)
    after = client.post("/api/instances", json={"process": "expense", "data": claim([6000])}, headers=staff).json()
    for instance in (before, after):
        for who in ("li.na", "zhao.min"):
            mine = client.get("/api/tasks", headers=auth(client, who)).json()
            (task,) = [t for t in mine if t["instance"] == instance["id"]]
            client.post(f"/api/tasks/{task['id']}/approve", json={}, headers=auth(client, who))
    old = client.get(f"/api/instances/{before['id']}", headers=staff).json()
    new = client.get(f"/api/instances/{after['id']}", headers=staff).json()
    assert [t["step"] for t in old["tasks"]][-1] == "vp"
    assert [t["step"] for t in new["tasks"]][-1] == "pay"
    decide = next(e for e in new["events"] if e["action"] == "decide")
    assert decide["ruleset_version"] == 2


def test_overlapping_rows_of_a_unique_table_block_publishing(client):
    admin = auth(client)
    draft = client.get(URL, headers=admin).json()
    unique = {"ruleset": {**draft["ruleset"], "hit_policy": "unique"}, "tests": []}
    assert client.put(URL, json=unique, headers=admin).status_code == 200
    findings = client.get(URL + "/lint", headers=admin).json()["findings"]
    assert [f["kind"] for f in findings] == ["overlap"]
    r = client.post(URL + "/publish", json={"note": "unique"}, headers=admin)
    assert r.status_code == 422
    assert r.json()["problems"][0]["path"].startswith("ruleset.rows")
    assert "both match" in r.json()["problems"][0]["message"]

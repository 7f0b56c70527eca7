"""The forms API's limits: key length, change note length, fields per form and columns per
table, and the draft's ETag / If-Match check so two designers never silently overwrite each other."""
from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from builder.validation import validate_form
from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.test_forms_api import LEAVE, URL
from tests.support import bearer


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(demo=True, escalate_every=0), MemoryRepository())) as c:
        yield c


@pytest.fixture(scope="module")
def admin(client) -> dict[str, str]:
    return bearer(client, "admin")


def fields(n: int) -> list[dict]:
    return [{"key": f"f{i}", "type": "text", "label": f"F{i}"} for i in range(n)]


def test_a_key_longer_than_64_characters_is_refused(client, admin):
    key = "a" * 65
    r = client.put(f"/api/forms/{key}", headers=admin, json={**LEAVE, "key": key})
    assert r.status_code == 422
    assert r.json()["errors"] == {"key": "must be at most 64 characters"}
    r = client.put("/api/forms/leave", headers=admin, json={**LEAVE, "fields": [{**LEAVE["fields"][0], "key": key}]})
    assert r.status_code == 422 and r.json()["errors"] == {"fields[0].key": "must be at most 64 characters"}
    assert client.put("/api/forms/" + "a" * 64, headers=admin, json={**LEAVE, "key": "a" * 64}).status_code == 200


def test_a_change_note_is_at_most_2000_characters(client, admin):
    client.put("/api/forms/notes", headers=admin, json={**LEAVE, "key": "notes"})
    r = client.post("/api/forms/notes/publish", headers=admin, json={"note": "x" * 2001})
    assert r.status_code == 422 and r.json()["errors"] == {"note": "at most 2000 characters"}
    assert client.post("/api/forms/notes/publish", headers=admin, json={"note": "x" * 2000}).status_code == 201


def test_a_form_has_at_most_200_fields_and_a_table_30_columns(client, admin):
    r = client.put("/api/forms/big", headers=admin, json={**LEAVE, "key": "big", "fields": fields(20_000)})
    assert r.status_code == 422 and r.json()["errors"] == {"fields": "at most 200 fields (20000 given)"}
    table = {"key": "lines", "type": "table", "label": "Lines", "columns": fields(31)}
    r = client.put("/api/forms/big", headers=admin, json={**LEAVE, "key": "big", "fields": [table]})
    assert r.status_code == 422 and r.json()["errors"] == {"fields[0].columns": "at most 30 columns (31 given)"}
    assert client.get("/api/forms/big", headers=admin).status_code == 404  # nothing was saved
    assert validate_form({**LEAVE, "fields": fields(200)}) == []
    assert validate_form({**LEAVE, "fields": [{**table, "columns": fields(30)}]}) == []


def test_a_put_with_a_stale_etag_is_refused_and_changes_nothing(client, admin):
    first = client.get(URL, headers=admin)
    tag = first.headers["etag"]
    doc = first.json()
    mine, theirs = copy.deepcopy(doc), copy.deepcopy(doc)
    mine["title"], theirs["title"] = "Mine", "Theirs"
    saved = client.put(URL, headers={**admin, "If-Match": tag}, json=theirs)
    assert saved.status_code == 200 and saved.headers["etag"] != tag
    stale = client.put(URL, headers={**admin, "If-Match": tag}, json=mine)
    assert stale.status_code == 409
    assert "changed since you read it" in stale.json()["error"]
    assert client.get(URL, headers=admin).json()["title"] == "Theirs"
    fresh = client.put(URL, headers={**admin, "If-Match": "W/" + saved.headers["etag"]}, json=mine)
    assert fresh.status_code == 200 and fresh.json()["title"] == "Mine"
    assert client.put(URL, headers=admin, json=theirs).status_code == 200  # no If-Match: no check
    undone = client.post(URL + "/undo", headers=admin)
    assert undone.headers["etag"] == client.get(URL, headers=admin).headers["etag"]
    client.delete(URL + "/draft", headers=admin)


def test_a_tag_from_before_a_publish_never_matches_the_next_draft(client, admin):
    key_url = "/api/forms/tags"
    client.put(key_url, headers=admin, json={**LEAVE, "key": "tags"})
    client.post(key_url + "/publish", headers=admin, json={"note": "first"})
    old = client.get(key_url, headers=admin).headers["etag"]
    changed = {**client.get(key_url, headers=admin).json(), "title": "Tags 2"}
    assert client.put(key_url, headers=admin, json=changed).status_code == 200
    assert client.post(key_url + "/publish", headers=admin, json={"note": "second"}).status_code == 201
    assert client.get(key_url, headers=admin).headers["etag"] != old
    r = client.put(key_url, headers={**admin, "If-Match": old}, json={**changed, "title": "Late"})
    assert r.status_code == 409

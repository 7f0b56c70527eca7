"""A process published from the designer pins the form version it was published with: new
requests fill that version, a newer form reaches them only when the process is published again.
Documents from before pinning (the demo's) follow the latest published form, as they always did."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.test_demo_processes import contract
from tests.support import bearer, definitions_copy, demo_with_auditor

FLOW = "/api/flows/contract"
FORM = "/api/forms/contract-approval"


@pytest.fixture(scope="module")
def seeded() -> MemoryRepository:
    return demo_with_auditor()


@pytest.fixture
def client(seeded) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), definitions_copy(seeded))) as c:
        yield c


@pytest.fixture
def admin(client) -> dict[str, str]:
    return bearer(client, "admin")


def publish_form_with_a_new_field(client: TestClient, admin: dict[str, str], key: str) -> int:
    doc = client.get(FORM, headers=admin).json()
    doc["fields"].append({"key": key, "type": "text", "label": {"en": key, "zh_CN": key}})
    assert client.put(FORM, json=doc, headers=admin).status_code == 200
    published = client.post(FORM + "/publish", json={"note": f"adds {key}"}, headers=admin)
    assert published.status_code == 201, published.text
    return int(published.json()["version"])


def publish_flow(client: TestClient, admin: dict[str, str], note: str) -> int:
    published = client.post(FLOW + "/publish", json={"note": note}, headers=admin)
    assert published.status_code == 201, published.text
    return int(published.json()["version"])


def retitle_flow(client: TestClient, admin: dict[str, str], title: str) -> None:
    doc = client.get(FLOW, headers=admin).json()
    assert client.put(FLOW, json={**doc, "title": {"en": title, "zh_CN": title}}, headers=admin).status_code == 200


def started_form_version(client: TestClient) -> int:
    started = client.post("/api/instances", json={"process": "contract", "data": contract()},
                          headers=bearer(client, "liu.yang"))
    assert started.status_code == 201, started.text
    return client.app.state.workflow.state.instances[started.json()["id"]].form_version


def test_a_process_that_pins_no_form_follows_the_latest_published_form(client, admin):
    assert "form_version" not in client.get(FLOW, headers=admin).json()  # the demo's document
    assert started_form_version(client) == 1
    assert publish_form_with_a_new_field(client, admin, "note") == 2
    assert started_form_version(client) == 2


def test_publishing_pins_the_newest_form_and_new_requests_keep_it_until_published_again(client, admin):
    retitle_flow(client, admin, "Contracts")
    assert publish_flow(client, admin, "renamed") == 2
    assert client.get(FLOW, headers=admin).json()["form_version"] == 1
    publish_form_with_a_new_field(client, admin, "note")
    assert started_form_version(client) == 1  # the form the process was published with
    authoring = client.app.state.flow_authoring
    user = client.app.state.workflow.org.users["admin"]
    assert authoring.form_pin(user, "contract") == {"form": "contract-approval", "pinned": 1, "latest": 2}
    assert publish_flow(client, admin, "takes the form with a note") == 3  # no other change: the pin is one
    assert started_form_version(client) == 2
    assert authoring.form_pin(user, "contract") == {"form": "contract-approval", "pinned": 2, "latest": 2}
    words = client.get(FLOW + "/versions", headers={**admin, "Accept-Language": "en"}).json()[-1]["diff"]
    assert words == ["Process: form version: 1 → 2"]


def test_publishing_an_unchanged_process_that_pins_no_form_is_still_nothing_to_publish(client, admin):
    assert client.post(FLOW + "/publish", json={"note": "same"}, headers=admin).status_code == 409


def test_a_pin_to_a_form_version_never_published_is_refused_at_its_path(client, admin):
    doc = client.get(FLOW, headers=admin).json()
    refused = client.put(FLOW, json={**doc, "form_version": 9}, headers=admin)
    assert refused.status_code == 422
    assert [p["path"] for p in refused.json()["problems"]] == ["form_version"]
    assert "form_version" not in client.get(FLOW, headers=admin).json()  # nothing saved
    assert client.put(FLOW, json={**doc, "form_version": 0}, headers=admin).status_code == 422


def test_an_imported_process_pins_the_form_version_its_form_is_stored_as(client, admin):
    retitle_flow(client, admin, "Contracts")
    publish_flow(client, admin, "renamed")  # pins form version 1
    bundle = client.get(FLOW + "/export", headers=admin).json()
    assert bundle["flow"]["form_version"] == 1 and bundle["form"]["version"] == 1
    publish_form_with_a_new_field(client, admin, "note")  # the store's latest form is now 2
    bundle["flow"]["title"] = {"en": "Imported", "zh_CN": "导入"}
    bundle["form"]["fields"].append({"key": "extra", "type": "text", "label": {"en": "Extra", "zh_CN": "附加"}})
    imported = client.post("/api/flows/import", json=bundle, headers=admin)
    assert imported.status_code in (200, 201), imported.text
    assert client.get(FLOW, headers=admin).json()["form_version"] == 3  # the imported form, stored as version 3
    assert started_form_version(client) == 3

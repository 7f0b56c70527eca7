"""Webhooks through HTTP against a real receiver on loopback: admins register an address and the
events it wants and see the secret once; each delivery is signed (verified here with the secret),
carries the event id, no field values, and is retried until a 2xx; a hanging endpoint does not
hold up another; the delivery log shows response codes and attempts; others may not register."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.outbox.webhooks import verify
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.webhook_receiver import receiver
from tests.support import bearer, claim, signed_in


@pytest.fixture
def web() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(demo=True), MemoryRepository()), follow_redirects=False) as c:
        yield c


def register(web: TestClient, url: str, events: list[str]) -> dict:
    r = web.post("/api/webhooks", json={"url": url, "events": events}, headers=bearer(web, "admin"))
    assert r.status_code == 201, r.text
    return r.json()


def test_a_delivery_is_signed_with_the_secret_and_names_the_event_never_a_field_value(web):
    with receiver() as (url, got):
        hook = register(web, url, ["start", "task"])
        assert hook["secret"].startswith("whsec_") and hook["events"] == ["start", "task"]
        workflow = web.app.state.workflow
        instance = workflow.start(workflow.org.user("zhang.wei"), "expense", claim([700], reason="Salary advance"))
        calls = got.wait(2)
        assert [c["body"]["type"] for c in calls] == ["start", "task"]
        for call in calls:
            assert verify(hook["secret"], call["headers"]["Formflow-Signature"], call["raw"])
            assert not verify("whsec_wrong", call["headers"]["Formflow-Signature"], call["raw"])
            assert call["headers"]["Formflow-Event-Id"] == call["body"]["id"]
            assert b"Salary advance" not in call["raw"] and b"700" not in call["raw"]
        start, task = (c["body"] for c in calls)
        assert start["data"] == {"instance": instance.id, "process": "expense", "actor": "zhang.wei"}
        assert task["data"]["assignee"] == "li.na" and task["data"]["task"] == workflow.inbox(workflow.org.user("li.na"))[0].id
        assert set(start) == {"id", "type", "created", "data"}
        listed = web.get("/api/webhooks", headers=bearer(web, "admin")).json()["items"]
        assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]


def test_an_endpoint_that_fails_is_retried_and_a_hanging_one_holds_up_no_other(web):
    with receiver(status=500) as (failing, refused), receiver(hang=True) as (hanging, _), receiver() as (ok, got):
        flaky = register(web, failing, ["start"])
        register(web, hanging, ["start"])
        register(web, ok, ["start"])
        workflow = web.app.state.workflow
        for amount in (100, 200, 300):
            workflow.start(workflow.org.user("zhang.wei"), "expense", claim([amount]))
        assert len(got.wait(3)) == 3  # while the hanging endpoint still holds its first delivery
        refused.wait(3)
        admin = bearer(web, "admin")
        deadline = time.monotonic() + 20
        while len(log := web.get(f"/api/webhooks/{flaky['id']}/deliveries", headers=admin).json()["items"]) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert [(row["state"], row["status"], row["attempts"]) for row in log] == [("retrying", 500, 1)] * 3
        assert all(row["next"] > row["at"] for row in log)  # tried again later, with backoff


def test_only_http_addresses_and_only_admins(web):
    admin = bearer(web, "admin")
    r = web.post("/api/webhooks", json={"url": "ftp://files.example.com/x", "events": ["all"]}, headers=admin)
    assert r.status_code == 422 and "url" in r.json()["errors"]
    r = web.post("/api/webhooks", json={"url": "https://x.example.com", "events": ["nothing"]}, headers=admin)
    assert r.status_code == 422 and "events" in r.json()["errors"]
    staff = bearer(web, "zhang.wei")
    assert web.post("/api/webhooks", json={"url": "https://x.example.com"}, headers=staff).status_code == 403
    assert web.get("/api/webhooks", headers=staff).status_code == 403


def test_the_admin_page_registers_shows_the_secret_once_and_the_log_shows_response_codes(web):
    with receiver(status=202) as (url, got):
        csrf = signed_in(web, "admin")
        assert web.get("/admin/webhooks").template.name == "admin_webhooks.html"
        wrong = web.post("/admin/webhooks", data={"csrf_token": csrf, "url": "javascript:alert(1)", "events": "all"})
        assert wrong.status_code == 422 and "url" in wrong.context["errors"]
        made = web.post("/admin/webhooks", data={"csrf_token": csrf, "url": url, "events": "requests"})
        created = made.context["created"]
        assert created["secret"] and created["events"][0] == "start"
        assert web.get("/admin/webhooks").context["created"] is None  # shown once
        workflow = web.app.state.workflow
        workflow.start(workflow.org.user("zhang.wei"), "expense", claim([700]))
        got.wait(1)
        assert web.app.state.notifications.wait_idle()
        page = web.get(f"/admin/webhooks/{created['id']}")
        assert page.template.name == "admin_webhook_log.html"
        [row] = page.context["rows"]
        assert (row["state"], row["status"], row["attempts"]) == ("sent", 202, 1)
        assert web.post(f"/admin/webhooks/{created['id']}/delete", data={"csrf_token": csrf}).status_code == 303
        assert web.get("/admin/webhooks").context["hooks"] == []


def test_webhooks_go_through_a_courier_process_and_a_dead_courier_is_replaced(tmp_path):
    """The courier is a process of its own; killed, the next commit starts another, which sends
    what the first was passed but never logged as sent (same event ids), and nothing twice."""
    from runtime.store.repository import FileRepository

    app = create_app(Settings(demo=True, data_dir=tmp_path), FileRepository(tmp_path))
    with receiver() as (url, got), TestClient(app, follow_redirects=False) as web:
        register(web, url, ["start"])
        workflow, relay = web.app.state.workflow, web.app.state.notifications.relay
        workflow.start(workflow.org.user("zhang.wei"), "expense", claim([100]))
        assert web.app.state.notifications.wait_idle()
        first = relay._process
        assert first is not None and first.pid != __import__("os").getpid()
        first.kill()
        first.wait()
        for amount in (200, 300):
            workflow.start(workflow.org.user("zhang.wei"), "expense", claim([amount]))
        assert web.app.state.notifications.wait_idle()
        assert relay._process is not None and relay._process.pid != first.pid
        ids = got.ids()
        assert len(ids) == len(set(ids)) == 3
        assert (tmp_path / "webhook-deliveries.jsonl").exists()

"""kill -9 of the real server (`python -m runtime.cli serve --demo`) in the middle of delivering
webhooks to a receiver that takes its time to answer: after a restart every event the endpoint
asked for is delivered, each signed, and a repeat only ever carries the same event id and body.
(Email rides the same outbox: tests/runtime/test_notify_email.py restarts it after a crash.)"""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import httpx2
import orjson

from runtime.outbox.webhooks import verify
from tests.runtime.test_kill_9_http import free_port, kill_9, start_server
from tests.runtime.webhook_receiver import receiver
from tests.support import claim

CLAIMS = 6


def wanted(data_dir: Path, kinds: set[str], since: int) -> set[str]:
    """The event ids of the log's events the endpoint asked for, after it was registered."""
    ids = set()
    for raw in (data_dir / "events.jsonl").read_bytes().splitlines():
        line = orjson.loads(raw)
        if line["seq"] > since and line["action"] in kinds:
            ids.add(f"evt_{line['seq']}")
    return ids


def test_every_wanted_event_is_delivered_after_a_kill_9_mid_delivery(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    url = f"http://127.0.0.1:{port}"
    with receiver(delay=0.25) as (hook_url, got):
        server = start_server(data_dir, port)
        try:
            with httpx2.Client(base_url=url, timeout=10) as client:
                def token(name: str) -> dict[str, str]:
                    answer = client.post("/api/login", json={"username": name, "password": "demo"})
                    return {"Authorization": "Bearer " + answer.json()["token"]}
                admin, staff = token("admin"), token("zhang.wei")
                hook = client.post("/api/webhooks", headers=admin,
                                   json={"url": hook_url, "events": ["start", "task"]}).json()
                since = max(orjson.loads(raw)["seq"] for raw in (data_dir / "events.jsonl").read_bytes().splitlines())
                for amount in range(CLAIMS):
                    assert client.post("/api/instances", headers=staff,
                                       json={"process": "expense", "data": claim([100.0 + amount])}).status_code == 201
            got.wait(2)  # a delivery or two answered, the rest queued or in flight (each takes 0.25 s)
            kill_9(server)
            assert len(got.calls) < 2 * CLAIMS  # the kill did land mid-delivery
            server = start_server(data_dir, port)
            expected = wanted(data_dir, {"start", "task"}, since)
            assert len(expected) == 2 * CLAIMS
            deadline = time.monotonic() + 20  # for a hung test, never a timed assertion
            while not expected <= set(got.ids()) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            kill_9(server)
        bodies: dict[str, set[bytes]] = defaultdict(set)
        for call in got.calls:
            assert verify(hook["secret"], call["headers"]["Formflow-Signature"], call["raw"])
            assert call["headers"]["Formflow-Event-Id"] == call["body"]["id"]
            bodies[call["body"]["id"]].add(call["raw"])
        assert set(bodies) == expected  # none lost, nothing the endpoint did not ask for
        assert all(len(raw) == 1 for raw in bodies.values())  # a repeat is the same delivery, once more

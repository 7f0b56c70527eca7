"""Malformed and dropped multipart bodies: each a clear 4xx (never a 500 or a traceback in the
log), and nothing stored."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime.store.repository import MemoryRepository
from tests.runtime.test_uploads import PDF, make_app
from tests.support import bearer


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(make_app(MemoryRepository())) as c:
        yield c


def part(boundary: str, content: bytes = PDF) -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode() + content


def post(client: TestClient, content_type: str, body: bytes):
    return client.post("/api/uploads", content=body,
                       headers={**bearer(client, "zhang.wei"), "Content-Type": content_type})


def test_a_complete_body_is_stored(client):
    r = post(client, "multipart/form-data; boundary=ok", part("ok") + b"\r\n--ok--\r\n")
    assert r.status_code == 201, r.text


def test_a_boundary_longer_than_the_parser_takes_is_a_bad_request(client):
    before = dict(client.app.state.repo.blobs.files)
    boundary = "b" * 300
    r = post(client, f"multipart/form-data; boundary={boundary}", part(boundary) + f"\r\n--{boundary}--\r\n".encode())
    assert r.status_code == 400
    assert r.json() == {"error": "the upload's multipart boundary is too long"}
    assert client.app.state.repo.blobs.files == before


def test_only_multipart_form_data_itself_is_taken(client):
    r = post(client, "multipart/form-datax; boundary=ok", part("ok") + b"\r\n--ok--\r\n")
    assert r.status_code == 400
    assert "multipart/form-data" in r.json()["error"]


def test_a_body_without_its_closing_boundary_is_refused_and_nothing_is_stored(client):
    blobs = client.app.state.repo.blobs
    before = dict(blobs.files)
    r = post(client, "multipart/form-data; boundary=cut", part("cut"))
    assert r.status_code == 400
    assert r.json() == {"error": "the upload is not a well-formed multipart body"}
    assert blobs.files == before


def test_a_client_going_away_mid_upload_is_no_error_and_leaves_nothing(client, caplog):
    app = client.app
    blobs = app.state.repo.blobs
    before = dict(blobs.files)
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": part("gone"), "more_body": True}, {"type": "http.disconnect"}]
    token = bearer(client, "zhang.wei")["Authorization"].encode()
    scope = {"type": "http", "method": "POST", "path": "/api/uploads", "raw_path": b"/api/uploads",
             "query_string": b"", "scheme": "http", "server": ("testserver", 80), "root_path": "",
             "http_version": "1.1", "client": ("127.0.0.1", 1), "app": app, "state": {},
             "headers": [(b"authorization", token), (b"content-type", b"multipart/form-data; boundary=gone")]}

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO, logger="formflow"):
        client.portal.call(app, scope, receive, send)
    assert sent[0]["status"] == 400
    assert [r.levelno for r in caplog.records if r.name == "formflow"] == [logging.INFO]
    assert blobs.files == before

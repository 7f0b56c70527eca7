"""Limits on what the JSON API reads: a body's size (declared or streamed) and its nesting depth."""
from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
import uvicorn
from starlette.testclient import TestClient

import runtime.app
from runtime.app import create_app
from runtime.cli import main
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository

CAP = 2048


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(demo=True, max_json=CAP, escalate_every=0), MemoryRepository())) as c:
        yield c


def nested(depth: int) -> bytes:
    return b'{"username": ' + b"[" * depth + b"]" * depth + b"}"


def test_a_body_declared_longer_than_the_cap_is_refused_before_sign_in(client):
    body = orjson.dumps({"username": "x" * CAP, "password": "demo"})
    r = client.post("/api/login", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"error": "the request body is larger than 2 KB"}


def test_a_chunked_body_is_cut_off_at_the_cap(client):
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(100):
            yield b"x" * 512
        yield b'"}'
    r = client.post("/api/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "larger than" in r.json()["error"]


def test_a_body_under_the_cap_is_read(client):
    r = client.post("/api/login", json={"username": "li.na", "password": "demo"})
    assert r.status_code == 200


@pytest.mark.parametrize("depth", [129, 600])
def test_a_deeply_nested_body_is_a_bad_request(client, depth):
    r = client.post("/api/login", content=nested(depth), headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert "nested more than 128 levels" in r.json()["error"]


def test_a_body_nested_past_the_parsers_limit_is_a_bad_request_too():
    with TestClient(create_app(Settings(demo=True, escalate_every=0), MemoryRepository())) as c:
        r = c.post("/api/login", content=nested(2000), headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["error"]


def test_the_default_cap_is_one_mebibyte():
    assert Settings().max_json == 1024 * 1024


def test_serve_takes_the_cap_from_the_command_line(monkeypatch, tmp_path, capsys):
    seen: list[Settings] = []
    monkeypatch.setattr(runtime.app, "create_app", lambda settings: seen.append(settings))
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    main(["serve", "--data", str(tmp_path), "--max-json", "4096"])
    assert seen[0].max_json == 4096


def test_a_body_nested_128_deep_is_read(client):
    r = client.post("/api/login", content=nested(127), headers={"Content-Type": "application/json"})
    assert r.status_code == 422  # read, and the username is not a string


def test_a_form_post_is_capped_like_a_json_body(client):
    """The pages' form posts are read whole by Starlette: the cap applies before they are."""
    r = client.post("/login", data={"username": "x" * CAP, "password": "demo"})
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:
        yield b"username=li.na&password="
        for _ in range(100):
            yield b"x" * 512
    r = client.post("/login", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413

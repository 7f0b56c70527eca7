"""Test helpers shared by several modules: a controllable clock, ids, sample claims and files, a
reading language, the demo with an auditor, a live server in a thread, a test client that posts
from the same origin as a browser would, signing in through the sign-in page."""
from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"


class FakeClock:
    """Time that moves only when a test says so (one second per reading by default)."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> str:
        self.now += timedelta(seconds=1)
        return self.now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def counter_ids(prefix: str = "id") -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers)}"


def claim(total_lines: list[float], category: str = "travel", reason: str = "Client visit") -> dict[str, Any]:
    return {"category": category, "reason": reason,
            "items": [{"description": f"Line {i + 1}", "invoice_no": f"INV-{i + 1:04d}", "amount": amount}
                      for i, amount in enumerate(total_lines)]}


def kill_9_after(code: str, path: Path, acknowledged: int) -> int:
    """Run a writer (`code`, given `path` as argv[1], printing each acknowledged write's number)
    in a new process and kill -9 it once it has acknowledged at least `acknowledged` writes."""
    with subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}) as writer:
        assert writer.stdout is not None
        seen = 0
        while seen < acknowledged:
            seen = int(writer.stdout.readline())
        writer.kill()
    return seen


class SameOriginClient(TestClient):
    """A TestClient that sends `Origin` as a browser does, so posts pass the same-origin check
    (tests/conftest.py makes it every test's `TestClient`). `headers={"Origin": ""}` on a request
    sends none."""

    def __init__(self, app: Any, base_url: str = "http://testserver", *args: Any,
                 headers: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(app, base_url, *args, headers={"Origin": base_url.rstrip("/"), **(headers or {})},
                         **kwargs)


def login_token(client: Any) -> str:
    """The login-CSRF token of the sign-in form, as a browser that opened /login holds it."""
    return client.get("/login").context["login_token"]


def page_sign_in(client: Any, username: str, password: str = "demo", next: str = "/", **kwargs: Any) -> Any:
    """Sign in through the sign-in page (its form token included); the response."""
    return client.post("/login", data={"username": username, "password": password, "next": next,
                                       "csrf_token": login_token(client)}, **kwargs)


def signed_in(client: Any, username: str) -> str:
    """Sign `username` in through the page (the language cookie kept); the session's CSRF token
    (every page's context has it: /inbox is one every account may open)."""
    r = page_sign_in(client, username, "demo", "/", follow_redirects=False)
    assert r.status_code == 303, r.text
    return client.get("/inbox").context["csrf"]


def bearer(client: Any, username: str) -> dict[str, str]:
    """Sign `username` in through the JSON API; the headers that carry its token."""
    token = client.post("/api/login", json={"username": username, "password": "demo"}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def assert_reloads(workflow: Any) -> None:
    """Replaying the workflow's stored events rebuilds exactly the state it holds in memory
    (SpiffWorkflow's habit: save and restore at each step, assert nothing changed)."""
    from runtime.service import Workflow

    reopened = Workflow(workflow.repo, workflow.engine.evaluator)
    assert reopened.state.instances == workflow.state.instances
    assert reopened.state.tasks == workflow.state.tasks
    assert reopened.state.open_by_assignee == {k: v for k, v in workflow.state.open_by_assignee.items()}


# Files people attach: the smallest a PDF and a PNG can be, and a program posing as a PDF.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + chunk(b"IEND", b""))


@contextmanager
def reading_in(locale: str) -> Iterator[None]:
    """Pages and messages in `locale` for the duration, as for a reader who chose it."""
    from runtime import i18n

    token = i18n.current_locale.set(locale)
    try:
        yield
    finally:
        i18n.current_locale.reset(token)


def demo_with_auditor() -> Any:
    """A MemoryRepository with the demo plus an auditor, `audit.gu` (the demo has none)."""
    from runtime.setup import open_workflow
    from runtime.store.repository import MemoryRepository

    repo = MemoryRepository()
    open_workflow(repo, demo=True)
    org = repo.get_org()
    org["roles"].append({"key": "auditor", "name": {"en": "Auditor", "zh_CN": "审计"}})
    staff = next(u for u in org["users"] if u["username"] == "zhang.wei")
    org["users"].append({**staff, "username": "audit.gu", "name": "Gu", "roles": ["auditor"]})
    repo.put_org(org)
    return repo


def definitions_copy(seeded: Any) -> Any:
    """A new MemoryRepository with `seeded`'s organisation and published definitions (no events,
    drafts or sessions): each test edits its own copy of a demo built once per module."""
    from runtime.store.repository import MemoryRepository

    repo = MemoryRepository()
    repo.put_org(seeded.get_org())
    for kind in ("form", "flow", "ruleset"):
        for doc in seeded.list_definitions(kind):
            repo.put_definition(kind, doc)
    return repo


@contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` run by uvicorn in a thread of this process on a free 127.0.0.1 port; its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

"""A real HTTP receiver for webhooks on loopback (http.server in a thread): it keeps each delivery
(headers and body), answers with the status it is told, after an optional delay, or never."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


class Received:
    def __init__(self, status: int = 200, delay: float = 0.0, hang: bool = False) -> None:
        self.status, self.delay, self.hang = status, delay, hang
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()

    def ids(self) -> list[str]:
        with self.lock:
            return [c["body"]["id"] for c in self.calls]

    def wait(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        with self.lock:
            return list(self.calls)


@contextmanager
def receiver(status: int = 200, delay: float = 0.0, hang: bool = False) -> Iterator[tuple[str, Received]]:
    """A receiver's URL and what it got. `hang`: it never answers (until the test ends)."""
    got = Received(status, delay, hang)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if got.hang:
                got.release.wait(60)
                return
            if got.delay:
                time.sleep(got.delay)
            with got.lock:
                got.calls.append({"headers": dict(self.headers), "raw": raw, "body": orjson.loads(raw)})
            self.send_response(got.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    finally:
        got.release.set()
        server.shutdown()
        server.server_close()

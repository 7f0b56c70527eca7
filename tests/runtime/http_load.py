"""Load over real HTTP for the durability tests: claims filed, approved and commented from threads,
each action remembered only once the server acknowledged it (a 2xx answer)."""
from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from tests.support import claim

SUBMITTER, HEAD = "zhang.wei", "li.na"
_numbers = itertools.count(1)


@dataclass
class Acknowledged:
    """What the server said it did: instances started, tasks approved, (instance, text) comments."""

    started: set[str] = field(default_factory=set)
    approved: set[str] = field(default_factory=set)
    comments: set[tuple[str, str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> Acknowledged:
        with self.lock:
            return Acknowledged(set(self.started), set(self.approved), set(self.comments))

    def count(self) -> int:
        with self.lock:
            return len(self.started) + len(self.approved) + len(self.comments)


def sign_in(url: str) -> dict[str, dict[str, str]]:
    """Bearer headers for the submitter and the head (sessions are stored, so they outlive a restart)."""
    with httpx2.Client(base_url=url, timeout=10) as client:
        return {name: {"Authorization": "Bearer " + client.post(
            "/api/login", json={"username": name, "password": "demo"}).json()["token"]} for name in (SUBMITTER, HEAD)}


def _work(url: str, tokens: dict[str, dict[str, str]], acked: Acknowledged, stop: threading.Event) -> None:
    """File a claim, approve its first step, comment on it; again, until `stop` or the server is gone."""
    with httpx2.Client(base_url=url, timeout=10) as client:
        try:
            while not stop.is_set():
                started = client.post("/api/instances", headers=tokens[SUBMITTER],
                                      json={"process": "expense", "data": claim([120.0])})
                if started.status_code != 201:
                    return
                body = started.json()
                with acked.lock:
                    acked.started.add(body["id"])
                task = next(t for t in body["tasks"] if t["assignee"] == HEAD)
                if client.post(f"/api/tasks/{task['id']}/approve", headers=tokens[HEAD],
                               json={"comment": "ok"}).is_success:
                    with acked.lock:
                        acked.approved.add(task["id"])
                text = f"note {next(_numbers)}"
                if client.post(f"/api/instances/{body['id']}/comment", headers=tokens[SUBMITTER],
                               json={"comment": text}).is_success:
                    with acked.lock:
                        acked.comments.add((body["id"], text))
        except httpx2.TransportError:
            return  # the server went away: whatever was not answered is not claimed


@contextmanager
def load(url: str, tokens: dict[str, dict[str, str]], acked: Acknowledged, threads: int = 3) -> Iterator[None]:
    """`threads` workers on the server for the duration of the block."""
    stop = threading.Event()
    workers = [threading.Thread(target=_work, args=(url, tokens, acked, stop), daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)


def missing(data_dir: Path, acked: Acknowledged, audit_key: Path | None = None) -> list[str]:
    """Every acknowledged action that the record in `data_dir` does not hold (empty: all there)."""
    from runtime.setup import open_workflow
    from runtime.store.repository import FileRepository

    with FileRepository(data_dir, audit_key) as repo:
        state = open_workflow(repo, demo=False).state
        lost: list[str] = [f"start {i}" for i in acked.started if i not in state.instances]
        lost += [f"approval {t}" for t in acked.approved if t not in state.tasks or _open(state.tasks[t])]
        lost += [f"comment {i} {text!r}" for i, text in acked.comments
                 if i not in state.instances or not any(e.get("comment") == text for e in state.instances[i].events)]
    return lost


def _open(task: Any) -> bool:
    return str(task.status) == "open"

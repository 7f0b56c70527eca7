"""The delivery log: every attempt to send, appended to `<data>/deliveries.jsonl` and fdatasync'd.

One JSON line per attempt: `{"id", "attempt", "at", "ok", "status", "error", "next", "failed"}`
(`next`: when it is tried again, "" when settled; `failed`: given up). Other lines: `{"reopened":
id}` (an admin's manual retry of a failed delivery) and `{"watermark": seq}`: every delivery of
the events up to `seq` is settled, so a restart replays only the events after it (written
without a sync: a lost watermark only means a longer replay, which skips what is logged sent).
A torn last line (a crash mid-write) is ignored when read back. Without a path (tests, the
in-memory store) the log is kept in memory only.

The webhook courier (another process: `courier`) keeps its own, `webhook-deliveries.jsonl`; the
server reads it once at start-up (`DeliveryLog.read`) to know where to replay from, and asks the
courier for the rows the admin's pages show.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from collections.abc import Iterable
from typing import Any

import orjson

FILE = "deliveries.jsonl"
HOOKS_FILE = "webhook-deliveries.jsonl"


class DeliveryLog:
    def __init__(self, path: Path | None, start: int = 0) -> None:
        """`start`: the last seq of the event log now; a log begun now (new, or in memory) owes
        nothing for the events before it, so an upgraded data directory mails no history."""
        self.path = path
        self.attempts: dict[str, list[dict[str, Any]]] = {}
        self.sent: set[str] = set()
        self.failed: set[str] = set()
        self.reopened: set[str] = set()
        self.watermark = 0
        self._lock = threading.Lock()
        self._fd: int | None = None
        begun = path is None or not path.exists()
        if path is not None:
            if not begun:
                self.fold(read_lines(path))
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if begun and start:
            self._write({"watermark": start}, sync=True)

    @classmethod
    def read(cls, path: Path | None) -> DeliveryLog:
        """A copy in memory of the log at `path` as it stands (nothing is written to the file)."""
        copy = cls(None)
        if path is not None and path.exists():
            copy.fold(read_lines(path))
        return copy

    def fold(self, lines: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            for line in lines:
                self._fold(line)

    def settled(self, delivery_id: str) -> bool:
        return delivery_id in self.sent or delivery_id in self.failed

    def tries(self, delivery_id: str) -> int:
        """Attempts made since the delivery was last reopened."""
        return sum(1 for a in self.attempts.get(delivery_id, ()) if "attempt" in a and not a.get("before_reopen"))

    def attempt(self, delivery_id: str, attempt: int, at: str, ok: bool, status: int | None, error: str,
                next_at: str = "", failed: bool = False) -> None:
        self._write({"id": delivery_id, "attempt": attempt, "at": at, "ok": ok, "status": status,
                     "error": error[:500], "next": next_at, "failed": failed}, sync=True)

    def reopen(self, delivery_id: str) -> None:
        self._write({"reopened": delivery_id}, sync=True)

    def set_watermark(self, seq: int) -> None:
        if seq > self.watermark:
            self._write({"watermark": seq}, sync=False)

    def rows(self, marker: str) -> list[dict[str, Any]]:
        """Each delivery whose id holds `marker` (".hook.<id>", ".email."), the latest first: its
        attempts and where it stands, as the admin's delivery log shows them."""
        rows = []
        with self._lock:
            found = [(i, list(a)) for i, a in self.attempts.items() if marker in i]
        for delivery_id, attempts in found:
            last = attempts[-1]
            state = "sent" if delivery_id in self.sent else "failed" if delivery_id in self.failed else "retrying"
            rows.append({"id": delivery_id, "event": f"evt_{delivery_id.split('.', 1)[0]}", "state": state,
                         "attempts": len(attempts), "status": last.get("status"), "at": last.get("at", ""),
                         "next": last.get("next", ""), "error": last.get("error", ""),
                         "history": [{k: a.get(k) for k in ("attempt", "at", "ok", "status", "error", "next")}
                                     for a in attempts]})
        rows.sort(key=lambda r: int(r["id"].split(".", 1)[0]), reverse=True)
        return rows

    def replay_from(self) -> int:
        """The seq after which events are replayed: the watermark, or before the first reopened
        delivery not yet settled again."""
        pending = [int(i.split(".", 1)[0]) for i in self.reopened if not self.settled(i)]
        return min([self.watermark, *(seq - 1 for seq in pending)])

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _write(self, line: dict[str, Any], *, sync: bool) -> None:
        with self._lock:
            self._fold(line)
            if self._fd is not None:
                os.write(self._fd, orjson.dumps(line) + b"\n")
                if sync:
                    getattr(os, "fdatasync", os.fsync)(self._fd)

    def _fold(self, line: dict[str, Any]) -> None:
        if "watermark" in line:
            self.watermark = max(self.watermark, int(line["watermark"]))
        elif "reopened" in line:
            found = line["reopened"]
            self.failed.discard(found)
            self.reopened.add(found)
            for earlier in self.attempts.get(found, ()):
                earlier["before_reopen"] = True
        elif "id" in line:
            self.attempts.setdefault(line["id"], []).append(line)
            if line.get("ok"):
                self.sent.add(line["id"])
                self.failed.discard(line["id"])
            elif line.get("failed"):
                self.failed.add(line["id"])


def read_lines(path: Path) -> Iterable[dict[str, Any]]:
    for raw in path.read_bytes().splitlines():
        try:
            yield orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue  # a torn tail: the attempt it began was never logged

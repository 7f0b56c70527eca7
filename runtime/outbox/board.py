"""The in-app notifications: each person's notices in memory, and what they have read, stored.

The notices are rebuilt from the log at start-up (`audience` is pure), so only the read state is
stored: per person, the seq up to which all is read ("mark all read") and the notices read one by
one after it (a setting `notifications.read.<username>`, small and rarely written).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from runtime.outbox.notices import Notice

SETTING = "notifications.read."
MAX_LISTED = 200


class Board:
    def __init__(self, get_setting: Callable[[str, Any], Any], put_setting: Callable[[str, Any], None]) -> None:
        self._get, self._put = get_setting, put_setting
        self._by_person: dict[str, list[Notice]] = {}
        self._read: dict[str, tuple[int, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def add(self, notices: Iterable[Notice]) -> None:
        with self._lock:
            for notice in notices:
                self._by_person.setdefault(notice.recipient, []).append(notice)

    def _read_state(self, username: str) -> tuple[int, frozenset[str]]:
        state = self._read.get(username)
        if state is None:
            doc = self._get(SETTING + username, None) or {}
            state = self._read[username] = (int(doc.get("upto", 0)), frozenset(doc.get("read", ())))
        return state

    def items(self, username: str, shown: Callable[[Notice], bool] = lambda n: True,
              limit: int = MAX_LISTED) -> list[tuple[Notice, bool]]:
        """This person's notices, the latest first, each with whether it is unread."""
        with self._lock:
            upto, read = self._read_state(username)
            mine = self._by_person.get(username, [])
            out: list[tuple[Notice, bool]] = []
            for notice in reversed(mine):
                if shown(notice):
                    out.append((notice, notice.seq > upto and notice.id not in read))
                    if len(out) >= limit:
                        break
            return out

    def unread(self, username: str, shown: Callable[[Notice], bool] = lambda n: True) -> int:
        with self._lock:
            upto, read = self._read_state(username)
            count = 0
            for notice in reversed(self._by_person.get(username, [])):
                if notice.seq <= upto:
                    break
                if notice.id not in read and shown(notice):
                    count += 1
            return count

    def find(self, username: str, notice_id: str) -> Notice | None:
        with self._lock:
            return next((n for n in self._by_person.get(username, []) if n.id == notice_id), None)

    def mark_read(self, username: str, notice_id: str) -> None:
        with self._lock:
            upto, read = self._read_state(username)
            self._store(username, upto, read | {notice_id})

    def mark_all_read(self, username: str) -> None:
        with self._lock:
            mine = self._by_person.get(username, [])
            self._store(username, mine[-1].seq if mine else 0, frozenset())

    def _store(self, username: str, upto: int, read: frozenset[str]) -> None:
        read = frozenset(i for i in read if int(i.split(".", 1)[0]) > upto)
        self._read[username] = (upto, read)
        self._put(SETTING + username, {"upto": upto, "read": sorted(read)})

"""The event log: the append-only, hash-chained record of every command, and the source of truth for work.

Every command appends its events here and is acknowledged only after `fdatasync`; the in-memory
projection of instances and tasks is rebuilt from it at start-up. Each line is one compact JSON
object carrying `seq` (1, 2, 3, … across the file) and `prev`, the SHA-256 of the previous line's
bytes (without its newline; 64 zeros for the first line), so any edit of the record is detectable
(`verify`). The log keeps the last line's seq and hash in memory, so an append costs the same at
line 10 and at line 10 million: it never re-reads the file.

A crash can tear only the tail (a batch is one `write`): at open, a last line without its newline,
or a last line that is not JSON, is moved aside into `<name>.torn-<timestamp>` and reported via
`recovered_torn_tail` and a logged warning — never silently dropped or "repaired". Anything wrong
before the tail is corruption and raises `StoreCorrupt` naming the line.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from runtime.store.errors import StoreCorrupt, StoreError

__all__ = ["GENESIS", "EventLog", "MemoryEventLog", "TornTail", "VerifyReport", "verify"]

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
"""The `prev` of the first line."""

_RESERVED = ("seq", "prev", "commit")
_COMMIT_MARK = b'"commit":true'  # how the last event of every batch reads on disk (sorted keys)
_Lines = Iterator[tuple[int, bytes, bool]]
_TAIL_BLOCK = 64 * 1024


@dataclass(frozen=True)
class TornTail:
    """Bytes found after the last good line at open and moved aside; the events were never acknowledged."""

    path: Path
    after_seq: int
    size: int

    def __str__(self) -> str:
        return (
            f"set aside a torn write of {self.size} bytes after event {self.after_seq} in {self.path}"
        )


@dataclass(frozen=True)
class VerifyReport:
    """What `verify` found: `ok`, how many lines checked out, and the first bad line with why."""

    path: Path
    ok: bool
    events: int
    head: str
    first_bad_line: int | None = None
    message: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"{self.path}: ok, {self.events} events, head {self.head}"
        return f"{self.path} line {self.first_bad_line}: {self.message}"


def encode_line(event: Mapping[str, Any]) -> bytes:
    """The one spelling of an event on disk: compact, sorted keys, UTF-8, no newline.

    orjson writes the same bytes as `json.dumps(..., separators=(",", ":"), sort_keys=True,
    ensure_ascii=False)` about ten times faster; encoding is on every command's path.
    """
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


def line_hash(line: bytes) -> str:
    """The value the next line's `prev` must hold."""
    return hashlib.sha256(line).hexdigest()


class _Chain:
    """Seals batches of events onto a chain whose tip is (`last_seq`, `head`); shared by both logs."""

    def __init__(self) -> None:
        self.last_seq = 0
        self.head = GENESIS
        self._lock = threading.Lock()

    def _seal(self, events: Iterable[Mapping[str, Any]]) -> tuple[list[bytes], list[dict[str, Any]], int, str]:
        """Stamp each event with `seq` and `prev`; the batch's last one also with `commit`, so a
        batch cut short by a crash is recognised and set aside whole (a command is all or nothing)."""
        seq, head = self.last_seq, self.head
        lines: list[bytes] = []
        sealed: list[dict[str, Any]] = []
        events = list(events)
        for position, event in enumerate(events, 1):
            if not isinstance(event, Mapping):
                raise TypeError(f"an event must be a dict, not {type(event).__name__}")
            reserved = [name for name in _RESERVED if name in event]
            if reserved:
                raise ValueError(f"an event must not set {', '.join(reserved)}: the log assigns them")
            seq += 1
            stamped = {**event, "seq": seq, "prev": head}
            if position == len(events):
                stamped["commit"] = True
            line = encode_line(stamped)
            head = line_hash(line)
            lines.append(line)
            sealed.append(stamped)
        return lines, sealed, seq, head


class _ChainChecker:
    """Checks lines one by one: JSON object, `seq` continuing, `prev` matching the previous line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seq = 0
        self.head = GENESIS
        self.previous_head = GENESIS

    def check(self, lineno: int, line: bytes, peek: _Lines) -> dict[str, Any]:
        event = _parse(line)
        if event is None:
            raise StoreCorrupt(self.path, "is not a JSON object (the file was edited or damaged)", lineno)
        seq = event.get("seq")
        if type(seq) is not int or seq != self.seq + 1:
            raise StoreCorrupt(
                self.path, f"seq is {seq!r} but {self.seq + 1} was expected (lines lost or edited)", lineno
            )
        if event.get("prev") != self.head:
            raise self._chain_break(lineno, line, peek)
        self.seq = seq
        self.previous_head, self.head = self.head, line_hash(line)
        return event

    def _chain_break(
        self, lineno: int, line: bytes, peek: _Lines
    ) -> StoreCorrupt:
        # Line n's prev does not match line n-1. If line n+1 still matches line n, line n is intact
        # and line n-1 was altered; if line n+1 does not match either, line n itself was altered.
        following = next(peek, None)
        if lineno == 1:
            return StoreCorrupt(self.path, "prev of the first line is not 64 zeros (the line was altered)", 1)
        if following is None or not following[2]:
            return StoreCorrupt(
                self.path,
                f"does not match the hash recorded in line {lineno} (line {lineno - 1} or line "
                f"{lineno} was altered)",
                lineno - 1,
            )
        next_event = _parse(following[1])
        if next_event is not None and next_event.get("prev") == line_hash(line):
            return StoreCorrupt(
                self.path,
                f"does not match the hash recorded in line {lineno} (this line was altered)",
                lineno - 1,
            )
        return StoreCorrupt(
            self.path, f"prev does not match the hash of line {lineno - 1} (this line was altered)", lineno
        )


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _numbered_lines(handle: Any, limit: int | None) -> _Lines:
    """(line number, bytes without newline, had a newline) for each line in the first `limit` bytes."""
    consumed = 0
    for lineno, raw in enumerate(handle, 1):
        if limit is not None and consumed >= limit:
            return
        consumed += len(raw)
        terminated = raw.endswith(b"\n")
        yield lineno, raw[:-1] if terminated else raw, terminated


def _datasync(fd: int) -> None:
    getattr(os, "fdatasync", os.fsync)(fd)


def fsync_dir(directory: Path) -> None:
    """Make a file's creation or rename in `directory` durable (the directory entry itself)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EventLog(_Chain):
    """The event log in a JSON-lines file; one process appends (the data-directory lock sees to that)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = Path(path)
        self.recovered_torn_tail: TornTail | None = None
        self._broken: str | None = None
        existed = self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if not existed:
                fsync_dir(self.path.parent)
            self._size = os.fstat(self._fd).st_size
            self._open_tail()
        except BaseException:
            os.close(self._fd)
            raise

    def append(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write the events as one batch, fdatasync, and return them as stored (with `seq`, `prev`).

        Events must be plain JSON data (dict, list, str, int, float, bool, None) so that what is
        returned equals what a restart reads back; the engine builds them that way.
        """
        with self._lock:
            if self._fd < 0:
                raise StoreError(f"event log {self.path} is closed")
            if self._broken:
                raise StoreError(self._broken)
            lines, sealed, seq, head = self._seal(events)
            if not lines:
                return []
            blob = b"".join(line + b"\n" for line in lines)
            self._write(blob)
            self.last_seq, self.head = seq, head
            self._size += len(blob)
        return sealed

    def read(self) -> Iterator[dict[str, Any]]:
        """Every event from the first, checking the chain; raises `StoreCorrupt` at a bad line."""
        checker = _ChainChecker(self.path)
        with open(self.path, "rb") as handle:
            lines = _numbered_lines(handle, self._size)
            for lineno, line, _ in lines:
                yield checker.check(lineno, line, lines)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, blob: bytes) -> None:
        view = memoryview(blob)
        try:
            written = 0
            while written < len(blob):
                written += os.write(self._fd, view[written:])
            _datasync(self._fd)
        except BaseException as exc:
            # Whatever reached the file is cut off again, and the log refuses further appends:
            # after a failed fdatasync the kernel's view of the file can no longer be trusted.
            self._broken = (
                f"event log {self.path} could not be written ({exc!r}); the last command was not "
                "recorded and no further command will be until formflow is restarted"
            )
            try:
                os.ftruncate(self._fd, self._size)
            except OSError:
                pass
            if isinstance(exc, OSError):
                raise StoreError(self._broken) from exc
            raise

    def _open_tail(self) -> None:
        """Find the last good line (its seq and hash) and move a torn tail aside."""
        if self._size == 0:
            return
        start, buffer = self._read_tail()
        pieces = buffer.split(b"\n")
        offsets, offset = [], start
        for piece in pieces:
            offsets.append(offset)
            offset += len(piece) + 1
        complete = list(zip(offsets[:-1], pieces[:-1]))
        if start > 0:
            complete = complete[1:]
        good_end = self._size - len(pieces[-1])
        if complete and _parse(complete[-1][1]) is None:
            good_end = complete.pop()[0]
        while complete and _COMMIT_MARK not in complete[-1][1] and _parse(complete[-1][1]) is not None:
            good_end = complete.pop()[0]  # a batch the crash cut short: none of it happened
        if complete:
            last = _parse(complete[-1][1])
            if last is None or type(last.get("seq")) is not int:
                raise StoreCorrupt(
                    self.path,
                    "the last lines are damaged; run `formflow audit verify` to find where",
                    self._line_number_at(complete[-1][0]),
                )
            self.last_seq, self.head = last["seq"], line_hash(complete[-1][1])
        if good_end < self._size:
            self._set_aside(good_end)

    def _read_tail(self) -> tuple[int, bytes]:
        """The file's last bytes: at least its last three lines, back to the last committed one."""
        position, buffer = self._size, b""

        def committed_line_seen() -> bool:
            return _COMMIT_MARK in buffer[buffer.find(b"\n") + 1:buffer.rfind(b"\n")]

        while position > 0 and (buffer.count(b"\n") < 4 or not committed_line_seen()):
            step = min(_TAIL_BLOCK, position)
            position -= step
            buffer = os.pread(self._fd, step, position) + buffer
        return position, buffer

    def _line_number_at(self, offset: int) -> int:
        with open(self.path, "rb") as handle:
            return handle.read(offset).count(b"\n") + 1

    def _set_aside(self, good_end: int) -> None:
        torn = os.pread(self._fd, self._size - good_end, good_end)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.path.with_name(f"{self.path.name}.torn-{stamp}")
        suffix = 0
        while True:
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                break
            except FileExistsError:
                suffix += 1
                target = self.path.with_name(f"{self.path.name}.torn-{stamp}-{suffix}")
        try:
            os.write(fd, torn)
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_dir(self.path.parent)
        os.ftruncate(self._fd, good_end)
        os.fsync(self._fd)
        self._size = good_end
        self.recovered_torn_tail = TornTail(target, self.last_seq, len(torn))
        logger.warning("event log %s: %s", self.path, self.recovered_torn_tail)


class MemoryEventLog(_Chain):
    """The same log in memory, byte-for-byte the same events, for tests and the in-memory repository."""

    def __init__(self) -> None:
        super().__init__()
        self.recovered_torn_tail: TornTail | None = None
        self._lines: list[bytes] = []

    def append(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with self._lock:
            lines, sealed, seq, head = self._seal(events)
            self._lines.extend(lines)
            self.last_seq, self.head = seq, head
        return sealed

    def read(self) -> Iterator[dict[str, Any]]:
        for line in self._lines[:]:
            yield orjson.loads(line)

    def close(self) -> None:
        pass

    def __enter__(self) -> MemoryEventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def verify(path: Path | str) -> VerifyReport:
    """Check a log's hash chain and seq continuity without changing it (`formflow audit verify`)."""
    path = Path(path)
    checker = _ChainChecker(path)
    if not path.is_file():
        return VerifyReport(path, False, 0, GENESIS, 0, "there is no event log here")
    with open(path, "rb") as handle:
        lines = _numbered_lines(handle, None)
        for lineno, line, terminated in lines:
            if not terminated:
                return VerifyReport(
                    path, False, checker.seq, checker.head, lineno,
                    "has no trailing newline: a torn write (formflow sets it aside when it starts)",
                )
            try:
                checker.check(lineno, line, lines)
            except StoreCorrupt as exc:
                bad = exc.line or lineno
                head = checker.head if bad > checker.seq else checker.previous_head
                return VerifyReport(path, False, bad - 1, head, bad, exc.detail)
    return VerifyReport(path, True, checker.seq, checker.head, None, "chain intact")

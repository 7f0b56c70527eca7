"""The event log: the append-only, hash-chained record of every command, and the source of truth for work.

Every command appends its events here and is acknowledged only after `fdatasync`; the in-memory
projection of instances and tasks is rebuilt from it at start-up. Each line is one compact JSON
object carrying `seq` (1, 2, 3, … across the file) and `prev`, what the previous line leaves for
the next (64 zeros for the first line), so any edit of the record is detectable (`verify`). The
log keeps the last line's seq and digest in memory, so an append costs the same at line 10 and at
line 10 million: it never re-reads the file.

Keyed or plain (`runtime.store.chain`): opened with an audit key, the log writes keyed lines (each
carries `mac`, HMAC-SHA256 under the key, as its last member, and the next `prev` is that MAC);
without one, plain lines (`prev` the SHA-256 of the previous line), as every log before the key
existed. A log says it is keyed by its lines: an old plain log opened with a key is upgraded by
going on keyed after its last plain line — nothing already written is rewritten — and from then
on it opens only with that key (`KeyNeeded` without one, `StoreError` naming the key file for
another key: its last line's MAC is checked at open). `verify` with a key demands a keyed log: a
log with no MAC at all was re-chained without the key (or has had no command since keying began).

A crash can tear only the tail (a batch is one `write`): at open, a last line without its newline,
or a last line that is not JSON, is moved aside into `<name>.torn-<timestamp>` and reported via
`recovered_torn_tail` and a logged warning — never silently dropped or "repaired". Anything wrong
before the tail is corruption and raises `StoreCorrupt` naming the line.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from runtime.store.chain import (GENESIS, MAC_TRAILER, Chain, ChainChecker, KeyNeeded, Lines, encode_line,
                                 line_digest, line_hash, parse_line)
from runtime.store.errors import StoreCorrupt, StoreError

__all__ = ["GENESIS", "EventLog", "KeyNeeded", "MemoryEventLog", "TornTail", "VerifyReport", "committed_size",
           "encode_line", "is_keyed", "line_hash", "verify"]

logger = logging.getLogger(__name__)

_COMMIT_MARK = b'"commit":true'  # how the last event of every batch reads on disk (sorted keys)
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
    """What `verify` found: `ok`, how many lines checked out, and the first bad line with why;
    `heads` holds the chain digest after each line asked for (for anchors)."""

    path: Path
    ok: bool
    events: int
    head: str
    first_bad_line: int | None = None
    message: str = ""
    keyed: bool = False
    heads: dict[int, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.ok:
            return f"{self.path}: ok, {self.events} events, {'keyed ' if self.keyed else ''}head {self.head}"
        return f"{self.path} line {self.first_bad_line}: {self.message}"


def _numbered_lines(handle: Any, limit: int | None) -> Lines:
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


class EventLog(Chain):
    """The event log in a JSON-lines file; one process appends (the data-directory lock sees to that)."""

    def __init__(self, path: Path | str, key: bytes | None = None) -> None:
        super().__init__(key)
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
        checker = ChainChecker(self.path, self.key)
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
        if complete and parse_line(complete[-1][1]) is None:
            good_end = complete.pop()[0]
        while complete and _COMMIT_MARK not in complete[-1][1] and parse_line(complete[-1][1]) is not None:
            good_end = complete.pop()[0]  # a batch the crash cut short: none of it happened
        if complete:
            last = parse_line(complete[-1][1])
            if last is None or type(last.get("seq")) is not int:
                raise StoreCorrupt(
                    self.path,
                    "the last lines are damaged; run `formflow audit verify` to find where",
                    self._line_number_at(complete[-1][0]),
                )
            self._check_key(complete[-1][1], complete[-1][0], complete[-2][1] if len(complete) > 1 else None)
            self.last_seq, self.head = last["seq"], line_digest(complete[-1][1])
        if good_end < self._size:
            self._set_aside(good_end)

    def _check_key(self, last_line: bytes, offset: int, before: bytes | None) -> None:
        """A keyed log opens only with its key: appending plain lines, or lines under another key,
        would make the whole record after them fail `verify`."""
        if not MAC_TRAILER.search(last_line):
            return
        if self._mac is None:
            raise KeyNeeded(self.path, self._line_number_at(offset))
        if not self._mac.matches(last_line):
            lineno = self._line_number_at(offset)
            if before is not None and self._mac.matches(before):
                raise StoreCorrupt(self.path, "the MAC does not match the line (the line was altered); run "
                                   "`formflow audit verify`", lineno)
            raise StoreError(
                f"{self.path}: the audit key given is not the key this log was written with (the MAC of its "
                f"last line, {lineno}, does not match); give the right one with --audit-key FILE")

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


class MemoryEventLog(Chain):
    """The same log in memory, byte-for-byte the same events, for tests and the in-memory repository."""

    def __init__(self, key: bytes | None = None) -> None:
        super().__init__(key)
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


def verify(path: Path | str, key: bytes | None = None, *, limit: int | None = None,
           heads_at: Collection[int] = (), keyed_after: int | None = None) -> VerifyReport:
    """Check a log's chain, seq continuity and (with `key`) every MAC without changing it
    (`formflow audit verify`); `limit` stops after that many bytes (a live log's committed part);
    `keyed_after` (an old log's upgrade record, `audit_key.Upgrade`): lines up to it may be plain."""
    path = Path(path)
    checker = ChainChecker(path, key, keyed_after)
    heads: dict[int, str] = {}
    wanted = set(heads_at)
    if not path.is_file():
        return VerifyReport(path, False, 0, GENESIS, 0, "there is no event log here")
    with open(path, "rb") as handle:
        lines = _numbered_lines(handle, limit)
        for lineno, line, terminated in lines:
            if not terminated:
                return VerifyReport(
                    path, False, checker.seq, checker.head, lineno,
                    "has no trailing newline: a torn write (formflow sets it aside when it starts)",
                )
            try:
                checker.check(lineno, line, lines)
            except KeyNeeded as exc:
                return VerifyReport(path, False, checker.seq, checker.head, lineno, str(exc).split(": ", 1)[1])
            except StoreCorrupt as exc:
                bad = exc.line or lineno
                head = checker.head if bad > checker.seq else checker.previous_head
                return VerifyReport(path, False, bad - 1, head, bad, exc.detail, checker.keyed_from is not None)
            if lineno in wanted:
                heads[lineno] = checker.head
    keyed = checker.keyed_from is not None
    if key is not None and checker.seq and not keyed and (keyed_after is None or checker.seq > keyed_after):
        return VerifyReport(
            path, False, 0, GENESIS, 1,
            "the log carries no MAC though an audit key is given: it was re-chained without the key (or no "
            "command has been recorded since keying began)")
    return VerifyReport(path, True, checker.seq, checker.head, None, "chain intact", keyed, heads)


def committed_size(path: Path | str) -> int:
    """How many bytes of a log (perhaps being written to) end with its last committed line: what a
    reader beside a running server may trust (the log is append-only, a batch one `write`)."""
    with open(path, "rb") as handle:
        position = os.fstat(handle.fileno()).st_size
        buffer = b""
        while position > 0:
            step = min(_TAIL_BLOCK, position)
            position -= step
            handle.seek(position)
            buffer = handle.read(step) + buffer
            pieces = buffer.split(b"\n")
            ends, offset = [], position
            for piece in pieces[:-1]:
                offset += len(piece) + 1
                ends.append(offset)
            first_whole = 0 if position == 0 else 1
            for index in range(len(pieces) - 2, first_whole - 1, -1):
                if _COMMIT_MARK in pieces[index]:
                    return ends[index]
    return 0


def is_keyed(path: Path | str) -> bool:
    """Whether the log at `path` has keyed lines (its last lines show it: keyed never turns plain)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(0, size - _TAIL_BLOCK))
            tail = handle.read()
    except FileNotFoundError:
        return False
    return any(MAC_TRAILER.search(line) for line in tail.split(b"\n")[-3:])

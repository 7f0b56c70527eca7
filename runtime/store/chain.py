"""The hash chain of the event log: how a line is sealed onto it and how a line is checked against it.

Two kinds of line, told apart by the line itself:
- a *plain* line (every log before issue 10): `prev` is the SHA-256 of the previous line's bytes;
  what the next line's `prev` must hold is the SHA-256 of this one.
- a *keyed* line: the same `prev`, plus a MAC, HMAC-SHA256 under the audit key of the line's
  bytes without it, written as the line's last member: `…,"mac":"<64 hex>"}`. What the next
  line's `prev` must hold is this MAC. Without the key nobody can write a line that checks out,
  so a history rewritten and re-chained without the key is caught at its first line.

A log may start plain and turn keyed (an old log opened by a keyed server goes on keyed; the first
keyed line's `prev` is the SHA-256 of the last plain line, so nothing is rewritten), never the
other way: a plain line after a keyed one is a rewrite. Pure functions; no I/O here.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from runtime.store.errors import StoreCorrupt, StoreError

__all__ = ["GENESIS", "MAC_TRAILER", "Chain", "ChainChecker", "KeyNeeded", "Mac", "encode_line", "line_digest",
           "line_hash", "parse_line"]

GENESIS = "0" * 64
"""The `prev` of the first line."""

RESERVED = ("seq", "prev", "commit", "mac")
MAC_TRAILER = re.compile(rb',"mac":"([0-9a-f]{64})"\}\Z')
_MAC_PREFIX = b',"mac":"'
Lines = Iterator[tuple[int, bytes, bool]]


class KeyNeeded(StoreError):
    """A keyed log was opened or checked without its audit key."""

    def __init__(self, path: Path | str, line: int) -> None:
        self.path = Path(path)
        self.line = line
        super().__init__(
            f"{self.path} line {line}: the event log is keyed (HMAC-SHA256) from this line on; give its "
            "audit key with --audit-key FILE or FORMFLOW_AUDIT_KEY_FILE"
        )


def encode_line(event: Mapping[str, Any]) -> bytes:
    """The one spelling of an event on disk: compact, sorted keys, UTF-8, no newline.

    orjson writes the same bytes as `json.dumps(..., separators=(",", ":"), sort_keys=True,
    ensure_ascii=False)` about ten times faster; encoding is on every command's path.
    """
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


def line_hash(line: bytes) -> str:
    """The value the next plain line's `prev` must hold."""
    return hashlib.sha256(line).hexdigest()


class Mac:
    """HMAC-SHA256 under one key, its padded key blocks hashed once (RFC 2104): per line it then
    costs about what a plain SHA-256 does, where `hmac.new` per line cost 2.5 times that."""

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        block = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def of(self, body: bytes) -> str:
        inner = self._inner.copy()
        inner.update(body)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def matches(self, line: bytes) -> bool:
        """Whether a keyed line's MAC is the MAC of the rest of it under this key."""
        found = MAC_TRAILER.search(line)
        if not found:
            return False
        body = line[:found.start()] + b"}"
        return hmac.compare_digest(self.of(body).encode(), found.group(1))


def parse_line(line: bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def line_digest(line: bytes) -> str:
    """What the next line's `prev` must hold: the MAC a keyed line carries, else the line's SHA-256."""
    found = MAC_TRAILER.search(line)
    return found.group(1).decode() if found else line_hash(line)


class Chain:
    """Seals batches of events onto a chain whose tip is (`last_seq`, `head`); shared by both logs.
    With a `key` every line is keyed."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key
        self._mac = None if key is None else Mac(key)
        self.last_seq = 0
        self.head = GENESIS
        self._lock = threading.Lock()

    @property
    def keyed(self) -> bool:
        return self.key is not None

    def _seal(self, events: Iterable[Mapping[str, Any]]) -> tuple[list[bytes], list[dict[str, Any]], int, str]:
        """Stamp each event with `seq` and `prev` (and `mac`); the batch's last one also with `commit`, so a
        batch cut short by a crash is recognised and set aside whole (a command is all or nothing)."""
        seq, head, mac = self.last_seq, self.head, self._mac
        lines: list[bytes] = []
        sealed: list[dict[str, Any]] = []
        events = list(events)
        for position, event in enumerate(events, 1):
            if not isinstance(event, Mapping):
                raise TypeError(f"an event must be a dict, not {type(event).__name__}")
            reserved = [name for name in RESERVED if name in event]
            if reserved:
                raise ValueError(f"an event must not set {', '.join(reserved)}: the log assigns them")
            seq += 1
            stamped = {**event, "seq": seq, "prev": head}
            if position == len(events):
                stamped["commit"] = True
            line = encode_line(stamped)
            if mac is None:
                head = line_hash(line)
            else:
                head = mac.of(line)
                line = line[:-1] + _MAC_PREFIX + head.encode() + b'"}'
                stamped["mac"] = head
            lines.append(line)
            sealed.append(stamped)
        return lines, sealed, seq, head


class ChainChecker:
    """Checks lines one by one: JSON object, `seq` continuing, the MAC of a keyed line, `prev`
    matching the previous line. Knows whether it has seen a keyed line (`keyed_from`)."""

    def __init__(self, path: Path, key: bytes | None = None, keyed_after: int | None = None) -> None:
        self.path = path
        self.key = key
        self.keyed_after = keyed_after  # lines after it must be keyed (an old log's upgrade record)
        self._mac = None if key is None else Mac(key)
        self.seq = 0
        self.head = GENESIS
        self.previous_head = GENESIS
        self.keyed_from: int | None = None

    def check(self, lineno: int, line: bytes, peek: Lines) -> dict[str, Any]:
        event = parse_line(line)
        if event is None:
            raise StoreCorrupt(self.path, "is not a JSON object (the file was edited or damaged)", lineno)
        seq = event.get("seq")
        if type(seq) is not int or seq != self.seq + 1:
            raise StoreCorrupt(
                self.path, f"seq is {seq!r} but {self.seq + 1} was expected (lines lost or edited)", lineno
            )
        if "mac" in event:
            self._check_mac(lineno, line, peek)
        elif self.keyed_after is not None and self.key is not None and lineno > self.keyed_after:
            raise StoreCorrupt(
                self.path, f"carries no MAC though the log is keyed after event {self.keyed_after}, where it stood "
                "when its audit key was made (lines were rewritten without the key)", lineno)
        elif self.keyed_from is not None:
            raise StoreCorrupt(
                self.path, f"carries no MAC though the log is keyed from line {self.keyed_from} on (lines "
                "were rewritten without the audit key)", lineno)
        if event.get("prev") != self.head:
            raise self._chain_break(lineno, line, peek)
        self.seq = seq
        self.previous_head, self.head = self.head, line_digest(line)
        return event

    def _check_mac(self, lineno: int, line: bytes, peek: Lines) -> None:
        if self._mac is None:
            raise KeyNeeded(self.path, lineno)
        if not MAC_TRAILER.search(line):
            raise StoreCorrupt(self.path, "has a MAC that is not its last member (the line was altered)", lineno)
        if self.keyed_from is None:
            self.keyed_from = lineno
        if self._mac.matches(line):
            return
        # One altered line fails alone; under a wrong key (or a history re-chained with another
        # key) every line fails, while each still names the one before it.
        following = next(peek, None)
        if following is not None and following[2]:
            after = parse_line(following[1])
            if (after is not None and after.get("prev") == line_digest(line)
                    and "mac" in after and not self._mac.matches(following[1])):
                raise StoreCorrupt(
                    self.path, f"the MAC does not match, nor does line {lineno + 1}'s, though the two chain: "
                    "this is not the audit key the log was written with (wrong --audit-key?), or the history "
                    "was re-chained without it", lineno)
        raise StoreCorrupt(
            self.path, "the MAC does not match the line (the line was altered, or this is not the audit key "
            "the log was written with)", lineno)

    def _chain_break(self, lineno: int, line: bytes, peek: Lines) -> StoreCorrupt:
        # Line n's prev does not match line n-1. If line n+1 still matches line n, line n is intact
        # and line n-1 was altered; if line n+1 does not match either, line n itself was altered.
        if lineno == 1:
            return StoreCorrupt(self.path, "prev of the first line is not 64 zeros (the line was altered)", 1)
        if self.keyed_from == lineno:
            return StoreCorrupt(self.path, f"does not match the hash recorded in line {lineno}, whose MAC holds "
                                "(this line or one before it was altered)", lineno - 1)
        if self.keyed_from is not None and self.keyed_from < lineno:
            # Both lines' MACs hold, so neither was altered: a line between them is missing.
            return StoreCorrupt(self.path, f"prev does not match line {lineno - 1} (a line was removed or "
                                "the lines were reordered)", lineno)
        following = next(peek, None)
        if following is None or not following[2]:
            return StoreCorrupt(
                self.path,
                f"does not match the hash recorded in line {lineno} (line {lineno - 1} or line "
                f"{lineno} was altered)",
                lineno - 1,
            )
        next_event = parse_line(following[1])
        if next_event is not None and next_event.get("prev") == line_digest(line):
            return StoreCorrupt(
                self.path,
                f"does not match the hash recorded in line {lineno} (this line was altered)",
                lineno - 1,
            )
        return StoreCorrupt(
            self.path, f"prev does not match the hash of line {lineno - 1} (this line was altered)", lineno
        )

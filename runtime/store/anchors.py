"""Anchors: the chain's head (sequence, digest, time) written down somewhere the data directory is not.

A keyed chain stops anyone without the key from rewriting the record, but not someone who holds it,
and no chain shows lines cut off its end. An anchor does: once an auditor (or a file the server
appends to daily, `--anchor-file`) has the digest after event N, the log must still hold event N
with exactly that digest. One anchor is one JSON line, `{"digest": …, "seq": …, "time": …}`;
`formflow audit anchor` prints one, `formflow audit verify --anchors FILE` checks every one.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from runtime.store.errors import StoreCorrupt
from runtime.store.eventlog import VerifyReport

__all__ = ["DAY", "Anchor", "anchor_writer", "append_anchor", "check_anchors", "read_anchors"]

DAY = 24 * 60 * 60.0


@dataclass(frozen=True)
class Anchor:
    seq: int
    digest: str
    time: str

    def line(self) -> str:
        return orjson.dumps(asdict(self), option=orjson.OPT_SORT_KEYS).decode()


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Add one anchor line to `path`, durably (the file is made, mode 0600, if it is not there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, anchor.line().encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def anchor_writer(head: Callable[[], tuple[int, str]], path: Path,
                  now: Callable[[], str]) -> Callable[[], Anchor]:
    """The server's job: append an anchor of the chain's current head to `path` (at start, then daily)."""

    def write() -> Anchor:
        seq, digest = head()
        anchor = Anchor(seq, digest, now())
        append_anchor(path, anchor)
        return anchor

    return write


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor in the file (blank lines skipped); a line that is not one is an error naming it."""
    found = []
    for lineno, text in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            value = orjson.loads(text)
            anchor = Anchor(value["seq"], value["digest"], value.get("time", ""))
        except (ValueError, KeyError, TypeError):
            raise StoreCorrupt(path, "is not an anchor (a JSON object with seq, digest and time)", lineno) from None
        if type(anchor.seq) is not int or anchor.seq < 0 or not isinstance(anchor.digest, str):
            raise StoreCorrupt(path, "is not an anchor (seq must be a whole number, digest a string)", lineno)
        found.append(anchor)
    return found


def check_anchors(report: VerifyReport, anchors: Iterable[Anchor]) -> VerifyReport:
    """`report` (of a chain verified with `heads_at` the anchors' seqs) held against each anchor:
    the first that the log no longer bears out makes it fail, naming the first bad event."""
    if not report.ok:
        return report
    for anchor in sorted(anchors, key=lambda a: a.seq):
        if anchor.seq == 0:
            continue
        if anchor.seq > report.events:
            return _failed(report, report.events + 1,
                           f"the log ends at event {report.events} but the anchor of {anchor.time} names event "
                           f"{anchor.seq}: events from {report.events + 1} on were removed (the log was truncated)")
        if report.heads.get(anchor.seq) != anchor.digest:
            return _failed(report, anchor.seq,
                           f"the chain's digest after event {anchor.seq} is {report.heads.get(anchor.seq)}, the "
                           f"anchor of {anchor.time} holds {anchor.digest}: the record up to event {anchor.seq} "
                           "was rewritten since")
    return report


def _failed(report: VerifyReport, line: int, message: str) -> VerifyReport:
    return VerifyReport(report.path, False, line - 1, report.heads.get(line - 1, report.head), line, message,
                        report.keyed, report.heads)

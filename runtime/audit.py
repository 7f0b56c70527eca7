"""`formflow audit verify`: is the record intact, and does it still rebuild into a state?

The record's attachments are part of it: every file an event names (by its SHA-256) must be in
the data directory's content-addressed store with exactly those bytes.

Reads the data directory without taking its lock (the log is append-only, so a running server
does not disturb the check: it reads up to the last committed line) and never changes anything.
With the audit key every line's MAC is checked; with anchors (`runtime.store.anchors`) the log
must still hold each anchored event with the anchored digest. The stored definitions must be
what the record sealed when they were published, and the organisation what the server last
recorded (`runtime.definition_seals`).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from runtime import definition_seals as seals
from runtime import events as event_kinds
from runtime.checkpoint import SETTING as CHECKPOINT
from runtime.checkpoint import checkpoint, differences
from runtime.state import Projection
from runtime.store.blobs import ATTACHMENTS_DIR, blob_path
from runtime.store.anchors import Anchor, check_anchors
from runtime.store.audit_key import provide_key
from runtime.store.errors import StoreError
from runtime.store.eventlog import committed_size, verify

EVENTS_FILE = "events.jsonl"
SETTINGS_FILE = "settings.json"
DEFINITIONS_FILE = "definitions.json"
ORG_FILE = "org.json"


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    message: str


class KeyChecks(NamedTuple):
    """What reading a log needs from its key file: the key, and an old log's upgrade record as the
    boundary of its plain part and an anchor of it."""

    key: bytes | None
    keyed_after: int | None = None
    anchors: tuple[Anchor, ...] = ()
    first_line_matches: bool = True


def key_checks(data_dir: Path, explicit: Path | None, log: Path) -> KeyChecks:
    """The key for reading `data_dir`'s log `log`, never made here (none for a log that is not keyed and has none)."""
    found = provide_key(data_dir, explicit, may_create=False)
    if found is None:
        if explicit is not None:
            raise StoreError(f"there is no audit key at {explicit}")
        return KeyChecks(None)
    upgrade = found.upgrade
    if upgrade is None:
        return KeyChecks(found.key)
    return KeyChecks(found.key, upgrade.keyed_after,
                   (Anchor(upgrade.keyed_after, upgrade.digest, f"the making of the audit key {found.path}"),),
                   found.first_line_matches(log))


def verify_record(data_dir: Path, audit_key: Path | None = None, anchors: Iterable[Anchor] = ()) -> AuditReport:
    """`formflow audit verify` as the CLI and the /audit page run it: with the data directory's
    audit key (`audit_key`, else where `runtime.store.audit_key` finds it; never made here), the
    anchors its making recorded and `anchors`."""
    log = data_dir / EVENTS_FILE
    checks = key_checks(data_dir, audit_key, log)
    if not checks.first_line_matches:
        return AuditReport(False, f"event log broken: {log} line 1: is not the first line recorded when the audit "
                                  "key was made for this log (the line was altered, or the key belongs to another "
                                  "data directory)")
    every = [*checks.anchors, *anchors]
    return verify_data_dir(data_dir, checks.key, every or None, checks.keyed_after)


def verify_data_dir(data_dir: Path, key: bytes | None = None, anchors: list[Anchor] | None = None,
                    keyed_after: int | None = None) -> AuditReport:
    """Check the hash chain (with `key`, every MAC; plain lines only up to `keyed_after`), seq
    continuity and `anchors`, then read every event (as the server does at start-up:
    `runtime.events.read`), replay it into a fresh projection and compare it, at the server's
    last checkpoint, with the state the server held there."""
    log = data_dir / EVENTS_FILE
    limit = committed_size(log) if log.is_file() else None
    chain = verify(log, key, limit=limit, heads_at=[a.seq for a in anchors or ()], keyed_after=keyed_after)
    chain = check_anchors(chain, anchors or ())
    if not chain.ok:
        return AuditReport(False, f"event log broken: {chain}")
    tail = _uncommitted_tail(log, limit, chain.events)
    if tail.startswith("line"):
        return AuditReport(False, f"event log broken: {log} {tail}")
    stored = _stored_checkpoint(data_dir)
    projection = Projection()
    batch: list[dict[str, Any]] = []
    compared = _compare(stored, projection) if stored and stored["seq"] == 0 else None
    files = _Files(data_dir / ATTACHMENTS_DIR)
    try:
        for line in _events(log, limit):
            event = event_kinds.read(line)
            if (problem := files.problem(event)) is not None:
                return AuditReport(False, problem)
            batch.append(event)
            if event.get("commit"):  # replay whole commands only, as the server does at start-up
                for committed in batch:
                    projection.apply(committed)
                batch = []
                if stored and projection.last_seq == stored["seq"]:
                    compared = _compare(stored, projection)
    except event_kinds.UnreadableEvent as exc:
        return AuditReport(False, str(exc))
    except (KeyError, ValueError, TypeError) as exc:
        return AuditReport(False, f"event {projection.last_seq + 1} cannot be replayed: {exc!r}")
    if stored and compared is None:
        return AuditReport(False, f"MISMATCH: the checkpoint names event {stored['seq']}, "
                                  "which does not end a command in the log")
    if compared is not None and not compared.ok:
        return compared
    definitions = _stored_definitions(data_dir)
    if projection.sealed and (unsealed := seals.problems(definitions, projection.sealed)):
        return AuditReport(False, "definitions do not match the record: " + "; ".join(unsealed))
    org = _stored_org(data_dir)
    if projection.orgs and org is not None and projection.orgs[-1]["digest"] != seals.seal(org):
        changed = seals.role_changes(projection.orgs[-1]["roles"], seals.roles_of(org))
        return AuditReport(False, "the organisation was changed since the server last recorded it (edited while "
                                  "it was stopped?)" + (f": {'; '.join(changed)}" if changed else ""))
    sealed = (f"; {len(definitions)} definitions as sealed" if projection.sealed
              else f"; {len(definitions)} definitions from before seals (sealed at the next start)")
    unfinished = f"; {len(batch)} events of an unfinished last command will be set aside" if batch else tail
    anchored = f"; {len(anchors)} anchors hold" if anchors else ""
    unkeyed = "" if chain.keyed or not chain.events else (
        " (plain SHA-256 chain, no audit key: it shows lines that disagree, not a history re-chained)" if key is None
        else f" (plain up to event {keyed_after}, as it stood when the audit key was made; keyed from the next "
             "command on)")
    return AuditReport(True, f"{chain}{unkeyed}{anchored}; replayed {len(projection.instances)} instances and "
                             f"{len(projection.tasks)} tasks{unfinished}; {files.checked} attachment files intact"
                             f"{sealed}; "
                             f"{compared.message if compared else 'no checkpoint to compare with yet'}")


class _Files:
    """Checks the attachment files events name, each file once (its digest remembered)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.verdicts: dict[str, str] = {}

    @property
    def checked(self) -> int:
        return len(self.verdicts)

    def problem(self, event: dict[str, Any]) -> str | None:
        """What is wrong with a file this event names, naming the event, its request and the file."""
        for item in _attachments(event):
            sha256 = item["sha256"]
            if sha256 not in self.verdicts:
                self.verdicts[sha256] = self._verdict(sha256)
            if self.verdicts[sha256]:
                return (f"event {event.get('seq')} (request {event.get('instance')}): attachment "
                        f"{json.dumps(item['name'], ensure_ascii=False)} ({sha256}) {self.verdicts[sha256]}")
        return None

    def _verdict(self, sha256: str) -> str:
        try:
            path = blob_path(self.root, sha256)
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        except FileNotFoundError:
            return "is missing from the store"
        except ValueError:
            return "has no valid SHA-256 in the record"
        return "" if digest.hexdigest() == sha256 else f"was altered: its content now hashes to {digest.hexdigest()}"


def _attachments(value: Any) -> Iterator[dict[str, Any]]:
    """Every file description ({"id", "name", "size", "sha256", "type"}) anywhere in `value`."""
    if isinstance(value, dict):
        if isinstance(value.get("sha256"), str) and "id" in value and "size" in value and "name" in value:
            yield value
            return
        for inner in value.values():
            yield from _attachments(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _attachments(inner)


def _compare(stored: dict[str, Any], projection: Projection) -> AuditReport:
    """Whether the state replayed so far is the one the server stored at the checkpoint."""
    rebuilt = checkpoint(projection)
    if rebuilt["state"] == stored["state"]:
        return AuditReport(True, f"replay rebuilds exactly the state stored at event {stored['seq']}")
    differing = differences(stored, rebuilt)
    return AuditReport(False, f"MISMATCH: replaying to event {stored['seq']} does not rebuild the stored state; "
                              f"instances that differ: {', '.join(differing) or '(none by instance: the set differs)'}")


def _stored_definitions(data_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every definition in the store's file (TinyDB: a table per kind), read without its lock."""
    path = data_dir / DEFINITIONS_FILE
    tables = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return [(kind, doc) for kind in seals.KINDS for doc in (tables.get(kind) or {}).values()]


def _stored_org(data_dir: Path) -> dict[str, Any] | None:
    path = data_dir / ORG_FILE
    table = (json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}).get("org") or {}
    return next(iter(table.values()), None)


def _stored_checkpoint(data_dir: Path) -> dict[str, Any] | None:
    """The checkpoint in the settings document (read directly: the audit takes no lock)."""
    path = data_dir / SETTINGS_FILE
    if not path.exists():
        return None
    tables = json.loads(path.read_text(encoding="utf-8"))
    for table in tables.values():
        for doc in table.values():
            if doc.get("key") == CHECKPOINT:
                return doc["value"]
    return None


def _uncommitted_tail(log: Path, limit: int | None, events: int) -> str:
    """What follows the last committed line (a command being written beside a running server, or
    a torn write the server sets aside when it starts): "" if nothing, a note, or — for a whole
    line there that is not an event — a failure naming it, as the server would refuse to start."""
    if limit is None:
        return ""
    with log.open("rb") as handle:
        handle.seek(limit)
        pieces = handle.read().split(b"\n")
    if not any(pieces):
        return ""
    for offset, piece in enumerate(pieces[:-1], 1):
        try:
            event = json.loads(piece)
        except ValueError:
            event = None
        if not isinstance(event, dict) or event.get("seq") != events + offset:
            return f"line {events + offset}: after the last committed event, not an event (damaged or edited)"
    size = sum(len(piece) + 1 for piece in pieces) - 1
    return f"; {size} bytes after the last committed event not checked (a command being written, or a torn write)"


def _events(path: Path, limit: int | None) -> Iterator[dict[str, Any]]:
    consumed = 0
    with path.open("rb") as handle:
        for line in handle:
            consumed += len(line)
            if limit is not None and consumed > limit:
                return
            yield json.loads(line)

"""The audit key: the secret that keys the event log's chain, kept outside the data directory.

Someone who can rewrite the data directory could, with a plain hash chain, rewrite history and
recompute every hash; with the chain keyed (HMAC-SHA256) they also need this key, so it must not
sit beside the log it protects, nor travel with a backup of it. Where it is, first match wins:
`--audit-key FILE`, the environment variable `FORMFLOW_AUDIT_KEY_FILE`, else `<data dir>.audit-key`
next to the data directory (`./formflow-data.audit-key` for the default `./formflow-data`). The
file holds 32 random bytes as hex, mode 0600. It is made at the first start on a data directory
whose log is not keyed yet; a keyed log whose key file is missing is refused, never re-keyed.

Made for an old log (plain lines already there), the key file also records where that log stood,
as a second line `{"keyed_after": seq, "digest": …, "first_line": sha256 of its first line}`:
the plain part is then anchored beside the key (a rewrite of it is caught, an altered first line
named), a plain line after it is a rewrite, and the log verifies before its first keyed line is
written. (So such a key belongs to that one log: shared with another directory, it fails there.)
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runtime.store.errors import StoreError

__all__ = ["ENV", "AuditKey", "Upgrade", "default_key_path", "key_path", "provide_key", "read_key", "read_key_file"]

ENV = "FORMFLOW_AUDIT_KEY_FILE"
KEY_BYTES = 32
EVENTS_FILE = "events.jsonl"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upgrade:
    """Where an old, plain log stood when its key was made: lines up to `keyed_after` may be plain."""

    keyed_after: int
    digest: str
    first_line: str


@dataclass(frozen=True)
class AuditKey:
    """A key read or just made, where it lives, whether this call made it (to say so), and the
    old log it was made for, if any."""

    key: bytes
    path: Path
    created: bool = False
    upgrade: Upgrade | None = None

    def first_line_matches(self, log: Path) -> bool:
        """Whether `log` starts with the line the upgrade record names (no record: nothing to match)."""
        if self.upgrade is None:
            return True
        first = _first_line(log)
        return first is not None and hashlib.sha256(first).hexdigest() == self.upgrade.first_line

    def created_message(self, data_dir: Path) -> str:
        return (f"formflow: made a new audit key for {data_dir.resolve()} at {self.path.resolve()} (mode 0600). "
                "It keys the event log: keep it outside the data directory and its backups; `formflow audit "
                "verify` and `formflow restore` need it (--audit-key FILE or FORMFLOW_AUDIT_KEY_FILE).")


def default_key_path(data_dir: Path) -> Path:
    data_dir = Path(os.path.abspath(data_dir))
    return data_dir.with_name(f"{data_dir.name}.audit-key")


def key_path(data_dir: Path, explicit: Path | None = None) -> Path:
    """Where the key of `data_dir` is: `explicit`, else the environment's, else next to the directory."""
    if explicit is not None:
        return Path(explicit)
    from_env = os.environ.get(ENV)
    return Path(from_env) if from_env else default_key_path(data_dir)


def read_key(path: Path) -> bytes:
    return read_key_file(path).key


def read_key_file(path: Path) -> AuditKey:
    try:
        text, _, rest = Path(path).read_text(encoding="ascii").strip().partition("\n")
        key = bytes.fromhex(text.strip())
        record = json.loads(rest) if rest.strip() else None
        upgrade = None if record is None else Upgrade(int(record["keyed_after"]), str(record["digest"]),
                                                      str(record["first_line"]))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise StoreError(f"the audit key file {path} does not hold a key "
                         f"(expected {KEY_BYTES * 2} hex digits)") from None
    if len(key) < KEY_BYTES:
        raise StoreError(f"the audit key in {path} is too short ({len(key)} bytes, at least {KEY_BYTES} needed)")
    return AuditKey(key, Path(path), upgrade=upgrade)


def _first_line(log: Path) -> bytes | None:
    try:
        with open(log, "rb") as handle:
            line = handle.readline()
    except FileNotFoundError:
        return None
    return line[:-1] if line.endswith(b"\n") else None


def _written_keyed(log: Path) -> bool:
    """Whether a line of `log` has the shape versions (`runtime.events`, "v") that came with the keyed
    chain: such a log was keyed when written, so a plain one was re-chained; old logs have none."""
    try:
        with open(log, "rb") as handle:
            return any(b'"v":' in line for line in handle)
    except FileNotFoundError:
        return False


def _upgrade_for(log: Path) -> Upgrade | None:
    """Where an old plain log stands now (None for no log, an empty one, or one that does not verify:
    the server refuses that at start anyway)."""
    from runtime.store.eventlog import committed_size, verify

    first = _first_line(log)
    if first is None:
        return None
    report = verify(log, None, limit=committed_size(log))
    if not report.ok or not report.events:
        return None
    return Upgrade(report.events, report.head, hashlib.sha256(first).hexdigest())


def _create_key(path: Path, upgrade: Upgrade | None) -> bytes:
    key = secrets.token_bytes(KEY_BYTES)
    text = key.hex() + "\n"
    if upgrade is not None:
        text += json.dumps({"keyed_after": upgrade.keyed_after, "digest": upgrade.digest,
                            "first_line": upgrade.first_line}, sort_keys=True) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, text.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return key


def _inside(path: Path, directory: Path) -> bool:
    return Path(os.path.abspath(path)).is_relative_to(Path(os.path.abspath(directory)))


def provide_key(data_dir: Path, explicit: Path | None = None, *, may_create: bool = True,
                announce: Callable[[str], object] | None = None) -> AuditKey | None:
    """The key of `data_dir`, made if there is none yet and the log is not keyed, and then
    announced (`announce`, else a logged warning); None when there is none and `may_create` is
    false (read-only commands on an unkeyed log)."""
    from runtime.store.eventlog import is_keyed

    path = key_path(data_dir, explicit)
    if _inside(path, data_dir):
        raise StoreError(f"the audit key {path} must be kept outside the data directory {data_dir} "
                         "(whoever can rewrite the directory must not also hold the key)")
    if path.exists():
        return read_key_file(path)
    if is_keyed(Path(data_dir) / EVENTS_FILE):
        raise StoreError(f"the event log in {data_dir} is keyed but its audit key {path} is not there; "
                         "give it with --audit-key FILE or FORMFLOW_AUDIT_KEY_FILE")
    if not may_create:
        return None
    if _written_keyed(Path(data_dir) / EVENTS_FILE):
        raise StoreError(f"the event log in {data_dir} was written by a formflow that keys it, yet it is plain and "
                         f"its audit key {path} is not there: it was re-chained without the key, or the key was "
                         "lost; give the key with --audit-key FILE (or restore it) rather than start a new one")
    upgrade = _upgrade_for(Path(data_dir) / EVENTS_FILE)
    try:
        made = AuditKey(_create_key(path, upgrade), path, created=True, upgrade=upgrade)
    except FileExistsError:  # made meanwhile by another start
        return read_key_file(path)
    (announce or logger.warning)(made.created_message(Path(data_dir)))
    return made

"""`formflow backup DEST` and `formflow restore SRC --data DIR`: a consistent copy, checked before use.

A running server holds the data directory's lock, so a backup takes no lock and relies on how
each file is written instead:
- the event log is append-only and a command is one `write`: the copy is the log up to its last
  committed line at the moment it is read (`committed_size`);
- the documents (TinyDB) are replaced whole and atomically: each file read is one whole version;
- everything an event refers to (a published definition, an uploaded file and its registration)
  is written before the event, so reading the documents and attachments *after* the log finds
  all of it. The one document that refers forward is the checkpoint in `settings.json` (the
  state at an event); it is read first among the documents, and if it names an event the copy
  of the log does not reach yet, the copy is extended to exactly that event.
`MANIFEST.json` lists every file with its SHA-256 and size and the log's head (seq, digest), and
carries `mac`, an HMAC-SHA256 of the rest under the audit key: whoever edits a document of the
backup (an org with someone made admin) cannot make its manifest agree without the key. The
backup is written into a temporary directory beside DEST and renamed into place; its files are
readable by their owner only, as the data directory's are.

A restore needs the audit key and checks the whole backup before it writes anything: the
manifest's MAC, every name in it (a plain relative path inside the backup; no symbolic link
anywhere in it), every file against the manifest (nothing missing, altered or added), the log's chain (with the audit key, every MAC) and its head
against the manifest (and, given anchors, against each anchor up to its head); then it copies
into a temporary directory beside DIR and renames it into place, so DIR is either absent or
complete. The audit key is never in a backup.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from runtime.store.errors import StoreCorrupt, StoreError
from runtime.store.anchors import Anchor, check_anchors
from runtime.store.chain import GENESIS, line_digest
from runtime.store.eventlog import committed_size, fsync_dir, verify
from runtime.store.lock import LOCK_NAME

__all__ = ["MANIFEST", "backup", "restore"]

MANIFEST = "MANIFEST.json"
EVENTS = "events.jsonl"
SETTINGS = "settings.json"
CHECKPOINT = "checkpoint"
_CHUNK = 1 << 20
_FILE_MODE, _DIR_MODE = 0o600, 0o700  # a copy of the data is as private as the data
MAC = "mac"


SESSIONS = "sessions.json"


def _skipped(relative: Path) -> bool:
    """Files of the data directory that are not data: the lock, temp files of unfinished writes,
    and the sign-in sessions (a restored server signs everyone in afresh: a backup carries no
    session that would still let someone in)."""
    name = relative.name
    return str(relative) in (LOCK_NAME, SESSIONS) or (name.startswith(".") and name.endswith(".tmp"))


def _data_files(root: Path) -> Iterator[Path]:
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in sorted(files):
            relative = (Path(directory) / name).relative_to(root)
            if not _skipped(relative):
                yield relative


def _empty_target(path: Path, what: str) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise StoreError(f"{what} {path} is not empty: choose a new directory")


def _manifest_mac(manifest: dict[str, Any], key: bytes) -> str:
    body = orjson.dumps({k: v for k, v in manifest.items() if k != MAC}, option=orjson.OPT_SORT_KEYS)
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _private(path: Path) -> Any:
    """A new file only its owner may read (`open(..., opener=…)`)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)


def _mkdirs(directory: Path) -> None:
    """`directory` and any missing parents, each private (`mkdir(parents=True)` gives parents the default mode)."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    for each in reversed(missing):
        each.mkdir(mode=_DIR_MODE, exist_ok=True)


def _write(target: Path, payload: bytes) -> dict[str, Any]:
    _mkdirs(target.parent)
    with open(target, "wb", opener=lambda path, _: _private(Path(path))) as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    return {"sha256": hashlib.sha256(payload).hexdigest(), "size": len(payload)}


def _copy(source: Path, target: Path) -> dict[str, Any]:
    """Copy a file, hashing on the way (attachments can be large: in chunks)."""
    digest, size = hashlib.sha256(), 0
    _mkdirs(target.parent)
    with open(source, "rb") as reading, open(target, "wb", opener=lambda path, _: _private(Path(path))) as writing:
        while chunk := reading.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writing.write(chunk)
        writing.flush()
        os.fsync(writing.fileno())
    return {"sha256": digest.hexdigest(), "size": size}


def _log_prefix(log: Path) -> bytes:
    """The log up to its last committed line now."""
    if not log.is_file():
        return b""
    with open(log, "rb") as handle:
        return handle.read(committed_size(log))


def _extended(log: Path, prefix: bytes, seq: int) -> bytes:
    """`prefix` and the log's lines after it up to exactly event `seq` (a checkpoint's: it ends a command)."""
    extra = []
    with open(log, "rb") as handle:
        handle.seek(len(prefix))
        for line in handle:
            extra.append(line)
            if orjson.loads(line).get("seq", 0) >= seq:
                break
    return prefix + b"".join(extra)


def _head(log_bytes: bytes) -> tuple[int, str]:
    lines = log_bytes.rstrip(b"\n").rsplit(b"\n", 1)
    if not lines[-1]:
        return 0, GENESIS
    return orjson.loads(lines[-1])["seq"], line_digest(lines[-1])


def _checkpoint_seq(settings: bytes) -> int:
    try:
        tables = orjson.loads(settings)
    except orjson.JSONDecodeError:
        return 0
    for table in tables.values():
        for doc in table.values():
            if doc.get("key") == CHECKPOINT:
                return int(doc["value"].get("seq", 0))
    return 0


def _publish(temp: Path, target: Path) -> None:
    """Rename the finished temporary directory to `target` (an empty `target` is replaced)."""
    for directory in sorted({p.parent for p in temp.rglob("*")} | {temp}, key=lambda p: -len(p.parts)):
        fsync_dir(directory)
    if target.exists():
        target.rmdir()
    os.rename(temp, target)
    fsync_dir(target.parent)


def backup(data_dir: Path, dest: Path, key: bytes, *, now: str) -> dict[str, Any]:
    """Write a consistent copy of `data_dir` (running or not) to `dest`, its manifest keyed with
    the audit `key`; the manifest written."""
    data_dir, dest = Path(data_dir), Path(dest)
    if not (data_dir / EVENTS).is_file():
        raise StoreError(f"{data_dir} holds no event log: it is not a formflow data directory")
    _empty_target(dest, "the backup directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.partial-{uuid.uuid4().hex[:8]}")
    temp.mkdir(mode=_DIR_MODE)
    try:
        files: dict[str, Any] = {}
        log_bytes = _log_prefix(data_dir / EVENTS)
        settings = data_dir / SETTINGS
        if settings.is_file():
            settings_bytes = settings.read_bytes()
            if (wanted := _checkpoint_seq(settings_bytes)) > _head(log_bytes)[0]:
                log_bytes = _extended(data_dir / EVENTS, log_bytes, wanted)
            files[SETTINGS] = _write(temp / SETTINGS, settings_bytes)
        files[EVENTS] = _write(temp / EVENTS, log_bytes)
        for relative in _data_files(data_dir):
            if str(relative) not in files:
                files[str(relative)] = _copy(data_dir / relative, temp / relative)
        seq, digest = _head(log_bytes)
        manifest = {"format": 1, "created": now, "source": str(data_dir.resolve()),
                    "log": {"file": EVENTS, "seq": seq, "digest": digest}, "files": dict(sorted(files.items()))}
        manifest[MAC] = _manifest_mac(manifest, key)
        _write(temp / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        _publish(temp, dest)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return manifest


def _check_name(source: Path, name: Any) -> None:
    """A file the manifest names must be a plain relative path inside the backup: a restore
    writes only inside its new directory and reads only the backup's own files."""
    pure = PurePosixPath(name) if isinstance(name, str) else None
    if pure is None or not pure.parts or pure.is_absolute() or ".." in pure.parts or "\\" in name \
            or str(pure) != name:
        raise StoreCorrupt(source / MANIFEST, f"names a file outside the backup: {name!r}")


def _links(root: Path) -> list[str]:
    """Symbolic links anywhere in `root` (os.walk does not follow them, so it would not see into them)."""
    found = []
    for directory, subdirs, files in os.walk(root):
        found += [str((Path(directory) / n).relative_to(root)) for n in [*subdirs, *files]
                  if (Path(directory) / n).is_symlink()]
    return sorted(found)


def check_backup(source: Path, key: bytes | None, anchors: list[Anchor] | None = None,
                 keyed_after: int | None = None) -> dict[str, Any]:
    """The manifest of the backup in `source` once its MAC under `key`, every file, the log's
    chain and the `anchors` (those up to the backup's head) check out; `StoreCorrupt` naming the
    first thing that does not."""
    source = Path(source)
    if key is None:
        raise StoreError("a restore needs the audit key the backup was made with (--audit-key FILE or "
                         "FORMFLOW_AUDIT_KEY_FILE): without it an altered backup cannot be told from a good one")
    try:
        manifest = orjson.loads((source / MANIFEST).read_bytes())
        listed: dict[str, Any] = manifest["files"]
        log_head = manifest["log"]
        mac = manifest[MAC]
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        raise StoreCorrupt(source / MANIFEST, "is missing, not a formflow backup manifest, or has no MAC") from None
    if not isinstance(mac, str) or not hmac.compare_digest(mac, _manifest_mac(manifest, key)):
        raise StoreCorrupt(source / MANIFEST, "does not carry the MAC of this audit key: the manifest was "
                           "altered, or the backup was made with another key")
    if links := _links(source):
        raise StoreCorrupt(source / links[0], "is a symbolic link: a backup holds only plain files")
    for name in listed:
        _check_name(source, name)
    present = {str(p) for p in _data_files(source)} - {MANIFEST}
    if extra := sorted(present - set(listed)):
        raise StoreCorrupt(source, f"holds files the manifest does not list: {', '.join(extra)}")
    for name, expected in listed.items():
        path = source / name
        if not path.is_file():
            raise StoreCorrupt(path, "is listed in the manifest but missing from the backup")
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        if (digest.hexdigest(), path.stat().st_size) != (expected["sha256"], expected["size"]):
            raise StoreCorrupt(path, "does not match its SHA-256 and size in the manifest (altered or damaged)")
    held = [a for a in anchors or () if a.seq <= log_head.get("seq", 0)]  # later ones came after the backup
    report = check_anchors(verify(source / EVENTS, key, heads_at=[a.seq for a in held], keyed_after=keyed_after),
                           held)
    if not report.ok:
        raise StoreCorrupt(source / EVENTS, f"the backup's event log does not verify: {report}")
    if (report.events, report.head) != (log_head.get("seq"), log_head.get("digest")):
        raise StoreCorrupt(source / EVENTS, f"ends at event {report.events} ({report.head}) but the manifest "
                           f"names event {log_head.get('seq')} ({log_head.get('digest')})")
    return manifest


def restore(source: Path, data_dir: Path, key: bytes | None, anchors: list[Anchor] | None = None,
            keyed_after: int | None = None) -> dict[str, Any]:
    """Check the backup in `source` whole, then copy it to `data_dir` (absent or empty) atomically."""
    source, data_dir = Path(source), Path(data_dir)
    _empty_target(data_dir, "the data directory")
    manifest = check_backup(source, key, anchors, keyed_after)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = data_dir.with_name(f".{data_dir.name}.restoring-{uuid.uuid4().hex[:8]}")
    temp.mkdir(mode=_DIR_MODE)
    try:
        for name, expected in manifest["files"].items():
            if _copy(source / name, temp / name) != expected:
                raise StoreCorrupt(source / name, "changed while it was being restored")
        _publish(temp, data_dir)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return manifest

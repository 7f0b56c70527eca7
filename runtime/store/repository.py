"""The small interface the engine talks to, instead of files.

So that tests run the engine on an in-memory store and a server database can later stand behind
the same methods. Two implementations share one body and differ only in storage, TinyDB's own
habit: `MemoryRepository` (TinyDB `MemoryStorage`, `MemoryEventLog`) and `FileRepository` (one
data directory, locked: `definitions.json` with a table per kind, `org.json`, `sessions.json`,
`settings.json`, `authoring.json` (drafts and change records), `uploads.json` (the registry of
uploaded files) — split so a login, a draft edit or an upload does not rewrite the published
definitions — `events.jsonl`, and the attachment files themselves in `attachments/` (`blobs`).
A file repository keys its event log with the data directory's audit key (`audit_key`: found, or
made at the first start, outside the directory).

Every read is served from memory through small indexes (no query scans a table, nothing touches
disk after start-up) and returns a copy; every document is normalised through JSON on the way in,
so what a caller gets back in this process is what it gets back after a restart. One lock
serialises the document writes; the event log has its own.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from tinydb import TinyDB
from tinydb.table import Document, Table

from runtime.store.audit_key import AuditKey, provide_key
from runtime.store.blobs import ATTACHMENTS_DIR, BlobStore, FileBlobStore, MemoryBlobStore
from runtime.store.documents import open_tinydb
from runtime.store.errors import DefinitionConflict, StoreCorrupt, StoreError
from runtime.store.eventlog import EventLog, MemoryEventLog, TornTail
from runtime.store.jsondata import copied, normalised
from runtime.store.lock import DataDirLock

__all__ = ["KINDS", "FileRepository", "MemoryRepository", "Repository", "open_repository"]

KINDS = ("form", "flow", "ruleset")
_ORG_ID = 1


@runtime_checkable
class Repository(Protocol):
    """What the engine, the auth layer and the app may ask of the store; all results are copies."""

    @property
    def recovered_torn_tail(self) -> TornTail | None: ...

    def put_definition(self, kind: str, doc: dict[str, Any]) -> None: ...
    def get_definition(self, kind: str, key: str, version: int | None = None) -> dict[str, Any] | None: ...
    def list_definitions(self, kind: str) -> list[dict[str, Any]]: ...
    def definition_versions(self, kind: str, key: str) -> list[dict[str, Any]]: ...

    def put_org(self, doc: dict[str, Any]) -> None: ...
    def get_org(self) -> dict[str, Any] | None: ...

    def put_session(self, token: str, record: dict[str, Any]) -> None: ...
    def get_session(self, token: str) -> dict[str, Any] | None: ...
    def delete_session(self, token: str) -> None: ...
    def delete_sessions_where(self, predicate: Callable[[dict[str, Any]], bool]) -> int: ...

    def get_setting(self, key: str, default: Any = None) -> Any: ...
    def put_setting(self, key: str, value: Any) -> None: ...

    def get_draft(self, kind: str, key: str) -> dict[str, Any] | None: ...
    def put_draft(self, kind: str, key: str, draft: dict[str, Any]) -> None: ...
    def delete_draft(self, kind: str, key: str) -> None: ...
    def list_drafts(self, kind: str) -> list[str]: ...
    def put_change(self, kind: str, key: str, version: int, record: dict[str, Any]) -> None: ...
    def list_changes(self, kind: str, key: str) -> list[dict[str, Any]]: ...

    def put_upload(self, record: dict[str, Any]) -> None: ...
    def get_upload(self, upload_id: str) -> dict[str, Any] | None: ...

    @property
    def blobs(self) -> BlobStore: ...

    def append_events(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
    def read_events(self) -> Iterator[dict[str, Any]]: ...
    def chain_head(self) -> tuple[int, str]: ...

    def close(self) -> None: ...


def _copy(value: Any) -> Any:
    """A deep copy of stored JSON data (`jsondata.copied`: orjson, ten times faster than a walk)."""
    return copied(value)


def _normalise(value: Any) -> Any:
    """The value as it will read back after a restart (tuples become lists, …), owned by the store."""
    return normalised(value)


def _token_key(token: str) -> str:
    if not isinstance(token, str) or not token:
        raise ValueError("a session token must be a non-empty string")
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _replace(table: Table, doc_id: int, doc: dict[str, Any]) -> None:
    """Replace a document's whole content in one write (`update` with a dict would merge)."""

    def replace(existing: dict[str, Any]) -> None:
        existing.clear()
        existing.update(doc)

    table.update(replace, doc_ids=[doc_id])


class _Keyed:
    """A TinyDB table with an in-memory index from a string key to the document id."""

    def __init__(self, table: Table, key_of: Callable[[dict[str, Any]], Any], source: Path | str) -> None:
        self.table = table
        self.index: dict[Any, int] = {}
        for doc in table:
            try:
                key = key_of(doc)
            except (KeyError, TypeError):
                raise StoreCorrupt(source, f"table {table.name!r} holds a document without its key") from None
            if key in self.index:
                raise StoreCorrupt(source, f"table {table.name!r} holds {key!r} twice")
            self.index[key] = doc.doc_id

    def get(self, key: Any) -> dict[str, Any] | None:
        doc_id = self.index.get(key)
        return None if doc_id is None else self.table.get(doc_id=doc_id)

    def put(self, key: Any, doc: dict[str, Any]) -> None:
        doc_id = self.index.get(key)
        if doc_id is None:
            self.index[key] = self.table.insert(doc)
        else:
            _replace(self.table, doc_id, doc)

    def delete(self, keys: list[Any]) -> int:
        ids = [self.index[key] for key in keys if key in self.index]
        if ids:
            self.table.remove(doc_ids=ids)
        for key in keys:
            self.index.pop(key, None)
        return len(ids)


class _TinyRepository:
    """The one body of both repositories: TinyDB tables for documents, an event log for work."""

    def __init__(
        self,
        *,
        definitions: TinyDB,
        org: TinyDB,
        sessions: TinyDB,
        settings: TinyDB,
        authoring: TinyDB,
        uploads: TinyDB,
        events: EventLog | MemoryEventLog,
        blobs: BlobStore,
        source: Path | str = "<memory>",
    ) -> None:
        self._dbs = (definitions, org, sessions, settings, authoring, uploads)
        self._blobs = blobs
        self._events = events
        self._lock = threading.RLock()
        self._closed = False
        self._definitions = {
            kind: _Keyed(definitions.table(kind), lambda d: (d["key"], d["version"]), source)
            for kind in KINDS
        }
        self._latest: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
        for kind, keyed in self._definitions.items():
            for key, version in keyed.index:
                latest = self._latest[kind]
                latest[key] = max(version, latest.get(key, version))
        self._org = org.table("org")
        self._sessions = _Keyed(sessions.table("sessions"), lambda d: d["token_sha256"], source)
        self._settings = _Keyed(settings.table("settings"), lambda d: d["key"], source)
        self._drafts = _Keyed(authoring.table("drafts"), lambda d: (d["kind"], d["key"]), source)
        self._changes = _Keyed(authoring.table("changes"),
                               lambda d: (d["kind"], d["key"], d["version"]), source)
        self._uploads = _Keyed(uploads.table("uploads"), lambda d: d["id"], source)

    @property
    def recovered_torn_tail(self) -> TornTail | None:
        return self._events.recovered_torn_tail

    # definitions

    def put_definition(self, kind: str, doc: dict[str, Any]) -> None:
        keyed = self._keyed(kind)
        stored = _normalise(doc)
        key, version = stored.get("key"), stored.get("version")
        if not isinstance(key, str) or not key:
            raise ValueError(f"a {kind} definition needs a non-empty string 'key'")
        if type(version) is not int or version < 1:
            raise ValueError(f"{kind} {key!r} needs an integer 'version' of at least 1")
        with self._lock:
            self._check_open()
            existing = keyed.get((key, version))
            if existing is not None:
                if existing != stored:
                    raise DefinitionConflict(kind, key, version)
                return
            keyed.put((key, version), stored)
            latest = self._latest[kind]
            latest[key] = max(version, latest.get(key, version))

    def get_definition(self, kind: str, key: str, version: int | None = None) -> dict[str, Any] | None:
        keyed = self._keyed(kind)
        with self._lock:
            self._check_open()
            if version is None:
                version = self._latest[kind].get(key)
                if version is None:
                    return None
            return _copy(keyed.get((key, version)))

    def list_definitions(self, kind: str) -> list[dict[str, Any]]:
        keyed = self._keyed(kind)
        with self._lock:
            self._check_open()
            latest = self._latest[kind]
            return [_copy(keyed.get((key, latest[key]))) for key in sorted(latest)]

    def definition_versions(self, kind: str, key: str) -> list[dict[str, Any]]:
        keyed = self._keyed(kind)
        with self._lock:
            self._check_open()
            versions = sorted(v for k, v in keyed.index if k == key)
            return [_copy(keyed.get((key, v))) for v in versions]

    # organisation

    def put_org(self, doc: dict[str, Any]) -> None:
        stored = _normalise(doc)
        if not isinstance(stored, dict):
            raise ValueError("the organisation must be a JSON object")
        with self._lock:
            self._check_open()
            if self._org.contains(doc_id=_ORG_ID):
                _replace(self._org, _ORG_ID, stored)
            else:
                self._org.insert(Document(stored, doc_id=_ORG_ID))

    def get_org(self) -> dict[str, Any] | None:
        with self._lock:
            self._check_open()
            return _copy(self._org.get(doc_id=_ORG_ID))

    # sessions

    def put_session(self, token: str, record: dict[str, Any]) -> None:
        key = _token_key(token)
        stored = {"token_sha256": key, "record": _normalise(record)}
        with self._lock:
            self._check_open()
            self._sessions.put(key, stored)

    def get_session(self, token: str) -> dict[str, Any] | None:
        key = _token_key(token)
        with self._lock:
            self._check_open()
            doc = self._sessions.get(key)
            return None if doc is None else _copy(doc["record"])

    def delete_session(self, token: str) -> None:
        key = _token_key(token)
        with self._lock:
            self._check_open()
            self._sessions.delete([key])

    def delete_sessions_where(self, predicate: Callable[[dict[str, Any]], bool]) -> int:
        """Delete every session whose record the predicate accepts (e.g. expired ones), in one write."""
        with self._lock:
            self._check_open()
            doomed = [doc["token_sha256"] for doc in self._sessions.table if predicate(_copy(doc["record"]))]
            return self._sessions.delete(doomed)

    # settings

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._lock:
            self._check_open()
            doc = self._settings.get(key)
            return default if doc is None else _copy(doc["value"])

    def put_setting(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not key:
            raise ValueError("a setting key must be a non-empty string")
        stored = {"key": key, "value": _normalise(value)}
        with self._lock:
            self._check_open()
            self._settings.put(key, stored)

    # authoring: drafts being edited, and the change record of each published version

    def get_draft(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            self._check_open()
            doc = self._drafts.get((kind, key))
            return None if doc is None else _copy(doc["draft"])

    def put_draft(self, kind: str, key: str, draft: dict[str, Any]) -> None:
        stored = {"kind": kind, "key": key, "draft": _normalise(draft)}
        with self._lock:
            self._check_open()
            self._drafts.put((kind, key), stored)

    def delete_draft(self, kind: str, key: str) -> None:
        with self._lock:
            self._check_open()
            self._drafts.delete([(kind, key)])

    def list_drafts(self, kind: str) -> list[str]:
        """The keys of every draft of this kind, sorted (drafts of definitions not yet published too)."""
        with self._lock:
            self._check_open()
            return sorted(name for (k, name) in self._drafts.index if k == kind)

    def put_change(self, kind: str, key: str, version: int, record: dict[str, Any]) -> None:
        stored = {"kind": kind, "key": key, "version": version, "record": _normalise(record)}
        with self._lock:
            self._check_open()
            self._changes.put((kind, key, version), stored)

    def list_changes(self, kind: str, key: str) -> list[dict[str, Any]]:
        """The change records of a definition's published versions, oldest first."""
        with self._lock:
            self._check_open()
            versions = sorted(v for (k, name, v) in self._changes.index if (k, name) == (kind, key))
            found = [self._changes.get((kind, key, v)) for v in versions]
            return [{"version": d["version"], **_copy(d["record"])} for d in found if d]

    # uploads: the registry of uploaded files (their bytes are in `blobs`)

    @property
    def blobs(self) -> BlobStore:
        return self._blobs

    def put_upload(self, record: dict[str, Any]) -> None:
        """Register an uploaded file ({"id", "name", "size", "sha256", "type", "by", "at"})."""
        stored = _normalise(record)
        if not isinstance(stored.get("id"), str) or not stored["id"]:
            raise ValueError("an upload needs a non-empty string 'id'")
        with self._lock:
            self._check_open()
            self._uploads.put(stored["id"], stored)

    def get_upload(self, upload_id: str) -> dict[str, Any] | None:
        with self._lock:
            self._check_open()
            return _copy(self._uploads.get(upload_id))

    # event log

    def append_events(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self._check_open()
        return self._events.append(events)

    def read_events(self) -> Iterator[dict[str, Any]]:
        self._check_open()
        return self._events.read()

    def chain_head(self) -> tuple[int, str]:
        """The last event's seq and the chain's digest after it (what an anchor records)."""
        self._check_open()
        with self._events._lock:
            return self._events.last_seq, self._events.head

    # life cycle

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for db in self._dbs:
                db.close()
            self._events.close()

    def __enter__(self) -> _TinyRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _keyed(self, kind: str) -> _Keyed:
        try:
            return self._definitions[kind]
        except KeyError:
            raise ValueError(f"unknown definition kind {kind!r}; expected one of {', '.join(KINDS)}") from None

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the repository is closed")


class MemoryRepository(_TinyRepository):
    """Everything in memory: for tests, and for trying formflow without a data directory. Its log is
    keyed as a file repository's is (by `audit_key`, else a key of its own), so events look alike."""

    def __init__(self, audit_key: bytes | None = None) -> None:
        super().__init__(
            definitions=open_tinydb(None),
            org=open_tinydb(None),
            sessions=open_tinydb(None),
            settings=open_tinydb(None),
            authoring=open_tinydb(None),
            uploads=open_tinydb(None),
            events=MemoryEventLog(audit_key or secrets.token_bytes(32)),
            blobs=MemoryBlobStore(),
        )


class FileRepository(_TinyRepository):
    """One data directory, owned by this process for as long as the repository is open."""

    def __init__(self, data_dir: Path | str, audit_key: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._dir_lock = DataDirLock(self.data_dir).acquire()
        opened: list[Any] = []
        try:
            found = provide_key(self.data_dir, audit_key)
            assert found is not None  # made when missing
            self.audit_key: AuditKey = found
            dbs = {}
            for name in ("definitions", "org", "sessions", "settings", "authoring", "uploads"):
                dbs[name] = open_tinydb(self.data_dir / f"{name}.json")
                opened.append(dbs[name])
            events = EventLog(self.data_dir / "events.jsonl", key=self.audit_key.key)
            opened.append(events)
            super().__init__(**dbs, events=events, blobs=FileBlobStore(self.data_dir / ATTACHMENTS_DIR),
                             source=self.data_dir)
        except BaseException:
            for item in opened:
                item.close()
            self._dir_lock.release()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._dir_lock.release()


def open_repository(data_dir: Path | str | None, audit_key: Path | None = None) -> Repository:
    """A `FileRepository` on `data_dir` (its log keyed by `audit_key`, see `runtime.store.audit_key`),
    or a `MemoryRepository` when it is None."""
    return MemoryRepository() if data_dir is None else FileRepository(data_dir, audit_key)

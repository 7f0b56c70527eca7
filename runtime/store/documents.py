"""TinyDB for the small, rarely written document sets: definitions, the organisation, sessions, settings.

TinyDB's `JSONStorage` re-parses the whole file on every read and rewrites it in place on every
write (a crash mid-write leaves half a file); `CachingMiddleware` fixes the reads by not writing at
all until it flushes (here it lost most acknowledged writes under kill -9). `AtomicJSONStorage`
does neither: it parses the file once, serves every read from memory, and makes every write
durable and all-or-nothing (temp file in the same directory, fsync, `os.replace`, fsync the
directory). Temp files orphaned by a crash are removed when the storage opens.

TinyDB's `Table` mutates the dict that `read()` returns (documents, and the table slot) *before* it
calls `write()`. Handing out the cached dict is therefore only safe if a failed write puts the cache
back: `write()` reloads it from the file, which a failed write never touched. Documents that
`Table` returns share nested lists and dicts with the cache: callers that hand them further out
must copy them (the repository does).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import MemoryStorage, Storage

from runtime.store.errors import StoreCorrupt, StoreError
from runtime.store.jsondata import dumps

__all__ = ["AtomicJSONStorage", "open_tinydb"]

_Data = dict[str, dict[str, Any]]


class AtomicJSONStorage(Storage):
    """A TinyDB storage that reads its file once and replaces it atomically and durably on each write."""

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.removed_orphans: list[Path] = self._remove_orphans()
        self._data: _Data | None = self._load()
        self._closed = False

    def read(self) -> _Data | None:
        return self._data

    def write(self, data: _Data) -> None:
        if self._closed:
            raise StoreError(f"{self.path} is closed")
        try:
            self._replace(dumps(data))
        except BaseException:
            self._data = self._load()
            raise
        self._data = data

    def close(self) -> None:
        self._closed = True

    def _replace(self, payload: bytes) -> None:
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(name, self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _remove_orphans(self) -> list[Path]:
        orphans = sorted(self.path.parent.glob(f".{self.path.name}.*.tmp"))
        for orphan in orphans:
            orphan.unlink(missing_ok=True)
        return orphans

    def _load(self) -> _Data | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StoreCorrupt(
                self.path, f"is not valid JSON ({exc}); restore it from a backup", getattr(exc, "lineno", None)
            ) from None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StoreCorrupt(self.path, "is not a TinyDB document file (expected an object of tables)")
        return data


def open_tinydb(path: Path | None) -> TinyDB:
    """A TinyDB on an `AtomicJSONStorage` at `path`, or in memory when `path` is None."""
    if path is None:
        return TinyDB(storage=MemoryStorage)
    return TinyDB(path, storage=AtomicJSONStorage)

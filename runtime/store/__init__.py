"""The store: an append-only event log for work, TinyDB for the small document sets, one owner per directory.

The engine and the app see only `Repository` (`open_repository`); the parts are importable on their
own for the CLI (`verify` for `formflow audit verify`) and for tests.
"""
from __future__ import annotations

from runtime.store.documents import AtomicJSONStorage, open_tinydb
from runtime.store.errors import DataDirLocked, DefinitionConflict, StoreCorrupt, StoreError
from runtime.store.eventlog import EventLog, KeyNeeded, MemoryEventLog, TornTail, VerifyReport, verify
from runtime.store.lock import DataDirLock
from runtime.store.repository import (
    KINDS,
    FileRepository,
    MemoryRepository,
    Repository,
    open_repository,
)

__all__ = [
    "KINDS",
    "AtomicJSONStorage",
    "DataDirLock",
    "DataDirLocked",
    "DefinitionConflict",
    "EventLog",
    "FileRepository",
    "KeyNeeded",
    "MemoryEventLog",
    "MemoryRepository",
    "Repository",
    "StoreCorrupt",
    "StoreError",
    "TornTail",
    "VerifyReport",
    "open_repository",
    "open_tinydb",
    "verify",
]

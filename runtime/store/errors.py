"""The store's errors: few, each with a message an operator can act on.

They subclass `FormflowError` so the web app maps them to HTTP in one place with the rest.
"""
from __future__ import annotations

from pathlib import Path

from rules.errors import FormflowError


class StoreError(FormflowError):
    """The store could not do what was asked: a failed write, a closed repository."""


class StoreCorrupt(StoreError):
    """A file in the data directory is not what formflow wrote; names the file and, if known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.detail = message
        where = f"{self.path} line {line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")


class DataDirLocked(StoreError):
    """Another process already owns the data directory; two writers would lose each other's updates."""

    def __init__(self, path: Path | str, pid: int | None) -> None:
        self.path = Path(path)
        self.pid = pid
        who = f"pid {pid}" if pid is not None else "pid unknown"
        super().__init__(
            f"data directory {self.path} is in use by another formflow process ({who}); "
            "stop it or use --data to choose another directory"
        )


class DefinitionConflict(StoreError):
    """A published (kind, key, version) already exists with different content; versions are immutable."""

    def __init__(self, kind: str, key: str, version: int) -> None:
        self.kind = kind
        self.key = key
        self.version = version
        super().__init__(
            f"{kind} {key!r} version {version} is already published with different content; "
            "published versions are immutable, publish a new version instead"
        )

"""One process owns a data directory.

Two servers on one directory would each keep their own in-memory state and overwrite each other's
files (measured here: concurrent approvals lost 35 of 40 updates while every request answered 200).
An exclusive, non-blocking `flock` on `<dir>/formflow.lock` refuses the second one with a message
naming the owner's PID. The kernel drops the lock when its owner dies, so a crash never leaves a
stale lock behind; the file itself is never deleted (deleting it would let a third process lock a
new inode while the second still holds the old one).
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from runtime.store.errors import DataDirLocked, StoreError

__all__ = ["LOCK_NAME", "DataDirLock"]

LOCK_NAME = "formflow.lock"


class DataDirLock:
    """An exclusive lock on a data directory, held from `acquire()` (or `with`) until `release()`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.lock_file = self.path / LOCK_NAME
        self._fd = -1

    @property
    def held(self) -> bool:
        return self._fd >= 0

    def acquire(self) -> DataDirLock:
        if self.held:
            raise StoreError(f"the lock on {self.path} is already held by this object")
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise DataDirLocked(self.path, pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if not self.held:
            return
        fd, self._fd = self._fd, -1
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)

    def __enter__(self) -> DataDirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip())
    except (OSError, ValueError):
        return None

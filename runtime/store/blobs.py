"""Attachment files, content-addressed: `attachments/<first 2 hex>/<sha256>` under the data directory.

A file is named by the SHA-256 of its bytes, so the same bytes uploaded twice are one file, and
`formflow audit verify` can tell a missing or altered file from the hash the record carries.
Bytes arrive in chunks (an upload streamed off the network) and go to a temp file beside the
store, hashed and counted on the way; only a finished, fsynced file is renamed into place (the
house style of `runtime.store.documents`). Orphaned temp files are removed when the store opens.
While writing, the first bytes are kept for sniffing the content type and the whole stream is
checked for being UTF-8 text without NUL (what plain text and CSV must be).
"""
from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from runtime.store.eventlog import fsync_dir

__all__ = ["ATTACHMENTS_DIR", "BlobStore", "BlobWriter", "FileBlobStore", "MemoryBlobStore", "HEAD_SIZE", "blob_path"]

ATTACHMENTS_DIR = "attachments"  # under the data directory
HEAD_SIZE = 8192  # what content sniffing looks at
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


def blob_path(root: Path, sha256: str) -> Path:
    """Where a file with this digest lives under `root` (the digest is checked, never a path)."""
    if not _SHA256.match(sha256):
        raise ValueError(f"not a SHA-256 digest: {sha256[:80]!r}")
    return root / sha256[:2] / sha256


class BlobWriter:
    """One file being written: `write` chunks, then `commit` (its digest) or `abort`."""

    def __init__(self, sink: BinaryIO, temp: Path | None = None) -> None:
        self._sink = sink
        self.temp = temp  # the file being written, for a file store
        self._hash = hashlib.sha256()
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.size = 0
        self.head = b""
        self.is_text = True

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._sink.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)
        if len(self.head) < HEAD_SIZE:
            self.head += chunk[:HEAD_SIZE - len(self.head)]
        if self.is_text:
            self._check_text(chunk)

    def _check_text(self, chunk: bytes, final: bool = False) -> None:
        try:
            self._utf8.decode(chunk, final=final)
        except UnicodeDecodeError:
            self.is_text = False
        if b"\0" in chunk:
            self.is_text = False

    def finish(self) -> str:
        """The digest of everything written (and the text check settled)."""
        if self.is_text:
            self._check_text(b"", final=True)
        return self._hash.hexdigest()


class BlobStore(Protocol):
    """Where attachment bytes live; `writer` → `commit`; files never change once stored."""

    def writer(self) -> BlobWriter: ...
    def commit(self, writer: BlobWriter) -> str: ...
    def abort(self, writer: BlobWriter) -> None: ...
    def exists(self, sha256: str) -> bool: ...
    def path(self, sha256: str) -> Path | None: ...
    def read(self, sha256: str) -> bytes: ...


class FileBlobStore:
    """Files under `root` (the data directory's `attachments/`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)  # made with the first file
        for orphan in self.root.glob(".upload-*.tmp"):
            orphan.unlink(missing_ok=True)

    def writer(self) -> BlobWriter:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=self.root)
        return BlobWriter(os.fdopen(fd, "wb"), Path(name))

    def commit(self, writer: BlobWriter) -> str:
        """Make the written file durable under its digest (once: same bytes, same file)."""
        sha256 = writer.finish()
        name = writer.temp
        assert name is not None
        sink = writer._sink
        try:
            sink.flush()
            os.fsync(sink.fileno())
            sink.close()
            target = blob_path(self.root, sha256)
            if target.exists():
                name.unlink(missing_ok=True)
                return sha256
            target.parent.mkdir(exist_ok=True)
            os.replace(name, target)
        except BaseException:
            sink.close()
            name.unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)
        return sha256

    def abort(self, writer: BlobWriter) -> None:
        writer._sink.close()
        if writer.temp is not None:
            writer.temp.unlink(missing_ok=True)

    def exists(self, sha256: str) -> bool:
        return blob_path(self.root, sha256).is_file()

    def path(self, sha256: str) -> Path | None:
        found = blob_path(self.root, sha256)
        return found if found.is_file() else None

    def read(self, sha256: str) -> bytes:
        return blob_path(self.root, sha256).read_bytes()


class MemoryBlobStore:
    """Bytes in a dict: for tests and the memory repository."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def writer(self) -> BlobWriter:
        return BlobWriter(io.BytesIO())

    def commit(self, writer: BlobWriter) -> str:
        sha256 = writer.finish()
        sink = writer._sink
        assert isinstance(sink, io.BytesIO)
        self.files.setdefault(sha256, sink.getvalue())
        return sha256

    def abort(self, writer: BlobWriter) -> None:
        writer._sink.close()

    def exists(self, sha256: str) -> bool:
        return sha256 in self.files

    def path(self, sha256: str) -> Path | None:
        return None

    def read(self, sha256: str) -> bytes:
        try:
            return self.files[sha256]
        except KeyError:
            raise FileNotFoundError(sha256) from None

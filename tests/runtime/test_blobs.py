"""The content-addressed file stores: same bytes one file, nothing half-written left in place."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from runtime.store.blobs import FileBlobStore, MemoryBlobStore, blob_path


@pytest.fixture(params=["memory", "file"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path):
    return MemoryBlobStore() if request.param == "memory" else FileBlobStore(tmp_path / "attachments")


def put(blobs, *chunks: bytes) -> str:
    writer = blobs.writer()
    for chunk in chunks:
        writer.write(chunk)
    return blobs.commit(writer)


def test_a_file_is_named_by_the_sha256_of_its_bytes_and_reads_back(blobs):
    sha = put(blobs, b"hello ", b"world")
    assert sha == hashlib.sha256(b"hello world").hexdigest()
    assert blobs.exists(sha) and blobs.read(sha) == b"hello world"


def test_the_same_bytes_twice_are_one_file(blobs, tmp_path):
    assert put(blobs, b"same") == put(blobs, b"sa", b"me")
    if isinstance(blobs, FileBlobStore):
        assert [p.name for p in (tmp_path / "attachments").rglob("*") if p.is_file()] == [
            hashlib.sha256(b"same").hexdigest()]


def test_an_aborted_write_leaves_nothing(blobs, tmp_path):
    writer = blobs.writer()
    writer.write(b"half")
    blobs.abort(writer)
    assert not blobs.exists(hashlib.sha256(b"half").hexdigest())
    if isinstance(blobs, FileBlobStore):
        assert list((tmp_path / "attachments").iterdir()) == []


@pytest.mark.parametrize(("chunks", "is_text"), [
    ((b"plain ", "中文".encode()), True),
    (("中".encode()[:2], "中".encode()[2:]), True),  # a character split across chunks is still text
    ((b"nul\x00",), False),
    (("中".encode()[:2],), False),  # cut short
    ((b"\xff\xfe",), False),
])
def test_the_writer_tells_utf8_text_without_nul(blobs, chunks, is_text):
    writer = blobs.writer()
    for chunk in chunks:
        writer.write(chunk)
    writer.finish()
    assert writer.is_text is is_text
    blobs.abort(writer)


def test_a_digest_is_never_a_path(tmp_path):
    with pytest.raises(ValueError, match="not a SHA-256"):
        blob_path(tmp_path, "../../etc/passwd")

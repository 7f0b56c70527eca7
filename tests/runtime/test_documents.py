"""TinyDB on the atomic storage: durable all-or-nothing writes, reads from memory, crash leftovers removed."""
from __future__ import annotations

import builtins
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinydb.storages import MemoryStorage

from runtime.store import AtomicJSONStorage, StoreCorrupt, open_tinydb
from tests.support import kill_9_after

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "definitions.json"


def test_what_is_written_reads_back_after_reopening(path: Path) -> None:
    db = open_tinydb(path)
    db.table("form").insert({"key": "expense", "version": 1, "title": "报销"})
    db.table("flow").insert({"key": "expense", "version": 1})
    db.close()

    db = open_tinydb(path)
    assert db.table("form").all() == [{"key": "expense", "version": 1, "title": "报销"}]
    assert db.table("flow").get(doc_id=1) == {"key": "expense", "version": 1}
    assert "报销" in path.read_text(encoding="utf-8")


def test_writes_leave_no_temporary_files_behind(path: Path) -> None:
    db = open_tinydb(path)
    table = db.table("t")
    for n in range(5):
        table.insert({"n": n})
    table.update({"n": 99}, doc_ids=[1])
    table.remove(doc_ids=[2])
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_each_write_fsyncs_the_file_and_the_directory(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_tinydb(path)
    synced: list[bool] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.path.isdir(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    db.table("t").insert({"n": 1})
    assert synced == [False, True]


def test_orphaned_temporary_files_are_removed_when_the_storage_opens(path: Path) -> None:
    open_tinydb(path).table("t").insert({"n": 1})
    orphan = path.parent / f".{path.name}.k2j3h4.tmp"
    orphan.write_text('{"t": {"1": {"n": 2}}}')
    unrelated = path.parent / ".sessions.json.k2j3h4.tmp"
    unrelated.write_text("{}")

    storage = AtomicJSONStorage(path)

    assert storage.removed_orphans == [orphan]
    assert not orphan.exists()
    assert unrelated.exists()
    assert storage.read() == {"t": {"1": {"n": 1}}}


def test_reads_are_served_from_memory(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_tinydb(path)
    db.table("t").insert({"n": 1})

    def no_disk(*args: object, **kwargs: object) -> None:
        raise AssertionError("read touched the disk")

    monkeypatch.setattr(builtins, "open", no_disk)
    monkeypatch.setattr(Path, "read_text", no_disk)
    assert db.table("t").all() == [{"n": 1}]
    assert db.table("t").get(doc_id=1) == {"n": 1}


def test_a_failed_write_leaves_memory_equal_to_disk(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_tinydb(path)
    table = db.table("t")
    table.insert({"n": 1, "tags": ["a"]})

    def full_disk(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        table.update({"n": 2}, doc_ids=[1])
    with pytest.raises(OSError, match="No space"):
        table.insert({"n": 3})

    assert table.all() == [{"n": 1, "tags": ["a"]}]
    assert json.loads(path.read_text()) == {"t": {"1": {"n": 1, "tags": ["a"]}}}
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_a_value_that_is_not_json_is_refused_without_changing_anything(path: Path) -> None:
    db = open_tinydb(path)
    table = db.table("t")
    table.insert({"n": 1})
    with pytest.raises(TypeError):
        table.update({"n": object()}, doc_ids=[1])
    assert table.get(doc_id=1) == {"n": 1}


def test_data_survives_into_a_fresh_process(path: Path) -> None:
    open_tinydb(path).table("settings").insert({"key": "site_name", "value": "审批"})
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from runtime.store import open_tinydb\n"
        "print(json.dumps(open_tinydb(Path(sys.argv[1])).table('settings').all()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert json.loads(result.stdout) == [{"key": "site_name", "value": "审批"}]


def test_a_file_that_is_not_json_is_an_error_naming_it(path: Path) -> None:
    path.write_text('{"t": {"1": ')
    with pytest.raises(StoreCorrupt, match=r"definitions\.json.*not valid JSON.*backup"):
        open_tinydb(path)
    assert path.read_text() == '{"t": {"1": '


def test_an_empty_or_missing_file_is_an_empty_database(path: Path) -> None:
    assert open_tinydb(path).tables() == set()
    assert not path.exists()
    path.write_text("")
    assert open_tinydb(path).tables() == set()


def test_no_path_gives_an_in_memory_database() -> None:
    db = open_tinydb(None)
    assert isinstance(db.storage, MemoryStorage)
    db.table("t").insert({"n": 1})
    assert db.table("t").all() == [{"n": 1}]


def test_every_acknowledged_write_survives_kill_9(path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from runtime.store import open_tinydb\n"
        "table = open_tinydb(Path(sys.argv[1])).table('t')\n"
        "for n in range(1, 100_000):\n"
        "    table.insert({'n': n, 'pad': 'x' * 2000})\n"
        "    print(n, flush=True)\n"
    )
    acknowledged = kill_9_after(code, path, 40)

    stored = [doc["n"] for doc in open_tinydb(path).table("t").all()]
    assert stored[:acknowledged] == list(range(1, acknowledged + 1))
    assert [p.name for p in path.parent.iterdir()] == [path.name]

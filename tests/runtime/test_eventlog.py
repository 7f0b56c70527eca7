"""The event log: hash chain, durability, restart, torn tails, corruption and `verify`."""
from __future__ import annotations

import builtins
import errno
import hashlib
import json
import logging
import os
from pathlib import Path

import pytest


from runtime.store import EventLog, MemoryEventLog, StoreCorrupt, StoreError, verify
from runtime.store.eventlog import GENESIS
from tests.support import kill_9_after


def sha(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def raw_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.jsonl"


def write_events(path: Path, count: int, **extra: object) -> None:
    with EventLog(path) as log:
        for n in range(count):
            log.append([{"type": "approved", "task": n, **extra}])


def test_append_numbers_events_and_chains_each_to_the_previous_line(path: Path) -> None:
    with EventLog(path) as log:
        first = log.append([{"type": "started", "by": "张三"}, {"type": "assigned"}])
        second = log.append([{"type": "approved"}])

    lines = raw_lines(path)
    assert [e["seq"] for e in first + second] == [1, 2, 3]
    assert first[0]["prev"] == GENESIS
    assert first[1]["prev"] == sha(lines[0])
    assert second[0]["prev"] == sha(lines[1])
    assert [json.loads(line) for line in lines] == first + second
    assert lines[0] == '{"by":"张三","prev":"{}","seq":1,"type":"started"}'.replace("{}", GENESIS).encode()


def test_append_returns_events_as_they_read_back(path: Path) -> None:
    with EventLog(path) as log:
        stored = log.append([{"type": "changed", "rows": [1, 2.5], "data": {"3": None, "ok": True}}])
        assert stored == list(log.read())
    assert stored[0]["seq"] == 1 and stored[0]["prev"] == GENESIS


def test_an_append_is_one_write_then_one_fdatasync(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_write, real_sync = os.write, os.fdatasync

    def spy_write(fd: int, data: bytes) -> int:
        calls.append("write")
        return real_write(fd, data)

    def spy_sync(fd: int) -> None:
        calls.append("fdatasync")
        real_sync(fd)

    with EventLog(path) as log:
        monkeypatch.setattr(os, "write", spy_write)
        monkeypatch.setattr(os, "fdatasync", spy_sync)
        log.append([{"type": "a"}, {"type": "b"}, {"type": "c"}])
        log.append([])

    assert calls == ["write", "fdatasync"]


def test_append_never_reads_the_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_events(path, 3)
    with EventLog(path) as log:

        def no_reading(*args: object, **kwargs: object) -> None:
            raise AssertionError("append read the file")

        monkeypatch.setattr(builtins, "open", no_reading)
        monkeypatch.setattr(os, "pread", no_reading)
        monkeypatch.setattr(os, "read", no_reading)
        assert log.append([{"type": "d"}])[0]["seq"] == 4


def test_a_failed_sync_leaves_the_file_as_it_was_and_refuses_further_appends(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_events(path, 2)
    before = path.read_bytes()

    def failing_sync(fd: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    with EventLog(path) as log:
        monkeypatch.setattr(os, "fdatasync", failing_sync)
        with pytest.raises(StoreError, match="could not be written .* not recorded"):
            log.append([{"type": "lost"}])
        assert path.read_bytes() == before
        monkeypatch.undo()
        with pytest.raises(StoreError, match="restarted"):
            log.append([{"type": "later"}])

    with EventLog(path) as log:
        assert log.append([{"type": "after restart"}])[0]["seq"] == 3
    assert verify(path).ok


def test_reopening_continues_the_chain(path: Path) -> None:
    write_events(path, 3)
    with EventLog(path) as log:
        assert log.last_seq == 3
        assert log.head == sha(raw_lines(path)[-1])
        stored = log.append([{"type": "rejected"}])
    assert stored[0]["seq"] == 4
    assert stored[0]["prev"] == sha(raw_lines(path)[2])
    assert [e["seq"] for e in EventLog(path).read()] == [1, 2, 3, 4]
    assert verify(path).ok


def test_reopening_finds_the_tail_behind_long_lines(path: Path) -> None:
    write_events(path, 5, note="x" * 100_000)
    with EventLog(path) as log:
        assert log.last_seq == 5
        assert log.append([{"type": "short"}])[0]["prev"] == sha(raw_lines(path)[4])
    assert verify(path).ok


@pytest.mark.parametrize(
    "torn",
    [
        b'{"prev":"00',  # cut mid-line
        b'{"prev":"x","seq":3,"type":"whole but unterminated"}',  # cut just before the newline
        b"\x00\x00\x00\x00\n",  # a block of zeros after power loss
        b'{"seq":3,"type":"cut"\n',  # a complete line that is not JSON
    ],
)
def test_a_torn_tail_is_set_aside_and_reported(
    path: Path, torn: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    write_events(path, 2)
    good = path.read_bytes()
    with path.open("ab") as handle:
        handle.write(torn)

    with caplog.at_level(logging.WARNING), EventLog(path) as log:
        report = log.recovered_torn_tail
        assert report is not None
        assert report.path.read_bytes() == torn
        assert report.path.name.startswith("events.jsonl.torn-")
        assert report.path.parent == path.parent
        assert (report.after_seq, report.size) == (2, len(torn))
        assert path.read_bytes() == good
        assert log.append([{"type": "next"}])[0] == {
            "type": "next", "seq": 3, "prev": sha(good.splitlines()[-1]), "commit": True
        }
    assert str(report.path) in caplog.text
    assert verify(path).ok


def test_a_log_holding_only_a_torn_line_starts_empty(path: Path) -> None:
    path.write_bytes(b'{"prev":"0000')
    with EventLog(path) as log:
        assert log.recovered_torn_tail is not None
        assert log.append([{"type": "first"}])[0] == {"type": "first", "seq": 1, "prev": GENESIS,
                                                      "commit": True}


def test_a_batch_cut_short_is_set_aside_whole(path: Path) -> None:
    """A command is all or nothing: the complete first lines of a torn batch go too."""
    write_events(path, 2)
    good = path.read_bytes()
    with EventLog(path) as log:
        log.append([{"type": "approve"}, {"type": "task"}, {"type": "decide"}])
    lines = raw_lines(path)
    assert [b'"commit":true' in line for line in lines] == [True, True, False, False, True]
    torn = lines[2] + b"\n" + lines[3] + b"\n" + lines[4][:10]
    path.write_bytes(good + torn)
    with EventLog(path) as log:
        assert log.recovered_torn_tail is not None and log.recovered_torn_tail.size == len(torn)
        assert log.last_seq == 2 and [e["seq"] for e in log.read()] == [1, 2]
    assert path.read_bytes() == good


def test_a_clean_log_reports_no_torn_tail(path: Path) -> None:
    write_events(path, 2)
    with EventLog(path) as log:
        assert log.recovered_torn_tail is None
    assert list(path.parent.iterdir()) == [path]


def test_a_corrupt_line_in_the_middle_is_an_error_naming_the_line(path: Path) -> None:
    write_events(path, 4)
    lines = raw_lines(path)
    lines[1] = b"this is not json"
    path.write_bytes(b"\n".join(lines) + b"\n")

    with EventLog(path) as log:
        with pytest.raises(StoreCorrupt, match=r"events\.jsonl line 2: is not a JSON object") as caught:
            list(log.read())
    assert caught.value.line == 2


def test_damage_beyond_one_torn_line_is_an_error_and_changes_nothing(path: Path) -> None:
    write_events(path, 4)
    with path.open("ab") as handle:
        handle.write(b"garbage\ngarbage\n")
    before = path.read_bytes()
    with pytest.raises(StoreCorrupt, match="line 5: the last lines are damaged"):
        EventLog(path)
    assert path.read_bytes() == before
    assert list(path.parent.iterdir()) == [path]


def tamper(path: Path, line: int, old: bytes, new: bytes) -> None:
    lines = raw_lines(path)
    assert lines[line - 1].count(old) == 1
    lines[line - 1] = lines[line - 1].replace(old, new)
    path.write_bytes(b"\n".join(lines) + b"\n")


@pytest.mark.parametrize(
    ("old", "new"),
    [(b'"amount":100', b'"amount":900'), (b'"seq":3', b'"seq":4'), (b'"prev":"', b'"prev":"f')],
    ids=["value", "seq", "prev"],
)
def test_verify_reports_a_line_with_one_byte_changed_at_that_line(path: Path, old: bytes, new: bytes) -> None:
    write_events(path, 5, amount=100)
    if old == b'"prev":"':
        line = raw_lines(path)[2]
        old = line[line.index(b'"prev":"') : line.index(b'"prev":"') + 9]
        new = old[:-1] + (b"0" if old[-1:] != b"0" else b"1")
    tamper(path, 3, old, new)

    report = verify(path)
    assert not report.ok
    assert report.first_bad_line == 3
    assert report.events == 2
    assert report.head == sha(raw_lines(path)[1])
    assert "line 3" in str(report)
    with pytest.raises(StoreCorrupt, match="line 3"):
        list(EventLog(path).read())


def test_verify_of_an_edited_second_to_last_line_names_it(path: Path) -> None:
    write_events(path, 4, amount=100)
    tamper(path, 3, b'"amount":100', b'"amount":101')
    report = verify(path)
    assert (report.ok, report.first_bad_line) == (False, 3)
    assert "line 3 or line 4 was altered" in report.message


def test_verify_accepts_an_intact_log_and_gives_its_head(path: Path) -> None:
    write_events(path, 3)
    report = verify(path)
    assert report.ok
    assert report.events == 3
    assert report.head == EventLog(path).head
    assert report.first_bad_line is None


def test_verify_reports_a_torn_tail_without_touching_the_file(path: Path) -> None:
    write_events(path, 2)
    with path.open("ab") as handle:
        handle.write(b'{"seq":3')
    before = path.read_bytes()
    report = verify(path)
    assert (report.ok, report.first_bad_line, report.events) == (False, 3, 2)
    assert "torn write" in report.message
    assert path.read_bytes() == before


def test_verify_of_a_missing_log_is_not_ok(tmp_path: Path) -> None:
    report = verify(tmp_path / "nope.jsonl")
    assert not report.ok
    assert "no event log" in report.message


def test_the_log_assigns_seq_and_prev_itself(path: Path) -> None:
    with EventLog(path) as log:
        with pytest.raises(ValueError, match="must not set seq"):
            log.append([{"type": "a", "seq": 7}])


def test_an_event_that_is_not_json_writes_nothing(path: Path) -> None:
    with EventLog(path) as log:
        log.append([{"type": "a"}])
        with pytest.raises(TypeError):
            log.append([{"type": "b"}, {"type": "c", "when": object()}])
        with pytest.raises(TypeError):
            log.append([{"type": "d", "big": 2**70}])
        assert log.append([{"type": "e"}])[0]["seq"] == 2
    assert [json.loads(line)["type"] for line in raw_lines(path)] == ["a", "e"]


def test_a_closed_log_refuses_appends(path: Path) -> None:
    log = EventLog(path)
    log.close()
    with pytest.raises(StoreError, match="closed"):
        log.append([{"type": "a"}])


def test_the_memory_log_stores_exactly_what_the_file_log_stores(path: Path) -> None:
    batches = [[{"type": "started", "by": "李四", "amount": 1.5}], [], [{"type": "a"}, {"type": "b", "x": (1,)}]]
    memory = MemoryEventLog()
    with EventLog(path) as log:
        for batch in batches:
            assert memory.append(batch) == log.append(batch)
        assert list(memory.read()) == list(log.read())
        assert (memory.last_seq, memory.head) == (log.last_seq, log.head)
    assert memory.recovered_torn_tail is None


def test_events_read_from_the_memory_log_are_copies() -> None:
    memory = MemoryEventLog()
    stored = memory.append([{"type": "a", "data": {"k": 1}}])
    stored[0]["data"]["k"] = 2
    next(memory.read())["data"]["k"] = 3
    assert next(memory.read())["data"] == {"k": 1}


def test_every_acknowledged_event_survives_kill_9(path: Path) -> None:
    code = (
        "import sys\n"
        "from runtime.store import EventLog\n"
        "log = EventLog(sys.argv[1])\n"
        "for n in range(1, 1_000_000):\n"
        "    log.append([{'type': 'a', 'n': n, 'pad': 'x' * 3000}, {'type': 'b', 'n': n}])\n"
        "    print(n, flush=True)\n"
    )
    acknowledged = kill_9_after(code, path, 200)

    with EventLog(path) as log:
        events = list(log.read())
    assert len(events) >= 2 * acknowledged
    assert [e["n"] for e in events[: 2 * acknowledged : 2]] == list(range(1, acknowledged + 1))
    assert verify(path).ok

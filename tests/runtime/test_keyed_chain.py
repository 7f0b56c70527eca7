"""The keyed chain (issue 10, part 2): edits, deletions, truncations and re-chains without the key
are caught, naming the first bad event; a wrong key says so; old plain logs open and go on keyed."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from runtime.store import EventLog, StoreCorrupt, StoreError, verify
from runtime.store.anchors import Anchor, check_anchors
from runtime.store.chain import GENESIS, KeyNeeded, encode_line

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.jsonl"


def write_events(path: Path, count: int, key: bytes | None = KEY, **extra: object) -> None:
    with EventLog(path, key=key) as log:
        for n in range(count):
            log.append([{"type": "approved", "task": n, **extra}])


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def rewrite(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def rechain(events: list[dict], key: bytes | None) -> list[bytes]:
    """What a forger writes: the events re-sealed from the first, plain or under `key`."""
    head, out = GENESIS, []
    for event in events:
        body = encode_line({k: v for k, v in event.items() if k != "mac"} | {"prev": head})
        if key is None:
            head = hashlib.sha256(body).hexdigest()
            out.append(body)
        else:
            head = hmac.new(key, body, hashlib.sha256).hexdigest()
            out.append(body[:-1] + f',"mac":"{head}"}}'.encode())
    return out


def test_a_keyed_line_carries_its_mac_last_and_the_next_line_chains_to_it(path: Path) -> None:
    with EventLog(path, key=KEY) as log:
        first = log.append([{"type": "started"}, {"type": "assigned"}])
    lines = lines_of(path)
    body = lines[0][: lines[0].index(b',"mac":')] + b"}"
    assert json.loads(lines[0])["mac"] == hmac.new(KEY, body, hashlib.sha256).hexdigest() == first[0]["mac"]
    assert first[1]["prev"] == first[0]["mac"]
    assert [json.loads(line) for line in lines] == first
    report = verify(path, KEY)
    assert (report.ok, report.keyed, report.events, report.head) == (True, True, 2, first[1]["mac"])


def test_reopening_a_keyed_log_continues_its_chain(path: Path) -> None:
    write_events(path, 3)
    with EventLog(path, key=KEY) as log:
        assert log.last_seq == 3 and log.head == json.loads(lines_of(path)[-1])["mac"]
        assert [e["seq"] for e in log.read()] == [1, 2, 3]
        log.append([{"type": "rejected"}])
    assert verify(path, KEY).ok


@pytest.mark.parametrize("line", [1, 3, 5])
def test_an_edited_line_is_named(path: Path, line: int) -> None:
    write_events(path, 5, amount=100)
    lines = lines_of(path)
    lines[line - 1] = lines[line - 1].replace(b'"amount":100', b'"amount":900')
    rewrite(path, lines)
    report = verify(path, KEY)
    assert (report.ok, report.first_bad_line, report.events) == (False, line, line - 1)
    assert "the line was altered" in report.message
    with pytest.raises(StoreCorrupt, match=f"line {line}"):
        list(EventLog(path, key=KEY).read())


def test_a_deleted_line_is_named(path: Path) -> None:
    write_events(path, 5)
    lines = lines_of(path)
    del lines[2]
    rewrite(path, lines)
    report = verify(path, KEY)
    assert (report.ok, report.first_bad_line) == (False, 3)
    assert "seq is 4 but 3 was expected" in report.message


def test_a_truncation_is_caught_by_an_anchor_naming_the_first_missing_event(path: Path) -> None:
    write_events(path, 5)
    anchored = verify(path, KEY)
    anchor = Anchor(anchored.events, anchored.head, "2026-12-04T10:00:00.000Z")
    rewrite(path, lines_of(path)[:3])
    plain = verify(path, KEY, heads_at=[5])
    assert plain.ok  # what is left chains; only the anchor knows more was there
    report = check_anchors(plain, [anchor])
    assert (report.ok, report.first_bad_line) == (False, 4)
    assert "truncated" in report.message and "2026-12-04T10:00:00.000Z" in report.message


def test_an_anchor_catches_a_history_rewritten_even_with_the_key(path: Path) -> None:
    write_events(path, 4, amount=100)
    anchored = verify(path, KEY)
    events = [json.loads(line) for line in lines_of(path)]
    events[1]["amount"] = 900
    rewrite(path, rechain(events, KEY))
    report = check_anchors(verify(path, KEY, heads_at=[2, 4]), [Anchor(4, anchored.head, "t")])
    assert (report.ok, report.first_bad_line) == (False, 4)
    assert "rewritten" in report.message


def test_a_full_rechain_without_the_key_fails_at_the_first_line(path: Path) -> None:
    write_events(path, 4, amount=100)
    events = [json.loads(line) for line in lines_of(path)]
    events[2]["amount"] = 900
    rewrite(path, rechain(events, None))  # plain SHA-256, as before the key existed
    report = verify(path, KEY)
    assert (report.ok, report.first_bad_line) == (False, 1)
    assert "re-chained without the key" in report.message


def test_a_rechain_under_another_key_fails_at_the_first_line_saying_the_key_differs(path: Path) -> None:
    write_events(path, 4)
    events = [json.loads(line) for line in lines_of(path)]
    rewrite(path, rechain(events, OTHER_KEY))
    report = verify(path, KEY)
    assert (report.ok, report.first_bad_line) == (False, 1)
    assert "not the audit key the log was written with" in report.message


def test_verifying_with_the_wrong_key_says_so(path: Path) -> None:
    write_events(path, 3)
    report = verify(path, OTHER_KEY)
    assert (report.ok, report.first_bad_line) == (False, 1)
    assert "wrong --audit-key" in report.message
    with pytest.raises(StoreError, match="not the key this log was written with"):
        EventLog(path, key=OTHER_KEY)


def test_a_keyed_log_needs_its_key(path: Path) -> None:
    write_events(path, 2)
    with pytest.raises(KeyNeeded, match="line 2: the event log is keyed"):
        EventLog(path)
    report = verify(path)
    assert (report.ok, report.first_bad_line) == (False, 1)
    assert "--audit-key" in report.message


def test_an_old_plain_log_opens_with_a_key_and_goes_on_keyed(path: Path) -> None:
    write_events(path, 3, key=None)
    old = path.read_bytes()
    assert verify(path).ok
    with EventLog(path, key=KEY) as log:
        assert [e["seq"] for e in log.read()] == [1, 2, 3]
        (event,) = log.append([{"type": "after the upgrade"}])
    assert path.read_bytes().startswith(old)  # nothing written is rewritten
    assert event["prev"] == hashlib.sha256(old.splitlines()[-1]).hexdigest() and "mac" in event
    report = verify(path, KEY)
    assert (report.ok, report.keyed, report.events) == (True, True, 4)


def test_an_edit_of_the_plain_part_before_the_keyed_part_is_caught(path: Path) -> None:
    write_events(path, 3, key=None, amount=100)
    write_events(path, 2)
    events = [json.loads(line) for line in lines_of(path)]
    events[1]["amount"] = 900
    rewrite(path, rechain(events[:3], None) + lines_of(path)[3:])
    report = verify(path, KEY)
    assert (report.ok, report.first_bad_line) == (False, 3)
    assert "whose MAC holds" in report.message


def test_a_plain_line_after_keyed_ones_is_a_rewrite(path: Path) -> None:
    write_events(path, 2)
    lines = lines_of(path)
    forged = encode_line({"type": "forged", "seq": 3, "prev": json.loads(lines[-1])["mac"], "commit": True})
    rewrite(path, lines + [forged])
    report = verify(path, KEY)
    assert (report.ok, report.first_bad_line) == (False, 3)
    assert "carries no MAC though the log is keyed from line 1" in report.message


def test_a_plain_log_with_a_key_given_is_not_ok(path: Path) -> None:
    write_events(path, 2, key=None)
    report = verify(path, KEY)
    assert (report.ok, report.first_bad_line) == (False, 1)
    assert "no MAC" in report.message

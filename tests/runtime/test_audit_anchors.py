"""`formflow audit anchor`, `audit verify --anchors FILE --audit-key FILE`, and the server's anchor file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.cli import main
from runtime.settings import Settings
from runtime.setup import open_workflow
from runtime.store.anchors import read_anchors
from runtime.store.repository import FileRepository
from tests.support import claim


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with three claims filed (so a few commands in its log)."""
    directory = tmp_path / "data"
    with FileRepository(directory) as repo:
        workflow = open_workflow(repo, demo=True)
        for amount in (100, 200, 300):
            workflow.start(workflow.org.user("zhang.wei"), "expense", claim([amount]))
    return directory


def anchor(data_dir: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main(["audit", "anchor", "--data", str(data_dir), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def cut_log(data_dir: Path, keep: int) -> None:
    log = data_dir / "events.jsonl"
    log.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[:keep]))


def test_anchor_prints_the_chain_head_to_keep_elsewhere(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    printed = anchor(data_dir, capsys)
    lines = (data_dir / "events.jsonl").read_bytes().splitlines()
    assert set(printed) == {"seq", "digest", "time"}
    assert printed["seq"] == len(lines) and printed["digest"] == json.loads(lines[-1])["mac"]
    assert printed["time"].endswith("Z")


def test_verify_holds_the_log_against_its_anchors_and_names_the_first_lost_event(
        data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    anchors = tmp_path / "anchors.jsonl"
    first = anchor(data_dir, capsys)
    anchors.write_text(json.dumps(first) + "\n", encoding="utf-8")
    assert main(["audit", "verify", "--data", str(data_dir), "--anchors", str(anchors)]) == 0
    assert "1 anchors hold" in capsys.readouterr().out

    cut_log(data_dir, first["seq"] - 2)
    assert main(["audit", "verify", "--data", str(data_dir), "--anchors", str(anchors)]) == 1
    out = capsys.readouterr().out
    assert f"line {first['seq'] - 1}:" in out and "truncated" in out


def test_verify_with_another_key_says_it_is_not_the_key(data_dir: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n", encoding="ascii")
    assert main(["audit", "verify", "--data", str(data_dir), "--audit-key", str(other)]) == 1
    out = capsys.readouterr().out
    assert "line 1:" in out and "not the audit key the log was written with" in out
    assert main(["audit", "verify", "--data", str(data_dir), "--audit-key", str(tmp_path / "nope")]) == 2
    assert "nope is not there" in capsys.readouterr().err


def test_a_keyed_log_without_its_key_file_is_not_verified(data_dir: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "data.audit-key").rename(tmp_path / "elsewhere.key")
    assert main(["audit", "verify", "--data", str(data_dir)]) == 2
    assert "keyed but its audit key" in capsys.readouterr().err
    assert main(["audit", "verify", "--data", str(data_dir), "--audit-key", str(tmp_path / "elsewhere.key")]) == 0


def test_the_server_writes_an_anchor_when_it_starts(tmp_path: Path) -> None:
    anchors = tmp_path / "anchors" / "formflow.jsonl"
    settings = Settings(data_dir=tmp_path / "data", demo=True, escalate_every=0, anchor_file=anchors)
    with TestClient(create_app(settings)) as client:
        (first,) = read_anchors(anchors)
        head = client.app.state.repo.chain_head()
    assert (first.seq, first.digest) == head
    with TestClient(create_app(settings)):
        assert len(read_anchors(anchors)) == 2
    assert main(["audit", "verify", "--data", str(tmp_path / "data"), "--anchors", str(anchors)]) == 0


def test_verify_beside_a_running_server_checks_up_to_the_last_committed_event(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = data_dir / "events.jsonl"
    events = len(log.read_bytes().splitlines())
    with log.open("ab") as handle:
        handle.write(b'{"action":"comment","seq":' + str(events + 1).encode())  # a write under way
    assert main(["audit", "verify", "--data", str(data_dir)]) == 0
    assert "bytes after the last committed event not checked" in capsys.readouterr().out
    with log.open("ab") as handle:
        handle.write(b"\ngarbage\n")
    assert main(["audit", "verify", "--data", str(data_dir)]) == 1
    assert f"line {events + 1}: after the last committed event, not an event" in capsys.readouterr().out

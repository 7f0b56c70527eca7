"""Where the audit key lives: made at the first start outside the data directory, mode 0600,
announced; never inside the directory; a keyed log whose key is gone is refused, not re-keyed."""
from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from runtime.cli import main
from runtime.setup import open_workflow
from runtime.store import FileRepository, StoreError, verify
from runtime.store.audit_key import ENV, provide_key, read_key
from runtime.store.chain import GENESIS, encode_line, line_hash
from tests.support import claim


def test_the_first_start_makes_a_key_next_to_the_data_directory_and_says_where(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), FileRepository(tmp_path / "data") as repo:
        repo.append_events([{"type": "a"}])
        key = repo.audit_key
    assert key.path == tmp_path / "data.audit-key" and key.created
    assert stat.S_IMODE(key.path.stat().st_mode) == 0o600
    assert read_key(key.path) == key.key and len(key.key) == 32
    assert str(key.path) in caplog.text and "made a new audit key" in caplog.text
    assert verify(tmp_path / "data" / "events.jsonl", key.key).keyed
    with FileRepository(tmp_path / "data") as again:
        assert (again.audit_key.key, again.audit_key.created) == (key.key, False)


def test_the_key_file_can_be_named_by_flag_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    given = tmp_path / "keys" / "formflow.key"
    with FileRepository(tmp_path / "a", audit_key=given) as repo:
        assert repo.audit_key.path == given and given.exists()
    monkeypatch.setenv(ENV, str(tmp_path / "env.key"))
    with FileRepository(tmp_path / "b") as repo:
        assert repo.audit_key.path == tmp_path / "env.key"
    assert not (tmp_path / "b.audit-key").exists()


def test_a_key_inside_the_data_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="must be kept outside the data directory"):
        FileRepository(tmp_path / "data", audit_key=tmp_path / "data" / "key")


def test_a_keyed_log_whose_key_is_gone_is_refused_not_rekeyed(tmp_path: Path) -> None:
    with FileRepository(tmp_path / "data") as repo:
        repo.append_events([{"type": "a"}])
    (tmp_path / "data.audit-key").unlink()
    with pytest.raises(StoreError, match="keyed but its audit key .* is not there"):
        FileRepository(tmp_path / "data")
    assert not (tmp_path / "data.audit-key").exists()


def test_read_only_commands_make_no_key(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    assert provide_key(tmp_path / "data", may_create=False) is None
    assert not (tmp_path / "data.audit-key").exists()


def make_old(data: Path) -> list[bytes]:
    """A data directory with one claim filed, as every formflow before the key wrote it: a plain
    SHA-256 chain and no key file. Its log's lines."""
    with FileRepository(data) as repo:
        workflow = open_workflow(repo, demo=True)
        workflow.start(workflow.org.user("zhang.wei"), "expense", claim([900]))
    plain = rechained(data / "events.jsonl", old=True)
    data.with_name(f"{data.name}.audit-key").unlink()
    return plain


def rechained(log: Path, *, edit: bytes = b"", into: bytes = b"", old: bool = False) -> list[bytes]:
    """Rewrite `log` as a plain SHA-256 chain from its first line (MACs dropped), `edit` → `into`;
    `old`: as formflow wrote lines before keys, without the shape's version."""
    head, plain = GENESIS, []
    dropped = ("mac", "v") if old else ("mac",)
    for line in log.read_bytes().replace(edit or b"\0", into or b"\0").splitlines():
        event = {k: v for k, v in json.loads(line).items() if k not in dropped} | {"prev": head}
        plain.append(encode_line(event))
        head = line_hash(plain[-1])
    log.write_bytes(b"".join(line + b"\n" for line in plain))
    return plain


def test_a_keyed_log_rechained_plain_with_its_key_gone_gets_no_new_key(tmp_path: Path) -> None:
    """Whoever drops the key and re-chains the log plain cannot have the next start key the forgery:
    lines of this formflow's shape were keyed when written, so a plain one was rewritten."""
    data = tmp_path / "data"
    with FileRepository(data) as repo:
        workflow = open_workflow(repo, demo=True)
        workflow.start(workflow.org.user("zhang.wei"), "expense", claim([900]))
    rechained(data / "events.jsonl", edit=b'"amount":900', into=b'"amount":90')
    data.with_name(f"{data.name}.audit-key").unlink()
    with pytest.raises(StoreError, match="re-chained without the key, or the key was lost"):
        FileRepository(data)
    assert not data.with_name(f"{data.name}.audit-key").exists()


def test_an_old_data_directory_gets_a_key_and_its_log_goes_on_keyed(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    plain = make_old(data)
    before = (data / "events.jsonl").read_bytes()

    with FileRepository(data) as repo:
        assert repo.audit_key.created
        assert repo.audit_key.upgrade is not None and repo.audit_key.upgrade.keyed_after == len(plain)
    assert main(["audit", "verify", "--data", str(data)]) == 0  # before its first keyed line, too
    assert f"plain up to event {len(plain)}" in capsys.readouterr().out

    with FileRepository(data) as repo:
        workflow = open_workflow(repo, demo=False)
        (instance_id,) = workflow.state.instances
        workflow.comment(workflow.org.user("zhang.wei"), instance_id, "after the upgrade")
    assert (data / "events.jsonl").read_bytes().startswith(before)
    report = verify(data / "events.jsonl", read_key(tmp_path / "data.audit-key"))
    assert (report.ok, report.keyed, report.events) == (True, True, len(plain) + 1)
    assert main(["audit", "verify", "--data", str(data)]) == 0


def test_an_old_logs_plain_part_is_anchored_by_its_key_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    plain = make_old(data)
    with FileRepository(data) as repo:
        workflow = open_workflow(repo, demo=False)
        workflow.comment(workflow.org.user("zhang.wei"), next(iter(workflow.state.instances)), "keyed")
    rechained(data / "events.jsonl")  # the keyed line made plain again, without the key
    assert main(["audit", "verify", "--data", str(data)]) == 1
    out = capsys.readouterr().out
    assert f"line {len(plain) + 1}:" in out and f"keyed after event {len(plain)}" in out

    log = data / "events.jsonl"
    log.write_bytes(b"".join(line + b"\n" for line in log.read_bytes().splitlines()[:len(plain)]))
    rechained(log, edit=b'"assignee":"li.na"', into=b'"assignee":"yang.hua"')  # the old part, re-chained plain
    assert main(["audit", "verify", "--data", str(data)]) == 1
    out = capsys.readouterr().out
    assert f"line {len(plain)}:" in out and "was rewritten since" in out and "the making of the audit key" in out

    first = log.read_bytes().splitlines()[0]  # its first line, too (the seal of a demo definition)
    rechained(log, edit=first, into=first.replace(b'"actor":"system"', b'"actor":"admin"'))
    assert main(["audit", "verify", "--data", str(data)]) == 1
    assert "line 1: is not the first line recorded when the audit key was made" in capsys.readouterr().out

"""Where the audit key lives: made at the first start outside the data directory, mode 0600,
announced; never inside the directory; a keyed log whose key is gone is refused, not re-keyed."""
from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from runtime.store import FileRepository, StoreError, verify
from runtime.store.audit_key import ENV, provide_key, read_key


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


def test_an_old_data_directory_gets_a_key_and_its_log_goes_on_keyed(tmp_path: Path) -> None:
    import json

    from runtime.cli import main
    from runtime.setup import open_workflow
    from runtime.store.chain import GENESIS, encode_line, line_hash
    from tests.support import claim

    data = tmp_path / "data"
    with FileRepository(data) as repo:
        workflow = open_workflow(repo, demo=True)
        workflow.start(workflow.org.user("zhang.wei"), "expense", claim([900]))
    # The same record as every formflow before the key wrote it: plain SHA-256 chain, no key file.
    head, plain = GENESIS, []
    for line in (data / "events.jsonl").read_bytes().splitlines():
        event = {k: v for k, v in json.loads(line).items() if k != "mac"} | {"prev": head}
        plain.append(encode_line(event))
        head = line_hash(plain[-1])
    (data / "events.jsonl").write_bytes(b"".join(line + b"\n" for line in plain))
    (tmp_path / "data.audit-key").unlink()
    before = (data / "events.jsonl").read_bytes()

    with FileRepository(data) as repo:
        assert repo.audit_key.created
        workflow = open_workflow(repo, demo=False)
        (instance_id,) = workflow.state.instances
        workflow.comment(workflow.org.user("zhang.wei"), instance_id, "after the upgrade")
    assert (data / "events.jsonl").read_bytes().startswith(before)
    report = verify(data / "events.jsonl", read_key(tmp_path / "data.audit-key"))
    assert (report.ok, report.keyed, report.events) == (True, True, len(plain) + 1)
    assert main(["audit", "verify", "--data", str(data)]) == 0

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

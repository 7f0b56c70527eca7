"""`formflow backup DEST` of a running server and `formflow restore SRC --data DIR` (002 数据保护):
the copy is consistent, the restore checks everything before it writes anything, and the restored
server serves every action acknowledged before the backup began."""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runtime import auth
from runtime.app import create_app
from runtime.cli import main
from runtime.clock import new_id
from runtime.settings import Settings
from runtime.setup import open_workflow
from runtime.store.repository import FileRepository
from runtime.uploads import Target, store_upload
from tests.runtime.http_load import Acknowledged, load, missing, sign_in
from tests.support import PDF, bearer, claim, served


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A stopped server's data directory: two claims, one with an attached invoice, and someone
    signed in."""
    directory = tmp_path / "data"
    with FileRepository(directory) as repo:
        workflow = open_workflow(repo, demo=True)
        user = workflow.org.user("zhang.wei")
        auth.open_session(repo, user, kind="web")
        writer = repo.blobs.writer()
        writer.write(PDF)
        upload = store_upload(repo, user, Target(1 << 20), "invoice.pdf", writer, workflow.engine.now, new_id)
        workflow.start(user, "expense", {**claim([900]), "invoices": [upload["id"]]})
        workflow.start(user, "expense", claim([100]))
    return directory


def run(*argv: str) -> int:
    return main([*argv])


def test_a_backup_lists_every_file_with_its_digest_and_the_log_head(data_dir: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert run("backup", str(tmp_path / "copy"), "--data", str(data_dir)) == 0
    assert "backed up" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "copy" / "MANIFEST.json").read_text(encoding="utf-8"))
    files = manifest["files"]
    assert {"events.jsonl", "definitions.json", "uploads.json", "settings.json"} <= set(files)
    assert any(name.startswith("attachments/") for name in files)
    assert "formflow.lock" not in files
    assert (data_dir / "sessions.json").is_file() and "sessions.json" not in files  # no sign-in outlives a restore
    lines = (data_dir / "events.jsonl").read_bytes().splitlines()
    assert manifest["log"] == {"file": "events.jsonl", "seq": len(lines), "digest": json.loads(lines[-1])["mac"]}
    assert "data.audit-key" not in {p.name for p in (tmp_path / "copy").rglob("*")}


def test_restore_verifies_then_makes_a_data_directory_that_passes_audit(data_dir: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    key = str(tmp_path / "data.audit-key")
    assert run("backup", str(tmp_path / "copy"), "--data", str(data_dir)) == 0
    assert run("restore", str(tmp_path / "copy"), "--data", str(tmp_path / "restored"), "--audit-key", key) == 0
    assert "files verified" in capsys.readouterr().out
    assert run("audit", "verify", "--data", str(tmp_path / "restored"), "--audit-key", key) == 0
    assert "1 attachment files intact" in capsys.readouterr().out
    assert (tmp_path / "restored" / "events.jsonl").read_bytes() == (data_dir / "events.jsonl").read_bytes()


@pytest.mark.parametrize("damage", ["altered", "added", "removed", "rechained", "resealed", "outside", "linked"])
def test_restore_refuses_a_damaged_backup_and_writes_nothing(data_dir: Path, tmp_path: Path, damage: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "copy"
    assert run("backup", str(copy), "--data", str(data_dir)) == 0
    if damage == "altered":
        (copy / "org.json").write_text((copy / "org.json").read_text(encoding="utf-8").replace("li.na", "li.nb"))
    elif damage == "added":
        (copy / "extra.json").write_text("{}")
    elif damage == "removed":
        (copy / "definitions.json").unlink()
    elif damage == "rechained":  # the log changed and the manifest made to match, without the key
        log = copy / "events.jsonl"
        log.write_bytes(log.read_bytes().replace(b'"amount":900', b'"amount":9000'))
        reseal(copy, "events.jsonl")
    elif damage == "resealed":  # the org changed (someone made admin, say), the manifest made to match
        org = copy / "org.json"
        org.write_text(org.read_text(encoding="utf-8").replace("li.na", "li.nb"))
        reseal(copy, "org.json")
    elif damage == "outside":  # a name that would write beside the new directory
        (tmp_path / "payload.txt").write_text("hi")
        reseal(copy, "../payload.txt", source=tmp_path / "payload.txt")
    else:  # a link to a file elsewhere, to be copied into the new directory
        (tmp_path / "secret.txt").write_text("secret")
        (copy / "linked.json").symlink_to(tmp_path / "secret.txt")
        reseal(copy, "linked.json")
    capsys.readouterr()
    target = tmp_path / "restored"
    assert run("restore", str(copy), "--data", str(target), "--audit-key", str(tmp_path / "data.audit-key")) == 2
    err = capsys.readouterr().err
    sealed = "does not carry the MAC of this audit key"
    assert {"altered": "does not match its SHA-256", "added": "extra.json", "removed": "missing from the backup",
            "rechained": sealed, "resealed": sealed, "outside": sealed, "linked": sealed}[damage] in err
    assert not target.exists() and [p.name for p in tmp_path.iterdir() if "restor" in p.name] == []


def reseal(copy: Path, name: str, source: Path | None = None) -> None:
    """List `name` in the manifest with its digest and size, as one without the key would."""
    data = (source or copy / name).read_bytes()
    manifest = json.loads((copy / "MANIFEST.json").read_text())
    manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    (copy / "MANIFEST.json").write_text(json.dumps(manifest))


def test_a_manifest_sealed_with_the_key_still_may_not_name_a_file_outside_or_hold_a_link(
        data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Even a manifest that carries the key's MAC (made by someone who has the key, or by a bug)
    names only plain files inside the backup."""
    from runtime.store.audit_key import read_key
    from runtime.store.backup import MANIFEST, StoreCorrupt, _manifest_mac, check_backup

    key = read_key(tmp_path / "data.audit-key")
    for n, name in enumerate(("../payload.txt", "/etc/passwd", "a/../../b", "a\\b")):
        copy = tmp_path / f"copy-{n}"
        assert run("backup", str(copy), "--data", str(data_dir)) == 0
        manifest = json.loads((copy / MANIFEST).read_text())
        manifest["files"][name] = {"sha256": "0" * 64, "size": 0}
        manifest["mac"] = _manifest_mac(manifest, key)
        (copy / MANIFEST).write_text(json.dumps(manifest))
        with pytest.raises(StoreCorrupt, match="names a file outside the backup"):
            check_backup(copy, key)


def test_a_backup_and_its_restore_are_readable_by_their_owner_only(data_dir: Path, tmp_path: Path) -> None:
    key = str(tmp_path / "data.audit-key")
    assert run("backup", str(tmp_path / "copy"), "--data", str(data_dir)) == 0
    assert run("restore", str(tmp_path / "copy"), "--data", str(tmp_path / "new"), "--audit-key", key) == 0
    for root in (tmp_path / "copy", tmp_path / "new"):
        for path in [root, *root.rglob("*")]:
            assert path.stat().st_mode & 0o077 == 0, path


def test_restore_refuses_a_target_that_is_not_empty_and_a_keyed_backup_without_the_key(
        data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("backup", str(tmp_path / "copy"), "--data", str(data_dir)) == 0
    assert run("backup", str(tmp_path / "copy"), "--data", str(data_dir)) == 2
    assert "is not empty" in capsys.readouterr().err
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    assert run("restore", str(tmp_path / "copy"), "--data", str(tmp_path / "busy")) == 2
    assert "is not empty" in capsys.readouterr().err
    assert run("restore", str(tmp_path / "copy"), "--data", str(tmp_path / "new")) == 2
    assert "a restore needs the audit key" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_a_backup_under_load_restores_every_action_acknowledged_before_it(tmp_path: Path) -> None:
    data_dir, copy, restored = tmp_path / "data", tmp_path / "copy", tmp_path / "restored"
    key = tmp_path / "data.audit-key"
    acked = Acknowledged()
    with served(create_app(Settings(data_dir=data_dir, demo=True, escalate_every=0))) as url:
        tokens = sign_in(url)
        with load(url, tokens, acked):
            while acked.count() < 30:
                time.sleep(0.02)
            before = acked.snapshot()
            assert run("backup", str(copy), "--data", str(data_dir)) == 0
            during = acked.count()
            while acked.count() < during + 10:  # the load goes on after the copy
                time.sleep(0.02)
    assert run("restore", str(copy), "--data", str(restored), "--audit-key", str(key)) == 0
    assert run("audit", "verify", "--data", str(restored), "--audit-key", str(key)) == 0
    assert missing(restored, before, key) == []

    with TestClient(create_app(Settings(data_dir=restored, escalate_every=0, audit_key=key))) as client:
        headers = bearer(client, "zhang.wei")
        for instance_id, text in before.comments:
            shown = client.get(f"/api/instances/{instance_id}", headers=headers)
            assert shown.status_code == 200
            assert text in [e.get("comment") for e in shown.json()["events"]]


def test_restore_holds_the_backup_against_anchors_up_to_its_head(data_dir: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    key = str(tmp_path / "data.audit-key")
    anchors = tmp_path / "anchors.jsonl"
    assert run("audit", "anchor", "--data", str(data_dir)) == 0
    anchors.write_text(capsys.readouterr().out + '{"seq": 999, "digest": "later", "time": "t"}\n')
    assert run("backup", str(tmp_path / "copy"), "--data", str(data_dir)) == 0
    assert run("restore", str(tmp_path / "copy"), "--data", str(tmp_path / "ok"), "--audit-key", key,
               "--anchors", str(anchors)) == 0
    real = json.loads(anchors.read_text().splitlines()[0])
    anchors.write_text(json.dumps({**real, "digest": "0" * 64}) + "\n")
    capsys.readouterr()
    assert run("restore", str(tmp_path / "copy"), "--data", str(tmp_path / "no"), "--audit-key", key,
               "--anchors", str(anchors)) == 2
    assert "was rewritten since" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_a_checkpoint_beyond_the_copied_log_extends_the_copy_to_exactly_its_event(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """As if the log was read just before the server's last command and the checkpoint it wrote on
    stopping: the copy must reach the checkpoint's event (and stop there), or audit would fail."""
    import runtime.store.backup as backup_module

    log = data_dir / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    with FileRepository(data_dir) as repo:
        open_workflow(repo, demo=False).save_checkpoint()  # at the last event
    early = sum(len(line) for line in lines[:2])
    monkeypatch.setattr(backup_module, "committed_size", lambda path: early)
    assert run("backup", str(tmp_path / "copy"), "--data", str(data_dir)) == 0
    assert (tmp_path / "copy" / "events.jsonl").read_bytes() == log.read_bytes()
    key = str(tmp_path / "data.audit-key")
    assert run("restore", str(tmp_path / "copy"), "--data", str(tmp_path / "restored"), "--audit-key", key) == 0
    capsys.readouterr()
    assert run("audit", "verify", "--data", str(tmp_path / "restored"), "--audit-key", key) == 0
    assert f"rebuilds exactly the state stored at event {len(lines)}" in capsys.readouterr().out

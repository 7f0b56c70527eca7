"""`formflow audit verify` and the record's attachment files: missing or altered ones fail it."""
from __future__ import annotations

from pathlib import Path

import pytest

from runtime.cli import main
from runtime.clock import new_id
from runtime.setup import open_workflow
from runtime.store.blobs import blob_path
from runtime.store.repository import FileRepository
from runtime.uploads import Target, store_upload
from tests.support import claim

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def recorded(tmp_path: Path) -> dict[str, str]:
    """A data directory whose one expense claim holds two invoices."""
    directory = tmp_path / "data"
    with FileRepository(directory) as repo:
        workflow = open_workflow(repo, demo=True)
        user = workflow.org.user("zhang.wei")
        files = [store_upload(repo, user, Target(1 << 20), name, _writer(repo, PDF + name.encode()),
                              workflow.engine.now, new_id) for name in ("a.pdf", "b.pdf")]
        instance = workflow.start(user, "expense", {**claim([900]), "invoices": [f["id"] for f in files]})
        start = instance.events[0]["seq"]  # after the demo's definitions were sealed
    return {"dir": str(directory), "instance": instance.id, "sha": files[1]["sha256"], "start": start}


def _writer(repo, content: bytes):
    writer = repo.blobs.writer()
    writer.write(content)
    return writer


def test_a_record_with_its_files_intact_passes(recorded, capsys):
    assert main(["audit", "verify", "--data", recorded["dir"]]) == 0
    assert "2 attachment files intact" in capsys.readouterr().out


def test_a_missing_file_fails_naming_the_event_the_request_and_the_file(recorded, capsys):
    blob_path(Path(recorded["dir"]) / "attachments", recorded["sha"]).unlink()
    assert main(["audit", "verify", "--data", recorded["dir"]]) == 1
    assert capsys.readouterr().out.strip() == (
        f'event {recorded["start"]} (request {recorded["instance"]}): attachment "b.pdf" ({recorded["sha"]}) is '
        'missing from the store')


def test_an_altered_file_fails_naming_its_new_digest(recorded, capsys):
    path = blob_path(Path(recorded["dir"]) / "attachments", recorded["sha"])
    path.write_bytes(path.read_bytes() + b"% edited")
    assert main(["audit", "verify", "--data", recorded["dir"]]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f'event {recorded["start"]} (request {recorded["instance"]}): attachment "b.pdf" ({recorded["sha"]}) '
                          "was altered: its content now hashes to ")

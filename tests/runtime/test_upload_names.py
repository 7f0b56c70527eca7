"""Uploaded file names (the base name only, shortened with the extension kept, quoted briefly)
and lists of upload ids (capped before any is looked up)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from builder.forms import Form
from runtime.store.repository import MemoryRepository
from runtime.uploads import MAX_FILES, clean_name, resolve_attachments
from tests.runtime.test_uploads import EXE, PDF, make_app, upload
from tests.support import bearer, claim


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(make_app(MemoryRepository())) as c:
        yield c


@pytest.mark.parametrize(("sent", "kept"), [
    ("../../../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\li\\scan.pdf", "scan.pdf"),
    ("dir/sub\\mixed.pdf", "mixed.pdf"),
    ("  invoice\x00\x1f.pdf ", "invoice.pdf"),
])
def test_only_the_base_name_is_kept(sent, kept):
    assert clean_name(sent) == kept


def test_a_long_name_is_shortened_and_keeps_its_extension():
    name = clean_name("B" * 300 + ".pdf")
    assert len(name) == 255
    assert name == "B" * 251 + ".pdf"
    assert clean_name("B" * 300) == "B" * 255


def test_a_path_in_an_uploaded_name_is_dropped(client):
    r = upload(client, "zhang.wei", "../../../../etc/passwd.pdf", PDF)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "passwd.pdf"


def test_a_long_name_is_accepted_by_its_extension(client):
    r = upload(client, "zhang.wei", "B" * 300 + ".pdf", PDF)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "B" * 251 + ".pdf"


def test_a_refusal_quotes_a_long_name_briefly(client):
    r = upload(client, "zhang.wei", "B" * 300 + ".pdf", EXE)
    assert r.status_code == 422
    message = r.json()["errors"]["file"]
    quoted = message.split('"')[1]
    assert len(quoted) == 60 and quoted.startswith("BBBB") and quoted.endswith("B.pdf") and "…" in quoted


def test_a_list_longer_than_the_fields_limit_is_one_error_without_looking_ids_up(client, monkeypatch):
    repo = client.app.state.repo
    looked: list[str] = []
    monkeypatch.setattr(repo, "get_upload", lambda upload_id: looked.append(upload_id))
    r = client.post("/api/instances", headers=bearer(client, "zhang.wei"),
                    json={"process": "expense", "data": {**claim([900]), "invoices": ["x"] * 20_000}})
    assert r.status_code == 422
    assert r.json()["errors"] == {"invoices": "at most 10 files"}  # the demo claim's max_files
    assert looked == []


def test_a_field_without_max_files_is_held_to_the_hard_cap():
    form = Form.from_dict({"key": "f", "version": 1, "title": "F",
                           "fields": [{"key": "docs", "type": "attachment", "label": "Docs"}]})
    resolved, errors = resolve_attachments(form, {"docs": ["x"] * (MAX_FILES + 1)}, None, None)  # type: ignore[arg-type]
    assert errors == {"docs": f"at most {MAX_FILES} files"} and resolved["docs"] == []

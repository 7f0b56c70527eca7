"""Uploads through HTTP: limits (size before reading, streamed size, type by name and content,
count), upload ids in form data, downloads only for readers of the field, and their headers."""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.setup import INSTALLER
from runtime.store.blobs import FileBlobStore
from runtime.store.repository import FileRepository, MemoryRepository
from tests.support import DEMO, EXE, PDF, bearer, claim, signed_in, png

CAP = 4096  # the server default in these tests
FIELD_CAP = 2048  # the "private" process's attachment field

HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
MARKUP_NAME = "<img src=x onerror=alert(1)>.pdf"  # markup, and no slash (that would be a directory)
ESCAPED_NAME = "&lt;img src=x onerror=alert(1)&gt;.pdf"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'


def private_bundle() -> dict[str, Any]:
    """The expense claim as another process whose invoices the department head may not see and
    finance may change, with tighter limits: 2 files of at most 2 KB, pdf, png or txt."""
    bundle = json.loads((DEMO / "processes" / "expense.json").read_text(encoding="utf-8"))
    bundle = copy.deepcopy(bundle)
    bundle["flow"]["key"] = "private"
    bundle["flow"]["form"] = bundle["form"]["key"] = "private-claim"
    bundle["flow"]["steps"][0]["fields"] = {"invoices": "hidden"}
    bundle["flow"]["steps"][1]["fields"] = {"invoices": "editable"}
    invoices = next(f for f in bundle["form"]["fields"] if f["key"] == "invoices")
    invoices.update(accept=["pdf", "png", "txt"], max_files=2, max_size=FIELD_CAP)
    return bundle


def make_app(repo):
    return create_app(Settings(demo=True, max_upload=CAP, escalate_every=0), repo)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    repo = MemoryRepository()
    with TestClient(make_app(repo)) as c:
        c.app.state.workflow.import_bundle(INSTALLER, private_bundle())
        yield c


def upload(client: TestClient, who: str, name: str, content: bytes, **target: str):
    return client.post("/api/uploads", headers=bearer(client, who), params=target,
                       files={"file": (name, content, "application/octet-stream")})


def uploaded(client: TestClient, who: str, name: str = "invoice.pdf", content: bytes = PDF, **target: str) -> str:
    r = upload(client, who, name, content, **target)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def file_claim(client: TestClient, who: str, ids: list[str], process: str = "expense"):
    return client.post("/api/instances", headers=bearer(client, who),
                       json={"process": process, "data": {**claim([900]), "invoices": ids}})


# --- limits ------------------------------------------------------------------------------


def test_an_upload_answers_its_id_name_size_sha256_and_sniffed_type(client):
    r = upload(client, "zhang.wei", "invoice.pdf", PDF)
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"id", "name", "size", "sha256", "type"}
    assert (body["name"], body["size"], body["type"]) == ("invoice.pdf", len(PDF), "application/pdf")
    assert re.fullmatch(r"[0-9a-f]{64}", body["sha256"])
    record = client.app.state.repo.get_upload(body["id"])
    assert record["by"] == "zhang.wei" and record["sha256"] == body["sha256"]


def test_uploading_needs_a_signed_in_person(client):
    r = client.post("/api/uploads", files={"file": ("a.pdf", PDF)})
    assert r.status_code == 401


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(client):
    app = client.app
    received: list[Any] = []
    sent: list[dict[str, Any]] = []
    token = bearer(client, "zhang.wei")["Authorization"].encode()
    scope = {"type": "http", "method": "POST", "path": "/api/uploads", "raw_path": b"/api/uploads",
             "query_string": b"", "scheme": "http", "server": ("testserver", 80), "root_path": "",
             "http_version": "1.1", "client": ("127.0.0.1", 1), "app": app, "state": {},
             "headers": [(b"authorization", token), (b"content-length", str(10 ** 9).encode()),
                         (b"content-type", b"multipart/form-data; boundary=x")]}

    async def receive() -> dict[str, Any]:
        received.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    client.portal.call(app, scope, receive, send)
    assert sent[0]["status"] == 413
    assert received == []
    assert "larger than 4 KB" in json.loads(sent[1]["body"])["error"]


def test_a_chunked_body_is_cut_off_at_the_cap_and_nothing_is_kept(client):
    blobs = client.app.state.repo.blobs
    before = dict(blobs.files)
    boundary = "cut"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()

    def body() -> Iterator[bytes]:  # no Content-Length: sent chunked, as a lying client would
        yield head + PDF
        for _ in range(1000):
            yield b"0" * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    r = client.post("/api/uploads", headers={**bearer(client, "zhang.wei"),
                                             "Content-Type": f"multipart/form-data; boundary={boundary}"},
                    content=body())
    assert r.status_code == 413
    assert r.json()["error"] == '"big.pdf" is larger than 4 KB'
    assert blobs.files == before


def test_the_named_fields_max_size_is_the_cap(client):
    target = {"form": "private-claim", "field": "invoices"}
    over = PDF + b"%" * (FIELD_CAP - len(PDF) + 1)
    r = upload(client, "zhang.wei", "long.pdf", over, **target)
    assert r.status_code == 413 and r.json()["error"] == '"long.pdf" is larger than 2 KB'
    assert upload(client, "zhang.wei", "fits.pdf", over[:FIELD_CAP], **target).status_code == 201


def test_the_field_can_be_named_in_parts_after_the_file_too(client):
    over = PDF + b"%" * FIELD_CAP
    r = client.post("/api/uploads", headers=bearer(client, "zhang.wei"),
                    files={"file": ("late.pdf", over)}, data={"form": "private-claim", "field": "invoices"})
    assert r.status_code == 413 and "late.pdf" in r.json()["error"]


def test_a_field_that_is_not_an_attachment_field_is_named_in_the_error(client):
    r = upload(client, "zhang.wei", "a.pdf", PDF, form="expense-claim", field="reason")
    assert r.status_code == 422 and r.json()["errors"] == {
        "field": 'form "expense-claim" has no attachment field "reason"'}


@pytest.mark.parametrize(("name", "content", "message"), [
    ("setup.pdf", EXE, '"setup.pdf" does not hold what its name says: its content is not a .pdf file'),
    ("photo.png", HTML, '"photo.png" does not hold what its name says: its content is not a .png file'),
    ("logo.png", SVG, '"logo.png" does not hold what its name says: its content is not a .png file'),
    ("scan.jpg", png(), '"scan.jpg" does not hold what its name says: its content is not a .jpg file'),
    ("notes.txt", b"plain\x00text", '"notes.txt" does not hold what its name says: its content is not a .txt file'),
    ("list.csv", "名称,金额\n".encode("gbk"), '"list.csv" does not hold what its name says: its content is not a .csv file'),
    ("page.html", HTML, '"page.html": files of type .html are not accepted'),
    ("logo.svg", SVG, '"logo.svg": files of type .svg are not accepted'),
    ("run.js", b"alert(1)", '"run.js": files of type .js are not accepted'),
    ("README", b"hello", '"README": files of this type are not accepted'),
    ("empty.pdf", b"", '"empty.pdf" is empty'),
])
def test_a_file_whose_name_and_content_disagree_is_refused_naming_it(client, name, content, message):
    r = upload(client, "zhang.wei", name, content)
    assert r.status_code == 422
    assert r.json()["errors"] == {"file": message}


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("scan.png", png(), "image/png"), ("notes.txt", "发票说明\n".encode(), "text/plain"),
    ("list.csv", b"a,b\n1,2\n", "text/csv"), ("INVOICE.PDF", PDF, "application/pdf"),
])
def test_files_whose_content_matches_their_name_are_kept_with_the_sniffed_type(client, name, content, kind):
    r = upload(client, "zhang.wei", name, content)
    assert r.status_code == 201 and r.json()["type"] == kind


def test_the_fields_accepted_types_apply_when_it_is_named(client):
    r = upload(client, "zhang.wei", "list.csv", b"a,b\n", form="private-claim", field="invoices")
    assert r.status_code == 422
    assert r.json()["errors"] == {"file": '"list.csv" is not one of the accepted types: pdf, png, txt'}


# --- upload ids in form data --------------------------------------------------------------


def test_the_start_event_records_each_files_description_with_its_sha256(client):
    ids = [uploaded(client, "zhang.wei", "a.pdf"), uploaded(client, "zhang.wei", "b.png", png())]
    r = file_claim(client, "zhang.wei", ids)
    assert r.status_code == 201, r.text
    instance = client.get(f"/api/instances/{r.json()['id']}", headers=bearer(client, "zhang.wei")).json()
    started = instance["events"][0]
    assert [f["name"] for f in started["data"]["invoices"]] == ["a.pdf", "b.png"]
    assert set(started["data"]["invoices"][0]) == {"id", "name", "size", "sha256", "type"}
    assert instance["data"]["invoices"] == started["data"]["invoices"]


def test_an_unknown_upload_or_someone_elses_is_an_error_at_its_place(client):
    mine = uploaded(client, "zhang.wei")
    theirs = uploaded(client, "liu.yang")
    r = file_claim(client, "zhang.wei", [mine, "nope", theirs])
    assert r.status_code == 422
    assert r.json()["errors"] == {"invoices[1]": "no such upload", "invoices[2]": "no such upload"}


def test_more_files_than_the_field_allows_is_refused(client):
    ids = [uploaded(client, "zhang.wei", f"{n}.pdf", PDF + str(n).encode(), form="private-claim", field="invoices")
           for n in range(3)]
    r = file_claim(client, "zhang.wei", ids, process="private")
    assert r.status_code == 422 and r.json()["errors"] == {"invoices": "at most 2 files"}


def test_the_start_form_posts_upload_ids_as_the_fields_name_repeated(client):
    csrf = sign_in(client, "zhang.wei")
    ids = [uploaded(client, "zhang.wei", "page-a.pdf", PDF + b"a"), uploaded(client, "zhang.wei", "page-b.pdf", PDF + b"b")]
    form = {"csrf_token": csrf, "category": "office", "reason": "Paper", "items-0-description": "Paper",
            "items-0-invoice_no": "P1", "items-0-amount": "80", "invoices": ids}
    r = client.post("/start/expense", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    instance = client.app.state.workflow.state.instances[r.headers["location"].split("/")[2].split("?")[0]]
    assert [f["id"] for f in instance.data["invoices"]] == ids


def first_task(client: TestClient, instance_id: str):
    workflow = client.app.state.workflow
    return next(t for t in workflow.open_tasks_of(instance_id))


def test_a_step_may_keep_the_requests_files_and_add_its_own_but_not_anyone_elses(client):
    original = uploaded(client, "zhang.wei", "orig.pdf", PDF + b"orig", form="private-claim", field="invoices")
    instance_id = file_claim(client, "zhang.wei", [original], process="private").json()["id"]
    head = first_task(client, instance_id)
    assert client.post(f"/api/tasks/{head.id}/approve", headers=bearer(client, head.assignee), json={}).status_code == 200
    finance = first_task(client, instance_id)
    stray = uploaded(client, "zhang.wei", "stray.pdf", PDF + b"stray")
    own = uploaded(client, finance.assignee, "receipt.pdf", PDF + b"receipt")
    approve = f"/api/tasks/{finance.id}/approve"
    refused = client.post(approve, headers=bearer(client, finance.assignee),
                          json={"data": {"invoices": [original, stray]}})
    assert refused.status_code == 422 and refused.json()["errors"] == {"invoices[1]": "no such upload"}
    r = client.post(approve, headers=bearer(client, finance.assignee), json={"data": {"invoices": [original, own]}})
    assert r.status_code == 200, r.text
    data = client.app.state.workflow.state.instances[instance_id].data
    assert [f["name"] for f in data["invoices"]] == ["orig.pdf", "receipt.pdf"]


def test_the_step_page_shows_the_requests_files_in_its_widget_and_its_form_keeps_them(client):
    original = uploaded(client, "zhang.wei", "kept.pdf", PDF + b"kept", form="private-claim", field="invoices")
    instance_id = file_claim(client, "zhang.wei", [original], process="private").json()["id"]
    head = first_task(client, instance_id)
    client.post(f"/api/tasks/{head.id}/approve", headers=bearer(client, head.assignee), json={})
    finance = first_task(client, instance_id)
    csrf = sign_in(client, finance.assignee)
    page = client.get(f"/tasks/{finance.id}")
    assert page.template.name == "instance.html"
    assert [f["name"] for f in page.context["edit"].raw["invoices"]] == ["kept.pdf"]
    assert 'class="attachment-name">kept.pdf<' in page.text
    own = uploaded(client, finance.assignee, "added.pdf", PDF + b"added")
    preview = client.post(f"/tasks/{finance.id}/preview", headers={"HX-Request": "true", "X-CSRF-Token": csrf},
                          data={"data.invoices": [original, own]})
    assert preview.status_code == 200, preview.text
    assert [f["name"] for f in preview.context["state"].raw["invoices"]] == ["kept.pdf", "added.pdf"]
    r = client.post(f"/tasks/{finance.id}/approve", data={"csrf_token": csrf, "version": str(finance.version),
                                                          "data.invoices": [original, own]}, follow_redirects=False)
    assert r.status_code == 303, r.context.get("errors")
    data = client.app.state.workflow.state.instances[instance_id].data
    assert [f["name"] for f in data["invoices"]] == ["kept.pdf", "added.pdf"]


# --- downloads ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filed(client) -> dict[str, str]:
    """A private claim by zhang.wei holding one file its first approver (li.na) may not see,
    and an expense claim holding one file everyone involved may."""
    hidden = uploaded(client, "zhang.wei", MARKUP_NAME, PDF + b"%hidden",
                      form="private-claim", field="invoices")
    shown = uploaded(client, "zhang.wei", "发票 1.pdf", PDF + b"%shown")
    private = file_claim(client, "zhang.wei", [hidden], process="private").json()["id"]
    public = file_claim(client, "zhang.wei", [shown]).json()["id"]
    return {"hidden": hidden, "shown": shown, "private": private, "public": public}


def test_a_download_is_an_attachment_of_the_sniffed_type_never_run_by_the_browser(client, filed):
    r = client.get(f"/api/instances/{filed['public']}/attachments/{filed['shown']}",
                   headers=bearer(client, "li.na"))
    assert r.status_code == 200
    assert r.content == PDF + b"%shown"
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8%201.pdf"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == "sandbox"


def test_only_people_who_may_read_the_request_download_its_files(client, filed):
    r = client.get(f"/api/instances/{filed['public']}/attachments/{filed['shown']}",
                   headers=bearer(client, "liu.yang"))
    assert r.status_code == 403


def test_a_file_in_a_field_hidden_from_the_reader_is_403(client, filed):
    url = f"/api/instances/{filed['private']}/attachments/{filed['hidden']}"
    assert client.get(url, headers=bearer(client, "li.na")).status_code == 403
    assert client.get(url, headers=bearer(client, "zhang.wei")).status_code == 200


def test_only_files_the_request_holds_are_served_through_it(client, filed):
    r = client.get(f"/api/instances/{filed['public']}/attachments/{filed['hidden']}",
                   headers=bearer(client, "zhang.wei"))
    assert r.status_code == 404


# --- the page routes (cookie session, CSRF) -----------------------------------------------


def sign_in(client: TestClient, username: str) -> str:
    return signed_in(client, username)


def test_the_widgets_upload_needs_the_csrf_header_and_answers_the_files_row(client):
    csrf = sign_in(client, "zhang.wei")
    files = {"file": (MARKUP_NAME, PDF + b"%page")}
    target = {"form": "expense-claim", "field": "invoices", "input": "invoices"}
    refused = client.post("/uploads", params=target, files=files, data={"csrf_token": csrf})
    assert refused.status_code == 403
    r = client.post("/uploads", params=target, files=files, headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    assert r.status_code == 201
    assert r.template.name == "partials/attachment_item.html"
    assert r.context["file"]["name"] == MARKUP_NAME and r.context["input_name"] == "invoices"
    assert "<img" not in r.text and ESCAPED_NAME in r.text


def test_the_widget_shows_why_a_file_was_refused(client):
    csrf = sign_in(client, "zhang.wei")
    r = client.post("/uploads", params={"form": "expense-claim", "field": "invoices", "input": "invoices"},
                    files={"file": ("setup.pdf", EXE)}, headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    assert r.status_code == 422 and r.context["file"] is None
    assert "setup.pdf" in r.context["error"]


@pytest.mark.parametrize(("locale", "words"), [
    ("en", "up to 10 files, 10 MB each, pdf jpg jpeg png"),
    ("zh_CN", "最多 10 个文件, 每个不超过 10 MB, pdf jpg jpeg png"),
])
def test_the_start_page_offers_the_widget_with_its_limits_in_words(client, locale, words):
    sign_in(client, "zhang.wei")
    client.cookies.set("formflow_lang", locale)
    try:
        r = client.get("/start/expense")
    finally:
        client.cookies.delete("formflow_lang")
    assert r.status_code == 200 and r.template.name == "start.html"
    invoices = r.context["state"].form.field("invoices")
    assert r.context["state"].template(invoices) == "partials/fields/attachment.html"
    assert re.search(r'id="limits-invoices">([^<]*)<', r.text).group(1) == words


def test_the_record_lists_files_as_text_with_download_links(client, filed):
    sign_in(client, "zhang.wei")
    r = client.get(f"/instances/{filed['private']}")
    assert r.status_code == 200 and r.template.name == "instance.html"
    assert [f.key for f in r.context["fields"] if f.key == "invoices"] == ["invoices"]
    assert f'href="/instances/{filed["private"]}/attachments/{filed["hidden"]}"' in r.text
    assert "<img src=x" not in r.text and ESCAPED_NAME in r.text
    download = client.get(f"/instances/{filed['private']}/attachments/{filed['hidden']}")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.pdf")


def test_the_head_does_not_see_the_hidden_field_on_the_record(client, filed):
    sign_in(client, "li.na")
    r = client.get(f"/instances/{filed['private']}")
    assert "invoices" not in [f.key for f in r.context["fields"]]
    assert client.get(f"/instances/{filed['private']}/attachments/{filed['hidden']}").status_code == 403


# --- the store ----------------------------------------------------------------------------


def test_the_same_bytes_are_one_file_however_often_they_are_uploaded(tmp_path: Path):
    repo = FileRepository(tmp_path / "data")
    with TestClient(make_app(repo)) as c:
        first, second = (upload(c, who, "same.pdf", PDF).json() for who in ("zhang.wei", "liu.yang"))
    repo.close()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    stored = [p for p in (tmp_path / "data" / "attachments").rglob("*") if p.is_file()]
    assert stored == [tmp_path / "data" / "attachments" / first["sha256"][:2] / first["sha256"]]
    assert stored[0].read_bytes() == PDF


def test_a_temp_file_left_by_a_crash_is_removed_when_the_store_opens(tmp_path: Path):
    root = tmp_path / "attachments"
    root.mkdir()
    (root / ".upload-abc.tmp").write_bytes(b"half")
    FileBlobStore(root)
    assert list(root.iterdir()) == []


def test_a_request_without_files_says_so_on_its_record_as_every_empty_value_does(client):
    r = file_claim(client, "zhang.wei", [])
    assert r.status_code == 201, r.text
    sign_in(client, "zhang.wei")
    page = client.get(f"/instances/{r.json()['id']}")
    assert page.template.name == "instance.html" and page.context["instance"].data.get("invoices") in (None, [])
    listed = re.search(r'<dd id="data-invoices">(.*?)</dd>', page.text, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s", "", listed) == "—"

"""Exchange in the designer through TestClient: a process downloads as its export document, and an
upload is checked whole — every problem listed with its JSON path, nothing saved — before it is
published."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from runtime.web.rendering import make_templates
from tests.runtime.test_designer_pages import sign_in
from tests.support import DEMO, definitions_copy, demo_with_auditor

IMPORT = "/designer/flows/import"


@pytest.fixture(scope="module")
def seeded() -> MemoryRepository:
    return demo_with_auditor()


@pytest.fixture
def app(seeded):
    repo = definitions_copy(seeded)
    return create_app(Settings(max_json=64 * 1024), repo)


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        app.state.templates = make_templates(strict=True)
        yield client


def upload(web: TestClient, csrf: str, content: bytes, name: str = "contract.json"):
    return web.post(IMPORT, files={"file": (name, content, "application/json")},
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf, "Accept-Language": "en"})


def test_the_download_is_the_export_document_as_a_file(web):
    sign_in(web, "admin")
    r = web.get("/designer/flows/contract/download")
    assert r.status_code == 200 and r.headers["content-disposition"] == 'attachment; filename="contract.json"'
    assert r.text == (DEMO / "processes" / "contract.json").read_text(encoding="utf-8")
    sign_in(web, "audit.gu")
    assert web.get("/designer/flows/contract/download").status_code == 200
    sign_in(web, "zhang.wei")
    assert web.get("/designer/flows/contract/download").status_code == 403


def test_an_upload_with_problems_lists_each_with_its_path_and_saves_nothing(web, app):
    csrf = sign_in(web, "admin")
    bundle = json.loads((DEMO / "processes" / "contract.json").read_text(encoding="utf-8"))
    bundle["flow"]["title"] = {"en": "Contracts, changed", "zh_CN": "合同（已改）"}
    bundle["flow"]["steps"][1]["assignee"] = {"kind": "role", "role": "astronaut"}
    bundle["form"]["fields"][0]["type"] = "hologram"
    r = upload(web, csrf, json.dumps(bundle).encode())
    assert r.status_code == 422 and r.template.name == "designer/flow_import.html"
    paths = [path for path, _ in r.context["problems"]]
    assert "flow.steps[1].assignee.role" in paths and "form.fields[0].type" in paths
    assert app.state.workflow.definition("flow", "contract").version == 1


def test_a_good_upload_is_published_and_opens_the_designer(web, app):
    csrf = sign_in(web, "admin")
    bundle = json.loads((DEMO / "processes" / "contract.json").read_text(encoding="utf-8"))
    bundle["flow"]["title"] = {"en": "Contracts, changed", "zh_CN": "合同（已改）"}
    r = upload(web, csrf, json.dumps(bundle).encode())
    assert r.status_code == 200 and r.headers["hx-redirect"] == "/designer/flows/contract?imported=2"
    assert app.state.workflow.definition("flow", "contract").version == 2


@pytest.mark.parametrize(("content", "status"), [(b"{not json", 400), (b"[1, 2]", 400), (b"x" * (80 * 1024), 413)])
def test_not_a_document_or_too_large_is_refused_in_place(web, content, status):
    csrf = sign_in(web, "admin")
    r = upload(web, csrf, content)
    assert r.status_code == status and r.context["error"]


def test_staff_and_a_missing_token_are_refused(web):
    csrf = sign_in(web, "zhang.wei")
    assert upload(web, csrf, b"{}").status_code == 403
    sign_in(web, "admin")
    r = web.post(IMPORT, files={"file": ("x.json", b"{}", "application/json")}, headers={"HX-Request": "true"})
    assert r.status_code == 403

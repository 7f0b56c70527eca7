"""The process properties page through TestClient: designers only, every property saved to the
draft, a wrong one refused in place with nothing saved, and the form chosen from published forms."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from runtime.web.rendering import make_templates
from tests.runtime.test_designer_pages import sign_in
from tests.runtime.test_form_designer_pages import elements
from tests.support import definitions_copy, demo_with_auditor

PAGE = "/designer/flows/contract/properties"
HX = {"HX-Request": "true", "Accept-Language": "en"}


@pytest.fixture(scope="module")
def seeded() -> MemoryRepository:
    return demo_with_auditor()


@pytest.fixture
def app(seeded):
    repo = definitions_copy(seeded)
    return create_app(Settings(), repo)


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        app.state.templates = make_templates(strict=True)
        yield client


def draft(app) -> dict[str, Any]:
    return app.state.flow_authoring.draft(app.state.workflow.org.users["admin"], "contract").flow


def posted(csrf: str, **changes: Any) -> dict[str, Any]:
    """The page's form as it shows the demo contract process, with `changes`."""
    data: dict[str, Any] = {
        "csrf_token": csrf, "title_zh_CN": "合同审批", "title_en": "Contract approval", "flow_form": "contract-approval",
        "purpose_zh_CN": "合同签订前审查", "purpose_en": "Approve contracts before signing",
        "category": "approval", "value_chain": "core", "level": "main", "owner": "legal",
        "performers": ["business_department"], "collaborators": ["legal", "finance"],
        "input_forms": ["contract-approval"], "time_limit_amount": "5", "time_limit_unit": "days",
        "target_pass_rate": "90", "cost_bearing_zh_CN": "申请部门", "effective_date": "2026-01-01"}
    data.update(changes)
    return data


def test_staff_cannot_open_or_post(web):
    csrf = sign_in(web, "zhang.wei")
    assert web.get(PAGE).status_code == 403
    assert web.post(PAGE, data=posted(csrf)).status_code == 403


def test_the_page_shows_the_draft_and_the_choices(web, app):
    sign_in(web, "admin")
    r = web.get(PAGE, headers={"Accept-Language": "en"})
    assert r.status_code == 200 and r.template.name == "designer/flow_properties.html"
    context = r.context
    assert context["meta"]["owner"] == "legal" and context["flow"]["form"] == "contract-approval"
    published = sorted(d["key"] for d in app.state.workflow.repo.list_definitions("form"))
    assert sorted(k for k, _ in context["forms"]) == published  # the choice is among the published forms
    assert "contract" not in [k for k, _ in context["processes"]]  # not its own parent
    assert context["extra_roles"]["performers"] == ["business_department"]  # not a role: kept, shown as it is


def test_every_property_is_saved_to_the_draft(web, app):
    csrf = sign_in(web, "admin")
    r = web.post(PAGE, data=posted(csrf), headers=HX)
    assert r.status_code == 200 and r.context["saved"] and not r.context["errors"]
    meta = draft(app)["meta"]
    assert meta["value_chain"] == "core" and meta["time_limit"] == {"amount": 5, "unit": "days"}
    assert meta["target_pass_rate"] == 90 and meta["cost_bearing"] == {"zh_CN": "申请部门"}
    assert meta["collaborators"] == ["legal", "finance"] and meta["performers"] == ["business_department"]
    assert meta["purpose"] == {"zh_CN": "合同签订前审查", "en": "Approve contracts before signing"}
    assert "scope" not in meta  # emptied
    assert app.state.workflow.definition("flow", "contract").meta.value_chain == ""  # published untouched


@pytest.mark.parametrize(("change", "path"), [
    ({"target_pass_rate": "120"}, "meta.target_pass_rate"),
    ({"time_limit_amount": "soon"}, "meta.time_limit.amount"),
    ({"effective_date": "next week"}, "meta.effective_date"),
    ({"category": "fun"}, "meta.category"),
    ({"flow_form": "no-such-form"}, "form"),
])
def test_a_wrong_property_is_refused_in_place_and_nothing_is_saved(web, app, change, path):
    csrf = sign_in(web, "admin")
    before = draft(app)
    r = web.post(PAGE, data=posted(csrf, **change), headers=HX)
    assert r.status_code == 422 and path in r.context["errors"], r.context["errors"]
    assert draft(app) == before


def test_a_text_the_process_does_not_have_shows_empty_and_saving_the_page_as_shown_adds_nothing(web, app):
    csrf = sign_in(web, "admin")
    page = elements(web.get(PAGE, headers={"Accept-Language": "en"}).text)
    assert page["cost_bearing-en"]["value"] == ""  # the process has it in Chinese only: not "None"
    web.post(PAGE, data=posted(csrf, cost_bearing_en=page["cost_bearing-en"]["value"]), headers=HX)
    assert draft(app)["meta"]["cost_bearing"] == {"zh_CN": "申请部门"}

"""The flow designer's versions page, the impact shown in the publish panel before publishing,
the form version the designer says the process runs, and the exchange downloads, through
TestClient (template and context asserted, not HTML)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime.web.rendering import make_templates
from tests.runtime.test_demo_processes import contract
from tests.runtime.test_designer_pages import sign_in
from tests.runtime.test_flow_designer_pages import app, seeded  # noqa: F401  (the demo copied per test)
from tests.support import FakeClock, bearer

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", **EN}
PAGE = "/designer/flows/contract"
VERSIONS = PAGE + "/versions"


@pytest.fixture
def web(app) -> Iterator[TestClient]:  # noqa: F811
    """A client on a fixed clock (Monday 2 March 2026), templates strict."""
    with TestClient(app, follow_redirects=False) as client:
        app.state.templates = make_templates(strict=True)
        app.state.workflow.engine.now = FakeClock()
        yield client


def user(app, name: str = "admin") -> Any:
    return app.state.workflow.org.users[name]


def edit(app, change: Any) -> None:
    """Change the contract draft as the designer would (through the service)."""
    authoring = app.state.flow_authoring
    doc = authoring.draft(user(app), "contract").flow
    change(doc)
    authoring.save(user(app), "contract", doc)


def retitle(doc: dict[str, Any]) -> None:
    doc["title"] = {"en": "Contracts", "zh_CN": "合同"}


def without_finance(doc: dict[str, Any]) -> None:
    doc["steps"] = [s for s in doc["steps"] if s["id"] != "finance"]


def test_the_versions_page_lists_every_version_newest_first_with_its_changes_in_words(app, web):
    edit(app, without_finance)
    app.state.flow_authoring.publish(user(app), "contract", "Finance no longer reviews contracts")
    edit(app, retitle)
    app.state.flow_authoring.publish(user(app), "contract", "Renamed", "2026-04-01")
    sign_in(web, "admin")
    page = web.get(PAGE, headers=EN)
    assert page.context["draft"].based_on == 3  # the page links the versions (#flow-versions)
    r = web.get(VERSIONS, headers=EN)
    assert r.status_code == 200 and r.template.name == "designer/flow_versions.html"
    versions = r.context["versions"]
    assert [(v["version"], v["state"]) for v in versions] == [(3, "waiting"), (2, "in_use"), (1, "earlier")]
    assert versions[0]["effective"] == "2026-04-01" and versions[0]["note"] == "Renamed"
    assert versions[1]["by"] == "admin" and versions[1]["note"] == "Finance no longer reviews contracts"
    assert versions[1]["diff"] == ['Step "Finance review" removed']
    assert versions[0]["diff"] == ["Process: name: Contract approval → Contracts",
                                   "Process property: effective date: 2026-01-01 → 2026-04-01"]
    assert [v["form_version"] for v in versions] == [1, 1, None]  # the demo's first version pins no form
    assert r.context["forms"] == {"contract-approval": "Contract approval form"} and r.context["can_edit"]


def test_auditors_read_the_versions_page_and_staff_may_not(app, web):
    sign_in(web, "audit.gu")
    r = web.get(VERSIONS, headers=EN)
    assert r.status_code == 200 and not r.context["can_edit"] and r.context["versions"][0]["version"] == 1
    sign_in(web, "zhang.wei")
    assert web.get(VERSIONS, headers=EN).status_code == 403
    sign_in(web, "admin")
    assert web.get("/designer/flows/nothing/versions", headers=EN).status_code == 404


def test_the_publish_panel_shows_running_requests_by_step_and_scenarios_whose_route_changes(app, web):
    staff = bearer(web, "liu.yang")
    for _ in range(2):
        assert web.post("/api/instances", json={"process": "contract", "data": contract()}, headers=staff).status_code == 201
    sign_in(web, "admin")
    panel = web.get(PAGE + "/publish", headers=HX)
    assert panel.template.name == "designer/flow.html"
    impact = panel.context["impact"]
    assert impact.running == 2 and impact.by_step == (("Department head review", 2),) and impact.routes == ()

    def with_scenario(doc: dict[str, Any]) -> None:
        doc["scenarios"] = [{"name": "Small purchase", "submitter": "liu.yang", "data": contract(),
                             "route": ["dept_head", "legal", "finance", "vp", "major", "sign"]}]
    edit(app, with_scenario)
    assert web.get(PAGE + "/publish", headers=HX).context["impact"].routes == ()  # the route it was saved with
    edit(app, without_finance)  # the panel re-renders after each edit: the route it would take now
    route = web.get(PAGE + "/publish", headers=HX).context["impact"].routes
    assert [(r.name, r.before, r.after) for r in route] == [
        ("Small purchase",
         ("Department head review", "Legal review", "Finance review", "VP approval", "Major contract?", "Sign the contract"),
         ("Department head review", "Legal review", "VP approval", "Major contract?", "Sign the contract"))]


def test_the_publish_panel_says_what_the_draft_changes_in_the_words_the_versions_page_keeps(app, web):
    sign_in(web, "admin")
    assert web.get(PAGE + "/publish", headers=HX).context["impact"].changes == ()  # the draft is version 1
    edit(app, without_finance)
    edit(app, retitle)
    changes = web.get(PAGE + "/publish", headers=HX).context["impact"].changes
    app.state.flow_authoring.publish(user(app), "contract", "Finance no longer reviews")
    kept = web.get(VERSIONS, headers=EN).context["versions"][0]["diff"]
    assert changes == tuple(kept) and 'Step "Finance review" removed' in changes and len(changes) == 2


def test_the_designer_says_the_form_version_and_when_a_newer_one_is_published(app, web):
    sign_in(web, "admin")
    first = web.get(PAGE + "/publish", headers=HX).context["impact"]
    assert (first.form, first.pinned, first.latest, first.newer) == ("Contract approval form", None, 1, False)
    edit(app, retitle)
    app.state.flow_authoring.publish(user(app), "contract", "Renamed")
    forms = app.state.form_authoring
    doc = forms.draft(user(app), "contract-approval").form
    doc["fields"].append({"key": "note", "type": "text", "label": {"en": "Note", "zh_CN": "备注"}})
    forms.save(user(app), "contract-approval", doc)
    forms.publish(user(app), "contract-approval", "adds a note")
    pinned = web.get(PAGE + "/publish", headers=HX).context["impact"]
    assert (pinned.pinned, pinned.latest, pinned.newer) == (1, 2, True)


def test_the_designer_downloads_json_bpmn_and_dmn_for_designers_and_auditors(app, web):
    for name in ("admin", "audit.gu"):
        sign_in(web, name)
        for suffix, kind in (("", "json"), (".bpmn", "xml"), (".dmn", "xml")):
            r = web.get(f"{PAGE}/download{suffix}")
            assert r.status_code == 200 and kind in r.headers["content-type"], (name, suffix)
            assert r.headers["content-disposition"] == f'attachment; filename="contract.{suffix[1:] or "json"}"'
    assert b"definitions" in web.get(PAGE + "/download.bpmn").content
    sign_in(web, "zhang.wei")
    assert web.get(PAGE + "/download.bpmn").status_code == 403
    sign_in(web, "admin")
    assert web.get(PAGE, headers=EN).context["exported_rulesets"]  # the contract consults a ruleset: a DMN button

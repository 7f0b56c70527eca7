"""Limits on what people send besides size: nesting in the designers' JSON boxes, control
characters anywhere text comes in (forms, comments, reasons, designer inputs, API JSON), and
numbers whose thousands separators do not group by three."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from builder import json_text
from builder.fieldtypes import money
from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.test_designer_pages import PAGE, draft_rows, table_form
from tests.runtime.test_pages import expense_form
from tests.support import bearer, claim, page_sign_in

HX = {"HX-Request": "true", "Accept-Language": "en"}


@pytest.fixture
def app():
    return create_app(Settings(demo=True, escalate_every=0), MemoryRepository())


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"}) as c:
        yield c


def signed_in(web: TestClient, username: str) -> str:
    assert page_sign_in(web, username).status_code == 303
    return web.get("/").context["csrf"]


def nested_condition(depth: int) -> str:
    return '{"$not": ' * depth + '{"$gt": {"total": 1}}' + "}" * depth


@pytest.mark.parametrize("depth", [200, 2000])
def test_a_deeply_nested_condition_in_the_rule_designers_json_box_is_a_422(app, web, depth):
    signed_in(web, "admin")
    before = draft_rows(app)
    r = web.post(f"{PAGE}/table", data=table_form(web, rows_1_mode="json-edit", rows_1_json=nested_condition(depth)),
                 headers=HX)
    assert r.status_code == 422
    assert any("nested more than 128 levels deep" in p for row in r.context["table"].rows for p in row.problems)
    assert draft_rows(app) == before


def test_the_parser_names_depth_and_control_characters_as_bad_json():
    with pytest.raises(json.JSONDecodeError, match="nested more than 128 levels deep"):
        json_text.loads("[" * 5000 + "]" * 5000)
    with pytest.raises(json.JSONDecodeError, match=r"rows\[0\].label must not contain control characters"):
        json_text.loads('{"rows": [{"label": "a\\u0000b"}]}')
    assert json_text.loads('{"note": "two\\nlines\\tand a tab"}') == {"note": "two\nlines\tand a tab"}


@pytest.mark.parametrize("text", ["Client\x00visit", "\x1b[31mred", "back\x08space", "del\x7f",
                                  "invoice\u202efdp.exe", "left\u2066isolate"])  # bidi controls: text read as it is not
def test_a_control_character_in_a_form_post_is_refused_naming_the_field(app, web, text):
    csrf = signed_in(web, "zhang.wei")
    before = len(app.state.workflow.state.instances)
    r = web.post("/start/expense", data=expense_form(csrf, reason=text), headers=HX)
    assert r.status_code == 422
    assert r.context["body"]["errors"] == {"reason": "must not contain control characters"}
    assert len(app.state.workflow.state.instances) == before


def test_any_field_of_a_designers_post_with_a_nul_is_refused(app, web):
    signed_in(web, "admin")
    before = draft_rows(app)
    r = web.post(f"{PAGE}/table", data=table_form(web, rows_1_c_0_value="5000\x00"), headers=HX)
    assert r.status_code == 422 and list(r.context["body"]["errors"]) == ["rows-1-c-0-value"]
    assert draft_rows(app) == before


def test_tabs_and_line_breaks_are_text(app, web):
    csrf = signed_in(web, "zhang.wei")
    r = web.post("/start/expense", data=expense_form(csrf, reason="Client visit\r\n\tday two"), headers=HX)
    assert r.status_code == 200 and r.headers["HX-Redirect"].startswith("/instances/")


def test_a_control_character_in_api_json_is_refused_at_its_path(app, web):
    headers = bearer(web, "zhang.wei")
    data = claim([100])
    data["items"][0]["description"] = "Train\u0000"
    r = web.post("/api/instances", json={"process": "expense", "data": data}, headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"] == {"items[0].description": "must not contain control characters"}  # as for any field
    started = web.post("/api/instances", json={"process": "expense", "data": claim([100])}, headers=headers).json()
    events = len(app.state.workflow.state.instances[started["id"]].events)
    r = web.post(f"/api/instances/{started['id']}/comment", json={"comment": "ring\x07"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"] == {"comment": "must not contain control characters"}
    r = web.post(f"/api/instances/{started['id']}/comment", json={"comment": "paid \u202e0001"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"] == {"comment": "must not contain control characters"}
    assert len(app.state.workflow.state.instances[started["id"]].events) == events


@pytest.mark.parametrize("typed", ["1,2,3", "12,34", "1,234,56", "1 2 3", "1,000 000", ",100"])
def test_money_whose_separators_do_not_group_by_three_is_refused(typed):
    with pytest.raises(ValueError, match="must be an amount of money"):
        money(typed)


@pytest.mark.parametrize(("typed", "amount"), [("1,234.50", 1234.5), ("12,345,678", 12345678), ("1 200", 1200),
                                               ("¥ 1,200", 1200), ("-0", 0)])
def test_grouped_money_is_read(typed, amount):
    assert money(typed) == amount


def test_money_like_1_2_3_is_a_422_through_the_api_not_123(app, web):
    data = claim([100])
    data["items"][0]["amount"] = "1,2,3"
    r = web.post("/api/instances", json={"process": "expense", "data": data}, headers=bearer(web, "zhang.wei"))
    assert r.status_code == 422 and "items[0].amount" in r.json()["errors"]

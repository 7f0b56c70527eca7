"""The condition builder and expression helper in a real browser, through htmx, on a harness page
that hosts them the way a property panel does (one form, morphed into its new rendering on every
change, so focus and what is being typed survive)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from runtime import i18n
from runtime.web import condition_builder as cb
from runtime.web.condition_subjects import subjects_of
from runtime.web.expression_helper import check_expression, expression_help
from runtime.web.rendering import STATIC_DIR, make_templates
from tests.support import served

FORM: dict[str, Any] = {"key": "claim", "version": 1, "title": "Claim", "fields": [
    {"key": "category", "type": "select", "label": "Category",
     "options": [{"value": "travel", "label": "Travel"}, {"value": "meal", "label": "Meal"}]},
    {"key": "total", "type": "money", "label": "Total"},
    {"key": "urgent", "type": "checkbox", "label": "Urgent"},
    {"key": "items", "type": "table", "label": "Invoice lines", "columns": [
        {"key": "amount", "type": "money", "label": "Amount"}]},
    {"key": "tax", "type": "money", "label": "Tax", "computed": ""},
]}
PANEL = """{% from "designer/_condition_builder.html" import condition_builder %}
{% from "designer/_expression_helper.html" import expression_helper %}
<form id="panel" method="post" action="/edit">
{{ condition_builder(cf, "visible_when", subjects, "/edit", "#panel", "#panel", "outerMorph") }}
{{ expression_helper("tax-computed", expression, problem, help, "/edit", "#panel", "#panel", "outerMorph") }}
<output id="saved">{{ saved }}</output></form>"""
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harness</title>
<link rel="stylesheet" href="/static/formflow.css">
<script src="/static/vendor/htmx-4.0.1/htmx.min.js" defer></script>
<script src="/static/expression-helper.js" defer></script></head>
<body>{{ panel|safe }}</body></html>"""


def _harness() -> Starlette:
    env = make_templates(strict=True).env
    panel, page = env.from_string(PANEL), env.from_string(PAGE)
    subjects = subjects_of(FORM, "en")
    state: dict[str, Any] = {"cond": None}

    def render(cf: cb.ConditionForm, expression: str = "") -> str:
        return panel.render(cf=cf, subjects=subjects, expression=expression,
                            problem=check_expression(expression, FORM, "tax"),
                            help=expression_help(FORM, "en", field="tax"), saved=json.dumps(state["cond"]))

    async def show(request: Request) -> HTMLResponse:
        i18n.current_locale.set("en")
        return HTMLResponse(page.render(panel=render(cb.condition_form(state["cond"], subjects))))

    async def edit(request: Request) -> HTMLResponse:
        i18n.current_locale.set("en")
        pairs = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
        cf, cond = cb.read_condition(pairs, "visible_when", subjects)
        op = cb.operation_for(pairs, "visible_when")
        if op:
            cb.apply_operation(cf, op, subjects)
            cond = cb.build_condition(cf, subjects)
        if not cf.has_problems:
            state["cond"] = cond
        return HTMLResponse(render(cf, dict(pairs).get("tax-computed", "")))

    return Starlette(routes=[Route("/", show), Route("/edit", edit, methods=["POST"]),
                             Mount("/static", StaticFiles(directory=STATIC_DIR))])


@pytest.fixture(scope="module")
def harness() -> Iterator[str]:
    with served(_harness()) as url:
        yield url


def saved(page: Page) -> Any:
    return json.loads(page.locator("#saved").inner_text())


def test_building_a_condition_with_the_pickers(page: Page, harness: str) -> None:
    page.goto(harness)
    expect(page.locator("#visible_when-empty")).to_be_visible()
    page.locator("#visible_when-add-group").click()
    expect(page.locator("#visible_when-g0-c0-subject")).to_be_focused()  # keyboard users keep their place
    expect(page.locator("#visible_when-g0-c0-pending")).to_be_visible()
    expect(page.locator("#saved")).to_have_text("null")  # nothing chosen, nothing said
    page.get_by_label("Group 1, condition 1: field").select_option("category")
    expect(page.locator("#saved")).to_have_text("null")  # how it compares is not assumed either

    page.get_by_label("Group 1, condition 1: operator").select_option("$in")
    expect(page.locator("#visible_when-g0-c0-value-0")).to_be_visible()  # options are ticked now
    page.get_by_label("Meal").check()
    expect(page.locator("#saved")).to_have_text('{"$in": {"category": ["meal"]}}')
    page.get_by_label("Travel").check()
    expect(page.locator("#saved")).to_have_text('{"$in": {"category": ["travel", "meal"]}}')

    page.locator("#visible_when-g0-add-clause").click()
    before = {"$in": {"category": ["travel", "meal"]}}
    expect(page.locator("#visible_when-g0-c1-pending")).to_be_visible()
    expect(page.locator("#saved")).to_have_text(json.dumps(before))  # the new clause counts for nothing yet
    page.get_by_label("Group 1, condition 2: field").select_option("total")
    operator = page.get_by_label("Group 1, condition 2: operator")
    expect(operator).to_have_value("")  # chosen next, from the operators of the field's type
    operator.select_option("$gt")
    value = page.locator("#visible_when-g0-c1-value")
    value.fill("lots")
    expect(page.locator("#visible_when-g0-c1-problem")).to_have_text("“lots” is not a number.")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#saved")).to_have_text(json.dumps(before))  # nothing changed
    page.locator("#visible_when-g0-c1-value").fill("5,000")
    expect(page.locator("#visible_when-g0-c1-problem")).to_have_count(0)
    assert saved(page) == {"$and": [{"$in": {"category": ["travel", "meal"]}}, {"$gt": {"total": 5000}}]}

    page.locator("#visible_when-add-group").click()
    page.get_by_label("Group 2, condition 1: field").select_option("urgent")
    page.get_by_label("Group 2, condition 1: operator").select_option("ticked")
    page.locator("#visible_when-join-or").click()
    expect(page.locator("#visible_when-join-or")).to_have_attribute("aria-pressed", "true")
    assert saved(page) == {"$or": [{"$and": [{"$in": {"category": ["travel", "meal"]}}, {"$gt": {"total": 5000}}]},
                                   {"urgent": True}]}

    page.locator("#visible_when-to-json").click()
    box = page.locator("#visible_when-json")
    expect(box).to_be_visible()
    box.fill('{"$gt": {"nobody": 1}}')
    box.press("Tab")
    expect(page.locator("#visible_when-problems")).to_contain_text('unknown field "nobody"')
    box = page.locator("#visible_when-json")
    box.fill('{"$gte": {"items.amount.sum": {"$m": "total"}}}')
    box.press("Tab")
    expect(page.locator("#visible_when-problems")).to_have_count(0)
    page.locator("#visible_when-to-builder").click()
    expect(page.get_by_label("Group 1, condition 1: operator")).to_have_value("$gte:field")
    assert saved(page) == {"$gte": {"items.amount.sum": {"$m": "total"}}}


def test_expression_chips_insert_at_the_cursor_and_the_problem_shows_as_you_type(page: Page, harness: str) -> None:
    page.goto(harness)
    page.locator("#tax-computed-chips summary").click()
    box = page.locator("#tax-computed")
    box.fill("round(")
    page.get_by_role("button", name="Insert Total").click()
    box = page.locator("#tax-computed")
    expect(box).to_have_value("round(total")
    box.press("End")
    box.type(" * 0.06, 2)")
    expect(page.locator("#tax-computed-problem")).to_have_count(0)
    box.fill("totl * 2")
    expect(page.locator("#tax-computed-problem")).to_have_text('unknown field "totl"')
    box = page.locator("#tax-computed")
    box.fill("")
    box.press("Home")
    page.get_by_role("button", name="Insert sum()").click()
    page.get_by_role("button", name="Insert Invoice lines: Amount").click()
    expect(page.locator("#tax-computed")).to_have_value("sum(items.amount)")

"""The inbox in a real browser: tabs with their counts, a search narrowing the list as one types,
and batch approve of two claims with what happened shown (and focused) above the list."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from runtime.app import create_app
from runtime.settings import Settings
from tests.browser.actions import shot, sign_in
from tests.support import claim, served


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """A live demo server with three of zhang.wei's claims waiting for li.na (100, 4,800, 12,000)."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=True))
    with served(app) as url:
        wf = app.state.workflow
        for amount in (100, 4_800, 12_000):
            wf.start(wf.org.user("zhang.wei"), "expense", claim([amount]))
        yield url, wf


def rows(page: Page) -> Any:
    return page.locator("#inbox li.task-row")


def test_tabs_search_and_batch_approve(page: Page, seeded: tuple[str, Any]) -> None:
    server, _ = seeded
    sign_in(page, server, "li.na")
    page.goto(f"{server}/inbox")
    expect(page.locator("#tab-todo")).to_have_attribute("aria-current", "page")
    expect(page.locator("#count-todo")).to_have_text("3")
    expect(page.locator("#count-done")).to_have_text("0")
    expect(rows(page)).to_have_count(3)
    shot(page, "inbox-to-do")

    page.locator("#inbox-q").fill("4,800")  # htmx asks for the list as one types, and keeps the URL
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("4,800.00")
    expect(page).to_have_url(re.compile(r"q=4%2C800"))
    expect(page.locator("#inbox-total")).to_contain_text("1 found")
    shot(page, "inbox-search")
    page.locator("#inbox-q").fill("")
    expect(rows(page)).to_have_count(3)

    page.locator("#tab-done").click()
    expect(page).to_have_url(re.compile(r"/inbox\?tab=done$"))
    expect(page.locator("#tab-done")).to_have_attribute("aria-current", "page")
    expect(page.locator("#inbox li.empty")).to_be_visible()
    page.locator("#tab-todo").click()
    expect(rows(page)).to_have_count(3)

    for amount in ("100.00", "12,000.00"):
        rows(page).filter(has_text=amount).locator("input.pick").check()
    page.locator("#batch-approve").click()
    outcome = page.locator("#batch-results")
    expect(outcome).to_be_visible()
    expect(outcome.locator("li.ok")).to_have_count(2)
    expect(outcome).to_contain_text("Approved")
    expect(outcome).to_be_focused()  # keyboard and screen-reader users are told what happened
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("4,800.00")
    expect(page.locator("#count-todo")).to_have_text("1")
    expect(page.locator("#count-done")).to_have_text("2")
    shot(page, "inbox-batch-approved")
    page.context.add_cookies([{"name": "formflow_lang", "value": "zh_CN", "url": server}])
    page.goto(f"{server}/inbox?tab=done")
    expect(page.locator("#tab-todo")).to_contain_text("待办")
    expect(page.locator("#tab-done")).to_contain_text("已办")
    expect(page.locator("#inbox li.done-row")).to_have_count(2)
    shot(page, "inbox-zh")


def test_without_javascript_the_search_form_and_tabs_still_work(browser: Any, seeded: tuple[str, Any]) -> None:
    server, _ = seeded
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    try:
        sign_in(page, server, "li.na")
        page.goto(f"{server}/inbox?tab=mine")
        expect(page.locator("#tab-mine")).to_have_attribute("aria-current", "page")
        page.goto(f"{server}/inbox")
        page.locator("#inbox-q").fill("4,800")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"q=4%2C800"))
        expect(page.locator("#inbox-total")).to_contain_text("found")
        rows(page).first.locator("input.pick").check()
        page.locator("#batch-approve").click()  # a plain form post: the inbox again, what happened on top
        expect(page.locator("#batch-results li.ok")).to_have_count(1)
        expect(page.locator("#count-todo")).to_have_text("0")
    finally:
        context.close()

"""The process properties page in a real browser: an admin sets the whole request's time limit and a
special case, saves, and finds both again after a reload (the page's save used to do nothing: an
input named "form" hid the form element from htmx). Screenshot: artifacts/flow-properties.png."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.actions import shot, sign_in


def test_properties_are_saved_and_read_back(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, server, "admin")
    page.goto(f"{server}/designer/flows/contract/properties")
    page.locator("#meta-time-limit").fill("5")
    page.locator("#meta-time-limit-unit").select_option("days")
    page.get_by_label("When nobody fits").select_option(label="skip the step")
    page.locator("#save-properties").click()
    expect(page.locator("#properties-status")).to_have_text("Saved to the draft.")
    shot(page, "flow-properties")
    page.reload()
    expect(page.locator("#meta-time-limit")).to_have_value("5")
    expect(page.get_by_label("When nobody fits")).to_have_value("skip")
    expect(page.locator("#cost_bearing-en")).to_have_value("")  # a text in one language only: the other box empty
    page.goto(f"{server}/designer/flows/contract?step=finance")
    expect(page.get_by_label("When nobody fits")).to_contain_text("as the process says (skip the step)")

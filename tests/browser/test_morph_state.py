"""A box the person ticked does not stay ticked when the panel is morphed into another field's: in the
form designer, "Required" ticked on one new field, then a second field inserted from the palette,
shows the second one's own (unticked) state, as saved."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.actions import add_field, sign_in, wait_saved


def test_a_ticked_box_takes_the_next_fields_state(page: Page, server: str) -> None:
    sign_in(page, server, "admin")
    page.goto(f"{server}/designer/forms/expense-claim")
    add_field(page, "text")
    expect(page.locator("#properties-title")).to_contain_text("Text")
    first = page.locator("#fields > li.fd-card.selected").get_attribute("id")
    page.locator("#prop-required").check()
    wait_saved(page)
    add_field(page, "text")
    expect(page.locator("#fields > li.fd-card.selected")).not_to_have_id(first or "")
    expect(page.locator("#prop-required")).not_to_be_checked()
    page.locator(f"#{first} a").first.click()
    expect(page.locator("#prop-required")).to_be_checked()

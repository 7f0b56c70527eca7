"""An admin raises the VP threshold in the rule designer; only claims filed afterwards follow it."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import file_claim, sign_in


def approve_everything(page: Page, server: str, username: str, count: int) -> None:
    sign_in(page, server, username)
    for _ in range(count):
        page.goto(f"{server}/inbox")
        page.locator("#inbox a").first.click()
        page.locator("#approve").click()
        expect(page).to_have_url(re.compile(r"/instances/"))


def test_a_raised_threshold_applies_to_new_claims_once_published(page: Page, server: str) -> None:
    before = file_claim(page, server, "6000", "Team dinner before the change", "Team dinner", "meals")

    sign_in(page, server, "admin")
    page.locator("#nav-rules").click()
    page.get_by_role("link", name="Expense approval tier").click()

    # A saved test case: 6,000 goes to the VP (true of the published rules).
    page.locator("#test-name").fill("6,000 needs the VP")
    page.locator("#test-data-total").fill("6000")
    page.locator("#test-expect-tier").select_option("vp")
    page.locator("#save-test").click()
    expect(page.locator("#test-1")).to_contain_text("passes")

    # Row 2's threshold 5,000 → 8,000, saved to the draft as the field is left.
    threshold = page.get_by_label("Row 2, condition 1: value")
    expect(threshold).to_have_value("5000")
    threshold.fill("8000")
    threshold.press("Tab")
    expect(page.locator("#table-status")).to_contain_text("Saved to the draft")

    page.locator("#whatif-total").fill("6000")  # what if: 6,000 now needs no VP
    expect(page.locator("#whatif-outcome")).to_contain_text("tier = none")
    expect(page.locator("#whatif-default")).to_be_visible()
    expect(page.locator("#whatif-trace")).to_contain_text("Row 2: Total > 8,000 — does not match")
    expect(page.locator("#test-1")).to_contain_text("fails")  # the saved case, re-run on the draft

    page.locator("#publish-note").fill("VP approval only above 8,000 (finance memo 12/2026)")
    page.locator("#publish-button").click()
    expect(page.locator("#publish-error")).to_contain_text("Publishing is blocked")
    expect(page.locator("#publish-failures")).to_contain_text(
        "6,000 needs the VP: expects tier = vp, but the draft gives tier = none")

    page.locator("#edit-test-1").click()  # correct the case: 6,000 now needs no VP
    page.locator("#test-name").fill("6,000 needs no VP")
    page.locator("#test-expect-tier").select_option("none")
    page.locator("#save-test").click()
    expect(page.locator("#test-1")).to_contain_text("passes")
    expect(page.locator("#publish-note")).to_have_value("VP approval only above 8,000 (finance memo 12/2026)")
    page.locator("#publish-button").click()
    expect(page.locator("#published")).to_contain_text("Version 2 is published")
    version = page.locator("#version-2")
    expect(version).to_contain_text("admin")
    expect(version).to_contain_text("VP approval only above 8,000 (finance memo 12/2026)")
    expect(version).to_contain_text("Row 2: Total > 5,000 → Total > 8,000")
    expect(page.get_by_label("Row 2, condition 1: value")).to_have_value("8000")

    after = file_claim(page, server, "6000", "Team dinner after the change", "Team dinner", "meals")
    approve_everything(page, server, "li.na", 2)
    approve_everything(page, server, "zhao.min", 2)

    page.goto(after)  # zhang.wei's new claim: straight to payment
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Approval tier: no extra approval")
    expect(timeline).to_contain_text("Expense approval tier v2")
    expect(timeline).to_contain_text("assigned Payment to Sun Li")
    expect(timeline).not_to_contain_text("VP approval")

    sign_in(page, server, "chen.gang")  # the claim filed before publishing kept version 1
    page.goto(f"{server}/inbox")
    expect(page.locator("#inbox a")).to_have_count(1)
    page.locator("#inbox a").first.click()
    expect(page).to_have_url(re.compile(r"/tasks/"))
    expect(page.locator("#actions h2")).to_have_text("VP approval")
    expect(page.locator("#timeline")).to_contain_text("Expense approval tier v1, row 2")
    assert page.url != after and before.rsplit("/", 1)[1] in page.content()

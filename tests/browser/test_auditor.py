"""The demo's auditor signs in and lands on /audit, verifies the event log, and opens a
record from the list: reading only."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.actions import file_claim, shot, sign_in


def test_the_auditor_reads_every_record_and_verifies_the_log(page: Page, server: str) -> None:
    instance_url = file_claim(page, server, amount="120", reason="Team lunch")
    sign_in(page, server, "audit.li", lands="/audit")  # nothing to start, no inbox: the audit is the home
    expect(page.locator("#nav-audit")).to_be_visible()
    expect(page.locator(".mainnav")).not_to_contain_text("Start")
    record = page.locator(f"#record-{instance_url.rsplit('/', 1)[1]}")
    expect(record).to_be_visible()
    page.locator("#run-verify").click()
    expect(page.locator("#verify-result")).to_contain_text("Intact")
    shot(page, "auditor-audit-page")
    record.locator("a").click()
    expect(page).to_have_url(instance_url)
    expect(page.locator("#timeline")).to_contain_text("submitted the request")
    expect(page.locator("#actions")).to_have_count(0)  # nothing to act on
    expect(page.locator(".urge-form, #withdraw")).to_have_count(0)

"""Finance returns a claim to its submitter, who corrects it: the head approved the old amount, so
she approves again first, her task page saying what changed since; then it goes back to finance."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import file_claim, shot, sign_in


def open_task(page: Page, server: str, username: str) -> None:
    sign_in(page, server, username)
    page.goto(f"{server}/inbox")
    page.locator("#inbox a").first.click()
    expect(page.locator("#actions")).to_be_visible()


def test_return_to_the_submitter_then_resubmit(page: Page, server: str) -> None:
    instance_url = file_claim(page, server)
    open_task(page, server, "li.na")
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(r"/instances/"))

    open_task(page, server, "zhao.min")
    page.locator("#return").click()  # no reason: refused, nothing changes
    expect(page.locator("#error-return")).to_be_visible()
    page.locator("#return-form textarea").fill("The invoice is a photocopy; attach the original number")
    page.locator("#return").click()
    expect(page).to_have_url(re.compile(r"/instances/"))

    sign_in(page, server, "zhang.wei")
    page.goto(instance_url)
    expect(page.locator("h1 .status")).to_have_text("Returned")
    page.locator("#resubmit-link").click()
    expect(page.locator("#returned-reason")).to_contain_text("photocopy")
    expect(page.get_by_label("Description 1")).to_have_value("Printer toner")
    page.get_by_label("Invoice no. 1").fill("ORIG-7781")
    page.get_by_label("Amount 1").fill("4999")
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/instances/[0-9a-f]+\?done=resubmit$"))
    expect(page.locator("h1 .status")).to_have_text("In progress")

    open_task(page, server, "li.na")  # her approval covered 300, not 4,999: she approves again
    changed = page.locator("#changed-since")
    expect(changed).to_contain_text("Total: 300.00 (叁佰元整) → 4,999.00 (肆仟玖佰玖拾玖元整)")
    expect(changed).to_contain_text("Invoices, line 1, Invoice no.: INV-300-15 → ORIG-7781")
    expect(page.locator("#timeline")).to_contain_text("Department head review runs again")
    shot(page, "changed-since-after-resubmission")
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(r"/instances/"))

    open_task(page, server, "zhao.min")  # then back to finance, who returned it
    expect(page.locator("#data-items")).to_contain_text("ORIG-7781")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("returned Finance review to the submitter")
    expect(timeline).to_contain_text("resubmitted the request")

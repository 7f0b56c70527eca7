"""A person files a 12,000 claim in the browser and four people carry it through to payment."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import sign_in, submit


def open_first_task(page: Page, server: str) -> None:
    page.goto(f"{server}/inbox")
    page.locator("#inbox a").first.click()
    expect(page.locator("#actions")).to_be_visible()


def approve(page: Page, server: str, username: str, comment: str) -> None:
    sign_in(page, server, username)
    open_first_task(page, server)
    page.locator("#approve-form textarea").fill(comment)
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(r"/instances/"))


def test_a_claim_filed_routed_by_the_rule_approved_and_paid(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    sign_in(page, server, "zhang.wei")
    page.get_by_role("link", name=re.compile("Expense reimbursement")).click()
    page.get_by_label("Category").select_option("travel")
    page.get_by_label("Description 1").fill("Flight to Shenzhen")
    page.get_by_label("Invoice no. 1").fill("INV-2026-0001")
    page.get_by_label("Amount 1").fill("abc")
    expect(page.locator("#wrap-items [aria-invalid=true]")).to_have_count(1)  # checked as you type
    page.get_by_label("Amount 1").fill("8000")
    page.locator("#add-items").click()
    page.get_by_label("Description 2").fill("Hotel, three nights")
    page.get_by_label("Invoice no. 2").fill("INV-2026-0002")
    page.get_by_label("Amount 2").fill("4000")
    expect(page.locator("#field-total")).to_have_text("12,000.00")  # recomputed by the server
    page.get_by_label("Reason").fill("Customer visit in Shenzhen")
    submit(page)
    instance_url = page.url.split("?")[0]

    approve(page, server, "li.na", "Trip was planned")
    approve(page, server, "zhao.min", "Invoices compliant")

    sign_in(page, server, "chen.gang")
    page.goto(f"{server}/inbox")
    expect(page.locator("#inbox")).to_contain_text("12,000.00")
    open_first_task(page, server)
    page.locator("#reject").click()  # an empty reason is refused and nothing changes
    expect(page.locator("#error-reason")).to_be_visible()
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(r"/instances/"))

    sign_in(page, server, "sun.li")
    open_first_task(page, server)
    page.locator("#complete").click()
    expect(page).to_have_url(re.compile(r"/instances/"))

    sign_in(page, server, "zhang.wei")
    page.goto(instance_url)
    timeline = page.locator("#timeline")
    expect(page.locator("h1 .status")).to_have_text("Completed")
    for text in ("approved Department head review", "approved Finance review", "approved VP approval",
                 "completed Payment",
                 "Approval tier: VP approval because Total 12,000 > 5,000 — Expense approval tier v1, row 2"):
        expect(timeline).to_contain_text(text)

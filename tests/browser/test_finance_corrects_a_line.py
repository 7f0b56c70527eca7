"""Finance corrects an invoice line while approving; the record shows what changed."""
from __future__ import annotations

import copy
import json
import re

from playwright.sync_api import Page, expect

from tests.browser.actions import sign_in
from tests.support import DEMO, claim

# The demo claim form, on a flow where finance may correct the invoice lines.
FLOW = {"key": "claim-check", "version": 1, "title": "Checked claim", "form": "expense-claim", "steps": [
    {"id": "finance", "kind": "approval", "title": "Finance review",
     "assignee": {"kind": "role", "role": "finance"}, "fields": {"items": "editable"}},
    {"id": "pay", "kind": "task", "title": "Pay", "assignee": {"kind": "role", "role": "cashier"}},
]}


def api(page: Page, server: str, username: str) -> dict[str, str]:
    signed_in = page.request.post(f"{server}/api/login", data={"username": username, "password": "demo"})
    token = signed_in.json()["token"]
    return {"Authorization": f"Bearer {token}"}


def file_claim(page: Page, server: str) -> str:
    """Publish the flow and file a claim through the API: the browser's part is finance's."""
    bundle = json.loads((DEMO / "processes" / "expense.json").read_text("utf-8"))
    bundle = {**bundle, "flow": copy.deepcopy(FLOW), "rulesets": []}
    assert page.request.post(f"{server}/api/flows/import", data=bundle, headers=api(page, server, "admin")).ok
    r = page.request.post(f"{server}/api/instances", data={"process": "claim-check", "data": claim([1200])},
                          headers=api(page, server, "zhang.wei"))
    assert r.status == 201
    return r.json()["id"]


def test_finance_corrects_an_invoice_line_while_approving(page: Page, server: str) -> None:
    instance = file_claim(page, server)
    sign_in(page, server, "zhao.min")
    page.goto(f"{server}/inbox")
    page.locator("#inbox a").first.click()
    form = page.locator("#approve-form")
    expect(form.get_by_label("Amount 1")).to_have_value("1200")
    expect(page.locator("#data-category")).to_be_visible()  # read-only: shown as a value
    form.get_by_label("Amount 1").fill("abc")  # checked as finance types
    expect(page.locator("#step-errors")).to_be_visible()
    form.get_by_label("Amount 1").fill("1150")
    expect(page.locator("#step-errors")).to_have_count(0)
    page.locator("#add-items").click()  # a row added at the step, through the step's own preview
    expect(form.get_by_label("Description 2")).to_be_visible()
    form.get_by_label("Description 2").fill("Parking")
    form.get_by_label("Invoice no. 2").fill("P-1")
    form.get_by_label("Amount 2").fill("30")
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(rf"/instances/{instance}\?done=approve$"))

    changes = page.locator("#timeline .event-approve .changes")
    expect(changes).to_contain_text("Invoices, line 1, Amount: 1,200.00 → 1,150.00")
    expect(changes).to_contain_text("Invoices, line 2 added: Description Parking, Invoice no. P-1, Amount 30.00")
    expect(changes).to_contain_text("Total: 1,200.00 (壹仟贰佰元整) → 1,180.00 (壹仟壹佰捌拾元整)")
    expect(page.locator("#data-items")).to_contain_text("1,150.00")

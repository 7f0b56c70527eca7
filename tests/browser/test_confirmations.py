"""The irreversible asks first: withdrawing a request and rejecting one each confirm in the
browser's own dialog; cancelled, nothing happens; a rejection without its reason is not asked about
(the server says what is missing). Screenshots go to tests/browser/artifacts/."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import file_claim, shot, sign_in


def test_withdraw_and_reject_ask_first_and_a_no_changes_nothing(page: Page, server: str) -> None:
    asked: list[str] = []
    record = file_claim(page, server, amount="150", reason="Team lunch")
    page.goto(record)
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("#withdraw").click()
    expect(page.locator("h1 .status")).to_have_text("In progress")
    assert asked and "Withdraw this request?" in asked[-1]

    sign_in(page, server, "li.na")
    page.goto(f"{server}/inbox")
    page.locator("#inbox a").first.click()
    page.locator("#reject").click()  # no reason yet: not asked, the server says what is missing
    expect(page.locator("#error-reason")).to_be_visible()
    assert len(asked) == 1
    page.locator("#reject-form textarea").fill("Lunch is not reimbursed")
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("#reject").click()
    expect(page.locator("#reject")).to_be_visible()  # still her task: nothing was sent
    assert "Reject this request?" in asked[-1]
    shot(page, "confirm-reject-cancelled")

    sign_in(page, server, "zhang.wei")
    page.goto(record)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#withdraw").click()
    expect(page.locator("h1 .status")).to_have_text("Withdrawn")
    expect(page).to_have_url(re.compile(r"/instances/"))

"""An admin makes the expense claim's finance review send a rejected claim back to its submitter,
to start over once fixed; publishes; a claim finance rejects comes back to the submitter, who
corrects and resubmits it, and it starts again at the department head, the first step.
Screenshots: tests/browser/artifacts/step-rules-1-panel, step-rules-2-returned, step-rules-3-again."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import file_claim, shot, sign_in
from tests.browser.flow_actions import select, wait_saved


def open_task(page: Page, server: str, username: str, step_title: str) -> None:
    sign_in(page, server, username)
    page.goto(f"{server}/inbox")
    row = page.locator("#inbox li", has_text=step_title)
    expect(row).to_have_count(1)
    row.locator("a").click()
    expect(page.locator("#actions h2")).to_have_text(step_title)


def set_back_to_the_submitter_to_start_over(page: Page, server: str) -> None:
    sign_in(page, server, "admin")
    page.goto(f"{server}/designer/flows/expense")
    select(page, "finance")
    expect(page.get_by_label("The request goes")).to_have_value("end")
    expect(page.get_by_label("once fixed, it comes straight back here")).to_be_checked()  # after a return, too
    page.get_by_label("The request goes").select_option(label="back to the submitter")
    wait_saved(page)
    expect(page.get_by_label("once fixed, it comes straight back here")).to_be_checked()
    page.get_by_label("once fixed, it starts over from the first step").check()
    wait_saved(page)
    expect(page.get_by_label("once fixed, it starts over from the first step")).to_be_checked()
    expect(page.locator("#step-finance .ff-rule")).to_have_text("rejected → back to the submitter, starts over")
    expect(page.get_by_label("When nobody fits")).to_have_value("")  # as the process says
    page.locator("#reject-editor").scroll_into_view_if_needed()
    shot(page, "step-rules-1-panel")
    page.locator("#publish-note").fill("A claim finance rejects goes back to its submitter and starts over")
    page.locator("#publish-button").click()
    expect(page.locator("#published")).to_contain_text("is published")


def test_a_rejection_sends_the_claim_back_and_the_resubmission_starts_over(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    set_back_to_the_submitter_to_start_over(page, server)

    record = file_claim(page, server, amount="800", item="Taxi receipts")
    open_task(page, server, "li.na", "Department head review")
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(r"/instances/"))
    open_task(page, server, "zhao.min", "Finance review")
    page.locator("#reject-form textarea").fill("The receipts are not itemised")
    page.once("dialog", lambda dialog: dialog.accept())  # "Reject this request?…"
    page.locator("#reject").click()
    expect(page).to_have_url(re.compile(r"/instances/"))

    sign_in(page, server, "zhang.wei")
    page.goto(record)
    expect(page.locator("h1 .status")).to_have_text("Returned")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("rejected Finance review and sent it back to the submitter")
    shot(page, "step-rules-2-returned")
    page.locator("#resubmit-link").click()
    expect(page.locator("#returned-reason")).to_contain_text("not itemised")
    page.get_by_label("Description 1").fill("Taxi receipts, itemised")
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/instances/[0-9a-f]+\?done=resubmit$"))
    expect(page.locator("h1 .status")).to_have_text("In progress")
    expect(page.locator("#waiting")).to_contain_text("Waiting for Li Na")  # the first step again, not finance
    shot(page, "step-rules-3-again")

    sign_in(page, server, "zhao.min")
    page.goto(f"{server}/inbox")
    expect(page.locator("#inbox li", has_text="Taxi receipts")).to_have_count(0)
    open_task(page, server, "li.na", "Department head review")
    expect(page.locator("#data-items")).to_contain_text("itemised")

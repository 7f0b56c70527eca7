"""What people do around a task in the browser: the submitter urges; the head adds a signer after
herself and approves; the signer hands the task on (转交); someone away sets a delegate; and an
urgent business start (green channel) goes straight to execution, its approvals owed afterwards."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import file_claim, sign_in, submit


def open_first_task(page: Page, server: str) -> None:
    page.goto(f"{server}/inbox")
    page.locator("#inbox a").first.click()


def test_urge_add_a_signer_and_hand_the_task_on(page: Page, server: str) -> None:
    request = file_claim(page, server, reason="Customer visit in Suzhou")
    page.locator(".urge-form button").first.click()  # the submitter reminds the head
    expect(page.locator("#timeline")).to_contain_text("urged Li Na")
    page.locator(".urge-form button").first.click()  # a second time within the hour is refused
    expect(page.locator("#flash")).to_contain_text("once an hour")

    sign_in(page, server, "li.na")
    open_first_task(page, server)
    page.get_by_text("Transfer or add a signer").click()
    page.locator("#add-signer-user").select_option("zhou.jie")
    page.locator("#add-signer-position").select_option("after")
    page.get_by_role("button", name="Add signer").click()
    expect(page.locator("#timeline")).to_contain_text("asked Zhou Jie to approve Department head review next")
    page.get_by_role("button", name="Approve").click()  # still her task: the page stays on it
    expect(page.locator("#timeline")).to_contain_text("Li Na approved Department head review")

    sign_in(page, server, "zhou.jie")
    open_first_task(page, server)
    page.get_by_text("Transfer or add a signer").click()
    page.locator("#transfer-to").select_option("chen.gang")
    page.locator("#transfer-form textarea").fill("On leave this week")
    page.get_by_role("button", name="Transfer", exact=True).click()
    expect(page.locator("#timeline")).to_contain_text("transferred Department head review to Chen Gang")
    expect(page.locator("#timeline")).to_contain_text("On leave this week")

    sign_in(page, server, "chen.gang")
    open_first_task(page, server)
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#timeline")).to_contain_text("Chen Gang approved Department head review")
    assert page.url.split("?")[0] == request  # the record of the request filed at the start


def test_a_delegate_receives_new_tasks_while_the_head_is_away(page: Page, server: str) -> None:
    sign_in(page, server, "li.na")
    page.get_by_role("link", name="Away").click()
    page.locator("#away-to").select_option("wang.fang")
    page.locator("#away-start").fill("2026-01-01")
    page.locator("#away-end").fill("2026-12-31")
    page.locator("#away-end").fill("2025-12-31")  # before the start: refused, nothing saved
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#away")).to_contain_text("must not be before the start")
    page.locator("#away-end").fill("2030-12-31")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#away-active")).to_contain_text("Wang Fang")

    request = file_claim(page, server, reason="Customer visit in Suzhou")
    expect(page.locator("#timeline")).to_contain_text("assigned Department head review to Wang Fang")
    expect(page.locator("#timeline")).to_contain_text("li.na is away until 2030-12-31")

    sign_in(page, server, "li.na")
    page.goto(f"{server}/me/away")
    page.get_by_role("button", name="Stop delegating").click()
    expect(page.locator("#away-active")).to_have_count(0)
    page.goto(request)  # she can still read the request meant for her
    expect(page.locator("h1")).to_contain_text("Expense")


def test_an_urgent_business_start_owes_its_approvals_afterwards(page: Page, server: str) -> None:
    sign_in(page, server, "zhang.wei")
    page.goto(f"{server}/start/initiation")
    page.get_by_label("Business name").fill("Emergency repair of line 3")
    page.get_by_label("Initiating department").fill("R&D")
    page.get_by_label("Person in charge").fill("Zhang Wei")
    page.get_by_label("Nature").select_option(index=1)
    page.get_by_label("Budget").fill("80000")
    page.get_by_label("Risk level").select_option("low")
    page.get_by_label("Expected start").fill("2026-12-01")
    page.get_by_label("Expected completion").fill("2026-12-10")
    page.get_by_label("Background and goals").fill("Line 3 is down")
    page.get_by_label("Acceptance criteria").fill("Line runs for 72 hours")
    page.get_by_label(re.compile("Start urgently")).check()
    page.locator("#submit").click()  # no reason yet: refused, the box stays ticked
    expect(page.locator("#error-urgent")).to_contain_text("say why the request is urgent")
    page.locator("#urgent-reason").fill("Production has stopped")
    submit(page)
    expect(page.locator("h1")).to_contain_text("Green channel")
    expect(page.locator("#timeline")).to_contain_text("submitted the request as urgent")

    sign_in(page, server, "admin")
    page.get_by_role("link", name="Post-hoc approvals").click()
    expect(page.locator("main")).to_contain_text("Production has stopped")
    expect(page.locator("main")).to_contain_text("Li Na")

"""A non-regular order filed in the browser: technology, quality, logistics and production review
it in parallel (会签), each in their own browser session, then the GM decides; the record shows it."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import sign_in, submit

REVIEWS = (("he.ming", "Technical review"), ("ma.li", "Quality review"),
           ("guo.qing", "Logistics review"), ("lin.tao", "Production review"))


def open_task(page: Page, server: str, step_title: str) -> None:
    page.goto(f"{server}/inbox")
    page.locator("#inbox a", has_text=step_title).first.click()
    expect(page.locator("#actions h2")).to_have_text(step_title)


def test_a_non_regular_order_reviewed_in_parallel_then_decided_by_the_gm(page: Page, server: str) -> None:
    sign_in(page, server, "liu.yang")
    page.get_by_role("link", name=re.compile("Order review")).click()
    page.get_by_label("Customer").fill("Jiangnan Power Supply Co.")
    page.locator("#field-product").fill("Switchgear set")
    page.get_by_label("Specification / model").fill("KYN28-12")
    page.get_by_label("Quantity").fill("6")
    page.get_by_label("Order value").fill("1860000")
    page.get_by_label("Delivery date required").fill("2026-06-30")
    page.get_by_label("Order type").select_option("non_regular")
    page.get_by_label("Why non-regular").select_option("new_design")  # shown once the type is chosen
    page.get_by_label("Technical and quality requirements").fill("IEC 62271-200; five-prevention interlocks")
    page.get_by_label("Late delivery is penalised").check()
    submit(page)
    instance_url = page.url.split("?")[0]
    expect(page.locator("#data-penalty")).to_have_text("Yes")

    for username, step_title in REVIEWS:
        sign_in(page, server, "yang.hua")
        page.goto(f"{server}/inbox")
        expect(page.locator("#inbox")).not_to_contain_text("GM decision")  # not before all four
        sign_in(page, server, username)
        open_task(page, server, step_title)
        page.locator("#approve-form textarea").fill(f"{step_title}: feasible")
        page.locator("#approve").click()
        expect(page).to_have_url(re.compile(r"/instances/"))

    sign_in(page, server, "yang.hua")
    open_task(page, server, "GM decision")
    page.locator("#approve").click()  # the decision is required at this step
    expect(page.locator("#actions [aria-invalid=true]")).to_have_count(1)
    page.locator("#actions").get_by_label("GM decision").select_option("accept_with_conditions")
    page.locator("#actions").get_by_label("Conditions").fill("Delivery moved to 2026-07-31")
    page.locator("#approve-form textarea[name=comment]").fill("Accept on the later date")
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(r"/instances/"))

    sign_in(page, server, "xu.jing")  # the contract desk quotes next, on the GM's terms
    page.goto(instance_url)
    timeline = page.locator("#timeline")
    for _, step_title in REVIEWS:
        expect(timeline).to_contain_text(f"approved {step_title}")
    expect(timeline).to_contain_text("approved GM decision")
    expect(timeline).to_contain_text("Accept on the later date")
    expect(page.locator("#data-decision")).to_have_text("Accept with conditions")
    expect(page.locator("#data-conditions")).to_have_text("Delivery moved to 2026-07-31")
    expect(timeline).to_contain_text("assigned Quote and sign the contract to Xu Jing")
    expect(timeline).to_contain_text("Delivery moved to 2026-07-31")

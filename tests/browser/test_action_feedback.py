"""Feedback on actions and the route, in a real browser (issue 11 items 2 and 3): the approve
button is busy while its request runs (held back by the test until it has looked), the page lands
on the confirmation with the focus on it; the start form's route gains the VP step as the amount
crosses 5,000 and loses it again; a non-regular order's parallel review drawn as lanes; the task's
actions first on a phone."""
from __future__ import annotations

import re

from playwright.sync_api import Page, Route, expect

from tests.browser.actions import file_claim, shot, sign_in, submit
from tests.browser.test_order_review import open_task


def test_approve_is_busy_while_it_runs_then_the_confirmation_has_the_focus(page: Page, server: str) -> None:
    file_claim(page, server, amount="320", reason="Feedback test")
    sign_in(page, server, "li.na")
    page.goto(f"{server}/inbox")
    page.locator("#inbox a", has_text="Department head review").first.click()
    held: list[Route] = []
    page.route(re.compile(r"/tasks/\w+/approve$"), lambda route: held.append(route))  # held until let go
    approve = page.locator("#approve")
    approve.click()
    expect(approve).to_have_attribute("aria-busy", "true")
    expect(approve).to_be_disabled()
    expect(approve).to_have_text("Working…")
    shot(page, "feedback-1-approve-busy")
    while not held:
        page.wait_for_timeout(20)
    held[0].continue_()
    expect(page).to_have_url(re.compile(r"/instances/\w+\?done=approve$"))
    outcome = page.locator("#outcome")
    expect(outcome).to_have_attribute("role", "status")
    expect(outcome).to_contain_text("You approved. It now waits for Zhao Min (Finance review).")
    expect(outcome).to_be_focused()
    expect(outcome.get_by_role("link", name="Back to the inbox")).to_have_attribute("href", "/inbox")
    shot(page, "feedback-2-approved")


def test_the_route_preview_follows_the_amount_across_the_vp_tier(page: Page, server: str) -> None:
    sign_in(page, server, "zhang.wei")
    page.goto(f"{server}/start/expense")
    route = page.locator("#route-steps")
    expect(route).to_contain_text("Department head review")
    page.get_by_label("Category").select_option("travel")
    page.get_by_label("Description 1").fill("Train")
    page.get_by_label("Invoice no. 1").fill("T-1")
    page.get_by_label("Amount 1").fill("4800")
    expect(route.locator("[data-step=finance]")).to_contain_text("Zhao Min")
    expect(route.locator("[data-step=vp]")).to_have_count(0)
    page.get_by_label("Amount 1").fill("5200")
    expect(route.locator("[data-step=vp]")).to_contain_text("VP approval")
    expect(route.locator("[data-step=vp]")).to_contain_text("Chen Gang")
    shot(page, "feedback-3-route-above-vp")
    page.get_by_label("Amount 1").fill("300")
    expect(route.locator("[data-step=vp]")).to_have_count(0)
    expect(route.locator("li")).to_have_count(3)


def test_the_progress_of_a_non_regular_order_shows_the_parallel_review_side_by_side(page: Page, server: str) -> None:
    sign_in(page, server, "liu.yang")
    page.goto(f"{server}/start/order-review")
    page.get_by_label("Customer").fill("Jiangnan Power Supply Co.")
    page.locator("#field-product").fill("Switchgear set")
    page.get_by_label("Specification / model").fill("KYN28-12")
    page.get_by_label("Quantity").fill("6")
    page.get_by_label("Order value").fill("1860000")
    page.get_by_label("Delivery date required").fill("2026-06-30")
    page.get_by_label("Order type").select_option("non_regular")
    page.get_by_label("Why non-regular").select_option("new_design")
    page.get_by_label("Technical and quality requirements").fill("IEC 62271-200")
    expect(page.locator("#route-steps")).to_contain_text("Technical review")
    submit(page)
    instance_url = page.url.split("?")[0]
    sign_in(page, server, "he.ming")
    open_task(page, server, "Technical review")
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(r"\?done=approve$"))
    sign_in(page, server, "liu.yang")
    page.goto(instance_url)
    review = page.locator("#progress .progress-parallel[data-step=review]")
    lanes = review.locator(".progress-lane")
    expect(lanes).to_have_count(4)
    expect(review.locator("[data-step=tech_review]")).to_contain_text("Done")
    expect(review.locator("[data-step=tech_review]")).to_contain_text("approved by He Ming")
    for step in ("quality_review", "logistics_review", "production_review"):
        expect(review.locator(f"[data-step={step}]")).to_contain_text("Now")
        expect(review.locator(f"[data-step={step}]")).to_have_attribute("aria-current", "step")
    expect(page.locator("#progress [data-step=gm_decision]")).to_contain_text("To come")
    boxes = [lanes.nth(i).bounding_box() for i in range(4)]
    assert all(b is not None for b in boxes)
    assert len({round(b["y"]) for b in boxes}) == 1  # side by side, on one row
    progress, details = page.locator("#progress").bounding_box(), page.locator("#data").bounding_box()
    assert progress and details and progress["y"] < details["y"]  # above the record
    shot(page, "feedback-4-order-progress")


def test_on_a_phone_the_task_actions_come_first(page: Page, server: str) -> None:
    file_claim(page, server, amount="410", reason="Phone test")
    sign_in(page, server, "li.na")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/inbox")
    page.locator("#inbox a", has_text="Department head review").first.click()
    actions, details = page.locator("#actions").bounding_box(), page.locator("#data").bounding_box()
    assert actions and details and actions["y"] < details["y"]
    assert actions["y"] < 844  # on the first screen
    shot(page, "feedback-5-phone-task")


def test_a_plain_form_is_busy_too_and_a_comment_and_a_withdrawal_are_confirmed(page: Page, server: str) -> None:
    instance_url = file_claim(page, server, amount="150", reason="Withdraw test")
    page.locator("#comment-form textarea").fill("Receipts are in the post")
    page.locator("#comment").click()  # an htmx form
    expect(page).to_have_url(re.compile(r"\?done=comment$"))
    expect(page.locator("#outcome")).to_contain_text("Your comment is on the record.")
    expect(page.locator("#outcome")).to_be_focused()
    held: list[Route] = []
    page.route(re.compile(r"/withdraw$"), lambda route: held.append(route))
    page.once("dialog", lambda dialog: dialog.accept())  # confirm.js asks first
    # A page being left cannot be asked about while it goes: what the button shows is written down as
    # it changes (same-origin sessionStorage outlives the navigation) and read on the page landed on.
    page.evaluate("""() => { const button = document.getElementById('withdraw');
        new MutationObserver(() => sessionStorage.setItem('withdraw-button',
            JSON.stringify([button.getAttribute('aria-busy'), button.disabled, button.textContent])))
          .observe(button, {attributes: true, childList: true}); }""")
    page.locator("#withdraw").click(no_wait_after=True)  # a plain form post, no htmx: held back
    while not held:
        page.wait_for_timeout(20)
    held[0].continue_()
    expect(page).to_have_url(f"{instance_url}?done=withdraw")
    expect(page.locator("#outcome")).to_contain_text("You withdrew the request. It has ended.")
    expect(page.locator("#outcome")).to_be_focused()
    assert page.evaluate("JSON.parse(sessionStorage.getItem('withdraw-button'))") == ["true", True, "Working…"]

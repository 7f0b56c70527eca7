"""A name typed in the flow designer's panel is saved once: after the pause in typing, not again
when the input is left (that second save redrew the tree and closed the "+" menu just opened);
after an undo, the same name typed again is saved."""
from __future__ import annotations

from playwright.sync_api import Page, Request, expect

from tests.browser.actions import sign_in
from tests.browser.flow_actions import insert, select, steps_in, wait_saved


def test_a_typed_name_saves_once_and_the_plus_menu_opened_next_stays_open(page: Page, server: str) -> None:
    sign_in(page, server, "admin")
    page.goto(f"{server}/designer/flows/contract")
    select(page, "legal")
    saves: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/designer/flows/contract/steps/legal"):
            saves.append(request.post_data or "")

    page.on("request", seen)
    page.locator("#step-title-en").fill("Legal check")
    expect(page.locator("#step-legal .ff-title")).to_have_text("Legal check")  # saved after the pause
    wait_saved(page)
    insert(page, "root-2", "notify")  # leaving the input for the "+": nothing more to save
    assert steps_in(page, "root")[:3] == ["dept_head", "legal", "notify"]
    assert len(saves) == 1, saves


def test_after_an_undo_the_same_name_typed_again_is_saved(page: Page, server: str) -> None:
    sign_in(page, server, "admin")
    page.goto(f"{server}/designer/flows/expense")
    step = steps_in(page, "root")[0]
    select(page, step)
    was = page.locator("#step-title-en").input_value()
    page.locator("#step-title-en").fill("First look")
    expect(page.locator(f"#step-{step} .ff-title")).to_have_text("First look")
    wait_saved(page)
    page.locator("#undo").click()
    expect(page.locator(f"#step-{step} .ff-title")).to_have_text(was)
    expect(page.locator("#step-title-en")).to_have_value(was)
    page.locator("#step-title-en").fill("First look")
    expect(page.locator(f"#step-{step} .ff-title")).to_have_text("First look")

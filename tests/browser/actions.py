"""What people do in many browser tests: sign in, file an expense claim, drag in the form designer."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect


def sign_in(page: Page, server: str, username: str, lands: str = "/") -> None:
    """Sign in through the form and wait for the page it lands on (an auditor's: /audit). The
    page before is left first: a request of its scripts (htmx) answered after the cookies are
    cleared would send this page to /login?next=… under our feet."""
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto(f"{server}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(lands) + "$"))


def file_claim(page: Page, server: str, amount: str = "300", reason: str = "Office supplies",
               item: str = "Printer toner", category: str = "office") -> str:
    """zhang.wei files a one-line claim; the URL of its record."""
    sign_in(page, server, "zhang.wei")
    page.goto(f"{server}/start/expense")
    page.get_by_label("Category").select_option(category)
    page.get_by_label("Description 1").fill(item)
    page.get_by_label("Invoice no. 1").fill(f"INV-{amount}-{len(reason)}")
    page.get_by_label("Amount 1").fill(amount)
    page.get_by_label("Reason").fill(reason)
    return submit(page)


def submit(page: Page) -> str:
    """Submit the start form and wait for the request's record; its URL. The record is awaited first:
    the start form's computed totals are outputs, which also have the status role."""
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/instances/\w+\?submitted=1$"))
    expect(page.get_by_role("status")).to_contain_text("submitted")
    return page.url.split("?")[0]


ARTIFACTS = Path(__file__).parent / "artifacts"


def shot(page: Page, name: str) -> None:
    """A full-page screenshot kept as an artifact, so a failure (or a look) can be seen."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def drag(page: Page, source: Locator, target: Locator, *, below: bool = True, steps: int = 12) -> None:
    """SortableJS needs a real drag: press, move in steps, release (a one-jump drag_to is unreliable)."""
    start, end = source.bounding_box(), target.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 5, start["y"] + start["height"] / 2 + 5, steps=3)
    x = end["x"] + end["width"] / 2
    if below:  # over the target, then down to its lower edge
        page.mouse.move(x, end["y"] + end["height"] / 2, steps=steps)
        page.mouse.move(x, end["y"] + end["height"] * 0.9, steps=steps)
    else:  # from just above the target into its upper part, so the list is entered before it
        page.mouse.move(x, end["y"] - 12, steps=steps)
        page.mouse.move(x, end["y"] + end["height"] * 0.25, steps=steps)
    page.wait_for_timeout(250)  # hold still as a person does: SortableJS animates the place it opens (150 ms)
    page.mouse.up()


def card_keys(page: Page) -> list[str]:
    return page.locator("#fields > li.fd-card").evaluate_all("els => els.map(e => e.dataset.target)")


def wait_saved(page: Page) -> None:
    expect(page.locator("#save-status")).to_have_text("All changes saved to the draft.")
    page.wait_for_function("""() => !document.querySelector('#workspace .htmx-request')
        && !Sortable.get(document.getElementById('fields')).option('disabled')""")


def add_field(page: Page, kind: str) -> None:
    """Press a palette type: the field goes to the end of the form and is selected (waited for: the
    status already says "saved" before the request starts, so that alone does not wait on a busy machine)."""
    cards = page.locator("#fields > li.fd-card")
    before = cards.count()
    page.locator(f"#palette-{kind}").click()
    expect(cards).to_have_count(before + 1)
    expect(cards.last).to_have_class(re.compile(r"\bselected\b"))
    wait_saved(page)

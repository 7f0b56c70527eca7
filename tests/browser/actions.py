"""What people do in many browser tests: sign in as someone, file an expense claim."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def sign_in(page: Page, server: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


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
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/instances/"))  # the start page has outputs with the status role too
    expect(page.get_by_role("status")).to_contain_text("submitted")
    return page.url.split("?")[0]

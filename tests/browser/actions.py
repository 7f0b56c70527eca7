"""What a person does in every browser test: sign in as someone."""
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

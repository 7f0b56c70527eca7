"""Notifications in a real browser: the bell counts what came in after someone acted and its list
leads to the task; the email the test SMTP server received carries a link that opens the task
once signed in; an admin registers a webhook on its page, and the receiver verifies the signature
with the secret the page showed once. Screenshots go to tests/browser/artifacts/."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from runtime.app import create_app
from runtime.outbox.webhooks import verify
from runtime.settings import Settings
from tests.browser.actions import file_claim, shot, sign_in
from tests.runtime.mail_server import smtp_server
from tests.runtime.webhook_receiver import receiver
from tests.support import served


@pytest.fixture(scope="module")
def mail() -> Iterator[tuple[str, object]]:
    with smtp_server() as found:
        yield found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mail) -> Iterator[str]:
    """A real server with email on (its port is chosen as it starts: the test opens the link's path)."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=True, smtp=mail[0]))
    with served(app) as url:
        yield url


def test_the_bell_counts_what_came_in_and_the_list_leads_to_the_task(page: Page, server: str) -> None:
    file_claim(page, server, amount="420", reason="Client dinner")
    sign_in(page, server, "li.na")
    expect(page.locator("#bell-count")).to_have_text(re.compile(r"^[1-9]\d*$"))
    shot(page, "notifications-bell")
    page.locator("#nav-bell").click()
    expect(page).to_have_url(re.compile(r"/me/notifications$"))
    first = page.locator("#notices li.unread a").first
    expect(first).to_contain_text("Expense reimbursement from Zhang Wei is waiting for you")
    shot(page, "notifications-list")
    first.click()
    expect(page).to_have_url(re.compile(r"/tasks/\w+$"))
    expect(page.locator("#approve")).to_be_visible()
    expect(page.locator("#bell-count")).to_have_count(0)  # read now: the count is gone
    page.goto(f"{server}/me/notifications/settings")
    page.locator("#pref-comments-email").check()
    page.locator("#quiet-from").fill("22:00")
    page.locator("#quiet-to").fill("08:00")
    page.locator("#prefs-save").click()
    expect(page.locator("#prefs-saved")).to_be_visible()
    expect(page.locator("#pref-comments-email")).to_be_checked()
    shot(page, "notifications-settings")


def test_the_emailed_link_opens_the_task_after_signing_in(page: Page, server: str, mail) -> None:
    _, inbox = mail
    before = len(inbox.to("li.na@example.com"))
    file_claim(page, server, amount="180", reason="Taxi")
    inbox.wait(before + 1)
    message = inbox.to("li.na@example.com")[before]
    plain = message.get_body(("plain",)).get_content()
    link = next(word for word in plain.split() if "/tasks/" in word)
    path = link[link.index("/tasks/"):]
    page.context.clear_cookies()
    page.goto(server + path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Username").fill("li.na")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.locator("#approve")).to_be_visible()
    shot(page, "notifications-email-link")


def test_an_admin_registers_a_webhook_and_the_receiver_verifies_its_signature(page: Page, server: str) -> None:
    with receiver() as (url, got):
        sign_in(page, server, "admin")
        page.goto(f"{server}/admin/webhooks")
        page.locator("#webhook-url").fill(url)
        page.get_by_label("all", exact=True).uncheck()
        page.get_by_label("requests").check()
        page.locator("#webhook-save").click()
        secret = page.locator("#webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        shot(page, "webhooks-registered")
        file_claim(page, server, amount="90", reason="Stamps")
        call = got.wait(1)[0]
        assert call["body"]["type"] == "start"
        assert all(verify(secret, c["headers"]["Formflow-Signature"], c["raw"]) for c in got.calls)
        sign_in(page, server, "admin")
        page.goto(f"{server}/admin/webhooks")
        page.locator("#webhooks a").first.click()
        expect(page.locator("#deliveries tbody tr").first).to_contain_text("200")
        shot(page, "webhooks-delivery-log")

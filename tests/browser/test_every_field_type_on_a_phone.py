"""A published form holding every field type, filled in by staff at phone width (390 px): the
pickers search the organisation as you type, money shows its capitals, the date range its length,
and the record reads back what was chosen."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.actions import sign_in, submit
from tests.runtime.test_field_rendering import BUNDLE

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"  # kept by CI, ignored by git


def publish_every_type(page: Page, server: str) -> None:
    token = page.request.post(f"{server}/api/login", data={"username": "admin", "password": "demo"}).json()["token"]
    r = page.request.post(f"{server}/api/flows/import", data=BUNDLE, headers={"Authorization": f"Bearer {token}"})
    assert r.status == 201, r.text()


def pick(page: Page, field: str, query: str, choice: str) -> None:
    search = page.locator(f"#field-{field}")
    search.fill(query)
    page.locator(f"#choices-{field} .pick", has_text=choice).click()
    expect(page.locator(f"#chips-{field}")).to_contain_text(choice)


def test_every_field_type_filled_in_at_phone_width(page: Page, server: str):
    publish_every_type(page, server)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server, "zhang.wei")
    page.goto(f"{server}/start/every-type")
    expect(page.locator("#field-number")).to_have_text("Assigned on submission")
    expect(page.locator("#field-title")).to_have_value("Trip")  # the default
    page.locator("#field-amount").fill("1234.5")
    expect(page.locator("#capitals-amount")).to_have_text("壹仟贰佰叁拾肆元伍角整")
    page.locator("#field-share").fill("12.5")
    page.locator("#field-leaves").fill("2026-12-01T08:30")
    page.locator("#field-trip").fill("2026-12-04")
    page.locator("#field-trip-end").fill("2026-12-07")
    page.locator("#field-fruit").select_option("a")
    page.get_by_label("Banana").first.check()  # the radio group comes before the checkboxes
    page.locator("#field-tags-0").check()
    page.locator("#field-tags-1").check()
    pick(page, "buddy", "li", "Li Na")
    pick(page, "team", "zhao", "Zhao Min")
    pick(page, "team", "王", "Wang Fang")
    pick(page, "dept", "fin", "Finance")
    page.locator("#field-tel").fill("138 1234 5678")
    page.locator("#field-mail").fill("Li.Na@Example.COM")
    expect(page.locator("#length-trip")).to_have_text("2 working days")  # after the round trips above
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows the phone
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "every-field-type-390.png"), full_page=True)
    submit(page)
    expect(page.locator("#data-number")).to_have_text(re.compile(r"T-2026-0001"))
    expect(page.locator("#data-team")).to_contain_text("Zhao Min、Wang Fang")
    expect(page.locator("#data-dept")).to_contain_text("Finance")
    expect(page.locator("#data-trip")).to_contain_text("2026-12-04 → 2026-12-07 (2 working days)")
    expect(page.locator("#data-amount")).to_contain_text("壹仟贰佰叁拾肆元伍角整")
    expect(page.locator("#data-tel")).to_have_text("13812345678")
    page.screenshot(path=str(ARTIFACTS / "every-field-type-record-390.png"), full_page=True)

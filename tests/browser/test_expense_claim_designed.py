"""The issue's scenario: an admin builds the expense claim form from a blank page in the form
designer (category, reason, invoice lines with a money column and its total, an attachment field, a
destination shown only for travel), previews it at phone width, publishes it, and a member of staff
files it with two invoices attached. Screenshots go to tests/browser/artifacts/."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import add_field, drag, shot, sign_in, submit, wait_saved
from tests.support import PDF, png


def type_into(page: Page, selector: str, value: str) -> None:
    """Type into a property and leave it, as a person does, then wait until the edit is saved: the
    panel saves on change and on a pause in typing (400 ms), so wait out the pause first."""
    page.locator(selector).fill(value)
    page.locator(selector).press("Tab")
    page.wait_for_timeout(450)
    wait_saved(page)
    expect(page.locator(selector)).to_have_value(value)


def set_prop(page: Page, prop: str, value: str) -> None:
    type_into(page, f"#prop-{prop}", value)


def name_field(page: Page, key: str, zh: str, en: str, table: str = "") -> None:
    """Label the selected field (or column of `table`) in both languages: its key, not published
    yet, follows the English label."""
    set_prop(page, "label-zh_CN", zh)
    set_prop(page, "label-en", en)
    expect(page.locator("#prop-key")).to_have_value(key)
    card = f"#card-{table}--{key}" if table else f"#card-{key}"
    expect(page.locator(card)).to_have_class(re.compile(r"\bselected\b"))


def set_option(page: Page, index: int, value: str, zh: str, en: str) -> None:
    for part, text in (("label-zh_CN", zh), ("label-en", en), ("value", value)):
        type_into(page, f"#option-{index}-{part}", text)


def test_an_admin_designs_the_expense_claim_and_staff_file_it_with_two_invoices(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, server, "admin")
    page.locator("#nav-forms").click()
    page.locator("#new-form").click()
    page.locator("#title-zh").fill("差旅报销单")
    page.locator("#title-en").fill("Travel and office claim")
    page.locator("#form-key").fill("claim")
    expect(page.locator("#make-process")).to_be_checked()
    page.locator("#create-form").click()
    expect(page).to_have_url(re.compile(r"/designer/forms/claim$"))
    expect(page.locator("#canvas-empty")).to_be_visible()

    # The category: dragged from the palette onto the blank canvas, then its options.
    drag(page, page.locator(".fd-type-item[data-type=select]"), page.locator("#fields"))
    wait_saved(page)
    page.locator("#select-card-choice").click()
    name_field(page, "category", "费用类别", "Category")
    page.locator("#prop-required").check()
    wait_saved(page)
    set_option(page, 0, "travel", "差旅", "Travel")
    set_option(page, 1, "office", "办公", "Office")

    add_field(page, "textarea")
    name_field(page, "reason", "报销事由", "Reason")

    # Invoice lines: a table whose first column is a description, with a money column added.
    add_field(page, "table")
    name_field(page, "lines", "发票明细", "Lines")
    page.locator("#new-column-type").select_option("money")
    page.locator("#add-column").click()
    wait_saved(page)
    expect(page.locator("#card-lines--amount")).to_be_visible()
    page.locator("#select-card-lines--text").click()
    name_field(page, "description", "内容", "Description", table="lines")
    page.locator("#select-card-lines--amount").click()
    page.locator("#prop-required").check()
    wait_saved(page)

    add_field(page, "attachment")
    name_field(page, "invoices", "发票", "Invoices")
    set_prop(page, "accept", "pdf, png")
    set_prop(page, "max_files", "5")

    # The destination, shown only for travel, with the condition builder.
    add_field(page, "text")
    name_field(page, "destination", "目的地", "Destination")
    page.locator("#vw-add-group").click()
    page.locator("#vw-g0-c0-subject").select_option("category")
    page.locator("#vw-g0-c0-op").select_option("=")
    page.locator("#vw-g0-c0-value").select_option("travel")
    wait_saved(page)
    expect(page.locator("#card-destination .fd-cond")).to_contain_text("Category is Travel")
    assert page.locator("#fields > li.fd-card").evaluate_all("els => els.map(e => e.dataset.target)") == [
        "category", "reason", "lines", "invoices", "destination"]
    shot(page, "claim-1-designed")

    # The preview is the staff form: the destination follows the category, the lines add up.
    preview = page.locator("#preview-body")
    preview.locator("#field-category").select_option("office")
    expect(preview.locator("#field-destination")).to_have_count(0)
    preview.locator("#field-category").select_option("travel")
    expect(preview.locator("#field-destination")).to_be_visible()
    preview.get_by_label("Amount 1").fill("1,200.50")
    expect(preview.locator("#total-lines-amount")).to_have_text("1,200.50")

    page.locator("#view-phone").click()
    frame = page.locator("#preview-frame").bounding_box()
    assert frame and frame["width"] <= 400
    shot(page, "claim-2-phone-preview")
    page.locator("#view-desktop").click()

    page.locator("#publish-note").fill("The claim as the finance policy asks for it (001 §7.1)")
    page.locator("#publish-button").click()
    expect(page.locator("#published")).to_contain_text("Version 1 is published")
    shot(page, "claim-3-published")

    # zhang.wei files it with two invoices attached.
    sign_in(page, server, "zhang.wei")
    page.goto(f"{server}/start/claim")
    expect(page.get_by_label("Destination")).to_have_count(0)
    page.get_by_label("Category").select_option("travel")
    page.get_by_label("Destination").fill("Shanghai")
    page.get_by_label("Reason").fill("Customer visit")
    page.get_by_label("Description 1").fill("Train ticket")
    page.get_by_label("Amount 1").fill("553")
    page.locator("#add-lines").click()
    page.get_by_label("Description 2").fill("Hotel")
    page.get_by_label("Amount 2").fill("680.50")
    expect(page.locator("#total-lines-amount")).to_have_text("1,233.50")
    page.locator("#field-invoices").set_input_files([
        {"name": "train.pdf", "mimeType": "application/pdf", "buffer": PDF},
        {"name": "hotel.png", "mimeType": "image/png", "buffer": png()},
    ])
    expect(page.locator("#files-invoices .attachment[data-upload-id]")).to_have_count(2)
    shot(page, "claim-4-filing")
    submit(page)
    expect(page.locator("#attachments-invoices li")).to_have_count(2)
    expect(page.locator("#attachments-invoices")).to_contain_text("train.pdf")
    expect(page.locator("[data-total=lines-amount]")).to_have_text("1,233.50")
    shot(page, "claim-5-record")

    # Printed, the record keeps its details and drops the controls around them.
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("#withdraw")).to_be_hidden()
    expect(page.locator("#attachments-invoices")).to_contain_text("hotel.png")
    shot(page, "claim-6-printed")

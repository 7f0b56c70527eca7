"""An admin builds a small form in the form designer: drags types from the palette, reorders by
drag and by keyboard, renames a field, looks at the phone preview and publishes it. Screenshots
go to tests/browser/artifacts/ so a failure can be seen."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import card_keys, drag, shot, sign_in, wait_saved

def test_build_a_form_by_dragging_reordering_and_publishing(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, server, "admin")
    page.locator("#nav-forms").click()
    page.locator("#new-form").click()
    page.get_by_label("Title (Chinese)").fill("出差申请")
    page.get_by_label("Title (English)").fill("Travel request")
    expect(page.locator("#form-key")).to_have_attribute("placeholder", "travel-request")
    page.locator("#create-form").click()
    expect(page).to_have_url(re.compile(r"/designer/forms/travel-request$"))
    expect(page.locator("#canvas-empty")).to_be_visible()

    # Drag "Text" from the palette onto the empty canvas, then "Date" below it, then "Drop-down choice" on top.
    drag(page, page.locator(".fd-type-item[data-type=text]"), page.locator("#fields"))
    expect(page.locator("#fields > li.fd-card")).to_have_count(1)
    wait_saved(page)
    drag(page, page.locator(".fd-type-item[data-type=date]"), page.locator("#fields > li.fd-card").first)
    expect(page.locator("#fields > li.fd-card")).to_have_count(2)
    wait_saved(page)
    drag(page, page.locator(".fd-type-item[data-type=select]"), page.locator("#fields > li.fd-card").first,
         below=False)
    expect(page.locator("#fields > li.fd-card")).to_have_count(3)
    wait_saved(page)
    assert card_keys(page) == ["choice", "text", "date"]
    expect(page.locator(".fd-type-item")).to_have_count(21)  # the palette keeps every type (clone)
    shot(page, "form-designer-1-dropped")

    # Reorder by drag: the date goes first.
    drag(page, page.locator("#card-date .fd-handle"), page.locator("#card-choice"), below=False)
    expect(page.locator("#fields > li.fd-card").first).to_have_attribute("data-target", "date")
    wait_saved(page)
    assert card_keys(page) == ["date", "choice", "text"]

    # Reorder by keyboard: focus the date's "move down" button and press it; focus stays on it.
    down = page.locator("#down-card-date")
    down.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#fields > li.fd-card").nth(1)).to_have_attribute("data-target", "date")
    wait_saved(page)
    expect(page.locator("#down-card-date")).to_be_focused()
    assert card_keys(page) == ["choice", "date", "text"]

    # Edit the text field's label: the card and the preview follow as you type.
    page.locator("#select-card-text").click()
    expect(page.locator("#properties-title")).to_contain_text("Text")
    label = page.locator("#prop-label-en")
    label.fill("Destination")
    expect(page.locator("#card-destination .fd-label")).to_have_text("Destination")  # its key follows the label
    expect(label).to_be_focused()
    expect(page.locator("#preview-body label[for=field-destination]")).to_contain_text("Destination")
    page.locator("#prop-required").check()
    expect(page.locator("#card-destination .required")).to_be_visible()
    wait_saved(page)

    # Shown only for one choice: the condition builder, then the preview reacts to sample data.
    page.locator("#vw-add-group").click()
    page.locator("#vw-g0-c0-subject").select_option("choice")
    page.locator("#vw-g0-c0-op").select_option("=")
    page.locator("#vw-g0-c0-value").select_option("option_1")
    expect(page.locator("#card-destination .fd-cond")).to_contain_text("Choice is Option 1")
    preview_choice = page.locator("#preview-body #field-choice")
    preview_choice.select_option("option_2")
    expect(page.locator("#preview-body #field-destination")).to_have_count(0)
    page.locator("#preview-body #field-choice").select_option("option_1")
    expect(page.locator("#preview-body #field-destination")).to_be_visible()
    wait_saved(page)

    page.locator("#select-card-date").click()
    expect(page.locator("#preview-body #field-destination")).to_be_visible()  # selecting keeps the sample data
    page.locator("#prop-label-zh_CN").fill("出发日期")
    wait_saved(page)
    expect(page.locator("#preview-body #field-destination")).to_be_visible()  # and so does an edit
    shot(page, "form-designer-2-edited")

    # The phone preview.
    page.locator("#view-phone").click()
    expect(page.locator("#form-designer")).to_have_class(re.compile(r"\bphone-preview\b"))
    frame = page.locator("#preview-frame").bounding_box()
    assert frame and frame["width"] <= 400
    page.locator("#preview-body #field-destination").fill("Shanghai")
    shot(page, "form-designer-3-phone-preview")
    page.locator("#view-desktop").click()
    expect(page.locator("#form-designer")).not_to_have_class(re.compile(r"\bphone-preview\b"))

    # Undo the last label change, redo it.
    page.locator("#undo").click()
    expect(page.locator("#card-date .fd-label")).to_have_text("Date")
    page.locator("#redo").click()
    wait_saved(page)

    # Publish with a change note; the version is listed with its diff.
    expect(page.locator("#pending-changes")).to_contain_text("Travel request")
    page.locator("#publish-note").fill("First version of the travel request")
    page.locator("#publish-button").click()
    expect(page.locator("#published")).to_contain_text("Version 1 is published")
    expect(page.locator("#version-1")).to_contain_text("First version of the travel request")
    expect(page.locator("#prop-key")).to_have_count(0)  # the form's own panel is shown
    page.locator("#select-card-destination").click()
    expect(page.locator("#prop-key")).to_have_attribute("readonly", "")
    shot(page, "form-designer-4-published")

    # Staff can file it at once (the default process made with it).
    page.goto(f"{server}/start/travel-request")
    expect(page.get_by_label("Destination")).to_have_count(0)  # shown only for Option 1
    page.get_by_label("Choice").select_option("option_1")
    expect(page.get_by_label("Destination")).to_be_visible()

"""Staff attach invoices to an expense claim in the browser; the record lists them as downloads."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import sign_in
from tests.support import EXE, PDF, png

def test_two_invoices_attached_one_refused_one_removed_and_downloaded_from_the_record(page: Page, server: str,
                                                                                      tmp_path) -> None:
    sign_in(page, server, "zhang.wei")
    page.goto(f"{server}/start/expense")
    page.get_by_label("Category").select_option("office")
    page.get_by_label("Description 1").fill("Printer toner")
    page.get_by_label("Invoice no. 1").fill("INV-77")
    page.get_by_label("Amount 1").fill("300")
    page.get_by_label("Reason").fill("Office supplies")
    expect(page.locator("#limits-invoices")).to_have_text("up to 10 files, 10 MB each, pdf jpg jpeg png")
    files = page.locator("#files-invoices")
    page.locator("#field-invoices").set_input_files([
        {"name": "<img src=x onerror=alert(1)>toner.pdf", "mimeType": "application/pdf", "buffer": PDF},
        {"name": "receipt.png", "mimeType": "image/png", "buffer": png()},
        {"name": "setup.pdf", "mimeType": "application/pdf", "buffer": EXE},
    ])
    expect(files.locator(".attachment[data-upload-id]")).to_have_count(2)
    expect(files.locator(".attachment.refused")).to_contain_text('"setup.pdf" does not hold what its name says')
    expect(files).to_contain_text("<img src=x onerror=alert(1)>toner.pdf")  # the name as text, never markup
    page.locator("#field-invoices").set_input_files([{"name": "extra.pdf", "mimeType": "application/pdf",
                                                     "buffer": PDF + b"%extra"}])
    expect(files.locator(".attachment[data-upload-id]")).to_have_count(3)
    page.get_by_role("button", name="Remove extra.pdf").click()
    expect(files.locator(".attachment[data-upload-id]")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "attachments-start.png"), full_page=True)
    page.locator("#submit").click()
    expect(page).to_have_url(re.compile(r"/instances/\w+\?submitted=1$"))

    listed = page.locator("#attachments-invoices li")
    expect(listed).to_have_count(2)
    expect(listed.first).to_contain_text("<img src=x onerror=alert(1)>toner.pdf")
    with page.expect_download() as caught:
        page.get_by_role("link", name="receipt.png").click()
    download = caught.value
    assert download.suggested_filename == "receipt.png"
    assert download.path().read_bytes() == png()
    expect(page).to_have_url(re.compile(r"/instances/\w+\?submitted=1$"))  # a download, not a page

"""Print, PDF and export in the browser: a claim filed in Chinese with an invoice, approved by the
head; its print page from the request's "Print" link, its PDF rendered to PNG pages with
pdftoppm, and the CSV downloaded from the export page. Screenshots and the PDF's pages go to
tests/browser/artifacts/ (print-view, print-pdf-1…, export-page)."""
from __future__ import annotations

import csv
import io
import re
import subprocess

from playwright.sync_api import Page, expect

from tests.browser.actions import ARTIFACTS, shot, sign_in, submit
from tests.support import PDF


def file_chinese_claim(page: Page, server: str) -> str:
    sign_in(page, server, "zhang.wei")
    page.goto(f"{server}/start/expense")
    page.get_by_label("Category").select_option("travel")
    page.get_by_label("Description 1").fill("北京往返高铁")
    page.get_by_label("Invoice no. 1").fill("INV-2026-001")
    page.get_by_label("Amount 1").fill("1280")
    page.get_by_label("Reason").fill("拜访客户：华北区年度合同续签")
    page.locator("#field-invoices").set_input_files([{"name": "高铁发票.pdf", "mimeType": "application/pdf",
                                                     "buffer": PDF}])
    expect(page.locator("#files-invoices .attachment[data-upload-id]")).to_have_count(1)
    return submit(page)


def approve(page: Page, server: str, who: str, comment: str, record: str) -> None:
    sign_in(page, server, who)
    page.goto(f"{server}/inbox")
    page.locator('a[href^="/tasks/"]').first.click()  # their only task in this module: this claim
    page.locator("#approve-form textarea").fill(comment)
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(re.escape(record) + r"\?done=approve$"))  # the record, saying what was done
    expect(page.locator("#timeline")).to_contain_text(comment)


def test_a_claim_prints_like_the_paper_form_and_as_a_pdf(page: Page, server: str) -> None:
    record = file_chinese_claim(page, server)
    approve(page, server, "li.na", "同意，按标准报销", record)
    approve(page, server, "zhao.min", "票据合规", record)

    shot(page, "print-links-on-request")
    page.locator("#print-link").click()
    expect(page).to_have_url(re.compile(r"/instances/\w+/print$"))
    expect(page.locator("h1")).to_have_text("Expense reimbursement")
    expect(page.locator("#print-approvals")).to_contain_text("Li Na")
    expect(page.locator("#print-approvals")).to_contain_text("同意，按标准报销")
    expect(page.locator("#print-attachments")).to_contain_text("高铁发票.pdf")
    expect(page.locator("#print-route")).to_contain_text("Expense approval tier v1")
    expect(page.locator(".mainnav")).to_have_count(0)
    shot(page, "print-view")
    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()  # the toolbar never goes on paper
    shot(page, "print-view-as-printed")
    page.emulate_media(media="screen")

    pdf = page.request.get(f"{server}{page.locator('#print-pdf').get_attribute('href')}")  # the session's cookies
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "print.pdf"
    target.write_bytes(pdf.body())
    for old in ARTIFACTS.glob("print-pdf-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(target), str(ARTIFACTS / "print-pdf")], check=True)
    pages = sorted(ARTIFACTS.glob("print-pdf-*.png"))
    assert pages and all(p.stat().st_size > 10_000 for p in pages)  # drawn, not blank
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "拜访客户：华北区年度合同续签" in text and "高铁发票.pdf" in text and "同意，按标准报销" in text


def test_the_export_page_downloads_the_csv(page: Page, server: str) -> None:
    file_chinese_claim(page, server)
    page.goto(f"{server}/requests")
    page.locator("#export-link").click()
    expect(page).to_have_url(re.compile(r"/export$"))
    page.locator("#export-process").select_option("expense")
    page.locator("#export-q").fill("华北区")
    page.locator("#export-show").click()
    expect(page.locator("#export-count")).to_contain_text(re.compile(r"\d+ requests? match"))
    shot(page, "export-page")
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    assert re.fullmatch(r"expense-\d{8}\.csv", download.value.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows and all("华北区" in r["Reason"] for r in rows)

"""CSV and Excel export of a process's requests through HTTP: read back and checked cell by cell,
for who may read what (redaction per request, a hidden field an empty cell and never found by a
search), the inbox's filters, the formula-injection guard, and the export page."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from tests.runtime.paper import act, bearer, demo_app, file_expense, offer_through_hr, prepared

INJECTED = '=HYPERLINK("http://evil.example/","click")'


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(demo_app(), follow_redirects=False) as c:
        prepared(c)
        c.cookies.set("formflow_lang", "en")
        yield c


@pytest.fixture(scope="module")
def claims(client):
    """Three claims of zhang.wei: 12,000 approved by his head; 300 whose reason is a formula; an office one."""
    big = file_expense(client, amounts=(7000, 5000))
    act(client, "li.na", big, comment="ok")
    formula = file_expense(client, amounts=(300,), reason=INJECTED, attach=False)
    office = file_expense(client, amounts=(88.5,), reason="-2+3 toner", category="office", attach=False)
    return big, formula, office


def rows_of(r) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.content.startswith("\ufeff".encode())  # Excel reads the UTF-8 with its BOM
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def csv_for(client, who: str, process: str = "expense", **params: str):
    return client.get(f"/export/{process}.csv", params=params, headers=bearer(client, who))


def test_the_csv_holds_a_row_per_request_with_labels_and_numbers(client, claims):
    big, formula, office = claims
    r = csv_for(client, "zhang.wei")
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="expense-')
    rows = rows_of(r)
    assert list(rows[0])[:6] == ["Request no.", "Status", "Submitter", "Department", "Filed", "Last change"]
    assert list(rows[0])[6:] == ["Claim number", "Category", "Invoices", "Total", "Reason", "Invoices (2)"]
    assert [row["Request no."] for row in rows] == [office["id"], formula["id"], big["id"]]  # newest first
    first = next(row for row in rows if row["Request no."] == big["id"])
    assert first["Submitter"] == "Zhang Wei" and first["Status"] == "In progress"
    assert first["Category"] == "Travel" and first["Total"] == "12000.00"
    assert first["Claim number"] == big["data"]["number"] and first["Invoices (2)"] == "发票.pdf"
    assert first["Invoices"].splitlines() == ["Description: 行程 1; Invoice no.: INV-1; Amount: 7,000.00",
                                                   "Description: 行程 2; Invoice no.: INV-2; Amount: 5,000.00"]
    assert dt.datetime.strptime(first["Filed"], "%Y-%m-%d %H:%M")
    assert next(row for row in rows if row["Request no."] == office["id"])["Total"] == "88.50"


def test_a_cell_that_would_be_a_formula_is_written_as_text(client, claims):
    rows = {row["Request no."]: row for row in rows_of(csv_for(client, "zhang.wei"))}
    assert rows[claims[1]["id"]]["Reason"] == "'" + INJECTED
    assert rows[claims[2]["id"]]["Reason"] == "'-2+3 toner"
    book = load_workbook(io.BytesIO(client.get("/export/expense.xlsx", headers=bearer(client, "zhang.wei")).content))
    reasons = [c for c in book.worksheets[0]["K"][1:] if c.value and "HYPERLINK" in c.value]
    assert [(c.value, c.data_type) for c in reasons] == [("'" + INJECTED, "s")]


def test_each_person_exports_what_they_may_read(client, claims):
    ids = {c["id"] for c in claims}
    assert {row["Request no."] for row in rows_of(csv_for(client, "li.na"))} == ids  # his head: each has her task
    assert rows_of(csv_for(client, "liu.yang")) == []  # filed none, acts on none
    for reader_of_all in ("admin", "audit.li"):
        assert ids <= {row["Request no."] for row in rows_of(csv_for(client, reader_of_all))}
    assert client.get("/export/expense.csv").status_code == 303  # to the sign-in
    assert csv_for(client, "zhang.wei", "nope").status_code == 404
    assert client.get("/export/expense.pdf", headers=bearer(client, "zhang.wei")).status_code == 404


def test_a_hidden_field_is_an_empty_cell_and_never_found(client):
    offer = offer_through_hr(client, salary=18765)
    by_cashier = {row["Request no."]: row for row in rows_of(csv_for(client, "sun.li", "offer"))}
    assert by_cashier[offer["id"]]["Monthly salary"] == "" and by_cashier[offer["id"]]["Candidate"] == "Ada"
    assert rows_of(csv_for(client, "sun.li", "offer", q="18765")) == []
    assert rows_of(csv_for(client, "zhang.wei", "offer", q="18765")) == []
    assert rows_of(csv_for(client, "wu.qiang", "offer", q="18765"))[0]["Monthly salary"] == "18765.00"
    book = load_workbook(io.BytesIO(client.get("/export/offer.xlsx", headers=bearer(client, "sun.li")).content))
    header = [c.value for c in book.worksheets[0][1]]
    row = next(r for r in book.worksheets[0].iter_rows(min_row=2, values_only=True) if r[0] == offer["id"])
    assert row[header.index("Monthly salary")] is None


def test_the_inbox_filters_narrow_the_export(client, claims):
    big, formula, office = claims
    assert [r["Request no."] for r in rows_of(csv_for(client, "zhang.wei", q=big["data"]["number"]))] == [big["id"]]
    assert [r["Request no."] for r in rows_of(csv_for(client, "zhang.wei", q="TONER"))] == [office["id"]]
    assert [r["Request no."] for r in rows_of(csv_for(client, "zhang.wei", q="12000"))] == [big["id"]]
    assert {r["Request no."] for r in rows_of(csv_for(client, "zhang.wei", status="running"))} == {c["id"] for c in claims}
    assert rows_of(csv_for(client, "zhang.wei", status="completed")) == []
    filed = dt.datetime.fromisoformat(big["created"].replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai")).date()
    day, after = filed.isoformat(), (filed + dt.timedelta(days=1)).isoformat()
    assert len(rows_of(csv_for(client, "zhang.wei", **{"from": day, "to": day}))) == 3
    assert rows_of(csv_for(client, "zhang.wei", **{"from": after})) == []
    r = csv_for(client, "zhang.wei", **{"from": "2026-02-30"})
    assert r.status_code == 422 and "from" in r.text
    assert csv_for(client, "zhang.wei", status="lost").status_code == 422


def test_the_workbook_has_numbers_times_and_a_sheet_of_lines(client, claims):
    big = claims[0]
    r = client.get("/export/expense.xlsx", params={"q": big["id"]}, headers=bearer(client, "zhang.wei"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert r.headers["content-disposition"].startswith('attachment; filename="expense-')
    book = load_workbook(io.BytesIO(r.content))
    requests, lines = book.worksheets
    assert requests.title == "Expense reimbursement" and lines.title == "Invoices"
    header = [c.value for c in requests[1]]
    [row] = list(requests.iter_rows(min_row=2))
    cell = {h: c for h, c in zip(header, row)}
    assert cell["Total"].value == 12000 and cell["Total"].number_format == "#,##0.00"
    assert isinstance(cell["Filed"].value, dt.datetime)
    assert [c.value for c in lines[1]] == ["Request no.", "Line", "Description", "Invoice no.", "Amount"]
    assert [tuple(r) for r in lines.iter_rows(min_row=2, values_only=True)] == [
        (big["id"], 1, "行程 1", "INV-1", 7000), (big["id"], 2, "行程 2", "INV-2", 5000)]


def test_the_export_page_counts_and_links_with_the_same_filters(client, claims):
    r = client.get("/export", headers=bearer(client, "zhang.wei"))
    assert r.status_code == 200 and r.template.name == "export.html"
    assert r.context["counts"]["expense"] == 3 and r.context["matching"] is None
    r = client.get("/export", params={"process": "expense", "q": "toner"}, headers=bearer(client, "zhang.wei"))
    assert r.context["chosen"] == "expense" and r.context["matching"] == 1
    assert 'href="/export/expense.csv?q=toner"' in r.text and 'href="/export/expense.xlsx?q=toner"' in r.text
    r = client.get("/export", params={"process": "expense", "to": "someday"}, headers=bearer(client, "zhang.wei"))
    assert r.status_code == 422 and r.context["errors"] == {"to": "must be a date (YYYY-MM-DD)"}
    mine = client.get("/inbox", params={"tab": "mine", "process": "expense"}, headers=bearer(client, "zhang.wei"))
    assert 'href="/export?process=expense"' in mine.text  # the inbox's filters carried over
    assert 'href="/export"' in client.get("/audit", headers=bearer(client, "admin")).text


def test_chinese_labels_and_words_in_the_readers_language(client, claims):
    client.cookies.set("formflow_lang", "zh_CN")
    try:
        rows = rows_of(csv_for(client, "zhang.wei", q=claims[0]["id"]))
    finally:
        client.cookies.set("formflow_lang", "en")
    assert rows[0]["申请人"] == "张伟" and rows[0]["状态"] == "审批中" and rows[0]["费用类别"] == "差旅"

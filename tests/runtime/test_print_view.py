"""The print view and its PDF through HTTP: the paper form's parts in the context, the same
access and the same redaction as the instance page, and a PDF that holds the Chinese text."""
from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.runtime.paper import act, bearer, demo_app, file_expense, offer_through_hr, prepared


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(demo_app(), follow_redirects=False) as c:
        prepared(c)
        yield c


@pytest.fixture(scope="module")
def approved_claim(client):
    """A claim of 12,000 with an invoice, approved by the head and by finance, waiting for the VP."""
    claim = file_expense(client)
    act(client, "li.na", claim, comment="同意")
    act(client, "zhao.min", claim, comment="票据齐全")
    return claim


def printed(client: TestClient, who: str, instance_id: str, lang: str = "zh_CN"):
    client.cookies.set("formflow_lang", lang)
    return client.get(f"/instances/{instance_id}/print", headers=bearer(client, who))


def test_the_print_view_reads_like_the_paper_form(client, approved_claim):
    r = printed(client, "zhang.wei", approved_claim["id"])
    assert r.status_code == 200 and r.template.name == "print.html"
    c = r.context
    assert c["instance"].id == approved_claim["id"] and c["for_pdf"] is False
    assert [(f.key, number) for f, number in c["serials"]] == [("number", approved_claim["data"]["number"])]
    assert c["department"] == "研发部" and c["printed_by"] == "zhang.wei"
    assert [(row.kind, row.field.key) for row in c["rows"]] == [
        ("field", "category"), ("field", "items"), ("field", "total"), ("field", "reason"), ("field", "invoices")]
    assert [(f.key, file["name"]) for f, file in c["attachments"]] == [("invoices", "发票.pdf")]
    assert [(a.step, a.who, a.decision, a.comment) for a in c["approvals"]] == [
        ("部门负责人审核", "李娜", "已同意", "同意"), ("财务审核", "赵敏", "已同意", "票据齐全"),
        ("分管副总审批", "陈刚", "", "")]
    assert all(a.at for a in c["approvals"][:2])
    assert c["signers"] == ["部门负责人审核", "财务审核", "分管副总审批"]
    [decision] = c["decisions"]
    assert "12,000" in decision.detail and "费用审批层级 v1" in decision.detail
    assert c["timeline"][0].action == "start"


def test_the_page_has_no_navigation_and_offers_print_and_pdf(client, approved_claim):
    page = printed(client, "zhang.wei", approved_claim["id"], "en").text
    assert 'class="mainnav"' not in page and "/static/print.css" in page
    assert f'href="/instances/{approved_claim["id"]}/print.pdf"' in page and 'data-print' in page
    assert "Chinese capitals" not in page and "壹万贰仟元整" in page  # the amount in capitals, as on the form


def test_the_instance_page_links_to_the_print_and_the_pdf(client, approved_claim):
    r = client.get(f"/instances/{approved_claim['id']}", headers=bearer(client, "li.na"))
    assert f'href="/instances/{approved_claim["id"]}/print"' in r.text
    assert f'href="/instances/{approved_claim["id"]}/print.pdf"' in r.text


def test_only_those_who_may_read_the_request_print_it(client, approved_claim):
    assert printed(client, "liu.yang", approved_claim["id"]).status_code == 403
    assert client.get(f"/instances/{approved_claim['id']}/print.pdf",
                      headers=bearer(client, "liu.yang")).status_code == 403
    assert printed(client, "zhang.wei", "nope").status_code == 404
    assert client.get(f"/instances/{approved_claim['id']}/print").status_code == 303  # to the sign-in
    for reader_of_all in ("admin", "audit.li"):
        assert printed(client, reader_of_all, approved_claim["id"]).status_code == 200


def test_a_hidden_field_is_never_printed(client):
    offer = offer_through_hr(client, salary=18765)
    for who in ("sun.li", "zhang.wei"):  # the cashier's step hides the salary; the start form hides it
        r = printed(client, who, offer["id"], "en")
        assert r.status_code == 200
        assert "salary" not in [row.field.key for row in r.context["rows"]]
        assert "18,765" not in r.text and "Monthly salary" not in r.text and "18765" not in r.text
        assert "Relocation costs" in r.text
    r = printed(client, "wu.qiang", offer["id"], "en")
    assert "salary" in [row.field.key for row in r.context["rows"]] and "18,765" in r.text


def test_the_pdf_is_a_pdf_with_the_chinese_text_in_it(client, approved_claim, tmp_path):
    client.cookies.set("formflow_lang", "zh_CN")
    r = client.get(f"/instances/{approved_claim['id']}/print.pdf", headers=bearer(client, "zhang.wei"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    assert f"expense-{approved_claim['id']}.pdf" in r.headers["content-disposition"]
    (tmp_path / "claim.pdf").write_bytes(r.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "claim.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    for words in ("费用报销", "李娜", "赵敏", "票据齐全", "客户拜访", "发票.pdf", approved_claim["data"]["number"]):
        assert words in text, words
    fonts = subprocess.run(["pdffonts", str(tmp_path / "claim.pdf")], capture_output=True, text=True).stdout
    assert "WenQuanYi" in fonts  # embedded, not a fallback box


def test_the_pdf_redacts_as_the_page_does(client, tmp_path):
    offer = offer_through_hr(client, salary=19876)
    r = client.get(f"/instances/{offer['id']}/print.pdf", headers=bearer(client, "sun.li"))
    assert r.status_code == 200
    (tmp_path / "offer.pdf").write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "offer.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout  # poppler-utils, from the README's set-up
    assert "Ada" in text and "19,876" not in text and "19876" not in text

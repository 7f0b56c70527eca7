"""The rule designer's pages through TestClient: who may use it, table edits, what-if, tests, publish."""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from runtime.web.rendering import make_templates
from tests.support import signed_in

HX = {"HX-Request": "true", "Accept-Language": "en"}
EN = {"Accept-Language": "en"}
KEY = "expense-approval-tier"
PAGE = f"/designer/rules/{KEY}"


class _FormFields(HTMLParser):
    """The name/value pairs a web would post for one form of a page (buttons left out)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.pairs = form_id, False, []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "name" not in a:
            if self.inside and tag == "option" and self._select is not None and "selected" in a:
                self.pairs.append((self._select, a.get("value", "")))
            return
        if tag == "input" and (a.get("type") not in ("checkbox", "radio") or "checked" in a):
            self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "textarea":
            self._textarea = a["name"]
            self.pairs.append((a["name"], ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.pairs[-1]
            self.pairs[-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, form_id: str = "ruleset-table") -> dict[str, str]:
    parser = _FormFields(form_id)
    parser.feed(html)
    return dict(parser.pairs)


@pytest.fixture
def app():
    app = create_app(Settings(demo=True), MemoryRepository())
    return app


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        app.state.templates = make_templates(strict=True)  # an undefined template name is an error here
        yield client


def sign_in(client: TestClient, username: str) -> str:
    return signed_in(client, username)


def table_form(client: TestClient, **changes: str) -> dict[str, str]:
    """The decision table as the page renders it, with `changes` made (`rows_1_c_0_value="8000"`)."""
    fields = form_fields(client.get(PAGE, headers=EN).text)
    fields.update({name.replace("_", "-") if name.startswith(("rows_", "default_")) else name: value
                   for name, value in changes.items()})
    return fields


def draft_rows(app) -> list[dict]:
    admin = app.state.workflow.org.users["admin"]
    return app.state.authoring.draft(admin, KEY).ruleset["rows"]


def test_only_designers_and_admins_may_open_the_rule_designer(app, web):
    csrf = sign_in(web, "zhang.wei")
    assert 'href="/designer/rules"' not in web.get("/", headers=EN).text
    for url in ("/designer/rules", PAGE):
        r = web.get(url, headers=EN)
        assert r.status_code == 403 and "designer or admin" in r.text
    r = web.post(f"{PAGE}/table", data={"csrf_token": csrf, "op": "add-row"}, headers=HX)
    assert r.status_code == 403

    sign_in(web, "admin")
    assert 'href="/designer/rules"' in web.get("/", headers=EN).text
    r = web.get("/designer/rules", headers=EN)
    assert r.status_code == 200 and r.template.name == "designer/rules.html"
    assert f'href="{PAGE}"' in r.text and "Expense reimbursement" in r.text  # used by


def test_the_editor_shows_each_row_with_its_clauses_outputs_and_note(web):
    sign_in(web, "admin")
    r = web.get(PAGE, headers=EN)
    assert r.status_code == 200 and r.template.name == "designer/ruleset.html"
    fields = form_fields(r.text)
    assert (fields["rows-0-c-0-field"], fields["rows-0-c-0-op"], fields["rows-0-c-0-value"]) == ("total", "$gt", "50000")
    assert (fields["rows-1-c-0-value"], fields["rows-1-then-tier"], fields["rows-1-note-en"]) == ("5000", "vp", "VP approval")
    assert fields["rows-1-note-zh_CN"] == "分管副总审批"  # the other language's note travels along unchanged
    assert fields["default-tier"] == "none" and fields["hit_policy"] == "first"
    ops = re.search(r'<select id="rows-0-c-0-op".*?</select>', r.text, re.DOTALL).group(0)
    assert re.findall(r'value="([^"]+)"', ops) == ["$gt", "$gte", "$lt", "$lte", "=", "$ne"]


def test_an_edit_is_saved_to_the_draft_and_the_table_comes_back(app, web):
    sign_in(web, "admin")
    r = web.post(f"{PAGE}/table", data=table_form(web, rows_1_c_0_value="8,000"), headers=HX)
    assert r.status_code == 200, r.text
    assert r.text.lstrip().startswith('<form id="ruleset-table"') and "<html" not in r.text
    assert r.headers["HX-Trigger"] == "ruleset-changed" and "Saved to the draft" in r.text
    assert form_fields(r.text)["rows-1-c-0-value"] == "8000"
    assert draft_rows(app)[1] == {"when": {"$gt": {"total": 8000}}, "then": {"tier": "vp"},
                                  "note": {"en": "VP approval", "zh_CN": "分管副总审批"}}


def test_without_javascript_an_edit_posts_and_comes_back_to_the_page(app, web):
    sign_in(web, "admin")
    r = web.post(f"{PAGE}/table", data={**table_form(web), "op": "add-row"}, headers=EN)
    assert r.status_code == 303 and r.headers["location"] == PAGE
    assert len(draft_rows(app)) == 3


def test_an_invalid_edit_is_a_422_fragment_on_its_row_and_the_draft_is_unchanged(app, web):
    sign_in(web, "admin")
    before = draft_rows(app)
    r = web.post(f"{PAGE}/table", data=table_form(web, rows_1_c_0_value="abc"), headers=HX)
    assert r.status_code == 422
    assert r.text.lstrip().startswith('<form id="ruleset-table"') and "<html" not in r.text
    problems = re.search(r'<ul class="problems" role="alert" id="row-2-problems">(.*?)</ul>', r.text, re.DOTALL).group(1)
    assert "Row 2:" in problems and "“abc” is not a number" in problems
    assert 'id="row-1-problems"' not in r.text
    assert re.search(r'value="abc" id="rows-1-c-0-value"[^>]*aria-invalid="true"', r.text)  # kept as typed, marked
    assert "The draft is unchanged" in r.text
    assert draft_rows(app) == before
    assert app.state.authoring.summaries(app.state.workflow.org.users["admin"])[0]["draft"] is False


def test_a_problem_found_by_validation_is_placed_on_its_row(app, web):
    sign_in(web, "admin")
    before = draft_rows(app)
    r = web.post(f"{PAGE}/table", data=table_form(web, rows_0_then_tier="cfo"), headers=HX)
    assert r.status_code == 422
    problems = html.unescape(re.search(r'id="row-1-problems">(.*?)</ul>', r.text, re.DOTALL).group(1))
    assert "Row 1:" in problems and '"cfo" is not one of none, vp, gm' in problems
    assert draft_rows(app) == before


def test_rows_are_added_moved_and_removed(app, web):
    sign_in(web, "admin")
    r = web.post(f"{PAGE}/table", data={**table_form(web), "op": "add-row"}, headers=HX)
    assert r.status_code == 200 and 'autofocus' in re.search(r'<input[^>]*id="rows-2-c-0-value"[^>]*>', r.text).group(0)
    assert draft_rows(app)[2] == {"when": {"total": 0}, "then": {"tier": "none"}}  # harmless until edited
    r = web.post(f"{PAGE}/table", data={**table_form(web), "op": "up:2"}, headers=HX)
    assert [row["when"] for row in draft_rows(app)] == [{"$gt": {"total": 50000}}, {"total": 0}, {"$gt": {"total": 5000}}]
    assert re.search(r'<button[^>]*id="up-1"[^>]*autofocus', r.text)  # focus follows the moved row
    web.post(f"{PAGE}/table", data={**table_form(web), "op": "down:0"}, headers=HX)
    assert [row["then"]["tier"] for row in draft_rows(app)] == ["none", "gm", "vp"]
    web.post(f"{PAGE}/table", data={**table_form(web), "op": "remove-row:0"}, headers=HX)
    assert [row["then"]["tier"] for row in draft_rows(app)] == ["gm", "vp"]


def test_clauses_are_anded_and_complex_conditions_are_edited_as_json(app, web):
    sign_in(web, "admin")
    web.post(f"{PAGE}/table", data={**table_form(web), "op": "add-clause:1"}, headers=HX)
    r = web.post(f"{PAGE}/table", data=table_form(web, rows_1_c_1_op="$lte", rows_1_c_1_value="50000"),
                     headers=HX)
    assert r.status_code == 200, r.text
    assert draft_rows(app)[1]["when"] == {"$and": [{"$gt": {"total": 5000}}, {"$lte": {"total": 50000}}]}

    either = '{"$or": [{"$gt": {"total": 5000}}, {"$lt": {"total": 0}}]}'
    r = web.post(f"{PAGE}/table", data=table_form(web, rows_1_mode="json-edit", rows_1_json=either),
                     headers=HX)
    assert r.status_code == 200, r.text
    assert draft_rows(app)[1]["when"] == {"$or": [{"$gt": {"total": 5000}}, {"$lt": {"total": 0}}]}
    page = web.get(PAGE, headers=EN).text  # too complex for clauses: shown read-only, editable as JSON
    assert 'id="rows-1-json-view"' in page and "Total &gt; 5,000 or Total &lt; 0" in page
    assert 'id="edit-json-1"' in page and 'id="rows-1-c-0-field"' not in page

    r = web.post(f"{PAGE}/table", data=table_form(web, rows_1_mode="json-edit", rows_1_json="{oops"),
                     headers=HX)
    assert r.status_code == 422 and "not valid JSON" in re.search(r'id="row-2-problems">(.*?)</ul>', r.text, re.DOTALL).group(1)


def test_lint_findings_are_shown_on_their_rows(web):
    sign_in(web, "admin")
    r = web.post(f"{PAGE}/table", data=table_form(web, rows_1_c_0_value="60000"), headers=HX)
    assert r.status_code == 200
    findings = re.search(r'id="row-2-findings">(.*?)</ul>', r.text, re.DOTALL).group(1)
    assert "Row 2 can never fire" in findings and "row 1" in findings


def test_what_if_shows_the_outcome_the_rows_that_fired_and_the_trace(web):
    csrf = sign_in(web, "admin")
    r = web.post(f"{PAGE}/whatif", data={"csrf_token": csrf, "data-total": "12,000"}, headers=HX)
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div id="whatif-result"')
    outcome = re.search(r'id="whatif-outcome">(.*?)</dd>', r.text, re.DOTALL).group(1)
    assert "tier = vp" in outcome and "default" not in outcome
    fired = re.search(r'id="whatif-fired">(.*?)</ol>', r.text, re.DOTALL).group(1)
    assert "Row 2" in fired and "VP approval" in fired and "Total &gt; 5,000" in fired
    trace = re.search(r'id="whatif-trace">(.*?)</ol>', r.text, re.DOTALL).group(1)
    assert re.search(r"Row 1: Total &gt; 50,000 —\s*does not match", trace)
    assert re.search(r"Row 2: Total &gt; 5,000 —\s*<strong>matches", trace)

    web.post(f"{PAGE}/table", data=table_form(web, rows_1_c_0_value="8000"), headers=HX)
    r = web.post(f"{PAGE}/whatif", data={"csrf_token": csrf, "data-total": "6000"}, headers=HX)
    assert "tier = none" in r.text and 'id="whatif-default"' in r.text and "the default applies" in r.text
    assert "Published version 1 decides differently: tier = vp" in r.text

    r = web.post(f"{PAGE}/whatif", data={"csrf_token": csrf, "data-total": "lots"}, headers=HX)
    assert r.status_code == 422 and "“lots” is not a number" in r.text


def test_test_cases_are_added_edited_and_removed(app, web):
    csrf = sign_in(web, "admin")
    r = web.post(f"{PAGE}/tests", data={"csrf_token": csrf, "name": "", "data-total": "6000", "expect-tier": ""},
                     headers=HX)
    assert r.status_code == 422 and "Give the test case a name" in r.text and "Choose the outcome" in r.text
    r = web.post(f"{PAGE}/tests", data={"csrf_token": csrf, "name": "6,000 needs the VP", "data-total": "6000",
                                            "expect-tier": "vp"}, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="tests"')
    row = re.search(r'<tr id="test-1" class="pass">(.*?)</tr>', r.text, re.DOTALL).group(1)
    assert "6,000 needs the VP" in row and "Total = 6,000" in row and "tier = vp" in row
    editor = web.get(f"{PAGE}/tests/0", headers=HX)
    assert form_fields(editor.text, "test-editor")["expect-tier"] == "vp"
    r = web.post(f"{PAGE}/tests/0", data={"csrf_token": csrf, "name": "6,000 needs the VP", "data-total": "6000",
                                              "expect-tier": "gm"}, headers=HX)
    assert '<tr id="test-1" class="fail">' in r.text and "1 of 1 fails" in r.text
    r = web.post(f"{PAGE}/tests/0/delete", data={"csrf_token": csrf}, headers=HX)
    assert 'id="tests-empty"' in r.text
    assert app.state.authoring.draft(app.state.workflow.org.users["admin"], KEY).tests == ()


def test_publishing_is_blocked_by_a_failing_test_case_until_it_is_corrected(app, web):
    csrf = sign_in(web, "admin")
    admin = app.state.workflow.org.users["admin"]
    web.post(f"{PAGE}/tests", data={"csrf_token": csrf, "name": "6,000 needs the VP", "data-total": "6000",
                                        "expect-tier": "vp"}, headers=HX)
    web.post(f"{PAGE}/table", data=table_form(web, rows_1_c_0_value="8000"), headers=HX)

    r = web.post(f"{PAGE}/publish", data={"csrf_token": csrf, "note": ""}, headers=HX)
    assert r.status_code == 422 and "the change note is required" in r.text

    r = web.post(f"{PAGE}/publish", data={"csrf_token": csrf, "note": "VP approval from 8,000"}, headers=HX)
    assert r.status_code == 422 and r.text.lstrip().startswith('<section id="publish"')
    failures = re.search(r'id="publish-failures">(.*?)</ul>', r.text, re.DOTALL).group(1)
    assert "6,000 needs the VP" in failures and "expects tier = vp, but the draft gives tier = none" in failures
    assert "VP approval from 8,000" in r.text  # the note typed is kept
    assert [v["version"] for v in app.state.authoring.history(admin, KEY)] == [1]

    web.post(f"{PAGE}/tests/0", data={"csrf_token": csrf, "name": "6,000 needs no VP", "data-total": "6000",
                                          "expect-tier": "none"}, headers=HX)
    r = web.post(f"{PAGE}/publish", data={"csrf_token": csrf, "note": "VP approval from 8,000"}, headers=HX)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == f"{PAGE}?published=2"
    page = web.get(f"{PAGE}?published=2", headers=EN).text
    assert "Version 2 is published" in page
    versions = re.search(r'id="version-2">(.*?)</li>', page, re.DOTALL).group(1)
    assert "Administrator" in versions and "admin" in versions and "VP approval from 8,000" in versions
    assert "Row 2: Total &gt; 5,000 → Total &gt; 8,000" in versions  # what changed
    assert app.state.workflow.definition("ruleset", KEY).rows[1].when == {"$gt": {"total": 8000}}

    r = web.post(f"{PAGE}/publish", data={"csrf_token": csrf, "note": "again"}, headers=HX)
    assert r.status_code == 409 and "Nothing to publish" in r.text


def test_a_select_input_offers_equality_and_membership_over_its_options(app, web):
    admin = app.state.workflow.org.users["admin"]
    draft = app.state.authoring.draft(admin, KEY)
    ruleset = {**draft.ruleset, "inputs": [*draft.ruleset["inputs"], {"key": "category", "type": "select"}]}
    ruleset["rows"] = [{"when": {"$and": [{"$in": {"category": ["meals"]}}, {"$gt": {"total": 2000}}]},
                        "then": {"tier": "vp"}}, *ruleset["rows"]]
    app.state.authoring.save(admin, KEY, {"ruleset": ruleset, "tests": []})
    sign_in(web, "admin")
    page = web.get(PAGE, headers=EN).text
    ops = re.search(r'<select id="rows-0-c-0-op".*?</select>', page, re.DOTALL).group(0)
    assert re.findall(r'value="([^"]+)"', ops) == ["=", "$ne", "$in"] and "is one of" in ops
    boxes = re.findall(r'<label class="check"><input type="checkbox"[^>]*value="(\w+)"([^>]*)> (\w+)', page)
    assert [(v, "checked" in rest, text) for v, rest, text in boxes] == [
        ("travel", False, "Travel"), ("office", False, "Office"), ("meals", True, "Meals"), ("other", False, "Other")]

    fields: dict = form_fields(page)
    assert fields["rows-0-c-0-value"] == "meals"
    r = web.post(f"{PAGE}/table", data={**fields, "rows-0-c-0-value": ["meals", "other"]}, headers=HX)
    assert r.status_code == 200, r.text
    assert draft_rows(app)[0]["when"]["$and"][0] == {"$in": {"category": ["meals", "other"]}}

    r = web.post(f"{PAGE}/table", data={**form_fields(r.text), "rows-0-c-0-op": "=",
                                            "rows-0-c-0-value": ["meals", "other"]}, headers=HX)
    assert r.status_code == 200, r.text
    assert draft_rows(app)[0]["when"]["$and"][0] == {"category": "meals"}  # equality keeps the first ticked value

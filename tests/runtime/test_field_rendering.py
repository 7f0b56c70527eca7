"""Every field type on the staff form: the start page and its preview render each one, a post is
cleaned into each type's value shape (read back through the API), the record and its diffs read
as people expect, the organisation search behind the pickers, and serial numbers."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.setup import INSTALLER, open_workflow
from runtime.store.repository import FileRepository, MemoryRepository
from runtime.web.forms_view import FIELD_TEMPLATES
from tests.runtime.flows import approval
from tests.support import FakeClock, signed_in

OPTIONS = [{"value": "a", "label": {"en": "Apple", "zh_CN": "苹果"}}, {"value": "b", "label": "Banana"}]
FIELDS = [
    {"key": "number", "type": "serial", "label": "No.", "pattern": "T-{yyyy}-{seq:4}"},
    {"key": "intro", "type": "section", "label": "About the trip", "help": "Fill in <b>everything</b>."},
    {"key": "hint", "type": "note", "help": "Receipts are needed."},
    {"key": "title", "type": "text", "label": "Title", "required": True, "default": "Trip"},
    {"key": "details", "type": "textarea", "label": "Details"},
    {"key": "count", "type": "number", "label": "Count"},
    {"key": "amount", "type": "money", "label": "Amount"},
    {"key": "share", "type": "percent", "label": "Share"},
    {"key": "day", "type": "date", "label": "Day"},
    {"key": "leaves", "type": "datetime", "label": "Leaves"},
    {"key": "trip", "type": "daterange", "label": "Trip", "working_days": True},
    {"key": "fruit", "type": "select", "label": "Fruit", "options": OPTIONS},
    {"key": "size", "type": "radio", "label": "Size", "options": OPTIONS},
    {"key": "tags", "type": "multiselect", "label": "Tags", "options": OPTIONS},
    {"key": "ok", "type": "checkbox", "label": "OK"},
    {"key": "buddy", "type": "user", "label": "Buddy"},
    {"key": "team", "type": "user", "label": "Team", "multiple": True},
    {"key": "dept", "type": "department", "label": "Department"},
    {"key": "tel", "type": "phone", "label": "Phone"},
    {"key": "mail", "type": "email", "label": "Email"},
    {"key": "lines", "type": "table", "label": "Lines", "columns": [
        {"key": "rate", "type": "percent", "label": "Rate"}, {"key": "at", "type": "datetime", "label": "At"},
        {"key": "kind", "type": "select", "label": "Kind", "options": OPTIONS},
        {"key": "tel", "type": "phone", "label": "Tel"}, {"key": "mail", "type": "email", "label": "Mail"}]},
]
BUNDLE = {"format": 1, "rulesets": [],
          "form": {"key": "every-type", "version": 1, "title": "Every type", "fields": FIELDS},
          "flow": {"key": "every-type", "version": 1, "title": "Every type", "form": "every-type",
                   "steps": [approval("check", "li.na")]}}
POSTED = {"title": "Visit", "details": "Two\r\nlines", "count": "3", "amount": "1,234.5", "share": "12.5",
          "day": "2026-12-01", "leaves": "2026-12-01T08:30", "trip-start": "2026-12-04",
          "trip-end": "2026-12-07", "fruit": "a", "size": "b", "ok": "on", "buddy": "li.na",
          "dept": "finance", "tel": "138 1234 5678", "mail": "Li.Na@Example.COM",
          "lines-0-rate": "5", "lines-0-at": "2026-12-02T10:00", "lines-0-kind": "b",
          "lines-0-tel": "010 12345678", "lines-0-mail": "a@B.cn"}
CLEANED = {"title": "Visit", "details": "Two\nlines", "count": 3, "amount": 1234.5, "share": 12.5,
           "day": "2026-12-01", "leaves": "2026-12-01T08:30",
           "trip": {"start": "2026-12-04", "end": "2026-12-07"}, "fruit": "a", "size": "b",
           "tags": ["a", "b"], "ok": True, "buddy": "li.na", "team": ["zhao.min", "wang.fang"],
           "dept": "finance", "tel": "13812345678", "mail": "Li.Na@example.com",
           "lines": [{"rate": 5, "at": "2026-12-02T10:00", "kind": "b", "tel": "010-12345678",
                      "mail": "a@b.cn"}]}


@pytest.fixture(scope="module")
def app():
    return create_app(Settings(demo=True), MemoryRepository())


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        if "every-type" not in {f.key for f in app.state.workflow.processes()}:
            app.state.workflow.import_bundle(INSTALLER, BUNDLE)
        yield c


def sign_in(client: TestClient, username: str = "zhang.wei") -> str:
    return signed_in(client, username)


def pairs(csrf: str, **changed: str) -> dict[str, str | list[str]]:
    """The posted form (a repeated name as a list of its values)."""
    return {"csrf_token": csrf, **POSTED, "tags": ["b", "a"], "team": ["zhao.min", "wang.fang"],
            "_q": "typed into a picker", **changed}


def test_every_input_type_has_a_template():
    assert set(FIELD_TEMPLATES) == {f["type"] for f in FIELDS} | {"attachment"}


def test_the_start_page_renders_every_type_with_defaults(web):
    sign_in(web)
    page = web.get("/start/every-type", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and page.template.name == "start.html"
    state = page.context["state"]
    assert [state.template(f) for f in state.form.fields][:4] == [
        "partials/fields/serial.html", "partials/fields/section.html", "partials/fields/note.html",
        "partials/fields/text.html"]
    assert state.raw["title"] == "Trip" and state.errors == {}
    assert 'type="datetime-local"' in page.text and 'type="tel"' in page.text and 'type="email"' in page.text
    assert "Fill in &lt;b&gt;everything&lt;/b&gt;." in page.text  # help is text, never markup


def test_the_preview_shows_capitals_and_the_range_in_working_days(web):
    csrf = sign_in(web)
    r = web.post("/start/every-type/preview", data=pairs(csrf), headers={"Accept-Language": "en"})
    assert r.status_code == 200, r.text
    state = r.context["state"]
    assert state.errors == {}
    assert state.cleaned("amount") == 1234.5 and state.values("tags") == ["b", "a"]
    assert "壹仟贰佰叁拾肆元伍角整" in r.text
    assert "2 working days" in r.text  # Fri 4 Dec → Mon 7 Dec 2026: Friday and Monday


def test_preview_errors_name_the_field(web):
    csrf = sign_in(web)
    r = web.post("/start/every-type/preview", data=pairs(csrf, tel="12345", share="150"))
    assert r.status_code == 422
    assert r.context["state"].errors == {
        "tel": "must be a mobile number (13812345678) or a landline (010-12345678)",
        "share": "must be at most 100"}


def test_a_post_is_cleaned_into_every_value_shape_and_shown_on_the_record(web):
    csrf = sign_in(web)
    r = web.post("/start/every-type", data=pairs(csrf))
    assert r.status_code == 303, r.text
    instance_id = r.headers["location"].split("/")[2].split("?")[0]
    data = web.get(f"/api/instances/{instance_id}").json()["data"]
    assert data == {**CLEANED, "number": data["number"]}
    assert re.fullmatch(r"T-2026-0001", data["number"])
    page = web.get(f"/instances/{instance_id}", headers={"Accept-Language": "en"})
    assert page.template.name == "instance.html"
    text = page.text
    for shown in ("1,234.50", "壹仟贰佰叁拾肆元伍角整", "12.5 %", "2026-12-04 → 2026-12-07 (2 working days)",
                  "2026-12-01 08:30", "Apple、Banana",
                  "Li Na", "Finance", "T-2026-0001"):
        assert shown in text, shown


def test_an_unknown_colleague_is_refused_at_submission(web):
    csrf = sign_in(web)
    r = web.post("/start/every-type", data=pairs(csrf, buddy="ghost"))
    assert r.status_code == 422
    assert r.context["state"].errors["buddy"] == 'no user "ghost"'


def test_the_org_search_finds_people_in_both_languages(web):
    sign_in(web)
    r = web.get("/org/search", params={"kind": "user", "_q": "李"}, headers={"Accept-Language": "en"})
    assert r.status_code == 200 and r.template.name == "partials/org_choices.html"
    assert [c["value"] for c in r.context["choices"]] == ["li.na"]
    api = web.get("/api/org/search", params={"kind": "department", "q": "fin"},
                  headers={"Accept-Language": "zh-CN"})
    assert api.json() == [{"value": "finance", "label": "财务部"}]
    assert web.get("/api/org/search", params={"kind": "role", "q": "x"}).status_code == 400


def test_the_org_search_needs_a_sign_in(app):
    with TestClient(app, follow_redirects=False) as anonymous:
        assert anonymous.get("/api/org/search", params={"kind": "user", "q": "li"}).status_code == 401


# ------------------------------------------------------------------ serial numbers


def test_serial_numbers_continue_after_a_restart_and_are_never_reused(tmp_path):
    def started(repo):
        wf = open_workflow(repo, demo=True)
        wf.engine.now = FakeClock()
        return wf

    repo = FileRepository(tmp_path / "data")
    wf = started(repo)
    zhang = wf.org.user("zhang.wei")
    claim = {"category": "office", "reason": "Paper",
             "items": [{"description": "Paper", "invoice_no": "A1", "amount": "12"}]}
    first = wf.start(zhang, "expense", claim)
    second = wf.start(zhang, "expense", claim)
    wf.withdraw(zhang, second.id)
    assert (first.data["number"], second.data["number"]) == ("BX-2026-000001", "BX-2026-000002")
    repo.close()
    repo = FileRepository(tmp_path / "data")
    wf = started(repo)
    third = wf.start(wf.org.user("zhang.wei"), "expense", {**claim, "number": "BX-2026-000001"})
    assert third.data["number"] == "BX-2026-000003"  # a forged number is ignored; a withdrawn one kept
    assert wf.state.instances[second.id].data["number"] == "BX-2026-000002"
    repo.close()


def test_stored_values_fill_the_form_again_for_a_resubmission():
    from builder.formdata import clean_submission
    from builder.forms import Form
    from runtime.web.forms_view import state_from_data

    form = Form.from_dict(BUNDLE["form"])
    state = state_from_data(form, CLEANED)
    assert state.values("team") == ["zhao.min", "wang.fang"]
    assert state.range_end("trip", "start") == "2026-12-04"
    assert clean_submission(form, state.raw) == (CLEANED, {})


def test_a_multiple_user_field_assigns_everyone_chosen(app):
    from builder.flows import Assignee

    with TestClient(app):
        org = app.state.workflow.org
        field = Assignee.from_dict({"kind": "field", "field": "team"})
        assert org.candidates(field, "zhang.wei", {"team": ["zhao.min", "finance", "ghost"]}) == ["zhao.min"]
        assert org.candidates(field, "zhang.wei", {"team": ["wang.fang", "zhao.min"]}) == ["wang.fang", "zhao.min"]


def test_the_preview_checks_colleagues_against_the_organisation(web):
    csrf = sign_in(web)
    r = web.post("/start/every-type/preview", data=pairs(csrf, dept="mars"))
    assert r.status_code == 422 and r.context["state"].errors == {"dept": 'no department "mars"'}


def test_timeline_diffs_read_like_the_record(app):
    from builder.forms import Form
    from runtime import i18n
    from runtime.web.timeline import describe_changes

    form = Form.from_dict(BUNDLE["form"])
    changes = {"amount": {"from": 1200, "to": 1150.5}, "tags": {"from": ["a"], "to": ["a", "b"]},
               "team": {"from": None, "to": ["li.na"]}, "share": {"from": 5, "to": 12.5}}
    with TestClient(app):
        token = i18n.current_locale.set("en")
        try:
            lines = describe_changes(changes, form, app.state.workflow.org)
        finally:
            i18n.current_locale.reset(token)
    assert lines == ("Amount: 1,200.00 (壹仟贰佰元整) → 1,150.50 (壹仟壹佰伍拾元伍角整)",
                     "Tags: Apple → Apple、Banana", "Team: — → Li Na", "Share: 5 % → 12.5 %")

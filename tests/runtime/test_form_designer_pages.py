"""The form designer's pages through TestClient: who may use it, every edit over HTTP (htmx and
plain posts), problems placed on the field they concern with nothing saved, undo/redo, preview,
publishing with refusals, and labels that stay text."""
from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from runtime.web.rendering import make_templates
from tests.runtime.test_designer_pages import sign_in
from tests.support import definitions_copy, demo_with_auditor

HX = {"HX-Request": "true", "Accept-Language": "en"}
EN = {"Accept-Language": "en"}
KEY = "expense-claim"
PAGE = f"/designer/forms/{KEY}"
XSS = "<script>alert(1)</script>"
DEMO_KEYS = ["number", "category", "items", "total", "reason", "invoices"]  # the demo expense claim's fields


@pytest.fixture(scope="module")
def seeded() -> MemoryRepository:
    """The demo plus an auditor, built once; each test gets its own copy."""
    return demo_with_auditor()


@pytest.fixture
def app(seeded):
    repo = definitions_copy(seeded)
    return create_app(Settings(), repo)


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        app.state.templates = make_templates(strict=True)
        yield client


@pytest.fixture
def csrf(web) -> str:
    return sign_in(web, "admin")


def draft(app) -> dict[str, Any]:
    return app.state.form_authoring.draft(app.state.workflow.org.users["admin"], KEY).form


def keys(doc: dict[str, Any]) -> list[str]:
    return [f["key"] for f in doc["fields"]]


def field(doc: dict[str, Any], key: str) -> dict[str, Any]:
    table, _, column = key.partition(".")
    f = next(f for f in doc["fields"] if f["key"] == table)
    return next(c for c in f["columns"] if c["key"] == column) if column else f


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids[a["id"]] = {"tag": tag, **a}


def elements(html: str) -> dict[str, dict[str, str | None]]:
    """Every element with an id, by id, with its tag and attributes (parsed, not grepped)."""
    parser = _Ids()
    parser.feed(html)
    return parser.ids


def edit(web, csrf: str, url: str, hx: bool = True, **data: str):
    return web.post(PAGE + url, data={"csrf_token": csrf, **data}, headers=HX if hx else EN)


# ---------------------------------------------------------------- who


@pytest.mark.parametrize("username", ["zhang.wei", "audit.gu"])
def test_staff_and_auditors_are_refused_every_page_and_edit(web, username):
    token = sign_in(web, username)
    assert "nav-forms" not in elements(web.get("/", headers=EN).text)
    for url in ("/designer/forms", "/designer/forms/new", PAGE, PAGE + "/publish"):
        assert web.get(url, headers=EN).status_code == 403, url
    posts = [("/designer/forms/new", {"title_en": "X"}), (PAGE + "/fields", {"type": "text"}),
             (PAGE + "/fields/reason", {"p.label.en": "x"}), (PAGE + "/fields/reason/move", {"to": "0"}),
             (PAGE + "/fields/reason/duplicate", {}), (PAGE + "/fields/reason/delete", {}),
             (PAGE + "/fields/items/columns", {"type": "text"}), (PAGE + "/properties", {"f.title.en": "x"}),
             (PAGE + "/undo", {}), (PAGE + "/redo", {}), (PAGE + "/preview", {}),
             (PAGE + "/publish", {"note": "x"}), (PAGE + "/discard", {})]
    for url, data in posts:
        assert web.post(url, data={"csrf_token": token, **data}, headers=HX).status_code == 403, url


def test_designers_see_the_nav_link_and_the_list_of_forms(web, csrf):
    assert elements(web.get("/", headers=EN).text)["nav-forms"]["href"] == "/designer/forms"
    r = web.get("/designer/forms", headers=EN)
    assert r.status_code == 200 and r.template.name == "designer/forms.html"
    expense = next(f for f in r.context["forms"] if f["key"] == KEY)
    assert (expense["version"], expense["draft"], expense["used_by"]) == (1, False, ["expense"])


def test_an_edit_without_a_csrf_token_is_refused(web, csrf):
    assert web.post(PAGE + "/fields", data={"type": "text"}, headers=HX).status_code == 403


# ---------------------------------------------------------------- new form


def test_a_new_form_gets_a_key_suggested_from_its_title_and_opens_in_the_designer(app, web, csrf):
    r = web.get("/designer/forms/new", params={"title_zh": "请假申请"}, headers=HX)
    assert r.status_code == 200 and r.context["suggested"] == "qing-jia-shen-qing"
    r = web.get("/designer/forms/new", params={"title_zh": "请假申请", "title_en": "Leave request"}, headers=HX)
    assert r.context["suggested"] == "leave-request"
    page = web.get("/designer/forms/new", headers=EN)
    assert page.template.name == "designer/form_new.html" and page.context["process"] is True
    r = web.post("/designer/forms/new", data={"csrf_token": csrf, "title_zh": "请假申请", "title_en": "Leave request",
                                              "process": "1"}, headers=EN)
    assert r.status_code == 303 and r.headers["location"] == "/designer/forms/leave-request"
    opened = web.get("/designer/forms/leave-request", headers=EN)
    assert opened.status_code == 200 and opened.context["cards"] == [] and opened.context["preview"] is None
    assert opened.context["draft"].process is True


@pytest.mark.parametrize(("data", "where"), [({"title_en": "  "}, "title"), ({"title_en": "Claim", "key": KEY}, "key"),
                                             ({"title_en": "Claim", "key": "Bad Key"}, "key"),
                                             ({"title_en": "Expense", "key": "expense"}, "key")])
def test_a_new_form_is_refused_with_the_reason_on_its_input(app, web, csrf, data, where):
    before = app.state.form_authoring.summaries(app.state.workflow.org.users["admin"])
    r = web.post("/designer/forms/new", data={"csrf_token": csrf, "process": "1", **data}, headers=HX)
    assert r.status_code == 422 and r.template.name == "designer/form_new.html"
    assert list(r.context["errors"]) == [where]
    assert app.state.form_authoring.summaries(app.state.workflow.org.users["admin"]) == before


# ---------------------------------------------------------------- the designer page


def test_the_designer_shows_palette_cards_panel_and_preview(web, csrf):
    r = web.get(PAGE + "?field=items.amount", headers=EN)
    assert r.status_code == 200 and r.template.name == "designer/form.html"
    from builder.forms import FIELD_TYPES
    assert sorted(t for _, kinds in r.context["palette"] for t, _name in kinds) == sorted(FIELD_TYPES)
    cards = r.context["cards"]
    assert [c.key for c in cards] == ["number", "category", "items", "total", "reason", "invoices"]
    assert [c.key for c in cards[2].columns] == ["description", "invoice_no", "amount"]
    assert cards[1].required and cards[1].published and cards[3].computed == "sum(items.amount)"
    assert r.context["selected"] == "items.amount" and r.context["panel"].is_column
    assert r.context["panel"].published  # a published key is shown read-only
    assert "readonly" in elements(r.text)["prop-key"]
    assert r.context["preview"].form.key == KEY and r.context["preview"].prefix == "sample."
    assert r.context["draft"].can_undo is False


def test_unknown_forms_and_fields(web, csrf):
    assert web.get("/designer/forms/nope", headers=EN).status_code == 404
    r = web.get(PAGE + "?field=nope", headers=EN)
    assert r.status_code == 200 and r.context["selected"] == ""  # the form's own panel
    r = edit(web, csrf, "/fields/nope", **{"_changed": "p.label.en", "p.label.en": "x"})
    assert r.status_code == 422 and r.context["placed"].general


# ---------------------------------------------------------------- edits


def test_insert_a_type_at_a_position_through_htmx(app, web, csrf):
    r = edit(web, csrf, "/fields", type="date", index="2")
    assert r.status_code == 200 and r.template.name == "designer/form.html"
    assert r.headers["HX-Trigger"] == "form-draft-changed"
    assert keys(draft(app)) == ["number", "category", "date", "items", "total", "reason", "invoices"]
    assert r.context["selected"] == "date" and r.context["cards"][2].type == "date"
    assert r.context["draft"].can_undo


def test_insert_after_a_field_and_without_javascript(app, web, csrf):
    r = edit(web, csrf, "/fields", hx=False, type="select", after="category")
    assert r.status_code == 303 and r.headers["location"] == PAGE + "?field=choice"
    assert keys(draft(app))[1:3] == ["category", "choice"]
    r = web.get(PAGE + "?field=category&insert=category", headers=EN)
    menu = elements(r.text)
    assert "insert-menu-card-category" in menu and "data-autofocus" in menu["insert-text-after-card-category"]


@pytest.mark.parametrize("kind", ["video", ""])
def test_insert_of_an_unknown_type_is_422_and_saves_nothing(app, web, csrf, kind):
    r = edit(web, csrf, "/fields", type=kind)
    assert r.status_code == 422 and r.context["placed"].general
    assert keys(draft(app)) == DEMO_KEYS


def test_move_by_drop_and_by_buttons(app, web, csrf):
    assert edit(web, csrf, "/fields/reason/move", to="0").status_code == 200
    assert keys(draft(app)) == ["reason", "number", "category", "items", "total", "invoices"]
    assert edit(web, csrf, "/fields/reason/move", direction="down").status_code == 200
    assert keys(draft(app)) == ["number", "reason", "category", "items", "total", "invoices"]
    r = edit(web, csrf, "/fields/number/move", hx=False, direction="up")
    assert r.status_code == 303 and keys(draft(app)) == ["number", "reason", "category", "items", "total", "invoices"]
    r = edit(web, csrf, "/fields/category/move", to="first")
    assert r.status_code == 422 and keys(draft(app)) == ["number", "reason", "category", "items", "total", "invoices"]


def test_a_computed_field_may_come_before_what_it_reads(app, web, csrf):
    assert edit(web, csrf, "/fields/total/move", to="0").status_code == 200
    assert keys(draft(app)) == ["total", "number", "category", "items", "reason", "invoices"]


def test_duplicate_and_delete(app, web, csrf):
    r = edit(web, csrf, "/fields/reason/duplicate")
    assert r.status_code == 200 and r.context["selected"] == "reason_2"
    assert field(draft(app), "reason_2")["label"] == {"en": "Reason (copy)", "zh_CN": "报销事由（副本）"}
    assert edit(web, csrf, "/fields/reason_2/delete").status_code == 200
    assert keys(draft(app)) == DEMO_KEYS


def test_deleting_a_field_others_depend_on_is_refused_on_the_dependent_field(app, web, csrf):
    r = edit(web, csrf, "/fields/items/delete")  # total = sum(items.amount)
    assert r.status_code == 422
    placed = r.context["placed"]
    assert placed.of("total", "computed") and keys(draft(app)) == DEMO_KEYS
    assert next(c for c in r.context["cards"] if c.key == "total").problems


def test_one_property_change_saves_and_keeps_the_rest(app, web, csrf):
    r = edit(web, csrf, "/fields/reason", **{"_changed": "p.label.en", "p.label.en": "Purpose",
                                             "p.label.zh_CN": "ignored, not the changed input"})
    assert r.status_code == 200 and r.context["selected"] == "reason"
    assert field(draft(app), "reason")["label"] == {"en": "Purpose", "zh_CN": "报销事由"}
    r = edit(web, csrf, "/fields/reason", **{"_changed": "p.required", "p.required": ""})
    assert r.status_code == 200 and not field(draft(app), "reason").get("required")


def test_a_bad_property_is_422_on_that_field_and_property_with_what_was_typed(app, web, csrf):
    before = draft(app)
    r = edit(web, csrf, "/fields/items.amount", **{"_changed": "p.min", "p.min": "lots"})
    assert r.status_code == 422 and draft(app) == before
    placed = r.context["placed"]
    assert placed.of("items.amount", "min") == ['must be a number, got "lots"']
    assert placed.typed("items.amount", "p.min", "0.01") == "lots"
    assert r.context["selected"] == "items.amount"
    r = edit(web, csrf, "/fields/items.amount", **{"_changed": "p.max", "p.max": "0"})  # below min 0.01
    assert r.status_code == 422 and r.context["placed"].of("items.amount", "min")


def test_without_javascript_the_panel_saves_every_changed_input(app, web, csrf):
    r = edit(web, csrf, "/fields/reason", hx=False, **{"p.label.en": "Purpose", "p.label.zh_CN": "报销事由",
                                                       "p.max_length": "500", "p.required": "on"})
    assert r.status_code == 303 and r.headers["location"] == PAGE + "?field=reason"
    reason = field(draft(app), "reason")
    assert (reason["label"], reason["max_length"], reason["required"]) == ({"en": "Purpose", "zh_CN": "报销事由"}, 500, True)
    r = edit(web, csrf, "/fields/reason", hx=False, **{"p.max_length": "many"})
    assert r.status_code == 422 and r.template.name == "designer/form.html"
    assert r.context["placed"].of("reason", "max_length")


def test_keys_change_until_published_then_stay(app, web, csrf):
    edit(web, csrf, "/fields", type="text")
    r = edit(web, csrf, "/fields/text", **{"_changed": "p.key", "p.key": "hotel"})
    assert r.status_code == 200 and r.context["selected"] == "hotel" and "hotel" in keys(draft(app))
    r = edit(web, csrf, "/fields/items", **{"_changed": "p.key", "p.key": "lines"})
    assert r.status_code == 422 and r.context["placed"].of("items", "key")
    assert "items" in keys(draft(app))


def test_options_add_edit_reorder_remove(app, web, csrf):
    url = "/fields/category"
    assert edit(web, csrf, url, _op="add-option").status_code == 200
    assert edit(web, csrf, url, **{"_changed": "o.4.value", "o.4.value": "training"}).status_code == 200
    assert edit(web, csrf, url, **{"_changed": "o.4.label.en", "o.4.label.en": "Training"}).status_code == 200
    assert edit(web, csrf, url, _op="move-option:4:0").status_code == 200
    values = [o["value"] for o in field(draft(app), "category")["options"]]
    assert values == ["training", "travel", "office", "meals", "other"]
    assert edit(web, csrf, url, _op="remove-option:4").status_code == 200
    assert [o["value"] for o in field(draft(app), "category")["options"]] == ["training", "travel", "office", "meals"]
    r = edit(web, csrf, url, **{"_changed": "o.0.value", "o.0.value": "travel"})  # a duplicate value
    assert r.status_code == 422 and r.context["placed"].of("category", "options")


def test_table_columns_are_added_moved_and_edited_like_fields(app, web, csrf):
    r = edit(web, csrf, "/fields/items/columns", type="date", index="0")
    assert r.status_code == 200 and r.context["selected"] == "items.date"
    assert edit(web, csrf, "/fields/items.date/move", direction="down").status_code == 200
    r = edit(web, csrf, "/fields/items.date", **{"_changed": "p.label.en", "p.label.en": "Day"})
    assert r.status_code == 200 and r.context["selected"] == "items.day"  # the unpublished key follows the label
    assert [c["key"] for c in field(draft(app), "items")["columns"]] == ["description", "day", "invoice_no", "amount"]
    assert field(draft(app), "items.day")["label"]["en"] == "Day"
    r = edit(web, csrf, "/fields/items/columns", type="table")
    assert r.status_code == 422 and r.context["placed"].of("items", "columns")


def test_form_title_through_the_forms_own_panel(app, web, csrf):
    r = edit(web, csrf, "/properties", **{"_changed": "f.title.en", "f.title.en": "Expense claim (2027)"})
    assert r.status_code == 200 and draft(app)["title"]["en"] == "Expense claim (2027)"
    r = edit(web, csrf, "/properties", **{"_changed": "f.validations", "f.validations": "{oops"})
    assert r.status_code == 422 and r.context["placed"].general


def test_undo_and_redo(app, web, csrf):
    edit(web, csrf, "/fields/reason", **{"_changed": "p.label.en", "p.label.en": "Purpose"})
    r = web.post(PAGE + "/undo", data={"csrf_token": csrf, "selected": "reason"}, headers=HX)
    assert r.status_code == 200 and field(draft(app), "reason")["label"]["en"] == "Reason"
    assert r.context["draft"].can_redo and r.context["selected"] == "reason"
    r = web.post(PAGE + "/redo", data={"csrf_token": csrf}, headers=HX)
    assert r.status_code == 200 and field(draft(app), "reason")["label"]["en"] == "Purpose"
    assert not r.context["draft"].can_redo
    assert web.post(PAGE + "/redo", data={"csrf_token": csrf}, headers=HX).status_code == 409


@pytest.mark.parametrize(("url", "data"), [
    ("/fields/reason", {"_changed": "p.zzz", "p.zzz": "1"}), ("/fields/reason", {"_changed": "o.x.value"}),
    ("/fields/category", {"_changed": "o.-1.value", "o.-1.value": "a"}), ("/fields/category", {"_op": "move-option:a:b"}),
    ("/fields/category", {"_op": "remove-option:99"}), ("/fields/reason/move", {"to": "99999999999999999999"}),
    ("/fields/%3Cscript%3E/delete", {}), ("/fields/items..x", {"_changed": "p.label.en", "p.label.en": "x"}),
    ("/fields", {"type": "text", "index": "-3"}), ("/fields", {"type": "text", "after": "nope"}),
    ("/fields/reason", {"_changed": "p.visible_when", "p.visible_when": '{"$gt": {"nope": 1}}'}),
    ("/properties", {"_changed": "f.title.xx", "f.title.xx": "x"}), ("/preview", {"sample.items-x-amount": "1"}),
])
def test_odd_input_is_never_a_server_error(app, web, csrf, url, data):
    before = draft(app)
    r = edit(web, csrf, url, **data)
    assert r.status_code in (200, 422), (url, data, r.status_code)
    if r.status_code == 422:
        assert draft(app) == before


# ---------------------------------------------------------------- conditions and expressions


def builder(web, csrf, target: str, source: str, pairs: list[tuple[str, str]]):
    """A post from one control of a condition builder, as htmx sends it (HX-Source names it)."""
    return web.post(PAGE + "/fields/" + target, content=urlencode([("csrf_token", csrf), *pairs]),
                    headers={**HX, "HX-Source": f"select#{source}", "Content-Type": "application/x-www-form-urlencoded"})


def test_visible_when_from_the_condition_builder_shows_in_words_on_the_card(app, web, csrf):
    from runtime.web.condition_builder import condition_form, form_pairs
    from runtime.web.condition_subjects import subjects_of
    cf = condition_form({"$gt": {"total": 5000}}, subjects_of(draft(app), "en"))
    r = builder(web, csrf, "reason", "vw-g0-c0-value", form_pairs(cf, "vw"))
    assert r.status_code == 200 and field(draft(app), "reason")["visible_when"] == {"$gt": {"total": 5000}}
    card = next(c for c in r.context["cards"] if c.key == "reason")
    assert card.conditional == "Total > 5,000"
    assert r.context["conditions"]["visible_when"].groups[0].clauses[0].subject == "total"


def test_a_builder_operation_adds_a_clause_and_an_empty_builder_removes_the_condition(app, web, csrf):
    r = web.post(PAGE + "/fields/reason", data={"csrf_token": csrf, "vw-mode": "builder", "vw-join": "and",
                                                "_op": "vw:add-group"}, headers={**HX, "HX-Source": "button#vw-add-group"})
    assert r.status_code == 200, r.context["placed"]
    assert "visible_when" not in field(draft(app), "reason")  # nobody chose the new clause: it says nothing
    (clause,) = r.context["conditions"]["visible_when"].groups[0].clauses
    assert clause.pending and (clause.subject, clause.op) == ("", "")
    r = builder(web, csrf, "reason", "vw-g0-c0-value", [("vw-mode", "builder"), ("vw-join", "and"), ("vw-g0-join", "and"),
                                                        ("vw-g0-c0-subject", "category"), ("vw-g0-c0-was", "category"),
                                                        ("vw-g0-c0-op", "="), ("vw-g0-c0-value", "travel")])
    assert r.status_code == 200 and field(draft(app), "reason")["visible_when"] == {"category": "travel"}
    r = builder(web, csrf, "reason", "vw-g0-remove", [("vw-mode", "builder"), ("vw-join", "and"), ("vw-g0-join", "and"),
                                                      ("vw-g0-c0-subject", "category"), ("vw-g0-c0-was", "category"),
                                                      ("vw-g0-c0-op", "="), ("vw-g0-c0-value", "travel"),
                                                      ("_op", "vw:remove-clause:0:0")])
    assert r.status_code == 200 and "visible_when" not in field(draft(app), "reason")


def test_a_half_finished_clause_stays_as_typed_while_another_property_saves(app, web, csrf):
    half = [("vw-mode", "builder"), ("vw-join", "and"), ("vw-g0-join", "and"), ("vw-g0-c0-subject", "total"),
            ("vw-g0-c0-was", "total"), ("vw-g0-c0-op", "$gt"), ("vw-g0-c0-value", "")]
    r = builder(web, csrf, "reason", "vw-g0-c0-op", half)
    assert r.status_code == 422 and "visible_when" not in field(draft(app), "reason")
    r = web.post(PAGE + "/fields/reason", content=urlencode([("csrf_token", csrf), ("_changed", "p.label.en"),
                                                             ("p.label.en", "Purpose"), *half]),
                 headers={**HX, "HX-Source": "input#p.label.en", "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and field(draft(app), "reason")["label"]["en"] == "Purpose"
    assert "visible_when" not in field(draft(app), "reason")  # not saved, and not lost either:
    (clause,) = r.context["conditions"]["visible_when"].groups[0].clauses
    assert (clause.subject, clause.op, clause.value, clause.problem) == ("total", "$gt", "", "Enter a value.")


def test_a_wrong_clause_is_422_on_that_clause_and_nothing_is_saved(app, web, csrf):
    before = draft(app)
    r = builder(web, csrf, "reason", "vw-g0-c0-value", [("vw-mode", "builder"), ("vw-join", "and"), ("vw-g0-join", "and"),
                                                        ("vw-g0-c0-subject", "total"), ("vw-g0-c0-was", "total"),
                                                        ("vw-g0-c0-op", "$gt"), ("vw-g0-c0-value", "lots")])
    assert r.status_code == 422 and draft(app) == before
    assert r.context["conditions"]["visible_when"].groups[0].clauses[0].problem
    assert r.context["placed"].of("reason", "visible_when")


def test_computed_through_the_expression_helper(app, web, csrf):
    hx = {**HX, "HX-Source": "textarea#p.computed"}
    r = web.post(PAGE + "/fields/total", data={"csrf_token": csrf, "p.computed": "sum(items.amount) * 2"}, headers=hx)
    assert r.status_code == 200 and field(draft(app), "total")["computed"] == "sum(items.amount) * 2"
    assert [g.key for g in r.context["expression"]["help"].fields]
    r = web.post(PAGE + "/fields/total", data={"csrf_token": csrf, "p.computed": "sum(items.nope)"}, headers=hx)
    assert r.status_code == 422 and r.context["expression"]["problem"]
    assert field(draft(app), "total")["computed"] == "sum(items.amount) * 2"


def test_cross_field_checks_through_the_checks_editor(app, web, csrf):
    from runtime.web import validations_editor as ve
    from runtime.web.condition_builder import Clause
    hx = {**HX, "HX-Source": "button#vc-add-check"}
    r = web.post(PAGE + "/properties", data={"csrf_token": csrf, "_op": "vc:add-check"}, headers=hx)
    assert r.status_code == 422 and "validations" not in draft(app)  # a check needs its message first
    vf = r.context["checks"]["form"]
    assert len(vf.checks) == 1 and vf.has_problems
    vf.checks[0].message = {"zh_CN": "合计须为正", "en": "The total must be positive"}
    vf.checks[0].fields = ["total"]
    vf.checks[0].when.groups[0].clauses[0] = Clause("total", "$gt", "0")  # its new clause, chosen
    pairs = ve.validations_pairs(vf, "vc")
    r = web.post(PAGE + "/properties", content=urlencode([("csrf_token", csrf), *pairs]),
                 headers={**HX, "HX-Source": "input#vc-v0-message-en", "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.context["checks"]["form"]
    (check,) = draft(app)["validations"]
    assert check["when"] == {"$gt": {"total": 0}}
    assert check["message"] == {"zh_CN": "合计须为正", "en": "The total must be positive"} and check["fields"] == ["total"]


def test_an_unfinished_check_stays_as_typed_while_the_forms_title_saves(app, web, csrf):
    from runtime.web import validations_editor as ve
    r = web.post(PAGE + "/properties", data={"csrf_token": csrf, "_op": "vc:add-check"},
                 headers={**HX, "HX-Source": "button#vc-add-check"})
    assert r.status_code == 422
    pairs = ve.validations_pairs(r.context["checks"]["form"], "vc")  # the panel's form posts the editor along
    r = web.post(PAGE + "/properties", content=urlencode([("csrf_token", csrf), ("_changed", "f.title.en"),
                                                          ("f.title.en", "Expense claim (2026)"), *pairs]),
                 headers={**HX, "HX-Source": "input#f.title.en", "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and draft(app)["title"]["en"] == "Expense claim (2026)"
    assert "validations" not in draft(app)
    (check,) = r.context["checks"]["form"].checks  # not saved, and not lost either
    assert check.when.has_pending and "Enter the message to show when the check fails." in check.problems


# ---------------------------------------------------------------- preview


def test_the_preview_computes_shows_conditions_and_messages_with_sample_data(app, web, csrf):
    edit(web, csrf, "/fields", type="text")
    edit(web, csrf, "/fields/text", **{"_changed": "p.visible_when", "p.visible_when": '{"category": "travel"}'})
    samples = {"sample.category": "office", "sample.items-0-amount": "12.5", "sample.items-0-description": "x"}
    r = web.post(PAGE + "/preview", data={"csrf_token": csrf, **samples}, headers=HX)
    assert r.status_code == 200 and r.template.name == "designer/_preview.html"
    state = r.context["preview"]
    hotel = state.form.field("text")
    assert not state.visible(hotel) and state.computed["total"] == 12.5
    assert state.errors == {}
    bad = web.post(PAGE + "/preview", data={"csrf_token": csrf, **samples, "sample.items-0-amount": "abc"}, headers=HX)
    assert bad.context["preview"].errors == {"items[0].amount": "must be an amount of money, like 1200.50"}
    r = web.post(PAGE + "/preview", data={"csrf_token": csrf, **samples, "sample.category": "travel"}, headers=HX)
    assert r.context["preview"].visible(hotel)
    r = edit(web, csrf, "/fields/reason", **{"_changed": "p.label.en", "p.label.en": "Why", **samples})
    assert r.context["preview"].computed["total"] == 12.5  # an edit keeps the sample data typed
    r = web.get(PAGE, params={"field": "category", **samples}, headers=HX)
    assert r.context["selected"] == "category" and r.context["preview"].computed["total"] == 12.5  # so does selecting


def test_an_edit_before_any_sample_is_typed_shows_the_preview_as_staff_first_see_it(app, web, csrf):
    """The preview's empty inputs go along with every edit: until one holds something, nothing says
    "required" under the empty fields; once the designer types, the messages show."""
    blank = {"sample.category": "", "sample.items-0-description": "", "sample.items-0-amount": "", "sample.reason": ""}
    r = edit(web, csrf, "/fields/reason", **{"_changed": "p.label.en", "p.label.en": "Why", **blank})
    assert r.status_code == 200 and r.context["preview"].errors == {}
    r = edit(web, csrf, "/fields/reason", **{"_changed": "p.label.en", "p.label.en": "Why not",
                                             **blank, "sample.items-0-amount": "abc"})
    assert r.context["preview"].errors["items[0].amount"] == "must be an amount of money, like 1200.50"


# ---------------------------------------------------------------- publish and versions


def test_publish_needs_a_note_a_change_and_then_makes_a_version(app, web, csrf):
    r = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": "x"}, headers=HX)
    assert r.status_code == 409 and r.context["publish"]["error"]
    edit(web, csrf, "/fields", type="attachment", after="reason")
    panel = web.get(PAGE + "/publish", headers=HX)
    assert panel.template.name == "designer/form.html" and panel.context["changes"]
    assert any("Attachments" in c for c in panel.context["changes"])
    r = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": " "}, headers=HX)
    assert r.status_code == 422 and r.context["publish"]["note_error"]
    r = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": "Invoices attached"}, headers=HX)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == PAGE + "?published=2"
    page = web.get(PAGE + "?published=2", headers=EN)
    assert page.context["published"] == "2" and page.context["draft"].based_on == 2
    newest = page.context["versions"][0]
    assert (newest["version"], newest["by"], newest["note"]) == (2, "admin", "Invoices attached")
    assert newest["diff"] and "attachments" in page.context["draft"].published_keys


def test_publish_refuses_removing_a_field_in_use_and_names_its_users(app, web, csrf):
    edit(web, csrf, "/fields/total/delete")
    r = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": "no total"}, headers=HX)
    assert r.status_code == 422
    refusals = r.context["publish"]["refusals"]
    assert refusals and any("expense" in x["message"] for x in refusals)
    assert app.state.workflow.definition("form", KEY).version == 1


def test_discard_throws_the_draft_away(app, web, csrf):
    edit(web, csrf, "/fields/reason/delete")
    r = web.post(PAGE + "/discard", data={"csrf_token": csrf}, headers=EN)
    assert r.status_code == 303 and keys(draft(app)) == DEMO_KEYS


# ---------------------------------------------------------------- safety


def test_labels_help_and_options_stay_text_everywhere(app, web, csrf):
    for name in ("p.label.en", "p.help.en"):
        assert edit(web, csrf, "/fields/reason", **{"_changed": name, name: XSS}).status_code == 200
    assert edit(web, csrf, "/fields/category", **{"_changed": "o.0.label.en", "o.0.label.en": XSS}).status_code == 200
    page = web.get(PAGE + "?field=reason", headers=EN).text
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert XSS not in page and page.count(escaped) >= 6  # card, panel inputs, preview label/help/option, diff
    publish = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": XSS}, headers=HX)
    versions = web.get(PAGE, headers=EN).text
    assert publish.status_code == 200 and XSS not in versions and versions.count(escaped) >= 3

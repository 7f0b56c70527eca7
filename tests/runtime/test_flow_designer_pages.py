"""The flow designer's pages through TestClient: who may use it, the list and new-process pages,
every edit of the tree and the step panel over HTTP (htmx and plain posts) with the stored draft
checked, problems placed on their step and listed, 422 for refused edits with nothing saved,
undo/redo and publishing (blocked while problems exist)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from builder.flow_tree import find, step_ids, steps_at
from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from runtime.web.condition_builder import ConditionForm
from runtime.web.rendering import make_templates
from tests.runtime.test_designer_pages import sign_in
from tests.runtime.test_form_designer_pages import elements
from tests.support import definitions_copy, demo_with_auditor

HX = {"HX-Request": "true", "Accept-Language": "en"}
EN = {"Accept-Language": "en"}
KEY = "contract"
PAGE = f"/designer/flows/{KEY}"
TEMPLATE = "designer/flow.html"
REVIEW_FORM = {"key": "review", "version": 1, "title": {"en": "Review", "zh_CN": "评审"}, "fields": [
    {"key": "reviewer", "type": "user", "label": {"en": "Reviewer"}},
    {"key": "unit", "type": "department", "label": {"en": "Unit"}},
    {"key": "amount", "type": "money", "label": {"en": "Amount"}, "required": True},
    {"key": "note", "type": "text", "label": {"en": "Note"}}]}


@pytest.fixture(scope="module")
def seeded() -> MemoryRepository:
    return demo_with_auditor()


@pytest.fixture
def app(seeded):
    return create_app(Settings(), definitions_copy(seeded))


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        app.state.templates = make_templates(strict=True)
        yield client


@pytest.fixture
def csrf(web) -> str:
    return sign_in(web, "admin")


def admin(app) -> Any:
    return app.state.workflow.org.users["admin"]


def flow(app, key: str = KEY) -> dict[str, Any]:
    return app.state.flow_authoring.draft(admin(app), key).flow


def post(web, csrf: str, url: str, hx: bool = True, key: str = KEY, **data: str):
    return web.post(f"/designer/flows/{key}{url}", data={"csrf_token": csrf, **data}, headers=HX if hx else EN)


def ids(doc: dict[str, Any], container: str = "") -> list[str]:
    return [s["id"] for s in steps_at(doc, container)]


def step(doc: dict[str, Any], step_id: str) -> dict[str, Any]:
    return find(doc, step_id)[1]


@pytest.fixture
def review(app, web, csrf) -> str:
    """A published form with person and department fields, and a new process for it ("review")."""
    user = admin(app)
    app.state.form_authoring.create(user, "review", REVIEW_FORM["title"], process=False)
    app.state.form_authoring.save(user, "review", REVIEW_FORM)
    app.state.form_authoring.publish(user, "review", "first")
    r = web.post("/designer/flows/new", data={"csrf_token": csrf, "title_en": "Review", "form_key": "review"}, headers=EN)
    assert r.status_code == 303 and r.headers["location"] == "/designer/flows/review"
    return "review"


# ---------------------------------------------------------------- who


@pytest.mark.parametrize("username", ["zhang.wei", "audit.gu"])
def test_staff_and_auditors_are_refused_every_page_and_edit(web, username):
    token = sign_in(web, username)
    assert "nav-flows" not in elements(web.get("/", headers=EN).text)
    for url in ("/designer/flows", "/designer/flows/new", PAGE, PAGE + "/publish"):
        assert web.get(url, headers=EN).status_code == 403, url
    posts = [("/designer/flows/new", {"title_en": "X", "form_key": "contract-approval"}),
             (PAGE + "/steps", {"container": "", "index": "0", "kind": "task"}),
             (PAGE + "/steps/legal", {"_changed": "s.title.en", "s.title.en": "x"}),
             (PAGE + "/steps/legal/move", {"direction": "down"}), (PAGE + "/steps/legal/copy", {}),
             (PAGE + "/steps/legal/delete", {}), (PAGE + "/steps/major/branches", {}),
             (PAGE + "/steps/major/branches/0/move", {"direction": "right"}),
             (PAGE + "/steps/major/branches/0/delete", {}), (PAGE + "/undo", {}), (PAGE + "/redo", {}),
             (PAGE + "/publish", {"note": "x"}), (PAGE + "/discard", {})]
    for url, data in posts:
        assert web.post(url, data={"csrf_token": token, **data}, headers=HX).status_code == 403, url


def test_an_edit_without_a_csrf_token_is_refused(app, web, csrf):
    before = flow(app)
    assert web.post(PAGE + "/steps", data={"container": "", "index": "0", "kind": "task"}, headers=HX).status_code == 403
    assert flow(app) == before


def test_designers_see_the_nav_link_and_every_process(web, csrf):
    assert elements(web.get("/", headers=EN).text)["nav-flows"]["href"] == "/designer/flows"
    post(web, csrf, "/steps", container="", index="0", kind="branch")  # a draft with a problem
    r = web.get("/designer/flows", headers=EN)
    assert r.status_code == 200 and r.template.name == "designer/flows.html"
    rows = {f["key"]: f for f in r.context["flows"]}
    assert (rows[KEY]["version"], rows[KEY]["draft"], rows[KEY]["problems"]) == (1, True, 1)
    assert (rows["expense"]["draft"], rows["expense"]["problems"]) == (False, 0)
    assert elements(r.text)["problems-count-contract"]["tag"] == "span"
    assert "new-flow" in elements(r.text) and elements(r.text)["import-flow"]["href"] == "/designer/flows/import"


# ---------------------------------------------------------------- new process


def test_a_new_process_chooses_its_form_from_the_published_forms(app, web, csrf):
    r = web.get("/designer/flows/new", headers=EN)
    assert r.template.name == "designer/flow_new.html"
    assert ("contract-approval", "Contract approval form") in r.context["forms"]
    r = web.get("/designer/flows/new", params={"title_en": "Purchase request"}, headers=HX)
    assert r.context["suggested"] == "purchase-request"
    r = web.post("/designer/flows/new", data={"csrf_token": csrf, "title_zh": "采购申请", "title_en": "Purchase request",
                                              "form_key": "contract-approval"}, headers=HX)
    assert r.headers["HX-Redirect"] == "/designer/flows/purchase-request"
    made = flow(app, "purchase-request")
    assert made["form"] == "contract-approval" and made["title"] == {"zh_CN": "采购申请", "en": "Purchase request"}
    assert [(s["kind"], s["assignee"]) for s in made["steps"]] == [("approval", {"kind": "dept_head", "levels": 1})]


@pytest.mark.parametrize(("data", "where"), [
    ({"title_en": " ", "form_key": "contract-approval"}, "title"),
    ({"title_en": "X", "form_key": ""}, "form"), ({"title_en": "X", "form_key": "no-such-form"}, "form"),
    ({"title_en": "X", "form_key": "contract-approval", "key": "Bad Key"}, "key"),
    ({"title_en": "X", "form_key": "contract-approval", "key": KEY}, "key")])
def test_a_new_process_is_refused_with_the_reason_on_its_input(app, web, csrf, data, where):
    before = app.state.flow_authoring.summaries(admin(app))
    r = web.post("/designer/flows/new", data={"csrf_token": csrf, **data}, headers=HX)
    assert r.status_code == 422 and r.template.name == "designer/flow_new.html"
    assert list(r.context["errors"]) == [where]
    assert app.state.flow_authoring.summaries(admin(app)) == before


# ---------------------------------------------------------------- the page


def test_the_tree_reads_start_steps_branches_and_end(web, csrf):
    r = web.get(PAGE + "?step=major", headers=EN)
    assert r.status_code == 200 and r.template.name == TEMPLATE
    tree = r.context["tree"]
    assert [c.id for c in tree.cards] == ["dept_head", "legal", "finance", "vp", "major", "sign"]
    head, legal, major = tree.cards[0], tree.cards[1], tree.cards[4]
    assert (head.title, head.who, head.limit) == ("Department head review", "head of the submitter's department",
                                                  "2 working days")
    assert (legal.who, legal.kind_name) == ("Legal", "Approval")
    assert major.detail == "decided by ruleset “Major contract”"
    assert [(lane.heading, lane.case) for lane in major.lanes] == [("priority 1", "Contract grade is major"),
                                                                  ("otherwise", "when no branch applies")]
    assert [c.id for c in major.lanes[0].cards] == ["gm"]
    assert r.context["selected"] == "major" and r.context["panel"].kind == "branch"
    assert tree.problems == [] and r.context["blocking"] == 0
    page = elements(r.text)
    for id_ in ("step-start", "step-end", "step-legal", "select-legal", "up-legal", "down-legal", "copy-legal",
                "delete-legal", "insert-root-0", "insert-root-0-approval", "insert-root-6-subflow",
                "insert-major--b0-1-task", "insert-major--else-0-notify", "add-branch-major", "branch-left-major-0",
                "branch-right-major-0", "branch-delete-major-0", "move-to", "problems", "publish-button",
                "flow-properties-link", "flow-download"):
        assert id_ in page, id_
    assert "disabled" in page["up-dept_head"] and "disabled" in page["down-sign"]
    assert "disabled" in page["branch-delete-major-0"]  # the only branch stays
    assert page["delete-legal"]["hx-confirm"] == "Delete “Legal review”?"
    assert page["copy-legal"]["aria-label"] == "Copy “Legal review”"
    assert "disabled" not in page["publish-button"]


def test_selecting_a_step_through_htmx_answers_the_workspace_and_an_unknown_step_selects_none(web, csrf):
    r = web.get(PAGE + "?step=legal", headers=HX)
    assert r.status_code == 200 and r.context["panel"].id == "legal"
    assert "workspace" in elements(r.text) and "publish" not in elements(r.text)
    r = web.get(PAGE + "?step=nope", headers=EN)
    assert r.context["selected"] == "" and r.context["panel"] is None
    assert web.get("/designer/flows/nope", headers=EN).status_code == 404


def test_the_page_reads_in_chinese(web, csrf):
    r = web.get(PAGE + "?step=legal", headers={"Accept-Language": "zh-CN"})
    tree = r.context["tree"]
    assert tree.cards[0].who == "发起人的直属主管" and tree.cards[0].limit == "2 个工作日"
    assert tree.cards[4].lanes[0].heading == "优先级 1" and tree.cards[4].lanes[1].heading == "其他情况"
    assert "由谁处理" in r.text


# ---------------------------------------------------------------- the tree's edits


@pytest.mark.parametrize("kind", ["approval", "task", "notify", "branch", "parallel", "subflow"])
def test_insert_every_kind_between_two_steps(app, web, csrf, kind):
    r = post(web, csrf, "/steps", container="", index="1", kind=kind, selected="legal")
    assert r.status_code == 200 and r.template.name == TEMPLATE
    assert r.headers["HX-Trigger"] == "flow-draft-changed"
    assert r.headers["HX-Replace-Url"] == f"{PAGE}?step={kind}"  # the address follows the new selection
    stored = flow(app)
    assert ids(stored)[:3] == ["dept_head", kind, "legal"]
    assert r.context["selected"] == kind and r.context["panel"].kind == kind
    assert r.context["draft"].can_undo


def test_insert_into_a_branch_and_without_javascript(app, web, csrf):
    r = post(web, csrf, "/steps", hx=False, container="major/else", index="0", kind="approval")
    assert r.status_code == 303 and r.headers["location"] == PAGE + "?step=approval"
    assert ids(flow(app), "major/else") == ["approval"]


def test_move_up_down_into_another_branch_and_to_the_end_of_a_place(app, web, csrf):
    r = post(web, csrf, "/steps/vp/move", direction="up", selected="legal")
    assert r.status_code == 200 and r.context["selected"] == "legal"
    assert ids(flow(app))[:4] == ["dept_head", "legal", "vp", "finance"]
    post(web, csrf, "/steps/vp/move", direction="down", selected="vp")
    assert ids(flow(app))[:4] == ["dept_head", "legal", "finance", "vp"]
    post(web, csrf, "/steps/vp/move", container="major/b0", index="0", selected="vp")  # a drop
    assert ids(flow(app), "major/b0") == ["vp", "gm"]
    r = post(web, csrf, "/steps/legal/move", container="major/else", selected="legal")  # the panel's "move to"
    assert ids(flow(app), "major/else") == ["legal"] and r.context["panel"].container == "major/else"


def test_a_step_cannot_move_into_itself_and_nothing_changes(app, web, csrf):
    before = flow(app)
    r = post(web, csrf, "/steps/major/move", container="major/b0", index="0", selected="major")
    assert r.status_code == 422 and r.template.name == TEMPLATE
    assert r.context["refused"].messages == ["a step cannot move into itself"]
    assert "edit-refused" in elements(r.text)
    assert flow(app) == before


def test_copy_and_delete_steps(app, web, csrf):
    r = post(web, csrf, "/steps/major/copy", selected="legal")
    assert r.context["selected"] == "major_2"
    stored = flow(app)
    assert ids(stored)[4:6] == ["major", "major_2"] and ids(stored, "major_2/b0") == ["gm_2"]
    r = post(web, csrf, "/steps/major_2/delete", selected="gm_2")
    assert "major_2" not in step_ids(flow(app)) and r.context["selected"] == "major"  # its neighbour
    r = post(web, csrf, "/steps/finance/delete", selected="legal")
    assert "finance" not in step_ids(flow(app)) and r.context["selected"] == "legal"  # the selection stays


def test_branches_added_moved_and_deleted_but_one_always_stays(app, web, csrf):
    r = post(web, csrf, "/steps/major/branches", selected="major")
    stored = step(flow(app), "major")
    assert len(stored["branches"]) == 2 and stored["else"] == []
    assert [lane.heading for lane in r.context["tree"].by_id["major"].lanes] == ["priority 1", "priority 2", "otherwise"]
    post(web, csrf, "/steps/major/branches/0/move", direction="right", selected="major")
    assert ids(flow(app), "major/b1") == ["gm"] and ids(flow(app), "major/b0") == []
    post(web, csrf, "/steps/major/branches/1/move", direction="left", selected="major")
    assert ids(flow(app), "major/b0") == ["gm"]
    post(web, csrf, "/steps/major/branches/0/delete", selected="gm")
    assert len(step(flow(app), "major")["branches"]) == 1 and "gm" not in step_ids(flow(app))
    before = flow(app)
    r = post(web, csrf, "/steps/major/branches/0/delete", selected="major")
    assert r.status_code == 422 and "at least one branch" in r.context["refused"].messages[0]
    assert flow(app) == before


def test_lanes_of_a_parallel_step(app, web, csrf):
    post(web, csrf, "/steps", container="", index="1", kind="parallel")
    r = post(web, csrf, "/steps/parallel/branches", selected="parallel")
    assert len(step(flow(app), "parallel")["branches"]) == 3
    assert [lane.heading for lane in r.context["tree"].by_id["parallel"].lanes] == ["Lane 1", "Lane 2", "Lane 3"]
    assert "add-lane-parallel" in elements(r.text) and "lane-delete-parallel-2" in elements(r.text)
    post(web, csrf, "/steps/parallel/branches/0/delete", selected="parallel")
    before = flow(app)
    r = post(web, csrf, "/steps/parallel/branches/0/delete", selected="parallel")
    assert r.status_code == 422 and flow(app) == before


def test_undo_and_redo(app, web, csrf):
    post(web, csrf, "/steps/legal/delete", selected="legal")
    r = post(web, csrf, "/undo", selected="finance")
    assert r.status_code == 200 and "legal" in step_ids(flow(app)) and r.context["draft"].can_redo
    post(web, csrf, "/redo")
    assert "legal" not in step_ids(flow(app))
    assert post(web, csrf, "/redo").status_code == 409


# ---------------------------------------------------------------- the panel


def test_panel_name_assignee_mode_time_limit_and_field_permissions(app, web, csrf):
    def change(name: str, value: str, selected: str = "legal"):
        return post(web, csrf, f"/steps/{selected}", _changed=name, **{name: value})

    r = change("s.title.en", "Lawyers")
    assert r.status_code == 200 and step(flow(app), "legal")["title"]["en"] == "Lawyers"
    assert r.context["tree"].by_id["legal"].title == "Lawyers"
    change("s.assignee.kind", "dept_heads")
    change("s.assignee.levels", "3")
    assert step(flow(app), "legal")["assignee"] == {"kind": "dept_heads", "levels": 3}
    change("s.assignee.kind", "role")
    r = change("s.assignee.role", "finance")
    change("s.mode", "all")
    r = change("s.deadline.amount", "4")
    change("s.deadline.unit", "hours")
    r = change("s.fields.amount", "editable")
    stored = step(flow(app), "legal")
    assert stored["assignee"] == {"kind": "role", "role": "finance"} and stored["mode"] == "all"
    assert stored["deadline"] == {"amount": 4, "unit": "hours"} and stored["fields"] == {"amount": "editable"}
    card = r.context["tree"].by_id["legal"]
    assert (card.who, card.limit) == ("Finance (all must approve)", "4 working hours, after 2 working days reminds")
    panel = r.context["panel"]
    assert next(p for p in panel.permissions if p.key == "amount").chosen == "editable"
    assert [c.value for c in panel.modes] == ["single", "any", "all", "sequential"]
    change("s.assignee.kind", "user")
    r = change("s.assignee.user", "zhao.min")
    assert step(flow(app), "legal")["assignee"] == {"kind": "user", "user": "zhao.min"}
    assert r.context["tree"].by_id["legal"].who == "Zhao Min" and r.context["panel"].person_name == "Zhao Min"
    assert elements(r.text)["assignee-user"]["hx-get"].startswith("/org/search?kind=user")


def test_an_assignee_chosen_by_the_submitter_among_a_role(app, web, csrf):
    def change(name: str, value: str):
        return post(web, csrf, "/steps/legal", _changed=name, **{name: value})

    r = change("s.assignee.kind", "chosen")
    assert "assignee-multiple" in elements(r.text)
    change("s.assignee.role", "finance")
    r = change("s.assignee.multiple", "on")
    assert step(flow(app), "legal")["assignee"] == {"kind": "chosen", "role": "finance", "multiple": True}
    assert r.context["tree"].by_id["legal"].who == "chosen by the submitter among Finance, one or more"
    assert "checked" in elements(r.text)["assignee-multiple"]
    assert not r.context["tree"].by_id["legal"].problems


def test_a_refused_panel_input_keeps_what_was_typed_and_saves_nothing(app, web, csrf):
    before = flow(app)
    r = post(web, csrf, "/steps/legal", _changed="s.deadline.amount", **{"s.deadline.amount": "soon"})
    assert r.status_code == 422 and r.template.name == TEMPLATE
    assert r.context["refused"].at("s.deadline.amount") == ['must be a whole number from 1 to 1000, got "soon"']
    page = elements(r.text)
    assert page["deadline-amount"]["value"] == "soon" and page["deadline-amount"]["aria-invalid"] == "true"
    assert page["error-deadline-amount"].get("hidden") is None
    assert flow(app) == before


def test_assignee_fields_list_the_forms_person_and_department_fields(app, web, csrf, review):
    def change(name: str, value: str):
        return post(web, csrf, "/steps/dept_head", key=review, _changed=name, **{name: value})

    change("s.assignee.kind", "field")
    r = change("s.assignee.field", "unit")
    assert [c.value for c in r.context["panel"].person_fields] == ["reviewer", "unit"]
    assert r.context["tree"].by_id["dept_head"].who == "the head of the department chosen in “Unit”"
    r = change("s.assignee.field", "reviewer")
    assert r.context["tree"].by_id["dept_head"].who == "the person chosen in “Reviewer”"
    assert step(flow(app, review), "dept_head")["assignee"] == {"kind": "field", "field": "reviewer"}


def test_a_branch_with_conditions_from_the_condition_builder(app, web, csrf, review):
    r = post(web, csrf, "/steps", key=review, container="", index="1", kind="branch")
    assert [p.step for p in r.context["tree"].problems] == ["branch"]  # its branch has no condition yet
    card = r.context["tree"].by_id["branch"]
    assert card.lanes[0].case == "no condition yet" and card.lanes[0].problems and not card.own_problems
    page = elements(r.text)  # shown on the branch's head, counted and referred to by the card's mark
    assert page["warn-branch"]["aria-describedby"] == "problems-lane-branch--b0" and "problems-branch" not in page
    r = post(web, csrf, "/steps/branch", key=review, _op="w0:add-group")
    assert r.status_code == 200 and "when" not in step(flow(app, review), "branch")["branches"][0]
    assert [p.step for p in r.context["tree"].problems] == ["branch"]  # still no condition: nobody chose one
    cf = r.context["panel"].branches[0].builder  # shown as posted: a first clause, nothing chosen yet
    assert isinstance(cf, ConditionForm) and [(c.subject, c.op, c.pending) for c in cf.groups[0].clauses] == [
        ("", "", True)]
    page = elements(r.text)
    assert "w0-g0-c0-subject" in page and "w0-g0-c0-pending" in page and "error-w0" not in page
    data = {"w0-mode": "builder", "w0-join": "and", "w0-g0-join": "and", "w0-g0-c0-subject": "amount",
            "w0-g0-c0-was": "amount", "w0-g0-c0-op": "$gte", "w0-g0-c0-value": "5000"}
    r = web.post(f"/designer/flows/{review}/steps/branch", data={"csrf_token": csrf, **data},
                 headers={**HX, "HX-Source": "input#w0-g0-c0-value"})
    assert r.status_code == 200
    assert step(flow(app, review), "branch")["branches"][0]["when"] == {"$gte": {"amount": 5000}}
    lane = r.context["tree"].by_id["branch"].lanes[0]
    assert (lane.heading, lane.case) == ("priority 1", "Amount ≥ 5,000")
    # Smaller amounts take no branch and go straight on: the department head decided them before.
    assert r.context["tree"].problems == []
    r = post(web, csrf, "/steps/dept_head/delete", key=review, selected="branch")
    assert [p.step for p in r.context["tree"].problems] == ["branch"]  # now nobody would decide them
    assert "takes no branch" in r.context["tree"].by_id["branch"].problems[0]
    r = post(web, csrf, "/steps", key=review, container="branch/else", index="0", kind="approval")
    assert r.context["tree"].problems == []


def builder_post(web, csrf: str, key: str, source: str, **data: str):
    """A post from one control of branch 0's condition builder, as htmx sends it."""
    return web.post(f"/designer/flows/{key}/steps/branch", data={"csrf_token": csrf, **data},
                    headers={**HX, "HX-Source": source})


CLAUSE = {"w0-mode": "builder", "w0-join": "and", "w0-g0-join": "and"}


def test_a_new_clause_counts_only_once_its_field_and_operator_are_chosen(app, web, csrf, review):
    post(web, csrf, "/steps", key=review, container="", index="1", kind="branch")
    r = builder_post(web, csrf, review, "select#w0-g0-c0-subject", **CLAUSE, **{
        "w0-g0-c0-subject": "unit", "w0-g0-c0-was": "", "w0-g0-c0-op": ""})  # the field picked, nothing else
    assert r.status_code == 200 and "when" not in step(flow(app, review), "branch")["branches"][0]
    (clause,) = r.context["panel"].branches[0].builder.groups[0].clauses
    assert (clause.subject, clause.op, clause.pending) == ("unit", "", True)
    assert elements(r.text)["w0-g0-c0-op"]["aria-describedby"] == "w0-g0-c0-pending"
    assert [p.step for p in r.context["tree"].problems] == ["branch"]
    r = builder_post(web, csrf, review, "select#w0-g0-c0-op", **CLAUSE, **{
        "w0-g0-c0-subject": "unit", "w0-g0-c0-was": "unit", "w0-g0-c0-op": "$ex"})  # now it says something
    assert r.status_code == 200 and step(flow(app, review), "branch")["branches"][0]["when"] == {"$ex": {"unit": 1}}


def test_a_half_finished_clause_stays_as_typed_while_the_rest_of_the_panel_saves(app, web, csrf, review):
    post(web, csrf, "/steps", key=review, container="", index="1", kind="branch")
    half = {**CLAUSE, "w0-g0-c0-subject": "amount", "w0-g0-c0-was": "amount", "w0-g0-c0-op": "$gt",
            "w0-g0-c0-value": ""}
    r = builder_post(web, csrf, review, "select#w0-g0-c0-op", **half)
    assert r.status_code == 422 and "when" not in step(flow(app, review), "branch")["branches"][0]
    r = builder_post(web, csrf, review, "input#branch-0-label-en", **half, _changed="b.0.label.en",
                     **{"b.0.label.en": "Large"})  # the panel's form posts the builder with it
    assert r.status_code == 200 and step(flow(app, review), "branch")["branches"][0]["label"]["en"] == "Large"
    assert "when" not in step(flow(app, review), "branch")["branches"][0]  # not saved, and not lost:
    (clause,) = r.context["panel"].branches[0].builder.groups[0].clauses
    assert (clause.subject, clause.op, clause.value, clause.problem) == ("amount", "$gt", "", "Enter a value.")
    assert elements(r.text)["w0-g0-c0-value"]["aria-invalid"] == "true"


def test_an_unfinished_condition_is_refused_on_its_clause(app, web, csrf, review):
    post(web, csrf, "/steps", key=review, container="", index="1", kind="branch")
    before = flow(app, review)
    data = {"w0-mode": "builder", "w0-join": "and", "w0-g0-join": "and", "w0-g0-c0-subject": "amount",
            "w0-g0-c0-was": "amount", "w0-g0-c0-op": "$gte", "w0-g0-c0-value": "lots"}
    r = web.post(f"/designer/flows/{review}/steps/branch", data={"csrf_token": csrf, **data},
                 headers={**HX, "HX-Source": "input#w0-g0-c0-value"})
    assert r.status_code == 422 and flow(app, review) == before
    assert r.context["panel"].branches[0].builder.groups[0].clauses[0].problem
    assert r.context["refused"].messages == ["Finish or correct the marked condition."]


def test_a_branch_decided_by_a_ruleset_picks_each_outcome_from_its_values(app, web, csrf):
    r = post(web, csrf, "/steps/major/branches", selected="major")
    panel = r.context["panel"]
    grade = next(o for o in panel.ruleset.outputs if o.key == "grade")
    assert [v.label for v in grade.values] == ["ordinary", "major"]
    assert grade.label == "Contract grade"  # by its label, never its key
    r = post(web, csrf, "/steps/major", _changed="b.1.outcome.grade", **{"b.1.outcome.grade": '"ordinary"'})
    assert step(flow(app), "major")["branches"][1]["outcome"] == {"grade": "ordinary"}
    assert r.context["tree"].by_id["major"].lanes[1].case == "Contract grade is ordinary"
    r = post(web, csrf, "/steps/major", _changed="b.1.label.en", **{"b.1.label.en": "Ordinary"})
    assert step(flow(app), "major")["branches"][1]["label"]["en"] == "Ordinary"
    r = post(web, csrf, "/steps/major", _changed="s.ruleset", **{"s.ruleset": ""})  # decided by conditions now
    stored = flow(app)
    assert "ruleset" not in step(stored, "major") and "rulesets" not in stored
    assert all("outcome" not in b for b in step(stored, "major")["branches"])
    assert r.context["panel"].branches[0].builder is not None


def test_a_sub_process_step_chooses_a_published_process_and_maps_its_inputs(app, web, csrf):
    post(web, csrf, "/steps", container="", index="6", kind="subflow")
    r = web.get(PAGE + "?step=subflow", headers=EN)
    assert "expense" in [c.value for c in r.context["panel"].processes]
    assert KEY not in [c.value for c in r.context["panel"].processes]
    assert r.context["tree"].by_id["subflow"].detail == "no process chosen yet"
    r = post(web, csrf, "/steps/subflow", _changed="s.process", **{"s.process": "expense"})
    assert [i.key for i in r.context["panel"].inputs][:2] == ["category", "items"]
    r = post(web, csrf, "/steps/subflow", _changed="s.inputs.reason", **{"s.inputs.reason": "summary"})
    assert step(flow(app), "subflow")["inputs"] == {"reason": "summary"}
    assert r.context["tree"].by_id["subflow"].detail == "starts “Expense reimbursement”"


def test_a_plain_post_of_the_panel_applies_every_input(app, web, csrf):
    r = post(web, csrf, "/steps/legal", hx=False, **{"s.title.zh_CN": "法务", "s.title.en": "Legal", "s.assignee.kind": "role",
                                                    "s.assignee.role": "gm", "s.mode": "single", "s.deadline.amount": "",
                                                    "s.deadline.unit": "days"})
    assert r.status_code == 303 and r.headers["location"] == PAGE + "?step=legal"
    stored = step(flow(app), "legal")
    assert stored["title"] == {"zh_CN": "法务", "en": "Legal"} and stored["assignee"] == {"kind": "role", "role": "gm"}
    assert "deadline" not in stored


# ---------------------------------------------------------------- problems and publishing


def test_a_problem_shows_on_its_card_and_in_the_list_and_blocks_publishing(app, web, csrf):
    r = post(web, csrf, "/steps/legal", _changed="s.assignee.role", **{"s.assignee.role": ""})
    assert r.status_code == 200  # saved: the designer shows what is still wrong
    card = r.context["tree"].by_id["legal"]
    assert card.problems and card.who == "no role chosen yet"
    listed = r.context["tree"].problems
    assert [p.step for p in listed] == ["legal"] and listed[0].step_title == "Legal review"
    page = elements(r.text)
    assert page["warn-legal"]["aria-describedby"] == "problems-legal"
    assert page["problem-1"]["hx-get"] == PAGE + "?step=legal"
    panel = web.get(PAGE + "/publish", headers=HX)
    assert panel.context["blocking"] == 1 and "disabled" in elements(panel.text)["publish-button"]
    refused = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": "try"}, headers=HX)
    assert refused.status_code == 422 and refused.context["publish"]["refusals"]
    post(web, csrf, "/steps/legal", _changed="s.assignee.role", **{"s.assignee.role": "legal"})
    fixed = web.get(PAGE + "/publish", headers=HX)
    assert fixed.context["blocking"] == 0 and "disabled" not in elements(fixed.text)["publish-button"]


def test_publishing_needs_a_note_then_freezes_the_draft(app, web, csrf):
    post(web, csrf, "/steps/legal", _changed="s.deadline.amount", **{"s.deadline.amount": "5"})
    r = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": " "}, headers=HX)
    assert r.status_code == 422 and r.context["publish"]["note_error"]
    r = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": "Legal gets a week"}, headers=HX)
    assert r.headers["HX-Redirect"] == PAGE + "?published=2"
    assert r.status_code == 200
    assert app.state.workflow.definition("flow", KEY).step("legal").deadline.amount == 5
    page = web.get(PAGE + "?published=2", headers=EN)
    assert "published" in elements(page.text) and page.context["draft"].based_on == 2


def test_discarding_the_draft(app, web, csrf):
    post(web, csrf, "/steps/legal/delete")
    r = web.post(PAGE + "/discard", data={"csrf_token": csrf}, headers=HX)
    assert r.headers["HX-Redirect"] == PAGE and "legal" in step_ids(flow(app))


def test_a_saved_scenario_whose_route_changes_asks_to_confirm_the_new_route(app, web, csrf):
    from tests.runtime.test_demo_processes import contract

    authoring, user = app.state.flow_authoring, admin(app)
    doc = flow(app)
    doc["scenarios"] = [{"name": "Ordinary", "submitter": "liu.yang", "data": contract(),
                         "route": ["dept_head", "legal", "finance", "vp", "major", "sign"]}]
    authoring.save(user, KEY, doc, strict=False)
    authoring.publish(user, KEY, "A scenario")
    post(web, csrf, "/steps/vp/delete")  # the ordinary contract no longer goes to the VP
    r = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": "Without the VP"}, headers=HX)
    assert r.status_code == 422 and r.context["publish"]["routes_changed"]
    assert "confirm-routes" in elements(r.text) and "dept_head → legal → finance → major → sign" in r.text
    r = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": "Without the VP", "confirm_routes": "1"},
                 headers=HX)
    assert r.headers["HX-Redirect"] == PAGE + "?published=3"
    assert app.state.workflow.definition("flow", KEY).scenarios[0].route == ("dept_head", "legal", "finance",
                                                                               "major", "sign")


def test_where_the_owner_approves_changes_publishing_files_the_change_and_the_page_says_so(app, web, csrf):
    authoring, user = app.state.flow_authoring, admin(app)
    doc = flow(app)
    doc["meta"]["change_approval"] = True
    authoring.save(user, KEY, doc, strict=False)
    authoring.publish(user, KEY, "Changes need the owner")
    post(web, csrf, "/steps/legal", _changed="s.deadline.amount", **{"s.deadline.amount": "5"})
    r = web.post(PAGE + "/publish", data={"csrf_token": csrf, "note": "Legal gets a week"}, headers=HX)
    pending = authoring.waiting_change(user, KEY)
    assert pending and r.headers["HX-Redirect"] == f"{PAGE}?pending={pending}"
    page = web.get(PAGE, headers=EN)
    assert elements(page.text)["waiting-change"] and f"/instances/{pending}" in page.text
    assert app.state.workflow.definition("flow", KEY).version == 2  # not before the owner approves

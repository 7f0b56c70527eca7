"""The form designer's service: drafts, undo/redo, publishing with a note, refusals that name
every user of a field, versions with a diff in words, and the default process of a new form."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from runtime import i18n
from runtime.errors import Conflict, DefinitionError, Forbidden, NotFound
from runtime.authoring import MAX_UNDO
from runtime.form_authoring import FormAuthoring
from tests.support import claim

TRIP_FORM = {
    "key": "trip", "version": 1, "title": {"en": "Trip", "zh_CN": "出差"},
    "fields": [
        {"key": "amount", "type": "number", "label": {"en": "Amount", "zh_CN": "金额"}, "required": True},
        {"key": "approver", "type": "text", "label": "Approver"},
        {"key": "dest", "type": "select", "label": "Destination",
         "options": [{"value": "north", "label": "North"}, {"value": "south", "label": "South"}]},
        {"key": "note", "type": "textarea", "label": "Note"},
        {"key": "spare", "type": "text", "label": "Spare"},
    ]}
TRIP_FLOW = {
    "key": "trip", "version": 1, "title": "Trip", "form": "trip", "start_fields": {"dest": "hidden"},
    "steps": [
        {"id": "check", "kind": "approval", "assignee": {"kind": "field", "field": "approver"},
         "fields": {"note": "editable"}},
        {"id": "size", "kind": "branch", "else": [],
         "branches": [{"when": {"$gt": {"amount": 100}},
                       "steps": [{"id": "big", "kind": "approval", "assignee": {"kind": "role", "role": "gm"}}]}]},
    ]}


def user(workflow, name: str):
    return workflow.org.users[name]


@pytest.fixture
def authoring(workflow) -> FormAuthoring:
    return FormAuthoring(workflow)


@pytest.fixture
def admin(workflow):
    return user(workflow, "admin")


@pytest.fixture
def trip(workflow) -> None:
    with workflow.lock:
        workflow.publish_definition("form", TRIP_FORM)
        workflow.publish_definition("flow", TRIP_FLOW)


def edited(authoring, admin, key: str, change) -> dict[str, Any]:
    doc = copy.deepcopy(authoring.draft(admin, key).form)
    change(doc)
    return doc


def field_at(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(f for f in doc["fields"] if f["key"] == key)


def path_of(doc: dict[str, Any], key: str) -> str:
    """The JSON path of a top-level field, wherever the demo form keeps it."""
    return f'fields[{[f["key"] for f in doc["fields"]].index(key)}]'


def without(key: str):
    return lambda doc: doc.__setitem__("fields", [f for f in doc["fields"] if f["key"] != key])


def retyped(key: str, kind: str):
    return lambda doc: field_at(doc, key).__setitem__("type", kind)


def refused(authoring, admin, key: str, change) -> list[tuple[str, str]]:
    authoring.save(admin, key, edited(authoring, admin, key, change))
    with pytest.raises(DefinitionError) as caught:
        authoring.publish(admin, key, "try it")
    return [(p.path, p.message) for p in caught.value.problems]


# --- drafts -------------------------------------------------------------------------------------

def test_only_designers_and_admins_author_forms(workflow, authoring):
    for name in ("zhang.wei", "li.na"):
        with pytest.raises(Forbidden):
            authoring.summaries(user(workflow, name))
        with pytest.raises(Forbidden):
            authoring.draft(user(workflow, name), "expense-claim")
        with pytest.raises(Forbidden):
            authoring.create(user(workflow, name), "leave", "Leave")


def test_summaries_list_every_form_with_its_users_and_draft_only_ones(authoring, admin):
    authoring.create(admin, "leave", "Leave")
    rows = {r["key"]: r for r in authoring.summaries(admin)}
    assert rows["expense-claim"] == {"key": "expense-claim", "title": {"en": "Expense claim", "zh_CN": "费用报销单"},
                                     "version": 1, "draft": False, "used_by": ["expense"]}
    assert rows["leave"] == {"key": "leave", "title": "Leave", "version": None, "draft": True, "used_by": []}


def test_the_draft_starts_as_a_copy_of_the_latest_version(authoring, admin):
    draft = authoring.draft(admin, "expense-claim")
    assert draft.based_on == 1 and draft.form["version"] == 2 and not draft.process
    assert not draft.can_undo and not draft.can_redo
    assert {"category", "items", "items.amount", "total"} <= draft.published_keys
    with pytest.raises(NotFound):
        authoring.draft(admin, "nothing-here")


def test_create_makes_a_blank_draft_and_refuses_taken_or_bad_keys(authoring, admin):
    draft = authoring.create(admin, "leave", {"en": "Leave", "zh_CN": "请假"})
    assert draft.form == {"key": "leave", "version": 1, "title": {"en": "Leave", "zh_CN": "请假"}, "fields": []}
    assert draft.based_on == 0 and draft.process and draft.published_keys == frozenset()
    for taken in ("leave", "expense-claim"):
        with pytest.raises(Conflict, match="exists already"):
            authoring.create(admin, taken, "Again")
    with pytest.raises(Conflict, match='process "expense"'):
        authoring.create(admin, "expense", "Expenses")
    assert authoring.create(admin, "expense", "Expenses form", process=False).process is False
    with pytest.raises(DefinitionError) as bad:
        authoring.create(admin, "Not A Slug", "x")
    assert [p.path for p in bad.value.problems] == ["key"]


def test_an_invalid_save_is_refused_with_paths_and_changes_nothing(authoring, admin):
    before = authoring.draft(admin, "expense-claim")
    broken = edited(authoring, admin, "expense-claim", lambda d: d["fields"].append(
        {"key": "when", "type": "date-ish", "label": "When"}))
    field_at(broken, "category")["options"] = "travel"
    with pytest.raises(DefinitionError) as caught:
        authoring.save(admin, "expense-claim", broken)
    paths = [p.path for p in caught.value.problems]
    assert f"{path_of(broken, 'when')}.type" in paths and f"{path_of(broken, 'category')}.options" in paths
    assert authoring.draft(admin, "expense-claim") == before
    with pytest.raises(DefinitionError, match="the form being edited"):
        authoring.save(admin, "expense-claim", {**before.form, "key": "other"})


def test_save_forces_the_next_version_and_the_same_content_adds_no_undo_step(authoring, admin):
    doc = edited(authoring, admin, "expense-claim", lambda d: d.__setitem__("version", 9))
    saved = authoring.save(admin, "expense-claim", doc)
    assert saved.form["version"] == 2 and not saved.can_undo  # same content as the fresh copy
    changed = authoring.save(admin, "expense-claim", {**doc, "title": "Claims"})
    assert changed.can_undo and changed.form["title"] == "Claims"
    again = authoring.save(admin, "expense-claim", {**doc, "title": "Claims"})
    assert again.can_undo
    assert not authoring.undo(admin, "expense-claim").can_undo  # one step back is the fresh copy


def test_undo_and_redo_walk_the_edits(authoring, admin):
    key = "leave"
    authoring.create(admin, key, "Leave")
    first = {"key": key, "version": 1, "title": "Leave", "fields": [{"key": "days", "type": "number"}]}
    second = {**first, "fields": [*first["fields"], {"key": "why", "type": "textarea"}]}
    authoring.save(admin, key, first)
    authoring.save(admin, key, second)
    back = authoring.undo(admin, key)
    assert back.form["fields"] == first["fields"] and back.can_undo and back.can_redo
    assert authoring.undo(admin, key).form["fields"] == [] and not authoring.draft(admin, key).can_undo
    with pytest.raises(Conflict, match="nothing to undo"):
        authoring.undo(admin, key)
    assert authoring.redo(admin, key).form["fields"] == first["fields"]
    authoring.save(admin, key, {**first, "title": "Time off"})  # a new edit forgets what could be redone
    with pytest.raises(Conflict, match="nothing to redo"):
        authoring.redo(admin, key)


def test_the_undo_stack_is_capped(authoring, admin):
    authoring.create(admin, "leave", "Leave")
    for n in range(MAX_UNDO + 5):
        authoring.save(admin, "leave", {"key": "leave", "version": 1, "title": f"Leave {n}", "fields": []})
    for _ in range(MAX_UNDO):
        authoring.undo(admin, "leave")
    assert authoring.draft(admin, "leave").form["title"] == "Leave 4"
    with pytest.raises(Conflict):
        authoring.undo(admin, "leave")


def test_discard_forgets_the_draft(authoring, admin):
    authoring.save(admin, "expense-claim", edited(authoring, admin, "expense-claim",
                                                  lambda d: d.__setitem__("title", "Claims")))
    authoring.discard(admin, "expense-claim")
    assert authoring.draft(admin, "expense-claim").form["title"] == {"en": "Expense claim", "zh_CN": "费用报销单"}


# --- publishing -----------------------------------------------------------------------------------

def test_publish_needs_a_note_and_a_change(workflow, authoring, admin):
    with pytest.raises(Conflict, match="same as version 1"):
        authoring.publish(admin, "expense-claim", "nothing really")
    authoring.save(admin, "expense-claim", edited(authoring, admin, "expense-claim", lambda d: field_at(
        d, "category")["options"].append({"value": "training", "label": {"en": "Training", "zh_CN": "培训"}})))
    with pytest.raises(DefinitionError) as caught:
        authoring.publish(admin, "expense-claim", "  ")
    assert [p.path for p in caught.value.problems] == ["note"]
    assert authoring.publish(admin, "expense-claim", "training courses are claimed too") == 2
    assert workflow.latest("expense").form.version == 2  # new requests get the new version at once
    assert authoring.draft(admin, "expense-claim").based_on == 2  # the draft is gone
    assert "training" in workflow.definition("form", "expense-claim").field("category").option_values()


def test_a_blank_form_cannot_be_published(authoring, admin):
    authoring.create(admin, "leave", "Leave")
    with pytest.raises(DefinitionError, match="at least one field"):
        authoring.publish(admin, "leave", "first")


def test_versions_say_who_when_why_and_what_changed_in_the_readers_language(authoring, admin):
    doc = edited(authoring, admin, "expense-claim", lambda d: (
        field_at(d, "category")["options"].append({"value": "training", "label": {"en": "Training", "zh_CN": "培训"}}),
        field_at(d, "reason").__setitem__("required", False)))
    authoring.save(admin, "expense-claim", doc)
    authoring.publish(admin, "expense-claim", "training; reason optional")
    token = i18n.current_locale.set("en")
    try:
        versions = authoring.versions(admin, "expense-claim")
    finally:
        i18n.current_locale.reset(token)
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["by"] == "" and versions[0]["diff"] == []  # loaded with the demo
    assert versions[1]["by"] == "admin" and versions[1]["note"] == "training; reason optional" and versions[1]["at"]
    assert versions[1]["diff"] == ['Options of "Category": added "Training"',
                                   'Field "Reason" (reason): no longer required']
    token = i18n.current_locale.set("zh_CN")
    try:
        chinese = authoring.versions(admin, "expense-claim")[1]["diff"]
    finally:
        i18n.current_locale.reset(token)
    assert any("费用类别" in line and "培训" in line for line in chinese)
    assert chinese != versions[1]["diff"]


def test_changing_a_type_is_refused_where_a_branch_condition_needs_it(workflow, authoring, admin, trip):
    problems = refused(authoring, admin, "trip", retyped("amount", "text"))
    assert problems == [("fields[0].type", 'field "amount" cannot change type from number to text: '
                                           "used by process trip, step size (branch condition)")]


def test_an_unused_field_may_change_type_or_go_but_a_used_one_may_not_even_number_to_money(
        workflow, authoring, admin, trip):
    assert refused(authoring, admin, "trip", retyped("amount", "money")) == [
        ("fields[0].type", 'field "amount" cannot change type from number to money: '
                           "used by process trip, step size (branch condition)")]
    authoring.discard(admin, "trip")
    doc = edited(authoring, admin, "trip", lambda d: (retyped("spare", "textarea")(d), without("spare")(d)))
    authoring.save(admin, "trip", doc)
    assert authoring.publish(admin, "trip", "spare field gone") == 2
    doc = edited(authoring, admin, "trip", retyped("dest", "radio"))  # only hidden at the start: still used
    authoring.save(admin, "trip", doc)
    with pytest.raises(DefinitionError, match='"dest" cannot change type from select to radio: used by process trip'):
        authoring.publish(admin, "trip", "radio")


def test_a_select_a_flow_branches_on_cannot_become_text(workflow, authoring, admin):
    form = next(f for f in workflow.processes() if f.key == "document-access").form
    def to_text(doc: dict[str, Any]) -> None:
        field_at(doc, "scope").update(type="text")
        del field_at(doc, "scope")["options"]
    problems = refused(authoring, admin, form, to_text)
    assert len(problems) == 1 and problems[0][0].endswith(".type")
    assert problems[0][1].startswith('field "scope" cannot change type from select to text: used by process '
                                     "document-access, step ")
    assert "(branch condition)" in problems[0][1]


def test_removing_fields_names_the_assignee_the_permission_maps(workflow, authoring, admin, trip):
    def drop(doc):
        for key in ("approver", "note", "dest"):
            without(key)(doc)
    assert sorted(refused(authoring, admin, "trip", drop)) == [
        ("fields", 'field "approver" cannot be removed: used by process trip, step check (assignee field)'),
        ("fields", 'field "dest" cannot be removed: used by process trip (start form permissions)'),
        ("fields", 'field "note" cannot be removed: used by process trip, step check (field permissions)')]
    assert workflow.definition("form", "trip").version == 1


def test_removing_a_ruleset_input_and_a_field_running_requests_hold_is_refused(workflow, authoring, admin):
    started = workflow.start(user(workflow, "zhang.wei"), "expense", claim([120]))
    problems = refused(authoring, admin, "expense-claim", without("total"))
    assert problems == [("fields", f'field "total" cannot be removed: used by ruleset expense-approval-tier; '
                                   f"by a running request: {started.id[:4]}…")]
    authoring.discard(admin, "expense-claim")
    problems = refused(authoring, admin, "expense-claim", retyped("reason", "text"))
    assert problems == [(f"{path_of(authoring.draft(admin, 'expense-claim').form, 'reason')}.type", 'field "reason" cannot change type from textarea to text: '
                                           f"used by a running request: {started.id[:4]}…")]


def test_a_finished_request_does_not_hold_a_field(workflow, authoring, admin):
    started = workflow.start(user(workflow, "zhang.wei"), "expense", claim([120]))
    workflow.withdraw(user(workflow, "zhang.wei"), started.id)
    authoring.save(admin, "expense-claim", edited(authoring, admin, "expense-claim", retyped("reason", "text")))
    assert authoring.publish(admin, "expense-claim", "reason is one line") == 2


def test_usages_say_who_uses_each_field(workflow, authoring, trip):
    used = authoring.usages("trip")
    assert used["amount"] == ["process trip, step size (branch condition)"]
    assert used["approver"] == ["process trip, step check (assignee field)"]
    assert used["dest"] == ["process trip (start form permissions)"]
    assert "spare" not in used
    assert authoring.usages("expense-claim")["total"] == ["ruleset expense-approval-tier"]


# --- the default process -------------------------------------------------------------------------

def test_the_first_publish_files_a_default_process_staff_can_start(workflow, authoring, admin):
    authoring.create(admin, "leave", {"en": "Leave request", "zh_CN": "请假申请"})
    authoring.save(admin, "leave", {"key": "leave", "version": 1, "title": {"en": "Leave request", "zh_CN": "请假申请"},
                                    "fields": [{"key": "days", "type": "number", "label": "Days", "required": True}]})
    assert authoring.publish(admin, "leave", "first version") == 1
    flow = workflow.definition("flow", "leave")
    assert flow.form == "leave" and flow.title == {"en": "Leave request", "zh_CN": "请假申请"}
    instance = workflow.start(user(workflow, "zhang.wei"), "leave", {"days": 2})
    assert instance.form == "leave" and instance.form_version == 1
    assert [t.assignee for t in workflow.open_tasks_of(instance.id)] == ["li.na"]
    assert authoring.summaries(admin)[[r["key"] for r in authoring.summaries(admin)].index("leave")]["used_by"] \
        == ["leave"]


def test_a_form_made_without_a_process_gets_none(workflow, authoring, admin):
    authoring.create(admin, "checklist", "Checklist", process=False)
    authoring.save(admin, "checklist", {"key": "checklist", "version": 1, "title": "Checklist",
                                        "fields": [{"key": "done", "type": "checkbox"}]})
    authoring.publish(admin, "checklist", "first")
    with pytest.raises(NotFound):
        workflow.definition("flow", "checklist")


def test_sub_process_inputs_use_fields_on_both_sides(workflow, authoring, admin, trip):
    parent_form = {"key": "outing", "version": 1, "title": "Outing",
                   "fields": [{"key": "cost", "type": "number"}, {"key": "plan", "type": "text"}]}
    parent_flow = {"key": "outing", "version": 1, "title": "Outing", "form": "outing",
                   "steps": [{"id": "book", "kind": "subflow", "process": "trip", "inputs": {"amount": "cost"}}]}
    with workflow.lock:
        workflow.publish_definition("form", parent_form)
        workflow.publish_definition("flow", parent_flow)
    assert authoring.usages("outing") == {"cost": ["process outing, step book (sub-process inputs)"]}
    assert "process outing, step book (sub-process inputs)" in authoring.usages("trip")["amount"]
    assert refused(authoring, admin, "outing", without("cost")) == [
        ("fields", 'field "cost" cannot be removed: used by process outing, step book (sub-process inputs)')]
    assert refused(authoring, admin, "trip", retyped("amount", "money")) == [
        ("fields[0].type", 'field "amount" cannot change type from number to money: '
                           "used by process trip, step size (branch condition); "
                           "by process outing, step book (sub-process inputs)")]


def test_drafts_and_their_undo_steps_survive_a_restart(tmp_path):
    from runtime.setup import open_workflow
    from runtime.store.repository import FileRepository

    with FileRepository(tmp_path / "data") as repo:
        workflow = open_workflow(repo, demo=True)
        authoring = FormAuthoring(workflow)
        admin = user(workflow, "admin")
        authoring.create(admin, "leave", "Leave")
        authoring.save(admin, "leave", {"key": "leave", "version": 1, "title": "Leave",
                                        "fields": [{"key": "days", "type": "number"}]})
        before = authoring.draft(admin, "leave")
    with FileRepository(tmp_path / "data") as repo:
        workflow = open_workflow(repo, demo=False)
        authoring = FormAuthoring(workflow)
        assert authoring.draft(admin, "leave") == before and before.can_undo and before.process
        assert authoring.undo(admin, "leave").form["fields"] == []


def test_a_request_started_on_the_old_version_keeps_it(workflow, authoring, admin):
    started = workflow.start(user(workflow, "zhang.wei"), "expense", claim([120]))
    authoring.save(admin, "expense-claim", edited(authoring, admin, "expense-claim", lambda d: d["fields"].append(
        {"key": "project", "type": "text", "label": "Project", "required": True})))
    authoring.publish(admin, "expense-claim", "claims name their project")
    assert workflow.pinned(workflow.state.instances[started.id]).form.version == 1
    assert workflow.latest("expense").form.version == 2


def test_a_table_column_is_checked_at_its_own_path(workflow, authoring, admin):
    started = workflow.start(user(workflow, "zhang.wei"), "expense", claim([120]))

    def amount_as_number(doc):
        next(c for c in field_at(doc, "items")["columns"] if c["key"] == "amount")["type"] = "number"
    items = path_of(authoring.draft(admin, "expense-claim").form, "items")
    assert refused(authoring, admin, "expense-claim", amount_as_number) == [
        (f"{items}.columns[2].type", 'field "items.amount" cannot change type from money to number: '
                                      f"used by a running request: {started.id[:4]}…")]


def test_a_new_form_needs_a_title_and_has_no_versions_yet(authoring, admin):
    for blank in ("", " ", {"en": "", "zh_CN": ""}):
        with pytest.raises(DefinitionError) as caught:
            authoring.create(admin, "leave", blank)
        assert [p.path for p in caught.value.problems] == ["title"]
    authoring.create(admin, "leave", "Leave")
    assert authoring.versions(admin, "leave") == []
    with pytest.raises(NotFound):
        authoring.versions(admin, "nothing-here")


def test_check_reports_what_save_would_refuse_and_saves_nothing(authoring, admin):
    draft = authoring.draft(admin, "expense-claim")
    broken = {**draft.form, "fields": [*draft.form["fields"], {"key": "x", "type": "select"}]}
    assert [p.path for p in authoring.check(admin, "expense-claim", broken)] == [f"{path_of(broken, 'x')}.options"]
    assert authoring.check(admin, "expense-claim", draft.form) == []
    assert authoring.draft(admin, "expense-claim") == draft


def test_a_draft_follows_a_version_published_meanwhile(workflow, authoring, admin):
    doc = edited(authoring, admin, "expense-claim", lambda d: d.__setitem__("title", "Claims"))
    authoring.save(admin, "expense-claim", doc)
    bundle = workflow.export("expense")
    field_at(bundle["form"], "reason")["max_length"] = 3000
    workflow.import_bundle(admin, bundle)  # version 2, published around the designer
    saved = authoring.save(admin, "expense-claim", {**doc, "title": "Claims!"})
    assert (saved.based_on, saved.form["version"]) == (2, 3)

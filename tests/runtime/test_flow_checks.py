"""The flow checks that go deeper than the document's shape: each demo process comes out clean,
and each is broken one way at a time to see the one problem it makes, at its path. Every
broken document still passes `validate_flow`, so none of these is a shape problem reported twice."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.flows import step_paths
from builder.forms import Form
from builder.validation import validate_flow
from rules.errors import DefinitionError
from rules.ruleset import Ruleset
from runtime.flow_checks import flow_checks
from runtime.org import Organisation
from runtime.setup import INSTALLER, open_workflow
from runtime.store.repository import MemoryRepository
from tests.runtime.flows import approval, bundle, publish, task
from tests.support import DEMO, reading_in

PROCESSES = ("expense", "contract", "appointment", "order-review", "initiation", "recruitment",
             "document-access")
BUNDLES = {name: json.loads((DEMO / "processes" / f"{name}.json").read_text(encoding="utf-8"))
           for name in PROCESSES}
ORG = json.loads((DEMO / "org.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo():
    return open_workflow(MemoryRepository(), demo=True)


@pytest.fixture
def fresh():
    return open_workflow(MemoryRepository(), demo=True)


def found(workflow: Any, doc: dict[str, Any], *, org: dict[str, Any] | None = None) -> list[Any]:
    """Every problem flow_checks finds in the bundle `doc`, after making sure the document's
    shape is fine (so the problem is not validate_flow's)."""
    organisation = Organisation(org) if org is not None else workflow.org
    form = Form.from_dict(doc["form"])
    rulesets = {r["key"]: Ruleset.from_dict(r) for r in doc["rulesets"]}
    assert validate_flow(doc["flow"], form=form, rulesets=rulesets, roles=set(organisation.roles),
                         users=set(organisation.users)) == []
    return flow_checks(doc["flow"], form=form, rulesets=rulesets, org=organisation, processes=workflow)


def problems(workflow: Any, doc: dict[str, Any], *, org: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(path, English message) of each problem."""
    return [(p.path, str(p.message)) for p in found(workflow, doc, org=org)]


def read_in_chinese(workflow: Any, doc: dict[str, Any], *, org: dict[str, Any] | None = None) -> list[str]:
    """Each problem's message as a reader of Chinese sees it in the designer."""
    with reading_in("zh_CN"):
        return [p.message.localized() for p in found(workflow, doc, org=org)]


def broken(name: str, change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """The demo bundle `name` with one change made to a copy (`change` edits it in place)."""
    doc = copy.deepcopy(BUNDLES[name])
    change(doc)
    return doc


def org_with(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    doc = copy.deepcopy(ORG)
    change(doc)
    return doc


def step(doc: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for _, s in step_paths(doc["flow"]["steps"], "") if s["id"] == step_id)


@pytest.mark.parametrize("name", PROCESSES)
def test_every_demo_process_comes_out_clean(demo, name):
    assert problems(demo, BUNDLES[name]) == []


# ---------------------------------------------------------------- condition branches

def branches(doc: dict[str, Any], step_id: str, *conditions: dict[str, Any], otherwise: list | None = None) -> None:
    target = step(doc, step_id)
    target["branches"] = [{"when": when, "steps": []} for when in conditions]
    if otherwise is not None:
        target["else"] = otherwise


def test_a_branch_whose_cases_earlier_branches_take_is_never_taken_naming_them(demo):
    either = {"$in": {"order_type": ["regular", "non_regular"]}}
    doc = broken("order-review", lambda d: step(d, "order_type")["branches"].append({"when": either, "steps": []}))
    assert problems(demo, doc) == [
        ("steps[0].branches[2].when", "never taken: priorities 1 and 2 take every case it covers first")]
    assert read_in_chinese(demo, doc) == ["不会进入：它涵盖的所有情况都先由优先级 1 和 2 接走"]
    doc = broken("order-review", lambda d: step(d, "order_type")["branches"].insert(0, {"when": either, "steps": []}))
    assert problems(demo, doc) == [
        ("steps[0].branches[1].when", "never taken: priority 1 takes every case it covers first"),
        ("steps[0].branches[2].when", "never taken: priority 1 takes every case it covers first")]


def test_partial_overlaps_are_what_priorities_are_for(demo):
    doc = broken("order-review", lambda d: branches(d, "order_type", {"$gt": {"amount": 1000}}, {"$gt": {"amount": 500}},
                                                    otherwise=[approval("x", "chen.gang")]))
    assert problems(demo, doc) == []


def test_a_condition_that_can_never_hold(demo):
    never = {"$and": [{"$gt": {"amount": 5}}, {"$lt": {"amount": 3}}]}
    doc = broken("order-review", lambda d: step(d, "order_type")["branches"].insert(1, {"when": never, "steps": []}))
    assert problems(demo, doc) == [("steps[0].branches[1].when", "never taken: its condition can never hold")]


NOBODY = ", with no approval before or after this step: such a request would end with nobody having decided it"


def without(step_id: str) -> Callable[[dict[str, Any]], None]:
    def change(doc):
        doc["flow"]["steps"] = [s for s in doc["flow"]["steps"] if s["id"] != step_id]
    return change


def test_cases_no_branch_covers_with_nobody_deciding_them_anywhere(demo):
    def only_external(doc):
        without("dept_head")(doc)
        branches(doc, "external", {"scope": "external"})
    assert problems(demo, broken("document-access", only_external)) == [(
        "steps[0]", f"Scope in Read only, Read and copy extracts takes no branch and 'otherwise' is empty{NOBODY} "
                    "(e.g. Scope = Read only)")]
    assert read_in_chinese(demo, broken("document-access", only_external)) == [
        "查阅范围 属于 仅查阅, 查阅并摘录复制 不进入任何分支，而“其他情况”为空，此步骤前后也没有审批：这样的申请将无人决定就结束（例如 查阅范围 = 仅查阅）"]
    doc = broken("order-review", lambda d: branches(d, "order_type", {"$gte": {"amount": 5000}}))  # tasks only after
    assert problems(demo, doc) == [(
        "steps[0]", f"Order value < 5,000 takes no branch and 'otherwise' is empty{NOBODY} (e.g. Order value = 4,999.99)")]


def test_an_empty_otherwise_after_an_approval_goes_straight_on_as_designed(demo):
    """The department head decided document access before the branch: what no branch covers goes on to
    the archivist, as the demo's own empty "read, copy" branch does."""
    assert problems(demo, broken("document-access", lambda d: branches(d, "external", {"scope": "external"}))) == []


def test_a_long_leave_goes_to_hr_and_a_short_one_straight_on(demo):
    """The new-user review's leave request: the department head approves, a branch sends more than 3
    days to HR, the deputy is copied; with an empty otherwise. Without the department head, a short
    leave would be approved by nobody."""
    doc = leave_request()
    assert problems(demo, doc) == []
    del doc["flow"]["steps"][0]
    assert problems(demo, doc) == [(
        "steps[0]", f"Leave period: days ≤ 3 takes no branch and 'otherwise' is empty{NOBODY} "
        "(e.g. Leave period: days = 3)")]


def test_who_else_decides_on_the_way(demo):
    """An approval after the branch decides too, so does a sub-process or an approval in another lane
    of a parallel step the branch is in; a task, a notification, an approval on some paths only or a
    lane of the same branch do not."""
    def checked(*steps: dict[str, Any]) -> list[str]:
        doc = leave_request()
        doc["flow"]["steps"] = list(steps)
        return [path for path, _ in problems(demo, doc)]

    days = leave_request()["flow"]["steps"][1]
    hr = approval("hr_2", assignee={"kind": "role", "role": "hr"})
    decider = {"id": "check", "kind": "parallel", "title": "Check", "branches": [
        {"steps": [approval("gm", assignee={"kind": "role", "role": "gm"})]}, {"steps": [days]}]}
    assert checked(days, hr) == []
    assert checked({"id": "child", "kind": "subflow", "title": "Child", "process": "expense"}, days) == []
    assert checked(decider) == []
    assert checked(days, task("pay", assignee={"kind": "role", "role": "cashier"})) == ["steps[0]"]
    decider["branches"][0]["steps"] = [task("pay", assignee={"kind": "role", "role": "cashier"})]
    assert checked(decider) == ["steps[0].branches[1].steps[0]"]
    some_paths = {"id": "big", "kind": "branch", "title": "Big", "else": [],
                  "branches": [{"when": {"$gt": {"leave_period.days": 10}}, "steps": [hr]}]}
    assert checked(days, {**some_paths, "else": [approval("gm", assignee={"kind": "role", "role": "gm"})]}) == []
    assert checked(days, some_paths) == ["steps[0]", "steps[1]"]
    some_paths["branches"][0]["steps"] = [days]  # nested in a lane: the outer branch lets short leave through too
    assert checked(some_paths) == ["steps[0]", "steps[0].branches[0].steps[0]"]


def leave_request() -> dict[str, Any]:
    """A bundle: department head approval, more than 3 days → HR, copy to the deputy."""
    def label(en: str) -> dict[str, str]:
        return {"en": en, "zh_CN": en}
    form = {"key": "leave", "version": 1, "title": label("Leave request"), "fields": [
        {"key": "leave_period", "type": "daterange", "label": label("Leave period"), "required": True},
        {"key": "deputy", "type": "user", "label": label("Deputy during leave")}]}
    steps = [approval("dept_head", assignee={"kind": "dept_head", "levels": 1}),
             {"id": "days", "kind": "branch", "title": "Branch", "else": [], "branches": [
                 {"when": {"$gt": {"leave_period.days": 3}}, "label": label("More than 3 days"),
                  "steps": [approval("hr", assignee={"kind": "role", "role": "hr"})]}]},
             {"id": "deputy", "kind": "notify", "title": "Notify the deputy", "assignee": {"kind": "field", "field": "deputy"}}]
    return {"form": form, "rulesets": [], "flow": {"key": "leave", "version": 1, "title": "Leave", "form": "leave",
                                                   "steps": steps}}


def test_a_single_value_between_branches_is_named_exactly(demo):
    doc = broken("order-review", lambda d: branches(d, "order_type", {"$lt": {"amount": 5000}}, {"$gt": {"amount": 5000}}))
    assert problems(demo, doc) == [("steps[0]", f"Order value = 5,000 takes no branch and 'otherwise' is empty{NOBODY}")]


def test_an_otherwise_with_steps_decides_what_no_branch_covers(demo):
    doc = broken("document-access", lambda d: branches(d, "external", {"scope": "external"},
                                                       otherwise=[approval("look", "chen.gang")]))
    assert problems(demo, doc) == []


def test_an_optional_field_left_empty_takes_no_branch(demo):
    named, other = {"project": "Metering"}, {"$ne": {"project": "Metering"}}
    doc = broken("order-review", lambda d: branches(d, "order_type", named, other))
    assert problems(demo, doc) == [(
        "steps[0]", "'Project' is optional: left empty, it takes no branch and 'otherwise' is empty, with no approval "
                    "before or after this step, so the request would end with nobody having decided it")]
    assert read_in_chinese(demo, doc) == [
        "“工程项目”为选填：留空时不进入任何分支，而“其他情况”为空，此步骤前后也没有审批，申请将无人决定就结束"]


def test_conditions_the_lint_cannot_read_exactly_raise_no_alarm(demo):
    by_pattern = {"$mt": {"customer": "State.*"}}
    doc = broken("order-review", lambda d: branches(d, "order_type", by_pattern, {"$gt": {"amount": 10}}))
    assert problems(demo, doc) == []


# ---------------------------------------------------------------- ruleset branches


def test_an_outcome_the_ruleset_never_gives_is_never_taken(demo):
    def no_vp_row(doc):
        doc["rulesets"][0]["rows"] = [r for r in doc["rulesets"][0]["rows"] if r["then"] != {"tier": "vp"}]
    assert problems(demo, broken("expense", no_vp_row)) == [(
        "steps[2].branches[1].outcome",
        'never taken: ruleset "Expense approval tier" never gives Expense approval tier = vp (no row does, nor its default)')]


def test_a_second_branch_on_the_same_outcome_is_never_taken(demo):
    doc = broken("expense", lambda d: step(d, "tier")["branches"].append({"outcome": {"tier": "gm"}, "steps": []}))
    assert problems(demo, doc) == [
        ("steps[2].branches[2].outcome", "never taken: priority 1 takes every case it covers first")]


# ---------------------------------------------------------------- fields


PERSON = {"key": "reviewer", "type": "user", "label": {"en": "Reviewer", "zh_CN": "审核人"}}
TEXT_PERSON = {"key": "reviewer_name", "type": "text", "label": {"en": "Reviewer's name", "zh_CN": "审核人姓名"}}


def chosen_in(field_key: str) -> Callable[[dict[str, Any]], None]:
    def change(doc):
        doc["form"]["fields"] += [PERSON, TEXT_PERSON]
        step(doc, "legal")["assignee"] = {"kind": "field", "field": field_key}
    return change


def test_who_acts_is_chosen_in_a_person_or_department_field(demo):
    assert problems(demo, broken("contract", chosen_in("reviewer"))) == []
    assert problems(demo, broken("contract", chosen_in("reviewer_name"))) == [(
        "steps[1].assignee.field", "'Reviewer's name' is not a Person or Department field: choose who acts in "
                                   "one of those (a text or choice field is accepted in older flows only)")]


def test_a_ruleset_reading_a_field_the_form_no_longer_has(demo):
    doc = broken("contract", lambda d: d["form"].update(fields=[f for f in d["form"]["fields"] if f["key"] != "foreign"]))
    assert problems(demo, doc) == [
        ("rulesets[0]", 'ruleset "contract-major" does not fit this form: unknown form field "foreign"')]


# ---------------------------------------------------------------- the organisation


def nobody_is_legal(org):
    for user in org["users"]:
        user["roles"] = [r for r in user.get("roles", []) if r != "legal"]


def test_a_role_nobody_holds(demo):
    assert problems(demo, BUNDLES["contract"], org=org_with(nobody_is_legal)) == [(
        "steps[1].assignee.role",
        'nobody holds the role "Legal": the step finds nobody, and the no-assignee policy applies')]


def test_a_copy_to_a_role_nobody_holds(demo):
    cc = {"id": "cc", "kind": "notify", "assignee": {"kind": "role", "role": "legal"}}
    doc = broken("expense", lambda d: d["flow"]["steps"].append(cc))
    assert problems(demo, doc, org=org_with(nobody_is_legal)) == [(
        "steps[4].assignee.role",
        'nobody holds the role "Legal": the step finds nobody, and the no-assignee policy applies')]


def test_people_a_ruleset_can_name_must_exist_and_roles_be_held(demo):
    by_amount = {"key": "approver-by-amount", "version": 1, "hit_policy": "first",
                 "inputs": [{"key": "items.amount.sum", "type": "money"}],
                 "outputs": [{"key": "approver", "type": "text"}],
                 "rows": [{"when": {"$gt": {"items.amount.sum": 1000}}, "then": {"approver": "chen.gang"}},
                          {"when": {"$gt": {"items.amount.sum": 500}}, "then": {"approver": "legal"}},
                          {"when": {"$gt": {"items.amount.sum": 100}}, "then": {"approver": "li.xiao"}}],
                 "default": {"approver": "finance"}}

    def named_by_ruleset(doc):
        doc["rulesets"].append(by_amount)
        doc["flow"]["rulesets"].append("approver-by-amount")
        step(doc, "finance")["assignee"] = {"kind": "ruleset", "ruleset": "approver-by-amount", "output": "approver"}
    assert problems(demo, broken("expense", named_by_ruleset), org=org_with(nobody_is_legal)) == [
        ("steps[1].assignee.output", 'ruleset "approver-by-amount" can name the role "Legal", which nobody holds'),
        ("steps[1].assignee.output", 'ruleset "approver-by-amount" can name "li.xiao", who is neither a user nor a role')]


def levels_up(levels: int, kind: str = "dept_head") -> Callable[[dict[str, Any]], None]:
    def change(doc):
        step(doc, "dept_head")["assignee"] = {"kind": kind, "levels": levels}
    return change


TINY_ORG = {
    "roles": [{"key": "admin"}, {"key": "finance"}, {"key": "cashier"}, {"key": "vp"}, {"key": "gm"}],
    "departments": [
        {"key": "group", "name": {"en": "Group", "zh_CN": "集团"}, "head": "boss"},
        {"key": "company", "name": {"en": "Company", "zh_CN": "公司"}, "head": "ceo", "parent": "group"},
        {"key": "sales", "name": {"en": "Sales", "zh_CN": "销售部"}, "head": "seller", "parent": "company"},
        {"key": "finance", "name": {"en": "Finance", "zh_CN": "财务部"}, "head": "counter", "parent": "group"}],
    "users": [{"username": "boss", "department": "group", "roles": ["admin", "gm"]},
              {"username": "ceo", "department": "company", "roles": ["vp"]},
              {"username": "seller", "department": "sales"},
              {"username": "counter", "department": "finance", "roles": ["finance", "cashier"]}]}


def test_a_head_chain_that_runs_past_the_top_lists_the_departments(demo):
    assert problems(demo, broken("expense", levels_up(2))) == [(
        "steps[0].assignee.levels", "the head 2 levels up runs past the top for: General Management; "
                                    "there the no-assignee policy applies")]
    doc = broken("expense", levels_up(3))
    assert problems(demo, doc, org=TINY_ORG) == [(
        "steps[0].assignee.levels", "the head 3 levels up runs past the top for: Group, Company, Finance; "
                                    "there the no-assignee policy applies")]
    assert read_in_chinese(demo, doc, org=TINY_ORG) == [
        "向上第 3 级主管超出了组织顶层：集团, 公司, 财务部；这些部门将按“无人处理”规则处理"]


def test_a_chain_of_heads_up_to_n_levels_is_fine_however_short(demo):
    assert problems(demo, broken("expense", levels_up(5, "dept_heads")), org=TINY_ORG) == []


# ---------------------------------------------------------------- sub-processes

CHILD = {"id": "sub", "kind": "subflow", "title": "Purchase", "process": "purchase",
         "inputs": {"category": "category", "reason": "reason"}}


def with_child(**changes: Any) -> dict[str, Any]:
    return bundle("project", approval("head", "li.na"), {**CHILD, **changes})


def test_a_sub_process_must_be_published(fresh):
    assert problems(fresh, with_child()) == [("steps[1].process", 'no published process "purchase"')]
    assert problems(fresh, with_child(process="project")) == [("steps[1].process", "a process cannot start itself")]


def test_sub_processes_that_start_each_other_would_never_end(fresh):
    publish(fresh, "purchase", approval("buyer", "zhao.min"))
    publish(fresh, "project", {**CHILD, "process": "purchase"})
    looping = bundle("purchase", {**CHILD, "process": "project"})
    assert problems(fresh, looping) == [
        ("steps[0].process", "sub-processes would start each other for ever: purchase → project → purchase")]


def test_inputs_must_be_fields_of_the_childs_form_of_a_fitting_kind(fresh):
    publish(fresh, "purchase", approval("buyer", "zhao.min"))
    assert problems(fresh, with_child()) == []
    assert problems(fresh, with_child(inputs={"budget": "reason", "category": "category"})) == [
        ("steps[1].inputs.budget", 'the form of "purchase" has no field "budget"')]
    assert problems(fresh, with_child(inputs={"items": "reason"})) == [(
        "steps[1].inputs.items", '"items" of "purchase" holds another kind of value than "reason" here '
                                 "(table there, textarea here)")]


def test_the_parent_process_in_the_properties_must_be_another_published_one(demo):
    def parent(key):
        return lambda doc: doc["flow"]["meta"].update(level="sub", parent=key)
    assert problems(demo, broken("order-review", parent("contract"))) == []
    assert problems(demo, broken("order-review", parent("sales"))) == [("meta.parent", 'no published process "sales"')]
    assert problems(demo, broken("order-review", parent("order-review"))) == [
        ("meta.parent", "a process cannot be its own parent")]


def test_importing_still_refuses_sub_processes_that_cannot_run_and_nothing_else(fresh):
    with pytest.raises(DefinitionError, match=r'flow\.steps\[1\]\.process: no published process "purchase"'):
        fresh.import_bundle(INSTALLER, with_child())
    lax = broken("order-review", lambda d: branches(d, "order_type", {"$gte": {"amount": 5000}}))
    fresh.import_bundle(INSTALLER, lax)  # the designer shows what it leaves; an import runs as exported
    assert fresh.flow("order-review").step("order_type").branches[0].when == {"$gte": {"amount": 5000}}


# ---------------------------------------------------------------- whatever the draft holds

JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 10**9) | st.sampled_from(
    ["", "x", "legal", "amount", "purchase", "dept_head", "field", "role", "branch", "subflow"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["kind", "when", "outcome", "levels", "role", "field", "process", "inputs", "steps", "else",
         "branches", "$gt", "$and", "amount", "assignee", "ruleset", "output"]), inner, max_size=3),
    max_leaves=8)


def places(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path into a JSON value, the value itself first."""
    found = [path]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        found += places(inner, (*path, key))
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(PROCESSES), pick=st.integers(0, 10**6), value=JSON)
def test_a_draft_broken_anywhere_is_checked_without_an_error(demo, name, pick, value):
    """The designer checks drafts that validate_flow refuses too: the checks pass over what they
    cannot read instead of failing."""
    doc = copy.deepcopy(BUNDLES[name])
    spots = places(doc["flow"])[1:]
    *parents, last = spots[pick % len(spots)]
    holder = doc["flow"]
    for key in parents:
        holder = holder[key]
    holder[last] = value
    form = Form.from_dict(doc["form"])
    rulesets = {r["key"]: Ruleset.from_dict(r) for r in doc["rulesets"]}
    for problem in flow_checks(doc["flow"], form=form, rulesets=rulesets, org=demo.org, processes=demo):
        assert isinstance(problem.path, str) and str(problem.message)

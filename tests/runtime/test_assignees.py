"""Who a step goes to: chains of heads, a person or department chosen in the form, a ruleset's
outcome; and the flow policies for the submitter being an approver and for nobody fitting."""
from __future__ import annotations

import pytest

from runtime.errors import DefinitionError
from runtime.setup import INSTALLER
from tests.runtime.flows import act, approval, bundle, open_tasks, publish, task
from tests.support import assert_reloads, claim

PAY = task("pay", "sun.li")


def with_fields(doc: dict, *fields: dict) -> dict:
    doc["form"]["fields"] = [*doc["form"]["fields"], *fields]
    return doc


CHOSEN = ({"key": "reviewer", "type": "text", "label": "Reviewer"},
          {"key": "dept", "type": "select", "label": "Department",
           "options": [{"value": "sales", "label": "Sales"}, {"value": "legal", "label": "Legal"}]})


def events_of(wf, instance_id, action):
    return [e for e in wf.state.instances[instance_id].events if e["action"] == action]


def test_continuous_heads_approve_one_after_another_up_to_the_level(workflow):
    publish(workflow, "chain", approval("heads", assignee={"kind": "dept_heads", "levels": 3}), PAY)
    instance = workflow.start(workflow.org.user("zhang.wei"), "chain", claim([100])).id
    order = []
    while (tasks := open_tasks(workflow, instance))[0].step == "heads":
        order.append(tasks[0].assignee)
        act(workflow, tasks[0])
    assert order == ["li.na", "yang.hua"]  # rd head, then the company head; there is no third level
    assert_reloads(workflow)


def test_a_head_filing_starts_the_chain_above_themself(workflow):
    publish(workflow, "chain", approval("heads", assignee={"kind": "dept_heads", "levels": 2}), PAY)
    instance = workflow.start(workflow.org.user("li.na"), "chain", claim([100])).id
    assert [t.assignee for t in open_tasks(workflow, instance)] == ["yang.hua"]


def test_a_user_or_department_chosen_in_a_field(workflow):
    doc = with_fields(bundle("chosen", approval("by_user", assignee={"kind": "field", "field": "reviewer"}),
                             approval("by_dept", assignee={"kind": "field", "field": "dept"}), PAY), *CHOSEN)
    workflow.import_bundle(INSTALLER, doc)
    instance = workflow.start(workflow.org.user("zhang.wei"), "chosen",
                              {**claim([100]), "reviewer": "zhou.jie", "dept": "sales"}).id
    assert [t.assignee for t in open_tasks(workflow, instance)] == ["zhou.jie"]
    act(workflow, open_tasks(workflow, instance)[0])
    assert [t.assignee for t in open_tasks(workflow, instance)] == ["wang.fang"]  # the sales head


def test_a_field_assignee_must_name_a_text_or_select_field(workflow):
    with pytest.raises(DefinitionError, match=r"steps\[0\]\.assignee\.field: unknown field \"nope\""):
        publish(workflow, "bad", approval("a", assignee={"kind": "field", "field": "nope"}))
    with pytest.raises(DefinitionError, match=r'field "total" is a money'):
        publish(workflow, "bad", approval("a", assignee={"kind": "field", "field": "total"}))


RULESET = {"key": "approver-by-amount", "version": 1, "title": "Approver by amount", "hit_policy": "first",
           "inputs": [{"key": "total", "type": "money"}],
           "outputs": [{"key": "approver", "type": "text"}],
           "rows": [{"when": {"$gt": {"total": 1000}}, "then": {"approver": "chen.gang"}}],
           "default": {"approver": "finance"}}


@pytest.mark.parametrize(("lines", "expected"), [([5000], "chen.gang"), ([100], "zhao.min")])
def test_a_ruleset_outcome_names_the_approver_a_user_or_a_role(workflow, lines, expected):
    doc = bundle("ruled", approval("decide", assignee={"kind": "ruleset", "ruleset": "approver-by-amount",
                                                       "output": "approver"}), PAY,
                 rulesets=["approver-by-amount"])
    doc["rulesets"] = [RULESET]
    workflow.import_bundle(INSTALLER, doc)
    instance = workflow.start(workflow.org.user("zhang.wei"), "ruled", claim(lines)).id
    (decide,) = open_tasks(workflow, instance)
    assert decide.assignee == expected
    assert 'ruleset "approver-by-amount" v1' in decide.note


@pytest.mark.parametrize(("policy", "expected"), [("superior", ["yang.hua"]), ("self", ["li.na"]), ("skip", ["pay"])])
def test_the_submitter_among_the_approvers(workflow, policy, expected):
    publish(workflow, "own", approval("head", "li.na"), PAY, policies={"submitter_approver": policy})
    instance = workflow.start(workflow.org.user("li.na"), "own", claim([100])).id
    tasks = open_tasks(workflow, instance)
    assert [t.step if policy == "skip" else t.assignee for t in tasks] == expected
    if policy == "skip":
        assert events_of(workflow, instance, "skip")[0]["step"] == "head"
    assert_reloads(workflow)


@pytest.mark.parametrize("policy", ["admin", "skip", "auto_approve"])
def test_nobody_fits_follows_the_flow_policy_and_is_recorded(workflow, policy):
    nobody = approval("nobody", assignee={"kind": "dept_head", "levels": 3})  # zhang.wei has two levels
    publish(workflow, "empty", nobody, PAY, policies={"no_assignee": policy})
    instance = workflow.start(workflow.org.user("zhang.wei"), "empty", claim([100])).id
    first = open_tasks(workflow, instance)[0]
    if policy == "admin":
        assert (first.step, first.assignee) == ("nobody", "admin")
        assert "routed to the process admin" in first.note
    elif policy == "skip":
        assert first.step == "pay"
        assert "nobody fits" in events_of(workflow, instance, "skip")[0]["reason"]
    else:
        assert first.step == "pay"
        (auto,) = events_of(workflow, instance, "approve")
        assert auto["auto"] and auto["actor"] == "system" and "nobody fits" in auto["comment"]
    assert_reloads(workflow)


def test_an_unknown_policy_is_refused_with_its_path(workflow):
    with pytest.raises(DefinitionError, match=r"policies\.no_assignee: unknown policy \"ask\""):
        publish(workflow, "bad", PAY, policies={"no_assignee": "ask"})


def test_three_steps_in_a_row_for_one_person_need_one_decision(workflow):
    publish(workflow, "rep", approval("s1", "chen.gang"), approval("s2", "chen.gang"), approval("s3", "chen.gang"),
            PAY, policies={"repeat_approver": "auto_approve"})
    instance = workflow.start(workflow.org.user("zhang.wei"), "rep", claim([100])).id
    act(workflow, open_tasks(workflow, instance)[0])
    assert [t.step for t in open_tasks(workflow, instance)] == ["pay"]
    assert [e["step"] for e in events_of(workflow, instance, "approve") if e.get("auto")] == ["s2", "s3"]

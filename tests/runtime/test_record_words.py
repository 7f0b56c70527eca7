"""The record in words a person reads (issue 11 item 4): every condition a rule can hold worded with
labels and option labels, never an empty "because", a rejection's code by its label, what a
resubmission changed, formflow itself named as "the system" in Chinese."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from builder.forms import Form
from runtime.web.timeline import data_changes, describe_condition, describe_events
from tests.runtime.test_demo_processes import Run, contract, initiation
from tests.support import claim, reading_in

FORM = Form.from_dict({"key": "f", "title": "F", "fields": [
    {"key": "level", "type": "select", "label": {"en": "Level", "zh_CN": "职级"},
     "options": [{"value": "manager", "label": {"en": "Manager", "zh_CN": "经理"}},
                 {"value": "director", "label": {"en": "Director", "zh_CN": "总监"}},
                 {"value": "staff", "label": {"en": "Staff", "zh_CN": "员工"}}]},
    {"key": "start", "type": "date", "label": "Start"}, {"key": "end", "type": "date", "label": "End"},
    {"key": "code", "type": "text", "label": "Code"}, {"key": "note", "type": "textarea", "label": "Note"}]})
FIELDS = {f.key: f for f in FORM.fields}


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with reading_in("en"):
        yield


def words(condition: dict[str, Any], inputs: dict[str, Any]) -> str:
    return describe_condition(condition, inputs, FIELDS)


def test_membership_existence_patterns_and_other_fields_read_as_sentences():
    assert words({"$in": {"level": ["manager", "director"]}}, {"level": "manager"}) == \
        "Level is Manager, one of Manager, Director"
    assert words({"$nin": {"level": ["manager"]}}, {"level": "staff"}) == "Level is Staff, none of Manager"
    assert words({"$ex": {"note": 1}}, {}) == "Note is filled in"
    assert words({"$nex": {"note": 1}}, {}) == "Note is empty"
    assert words({"$mt": {"code": "[A-Z]+-[0-9]+"}}, {"code": "AB-1"}) == "Code matches the pattern [A-Z]+-[0-9]+"
    assert words({"$gte": {"end": {"$m": "start"}}}, {"start": "2026-03-02", "end": "2026-03-05"}) == \
        "End 2026-03-05 ≥ Start 2026-03-02"
    with reading_in("zh_CN"):
        assert words({"$in": {"level": ["manager", "director"]}}, {"level": "manager"}) == "职级为经理，属于经理、总监之一"


def test_a_rule_row_names_its_ruleset_by_title_and_a_branch_never_says_an_empty_because(workflow):
    run = Run(workflow, "zhang.wei", "initiation", initiation(nature="investment"))
    run.act("li.na")
    decided = [e for e in describe_events(workflow.state.instances[run.id].events, workflow.pinned(run.instance),
                                          workflow.org) if e.action == "decide"]
    assert [e.detail for e in decided] == [
        "because Nature is Investment, one of Investment, New line of business — Business approval tier v1, row 3"]
    assert not any(e.detail.endswith(("because", "because ")) for e in decided)


def test_a_rejection_shows_its_code_by_label_before_the_reason(workflow):
    run = Run(workflow, "liu.yang", "contract", contract())
    run.act("wang.fang")
    run.act("zhou.jie", "reject", "Governing law clause missing", code="legality")
    events = workflow.state.instances[run.id].events
    (rejected,) = [e for e in describe_events(events, workflow.pinned(run.instance), workflow.org)
                   if e.action == "reject"]
    assert rejected.detail == "Unlawful or non-compliant terms: Governing law clause missing"
    with reading_in("zh_CN"):
        (rejected,) = [e for e in describe_events(events, workflow.pinned(run.instance), workflow.org)
                       if e.action == "reject"]
        assert rejected.detail == "条款不合法或不合规：Governing law clause missing"


def test_a_resubmission_says_what_it_changed_or_that_nothing_changed(workflow):
    run = Run(workflow, "zhang.wei", "expense", claim([300.0]))
    run.send_back("li.na", "submitter", "Which client?")
    zhang = workflow.org.user("zhang.wei")
    workflow.resubmit(zhang, run.id, claim([300.0], reason="Visit to Acme Ltd"))
    run.send_back("li.na", "submitter", "And the date?")
    workflow.resubmit(zhang, run.id, claim([300.0], reason="Visit to Acme Ltd"))
    entries = describe_events(workflow.state.instances[run.id].events, workflow.pinned(run.instance), workflow.org)
    first, second = [e for e in entries if e.action == "resubmit"]
    assert first.changes == ("Reason: Client visit → Visit to Acme Ltd",)
    assert (second.changes, second.detail) == ((), "nothing was changed")


def test_formflow_itself_acts_as_the_system_in_chinese(workflow):
    run = Run(workflow, "zhang.wei", "expense", claim([300.0]))
    with reading_in("zh_CN"):
        entries = describe_events(workflow.state.instances[run.id].events, workflow.pinned(run.instance), workflow.org)
    assert {e.actor for e in entries if e.action == "task"} == {"系统"}


def test_data_changes_lists_each_differing_field_once():
    assert data_changes({"a": 1, "b": 2}, {"b": 3, "c": 4}) == {
        "a": {"from": 1, "to": None}, "b": {"from": 2, "to": 3}, "c": {"from": None, "to": 4}}
    assert data_changes({"a": [1]}, {"a": [1]}) == {}

"""A step's own special cases and rejection rule set through the panel's edits (`set_step` with
`policies.<name>` and `on_reject.<to|resume>`): what is stored, that defaults are not written,
that the input document is never changed, and bad input refused at its JSON path."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from builder import flow_editing as ed
from builder.flow_tree import find
from builder.flows import Flow
from builder.policies import effective_policies
from rules.errors import DefinitionError
from tests.support import DEMO

CONTRACT = json.loads((DEMO / "processes" / "contract.json").read_text(encoding="utf-8"))["flow"]


@pytest.fixture
def contract() -> dict[str, Any]:
    return copy.deepcopy(CONTRACT)


def step(doc: dict[str, Any], step_id: str) -> dict[str, Any]:
    return find(doc, step_id)[1]


def refused(doc: dict[str, Any], step_id: str, changes: dict[str, str]) -> list[tuple[str, str]]:
    before = copy.deepcopy(doc)
    with pytest.raises(DefinitionError) as caught:
        ed.set_step(doc, step_id, changes)
    assert doc == before
    return [(p.path, str(p.message)) for p in caught.value.problems]


def test_a_policy_of_its_own_overrides_the_flow_at_that_step_and_empty_follows_the_process_again(contract):
    doc, selected = ed.set_step(contract, "finance", {"policies.no_assignee": "skip"})
    assert selected == "finance" and step(doc, "finance")["policies"] == {"no_assignee": "skip"}
    assert "policies" not in step(contract, "finance")
    flow = Flow.from_dict(doc)
    finance = next(s for s in flow.steps if s.id == "finance")
    assert effective_policies(flow, finance).no_assignee == "skip"
    assert effective_policies(flow, flow.steps[0]).no_assignee == "admin"
    doc, _ = ed.set_step(doc, "finance", {"policies.submitter_approver": "self"})
    doc, _ = ed.set_step(doc, "finance", {"policies.no_assignee": ""})
    assert step(doc, "finance")["policies"] == {"submitter_approver": "self"}
    doc, _ = ed.set_step(doc, "finance", {"policies.submitter_approver": ""})
    assert "policies" not in step(doc, "finance")


def test_a_policy_that_is_not_one_or_not_the_steps_is_refused_at_its_path(contract):
    assert refused(contract, "legal", {"policies.no_assignee": "shrug"}) == [
        ("steps[1].policies.no_assignee", 'must be one of admin, skip, auto_approve, got "shrug"')]
    assert refused(contract, "legal", {"policies.mood": "calm"}) == [
        ("steps[1].policies.mood", '"mood" is not a policy this approval step can set')]
    assert refused(contract, "sign", {"policies.repeat_approver": "ask"}) == [
        ("steps[5].policies.repeat_approver", '"repeat_approver" is not a policy this task step can set')]
    assert refused(contract, "major", {"policies.no_assignee": "skip"})[0][0] == "steps[4].policies"


def test_a_rejection_goes_back_to_the_submitter_or_an_earlier_step_and_says_where_it_resumes(contract):
    doc, _ = ed.set_step(contract, "finance", {"on_reject.to": "submitter"})
    assert step(doc, "finance")["on_reject"] == {"to": "submitter"}
    doc, _ = ed.set_step(doc, "finance", {"on_reject.resume": "start"})
    assert step(doc, "finance")["on_reject"] == {"to": "submitter", "resume": "start"}
    doc, _ = ed.set_step(doc, "finance", {"on_reject.to": "legal"})
    assert step(doc, "finance")["on_reject"] == {"to": "legal", "resume": "start"}
    doc, _ = ed.set_step(doc, "finance", {"on_reject.resume": "here"})
    assert step(doc, "finance")["on_reject"] == {"to": "legal"}
    doc, _ = ed.set_step(doc, "finance", {"on_reject.resume": "start"})
    doc, _ = ed.set_step(doc, "finance", {"on_reject.to": "end"})  # a return from finance still starts over
    assert step(doc, "finance")["on_reject"] == {"resume": "start"}
    doc, _ = ed.set_step(doc, "finance", {"on_reject.resume": "here"})
    assert "on_reject" not in step(doc, "finance")
    assert Flow.from_dict(doc).to_dict() == Flow.from_dict(contract).to_dict()


def test_a_step_whose_rejection_ends_the_request_still_says_where_its_returns_resume(contract):
    doc, _ = ed.set_step(contract, "legal", {"on_reject.resume": "start"})
    assert step(doc, "legal")["on_reject"] == {"resume": "start"}
    assert Flow.from_dict(doc).step("legal").on_reject.ends


def test_a_rejection_rule_that_cannot_be_is_refused_at_its_path(contract):
    assert refused(contract, "legal", {"on_reject.to": "gm"}) == [
        ("steps[1].on_reject.to", 'must be one of end, submitter, dept_head, got "gm"')]
    doc, _ = ed.set_step(contract, "legal", {"on_reject.to": "submitter"})
    assert refused(doc, "legal", {"on_reject.resume": "later"}) == [
        ("steps[1].on_reject.resume", 'must be one of here, start, got "later"')]
    assert refused(contract, "sign", {"on_reject.to": "submitter"}) == [
        ("steps[5].on_reject.to", '"on_reject.to" cannot be set on a task step')]
    assert refused(contract, "legal", {"on_reject.when": "now"})[0][0] == "steps[1].on_reject.when"


def test_a_plain_post_may_send_the_resume_choice_along_with_the_end(contract):
    doc, _ = ed.set_step(contract, "legal", {"on_reject.to": "end", "on_reject.resume": "here"})
    assert "on_reject" not in step(doc, "legal")

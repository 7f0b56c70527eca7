"""What a rejection does, per approval step (`on_reject`): end the request (the default), or
send it back to the submitter or an earlier step as a return does, the event staying a
rejection; once fixed, straight back to the rejecting step (`resume: here`) or through the flow
again (`start`). The tiny flow: the department head, finance, the VP, then the cashier pays."""
from __future__ import annotations

import pytest

from builder.flows import Flow
from builder.validation import validate_flow
from runtime.state import InstanceStatus, TaskStatus
from runtime.setup import INSTALLER
from tests.runtime.flows import actions, approval, bundle, open_task, publish, task, user
from tests.support import assert_reloads, claim


def steps(**on_reject):
    return (approval("dept_head", assignee={"kind": "dept_head", "levels": 1}),
            approval("finance", assignee={"kind": "role", "role": "finance"}, **on_reject),
            approval("vp", assignee={"kind": "role", "role": "vp"}),
            task("pay", assignee={"kind": "role", "role": "cashier"}))


def at_finance(workflow, **on_reject):
    publish(workflow, "claim", *steps(**on_reject))
    instance = workflow.start(user(workflow, "zhang.wei"), "claim", claim([12000]))
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    return instance


def reject(workflow, instance, reason="Invoice 2 is a copy"):
    rejected = open_task(workflow, instance)
    workflow.act(user(workflow, "zhao.min"), rejected.id, "reject", reason)
    return rejected


def test_by_default_a_rejection_ends_the_request(workflow):
    instance = at_finance(workflow)
    reject(workflow, instance)
    assert workflow.state.instances[instance.id].status is InstanceStatus.REJECTED
    assert actions(workflow, instance.id)[-2:] == ["reject", "finish"]


def test_back_to_the_submitter_then_straight_back_here(workflow):
    instance = at_finance(workflow, on_reject={"to": "submitter"})
    rejected = reject(workflow, instance)
    now = workflow.state.instances[instance.id]
    assert now.status is InstanceStatus.RETURNED and now.resume_at == "finance"
    assert workflow.state.tasks[rejected.id].status is TaskStatus.REJECTED
    last = now.events[-1]
    assert (last["action"], last["to"], last["resume"], last["reason"]) == ("reject", "submitter", "finance",
                                                                             "Invoice 2 is a copy")
    assert "finish" not in actions(workflow, instance.id)
    assert_reloads(workflow)
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([12000]))  # the head saw just this
    assert open_task(workflow, instance).step == "finance"
    workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "approve")
    assert open_task(workflow, instance).step == "vp"
    assert_reloads(workflow)


def test_back_to_the_submitter_then_from_the_first_step(workflow):
    instance = at_finance(workflow, on_reject={"to": "submitter", "resume": "start"})
    reject(workflow, instance)
    assert workflow.state.instances[instance.id].events[-1]["resume"] == "dept_head"
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([8000]))
    assert (open_task(workflow, instance).step, open_task(workflow, instance).assignee) == ("dept_head", "li.na")
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    assert open_task(workflow, instance).step == "finance"
    assert workflow.state.instances[instance.id].resume_at == ""
    assert_reloads(workflow)


def test_back_to_an_earlier_step_then_straight_back_here(workflow):
    instance = at_finance(workflow, on_reject={"to": "dept_head"})
    reject(workflow, instance)
    now = workflow.state.instances[instance.id]
    assert now.status is InstanceStatus.RUNNING and now.resume_at == "finance"
    assert (open_task(workflow, instance).step, open_task(workflow, instance).assignee) == ("dept_head", "li.na")
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    assert open_task(workflow, instance).step == "finance"
    assert_reloads(workflow)


def test_back_to_an_earlier_step_that_starts_over_goes_on_from_there(workflow):
    doc = (approval("a", "li.na"), approval("b", "chen.gang"),
           approval("c", "zhao.min", on_reject={"to": "b", "resume": "start"}), task("pay", "wu.qiang"))
    publish(workflow, "chain", *doc)
    instance = workflow.start(user(workflow, "zhang.wei"), "chain", claim([100]))
    for who in ("li.na", "chen.gang"):
        workflow.act(user(workflow, who), open_task(workflow, instance).id, "approve")
    workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "reject", "Wrong cost centre")
    assert open_task(workflow, instance).step == "b"
    assert workflow.state.instances[instance.id].resume_at == ""
    workflow.act(user(workflow, "chen.gang"), open_task(workflow, instance).id, "approve")
    assert open_task(workflow, instance).step == "c"  # the flow's own order, not a jump
    assert_reloads(workflow)


def test_a_return_from_a_step_that_starts_over_comes_back_through_the_first_step(workflow):
    """`resume` is the step's word on every way it sends a request back: a return (退回) too, even
    when its rejections end the request. The resubmission starts from the first step, so the head
    approves the claim again though nothing she saw changed."""
    instance = at_finance(workflow, on_reject={"resume": "start"})
    returned = open_task(workflow, instance)
    workflow.send_back(user(workflow, "zhao.min"), returned.id, "submitter", "Invoice 2 is a copy")
    assert workflow.state.instances[instance.id].events[-1]["resume"] == "dept_head"
    workflow.resubmit(user(workflow, "zhang.wei"), instance.id, claim([12000]))
    assert (open_task(workflow, instance).step, open_task(workflow, instance).assignee) == ("dept_head", "li.na")
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    assert open_task(workflow, instance).step == "finance"
    assert_reloads(workflow)


def test_a_return_to_an_earlier_step_from_a_step_that_starts_over_goes_on_from_there(workflow):
    doc = (approval("a", "li.na"), approval("b", "chen.gang"),
           approval("c", "zhao.min", on_reject={"resume": "start"}), task("pay", "wu.qiang"))
    publish(workflow, "chain", *doc)
    instance = workflow.start(user(workflow, "zhang.wei"), "chain", claim([100]))
    for who in ("li.na", "chen.gang"):
        workflow.act(user(workflow, who), open_task(workflow, instance).id, "approve")
    workflow.send_back(user(workflow, "zhao.min"), open_task(workflow, instance).id, "a", "Wrong cost centre")
    assert open_task(workflow, instance).step == "a"
    assert workflow.state.instances[instance.id].resume_at == ""
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    assert open_task(workflow, instance).step == "b"  # on through the flow, not straight back to c
    assert_reloads(workflow)


def test_a_return_from_a_step_with_no_rule_comes_straight_back(workflow):
    instance = at_finance(workflow)
    workflow.send_back(user(workflow, "zhao.min"), open_task(workflow, instance).id, "submitter", "Invoice 2")
    assert workflow.state.instances[instance.id].resume_at == "finance"


def test_an_earlier_step_nobody_acted_on_sends_it_to_the_submitter_instead(workflow):
    """Nobody fits the earlier step now (skipped): back to the submitter, and the event says so."""
    doc = (approval("a", assignee={"kind": "field", "field": "reviewer"}), approval("b", "li.na"),
           approval("c", "zhao.min", on_reject={"to": "a"}))
    bundled = bundle("skippy", *doc, policies={"no_assignee": "skip"})
    bundled["form"]["fields"].append({"key": "reviewer", "label": "Reviewer", "type": "user"})
    workflow.import_bundle(INSTALLER, bundled)
    instance = workflow.start(user(workflow, "zhang.wei"), "skippy", claim([100]))  # nobody named: a skipped
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    workflow.act(user(workflow, "zhao.min"), open_task(workflow, instance).id, "reject", "Needs a reviewer")
    last = workflow.state.instances[instance.id].events[-1]
    assert (last["action"], last["to"], last["instead_of"]) == ("reject", "submitter", "a")
    assert workflow.state.instances[instance.id].status is InstanceStatus.RETURNED
    assert_reloads(workflow)


def test_inside_parallel_review_the_whole_review_runs_again(workflow):
    doc = (approval("a", "li.na"),
           {"id": "review", "kind": "parallel", "branches": [
               {"steps": [approval("legal", "chen.gang", on_reject={"to": "a"})]},
               {"steps": [approval("it", "wu.qiang")]}]},
           task("pay", "zhao.min"))
    publish(workflow, "par", *doc)
    instance = workflow.start(user(workflow, "zhang.wei"), "par", claim([100]))
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    legal = next(t for t in (workflow.state.tasks[i] for i in workflow.state.instances[instance.id].task_ids)
                 if t.step == "legal")
    workflow.act(user(workflow, "chen.gang"), legal.id, "reject", "Contract missing")
    assert open_task(workflow, instance).step == "a"  # the IT lane's task closed
    assert workflow.state.instances[instance.id].resume_at == "review"
    workflow.act(user(workflow, "li.na"), open_task(workflow, instance).id, "approve")
    opened = [workflow.state.tasks[i] for i in workflow.state.instances[instance.id].task_ids]
    assert {t.step for t in opened if t.status is TaskStatus.OPEN} == {"legal", "it"}
    assert_reloads(workflow)


def test_round_trip_keeps_on_reject_and_old_documents_unchanged():
    doc = {"key": "k", "version": 1, "title": "K", "form": "f",
           "steps": [approval("a", "li.na"), approval("b", "li.na", on_reject={"to": "a", "resume": "start"})]}
    flow = Flow.from_dict(doc)
    assert flow.to_dict()["steps"][1]["on_reject"] == {"to": "a", "resume": "start"}
    assert "on_reject" not in flow.to_dict()["steps"][0]
    assert Flow.from_dict(flow.to_dict()) == flow


def _problems(*steps_):
    doc = {"key": "k", "version": 1, "title": "K", "form": "f", "steps": list(steps_)}
    return [str(p) for p in validate_flow(doc, form=None, rulesets={}, roles=set(), users={"li.na"})]


@pytest.mark.parametrize("rule, problem", [
    ({"to": "c"}, 'steps[1].on_reject.to: must be "end", "submitter" or an earlier step on the way here (a), got "c"'),
    ({"to": "b"}, 'steps[1].on_reject.to: must be "end", "submitter" or an earlier step on the way here (a), got "b"'),
    ({"to": "a", "resume": "later"}, 'steps[1].on_reject.resume: must be one of here, start, got "later"'),
    ({"resume": "sometime"}, 'steps[1].on_reject.resume: must be one of here, start, got "sometime"'),
    ({"to": "a", "why": 1}, "steps[1].on_reject.why: unknown key"),
])
def test_on_reject_validation_names_the_path(rule, problem):
    assert _problems(approval("a", "li.na"), approval("b", "li.na", on_reject=rule), approval("c", "li.na")) \
        == [problem]


def test_on_reject_cannot_go_into_a_parallel_lane_or_another_branch():
    par = {"id": "p", "kind": "parallel", "branches": [{"steps": [approval("x", "li.na")]},
                                                       {"steps": [approval("y", "li.na")]}]}
    br = {"id": "br", "kind": "branch", "branches": [{"when": {"$eq": {"a": 1}}, "steps": [approval("m", "li.na")]}],
          "else": [approval("n", "li.na", on_reject={"to": "m"})]}
    found = _problems(approval("a", "li.na"), par, approval("z", "li.na", on_reject={"to": "x"}), br)
    assert 'steps[2].on_reject.to: must be "end", "submitter" or an earlier step on the way here (a), got "x"' in found
    assert any(p.startswith('steps[3].else[0].on_reject.to: must be "end", "submitter" or an earlier step on the way '
                            'here (a, z), got "m"') for p in found)

"""A human step's own policies (`policies` on an approval or task) override the flow's for that
step only: nobody fits, the submitter approves, the same approver again. The engine, the
simulator and the green channel read them through one `effective_policies`, so they agree.
Each test declares its tiny flow on the demo's expense form; the cashier pays at the end."""
from __future__ import annotations

import pytest

from builder.flows import Flow
from builder.policies import Policies, effective_policies
from builder.validation import validate_flow
from runtime.simulation import simulate
from tests.runtime.flows import act, approval, open_tasks, publish, task
from tests.support import assert_reloads, claim

PAY = task("pay", assignee={"kind": "role", "role": "cashier"})
NOBODY = {"kind": "dept_head", "levels": 3}  # zhang.wei has two levels of heads


def events_of(wf, instance_id, action):
    return [e for e in wf.state.instances[instance_id].events if e["action"] == action]


def start(wf, key, *steps, submitter="zhang.wei", **flow):
    publish(wf, key, *steps, PAY, **flow)
    return wf.start(wf.org.user(submitter), key, claim([100])).id


def test_a_step_that_sets_nothing_follows_the_flow():
    flow = Flow.from_dict({"key": "k", "version": 1, "title": "K", "form": "f",
                           "policies": {"no_assignee": "skip"}, "steps": [approval("a", "li.na"), PAY]})
    assert effective_policies(flow, flow.step("a")) == Policies(no_assignee="skip")
    assert effective_policies(flow, flow.step("pay")) == Policies(no_assignee="skip")


def test_nobody_fits_skips_the_step_that_says_so_and_only_that_one(workflow):
    instance = start(workflow, "nobody", approval("first", assignee=NOBODY, policies={"no_assignee": "skip"}),
                     approval("second", assignee=NOBODY))  # the flow's: to the process admin
    (skipped,) = events_of(workflow, instance, "skip")
    assert skipped["step"] == "first" and "nobody fits" in skipped["reason"]
    assert [(t.step, t.assignee) for t in open_tasks(workflow, instance)] == [("second", "admin")]
    assert_reloads(workflow)


def test_a_step_may_approve_itself_when_nobody_fits_though_the_flow_skips(workflow):
    instance = start(workflow, "auto", approval("head", assignee=NOBODY, policies={"no_assignee": "auto_approve"}),
                     policies={"no_assignee": "skip"})
    (auto,) = events_of(workflow, instance, "approve")
    assert (auto["step"], auto["auto"], auto["actor"]) == ("head", True, "system")
    assert not events_of(workflow, instance, "skip")
    assert [t.step for t in open_tasks(workflow, instance)] == ["pay"]
    assert_reloads(workflow)


@pytest.mark.parametrize(("own", "expected"), [("self", "li.na"), ("superior", "yang.hua")])
def test_the_submitter_as_approver_follows_the_step(workflow, own, expected):
    """The flow skips the submitter; the step sends it to them, or to their superior."""
    instance = start(workflow, "own", approval("head", "li.na", policies={"submitter_approver": own}),
                     submitter="li.na", policies={"submitter_approver": "skip"})
    assert [(t.step, t.assignee) for t in open_tasks(workflow, instance)] == [("head", expected)]
    assert_reloads(workflow)


def test_a_task_step_has_its_own_submitter_policy_too(workflow):
    instance = start(workflow, "own-task", task("check", "li.na", policies={"submitter_approver": "skip"}),
                     submitter="li.na")
    assert [e["step"] for e in events_of(workflow, instance, "skip")] == ["check"]
    assert [t.step for t in open_tasks(workflow, instance)] == ["pay"]


def test_the_same_approver_again_is_approved_for_them_at_the_step_that_says_so(workflow):
    instance = start(workflow, "again", approval("s1", "chen.gang"),
                     approval("s2", "chen.gang", policies={"repeat_approver": "auto_approve"}),
                     approval("s3", "chen.gang"))  # the flow asks again
    act(workflow, open_tasks(workflow, instance)[0])
    assert [e["step"] for e in events_of(workflow, instance, "approve") if e.get("auto")] == ["s2"]
    assert [t.step for t in open_tasks(workflow, instance)] == ["s3"]
    assert_reloads(workflow)


def test_a_step_may_ask_again_where_the_flow_approves_for_them(workflow):
    instance = start(workflow, "ask", approval("s1", "chen.gang"),
                     approval("s2", "chen.gang", policies={"repeat_approver": "ask"}),
                     policies={"repeat_approver": "auto_approve"})
    act(workflow, open_tasks(workflow, instance)[0])
    assert [t.step for t in open_tasks(workflow, instance)] == ["s2"]


def test_the_simulator_takes_the_same_path_with_the_same_people(workflow):
    instance = start(workflow, "sim", approval("first", assignee=NOBODY, policies={"no_assignee": "skip"}),
          approval("head", "li.na", policies={"submitter_approver": "superior"}),
          approval("again", "yang.hua", policies={"repeat_approver": "auto_approve"}),
          submitter="li.na", policies={"submitter_approver": "skip"})
    simulated = simulate(workflow, workflow.latest("sim"), "li.na", claim([100]))
    assert [(p.step, p.outcome, [who["username"] for who in p.people]) for p in simulated.path] == [
        ("first", "skipped", []), ("head", "", ["yang.hua"]), ("again", "auto-approved", ["yang.hua"]),
        ("pay", "", ["sun.li"])]
    assert [e["step"] for e in events_of(workflow, instance, "skip")] == ["first"]  # as the engine ran it
    assert [(t.step, t.assignee) for t in open_tasks(workflow, instance)] == [("head", "yang.hua")]
    act(workflow, open_tasks(workflow, instance)[0])
    assert [e["step"] for e in events_of(workflow, instance, "approve") if e.get("auto")] == ["again"]


def test_the_green_channel_assigns_its_post_hoc_approvals_by_the_step(workflow):
    publish(workflow, "rush", approval("head", "li.na", policies={"submitter_approver": "self"}), PAY,
            policies={"submitter_approver": "superior"},
            urgent={"allowed": True, "execution": "pay", "deadline": {"amount": 2, "unit": "days"}})
    instance = workflow.start(workflow.org.user("li.na"), "rush", claim([100]), urgent={"reason": "Now"}).id
    tasks = [workflow.state.tasks[t] for t in workflow.state.instances[instance].task_ids]
    assert [(t.step, t.assignee) for t in tasks if t.post_hoc] == [("head", "li.na")]


def test_round_trip_keeps_a_steps_own_policies_only():
    doc = {"key": "k", "version": 1, "title": "K", "form": "f", "steps": [
        approval("a", "li.na", policies={"no_assignee": "skip", "repeat_approver": "auto_approve"}),
        approval("b", "li.na"), task("c", "li.na", policies={"submitter_approver": "self"})]}
    flow = Flow.from_dict(doc)
    steps = flow.to_dict()["steps"]
    assert [s.get("policies") for s in steps] == [{"no_assignee": "skip", "repeat_approver": "auto_approve"},
                                                  None, {"submitter_approver": "self"}]
    assert Flow.from_dict(flow.to_dict()) == flow


def _problems(*steps):
    doc = {"key": "k", "version": 1, "title": "K", "form": "f", "steps": list(steps)}
    return [str(p) for p in validate_flow(doc, form=None, rulesets={}, roles=set(), users={"li.na"})]


@pytest.mark.parametrize(("step", "problem"), [
    (approval("a", "li.na", policies={"no_assignee": "ask"}),
     'steps[1].policies.no_assignee: must be one of admin, skip, auto_approve, got "ask"'),
    (approval("a", "li.na", policies={"submitter_approver": ""}),
     'steps[1].policies.submitter_approver: must be one of superior, skip, self, got ""'),
    (task("a", "li.na", policies={"repeat_approver": "auto_approve"}),
     "steps[1].policies.repeat_approver: only an approval step has a repeat approver policy"),
    (approval("a", "li.na", policies={"anyone": "skip"}), "steps[1].policies.anyone: unknown key"),
    (approval("a", "li.na", policies="skip"), "steps[1].policies: must be an object"),
    ({"id": "cc", "kind": "notify", "title": "CC", "assignee": {"kind": "user", "user": "li.na"},
      "policies": {"no_assignee": "skip"}}, "steps[1].policies: unknown key"),
])
def test_step_policies_are_checked_by_json_path(step, problem):
    assert _problems(approval("first", "li.na"), step) == [problem]

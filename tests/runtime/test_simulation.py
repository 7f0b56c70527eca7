"""The what-if simulator against the engine: for every demo process and data that takes its
different branches, the simulated path is the path a real run takes when every task is approved
as assigned — same steps, same people, in the same order — and the real state is not touched."""
from __future__ import annotations

from typing import Any

import pytest

from builder.deadlines import Duration
from builder.permissions import editable_at_step, not_asked_at_start
from runtime.deadlines import due_stamp
from runtime.errors import ValidationFailed
from runtime.simulation import simulate
from runtime.state import InstanceStatus, TaskStatus
from tests.runtime.flows import approval, publish
from tests.runtime.test_demo_processes import access, appointment, candidate, contract, initiation, order
from tests.runtime.test_step_approval import board  # noqa: F401 (its fixture: a role of three)
from tests.support import claim

GM_ACCEPTS = {"decision": "accept"}  # asked of the GM at that step
SALARY = {"base_salary": "16000", "probation_months": "3"}  # set by HR at its step
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("expense", "zhang.wei", claim([120.0, 80.0])),
    ("expense", "zhang.wei", claim([9000.0, 7000.0])),
    ("contract", "liu.yang", contract()),
    ("contract", "liu.yang", contract(amount="2,000,000")),
    ("appointment", "liu.yang", appointment("supervisor")),
    ("appointment", "liu.yang", appointment("manager")),
    ("document-access", "liu.yang", access("read")),
    ("document-access", "liu.yang", access("external", recipient="Audit firm")),
    ("initiation", "liu.yang", initiation()),
    ("initiation", "liu.yang", initiation(budget="2000000")),
    ("order-review", "liu.yang", order("regular")),
    ("order-review", "liu.yang", order("non_regular", **GM_ACCEPTS)),
    ("recruitment", "liu.yang", candidate(**SALARY)),
]


def real_route(workflow, process: str, submitter: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """(step, assignee) of every task a real run creates, approving each as assigned, with the
    sample's values for the fields a step asks for."""
    later = not_asked_at_start(workflow.latest(process).flow, workflow.latest(process).form)
    instance = workflow.start(workflow.org.user(submitter), process, {k: v for k, v in data.items() if k not in later})
    ids = {instance.id}
    while True:
        open_tasks = [t for t in workflow.state.tasks.values() if t.status is TaskStatus.OPEN
                      and t.instance in ids | {c for i in ids for c in workflow.state.instances[i].children}]
        if not open_tasks:
            break
        task = open_tasks[0]
        ids.add(task.instance)
        defs = workflow.pinned(workflow.state.instances[task.instance])
        edits = {k: data[k] for k in editable_at_step(defs.flow.step(task.step), defs.form) if k in data}
        workflow.act(workflow.org.user(task.assignee), task.id, "approve" if task.kind == "approval" else "complete",
                     data=edits or None)
    return [(e["step"], e["assignee"]) for e in workflow.repo.read_events()
            if e["action"] == "task" and e["instance"] in ids]  # in the order the log recorded them


@pytest.mark.parametrize(("process", "submitter", "data"), CASES,
                         ids=[f"{p}-{i}" for i, (p, _, _) in enumerate(CASES)])
def test_the_simulated_path_is_the_path_the_engine_takes(workflow, process, submitter, data):
    before = (dict(workflow.state.instances), dict(workflow.state.tasks))
    simulated = simulate(workflow, workflow.latest(process), submitter, data)
    assert (dict(workflow.state.instances), dict(workflow.state.tasks)) == before  # nothing real touched
    assert simulated.status == str(InstanceStatus.COMPLETED)
    people = [(p.step, person["username"]) for p in simulated.path for person in p.people
              if p.kind in ("approval", "task")]
    assert people == real_route(workflow, process, submitter, data)


def test_branches_say_why_and_steps_carry_names_and_due_dates(workflow):
    major = simulate(workflow, workflow.latest("contract"), "liu.yang", contract(amount="2,000,000"))
    ordinary = simulate(workflow, workflow.latest("contract"), "liu.yang", contract())
    assert "gm" in major.taken() and "gm" not in ordinary.taken()
    decided = next(p for p in major.path if p.kind == "branch")
    assert decided.outcome == "branch 1" and "contract-major" in decided.because
    head = major.path[0]
    assert head.step == "dept_head" and head.people[0]["name"] and head.due  # 2 working days from now
    as_json = major.to_dict()
    assert as_json["path"][0]["step"] == "dept_head" and "due" in as_json["path"][0]


def test_bad_data_and_an_unknown_submitter_are_refused_by_field(workflow):
    with pytest.raises(ValidationFailed) as refused:
        simulate(workflow, workflow.latest("contract"), "liu.yang", contract(amount="lots"))
    assert "amount" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        simulate(workflow, workflow.latest("contract"), "nobody", contract())
    assert "submitter" in refused.value.errors


# ---------------------------------------------------------------- due dates

NOW = "2026-03-02T01:00:00.000Z"  # a Monday, 09:00 in Shanghai
DAYS = {n: {"amount": n, "unit": "days"} for n in (1, 2, 3)}


def test_each_due_date_counts_from_the_latest_the_step_before_would_be_done(workflow):
    """Not every step from now: the department head has two working days, legal its days after
    those, and so on, on the business calendar; the first is what a real request gets."""
    workflow.engine.now = lambda: NOW
    defs = workflow.latest("contract")
    simulated = simulate(workflow, defs, "liu.yang", contract(amount="2,000,000"))
    since = NOW
    for step in simulated.path:
        assert step.due == due_stamp(workflow.engine.calendar, since, getattr(defs.flow.step(step.step), "deadline", None))
        since = step.due or since
    dues = [step.due for step in simulated.path if step.due]
    assert len(dues) == 6 and dues == sorted(dues) and len(set(dues)) == len(dues)
    real = workflow.start(workflow.org.user("liu.yang"), "contract", contract(amount="2,000,000"))
    assert [t.due for t in workflow.state.tasks.values() if t.instance == real.id] == [simulated.path[0].due]


def test_after_parallel_lanes_and_a_queue_the_count_starts_from_the_last_of_them(board):
    """The step after a parallel step counts from its slowest lane; a step whose people approve one
    after another is due when the last of them would be, each having the step's full time."""
    lanes = {"id": "review", "kind": "parallel", "title": "Review", "branches": [
        {"label": "Quick", "steps": [approval("quick", "zhou.jie", deadline=DAYS[1])]},
        {"label": "Slow", "steps": [approval("slow", "wu.qiang", deadline=DAYS[3])]}]}
    queue = approval("board", title="Board", mode="sequential", assignee={"kind": "role", "role": "board"},
                     deadline=DAYS[1])
    publish(board, "lanes", lanes, approval("gm", "yang.hua", deadline=DAYS[2]), queue)
    board.engine.now = lambda: NOW
    due = {p.step: p.due for p in simulate(board, board.latest("lanes"), "zhang.wei", claim([100])).path}
    calendar = board.engine.calendar

    def after(since: str, days: int) -> str:
        return due_stamp(calendar, since, Duration.from_dict(DAYS[days]))

    assert due["review"] == "" and due["quick"] == after(NOW, 1) and due["slow"] == after(NOW, 3)
    assert due["gm"] == after(due["slow"], 2)
    assert due["board"] == after(after(after(due["gm"], 1), 1), 1)  # three members, one day each

"""The green channel (003 §二(二)3: 特事特办，事后补齐审批手续): urgent starts and post-hoc approvals.

A process whose flow has `urgent.allowed` may be started urgently, with a stated reason. The
request then goes straight to the flow's execution step (a task step on the main path):

* branches on the way are decided as usual, so the record shows which approvals the request
  would have needed, and only those are skipped;
* notify steps on the way still copy people in; task steps on the way are skipped, with a record;
* every approval on the way becomes a **post-hoc task** (`post_hoc: true`), assigned as the step
  would assign it and due within the flow's `urgent.deadline` of working time on the business
  calendar. Post-hoc tasks never block the main path.

A post-hoc task is approved or rejected like any approval (`Engine._settle_post_hoc`). Approval
after the fact cannot undo work already done, so a post-hoc rejection neither rejects nor stops
the request: it is recorded, closes its step's other post-hoc tasks, and flags the instance for
review (`Instance.post_hoc_refused`). The instance is marked (`Instance.post_hoc_open`) until all
its post-hoc tasks are closed, also after the main path has completed; completing, a later
rejection on the main path or a return never cancels them (only a withdrawal does, before anyone
has acted).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from builder.flows import Flow, HumanStep, Join, Step
from runtime import events
from runtime.calendar import BusinessCalendar
from runtime.clock import from_stamp
from runtime.deadlines import due_stamp
from runtime.engine import Definitions, Engine, Event, bounded
from runtime.errors import ValidationFailed
from runtime.i18n import N_
from runtime.org import User
from runtime.state import Instance, Task, TaskStatus
from runtime.steps import HUMAN_STEPS, STEP_HANDLERS

NOT_AN_OBJECT = N_("must be an object with the reason it is urgent")
NOT_ALLOWED = N_("this process does not allow urgent starts")
NO_REASON = N_("say why the request is urgent")


def allows_urgent(flow: Flow) -> bool:
    return flow.urgent is not None and flow.urgent.allowed


def check_urgent(flow: Flow, urgent: Any) -> tuple[str, dict[str, str]]:
    """The stated reason of an urgent start, or the problem with it under the path "urgent"."""
    if not isinstance(urgent, dict):
        return "", {"urgent": NOT_AN_OBJECT}
    if not allows_urgent(flow):
        return "", {"urgent": NOT_ALLOWED}
    reason = urgent.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return "", {"urgent": NO_REASON}
    try:
        return bounded("urgent", reason), {}
    except ValidationFailed as too_long:
        return "", too_long.errors


def urgent_start(engine: Engine, calendar: BusinessCalendar, defs: Definitions, submitter: User,
                 data: dict[str, Any], reason: str, chosen: dict[str, list[str]] | None = None) -> list[Event]:
    """Events of an urgent start (pure, like every engine command): the start, the decisions,
    copies and skips on the way, a post-hoc task per skipped approver, then the execution step.
    Branch and notify steps are entered as on any walk, approvals open their tasks as usual
    (`runtime.steps`); only what becomes of those tasks differs."""
    assert defs.flow.urgent is not None
    at = engine.now()
    started = events.amended(engine.started(defs, submitter, data, at, chosen), urgent={"reason": reason})
    walk = engine.walk(defs, started["instance"], submitter.username, data, at, events=[started])
    due = due_stamp(calendar, at, defs.flow.urgent.deadline)
    execution = defs.flow.step(defs.flow.urgent.execution)
    step: Step | Join | None = defs.flow.steps[0]
    while isinstance(step, Step) and step.id != execution.id:
        if step.kind in ("branch", "notify"):
            step = STEP_HANDLERS[step.kind].enter(walk, step)
            continue
        if step.kind == "approval":
            opened = len(walk.events)
            HUMAN_STEPS["approval"].open(walk, step)
            walk.events[opened:] = [events.amended(e, post_hoc=True, due=due) if e["action"] == "task" else e
                                    for e in walk.events[opened:]]
        elif isinstance(step, HumanStep):
            walk.emit(walk.event("urgent_skip", step=step.id))
        step = defs.flow.successor(step.id)
    walk.go(execution)
    return walk.events


@dataclass(frozen=True)
class PostHocRow:
    """One open post-hoc approval, as the report lists it."""

    task: Task
    instance: Instance
    overdue: bool


def open_post_hoc(tasks: Iterable[Task], instances: dict[str, Instance], now: str) -> list[PostHocRow]:
    """Open post-hoc approvals, overdue first, then by due date (earliest first); ties in the
    order the requests were filed and their steps come."""
    moment = from_stamp(now)
    rows = [PostHocRow(t, instances[t.instance], from_stamp(t.due) < moment)
            for t in tasks if t.post_hoc and t.status is TaskStatus.OPEN]
    return sorted(rows, key=lambda r: (not r.overdue, from_stamp(r.task.due), r.instance.created, r.instance.id,
                                       r.instance.task_ids.index(r.task.id)))

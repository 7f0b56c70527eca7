"""Escalation: what the passing of working time does to open tasks, as events.

`due_escalations` is a pure function of the moment, the state and the definitions: for each open
task it fires every escalation rung whose threshold (working time since the task was created)
has passed and is not yet recorded, and records the deadline passing, each exactly once. The
record is in the events themselves (the task remembers which rungs fired), so running it again,
or replaying the log, never fires anything twice. `Workflow.escalate_due` runs it under the
workflow lock on the scheduler's tick; tests call that with a fake clock instead of waiting.

A rung that decides (auto_approve / auto_reject) goes through `Engine.act_as_system`, so the flow
moves on exactly as after a person's decision. Such a decision can change other tasks of its
instance (或签 cancels the others), so after one, the instance's remaining tasks wait for the
next pass, which sees the new state; `Workflow.escalate_due` runs passes until nothing fires.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from builder.deadlines import DECIDING_ACTIONS
from rules.errors import FormflowError
from runtime import events as event_kinds, notes
from runtime.calendar import BusinessCalendar
from runtime.clock import from_stamp, to_stamp
from runtime.deadlines import duration_words, moment_after
from runtime.engine import SYSTEM, Definitions, Engine, Event, others_settled_with
from runtime.state import Instance, InstanceStatus, Task, TaskStatus

OVERDUE = -1  # the deadline's place among a task's firings; rungs are numbered from 0


def due_escalations(engine: Engine, now: datetime, instances: Iterable[Instance], tasks: Mapping[str, Task],
                    defs: Callable[[Instance], Definitions], calendar: BusinessCalendar) -> list[Event]:
    """The events that time passing up to `now` causes for the open tasks of `instances`: all of
    them while an instance runs; afterwards its post-hoc approvals only, which outlive it."""
    at = to_stamp(now)
    events: list[Event] = []
    for instance in instances:
        running = instance.status is InstanceStatus.RUNNING
        pinned: Definitions | None = None
        for task in (tasks[t] for t in instance.task_ids):
            if task.status is not TaskStatus.OPEN or not (running or task.post_hoc):
                continue
            pinned = pinned or defs(instance)
            step = pinned.flow.step(task.step)
            fired, decided = _task_events(engine, pinned, instance, task, tasks, step, now, at, calendar)
            events += fired
            if decided:
                break  # the decision may have changed this instance's other tasks: next pass
    return events


def _task_events(engine: Engine, defs: Definitions, instance: Instance, task: Task, tasks: Mapping[str, Task],
                 step: Any, now: datetime, at: str, calendar: BusinessCalendar) -> tuple[list[Event], bool]:
    """One task's due firings in the order their thresholds passed; True when one decided it."""
    created = from_stamp(task.created)
    due: list[tuple[datetime, int]] = []
    if task.due and not task.overdue_at and from_stamp(task.due) <= now:
        due.append((from_stamp(task.due), OVERDUE))
    for index, rung in enumerate(getattr(step, "escalation", ())):
        if index not in task.escalated and (moment := moment_after(calendar, created, rung.after)) <= now:
            due.append((moment, index))
    events: list[Event] = []
    assignee = task.assignee  # a transfer on an earlier rung changes who a later rung concerns

    def event(kind: str, **fields: Any) -> Event:  # the system's, on this task, now
        return event_kinds.new(kind, instance.id, at, SYSTEM, step=task.step, task=task.id, **fields)

    for _, index in sorted(due):
        if index == OVERDUE:
            events.append(event("overdue", due=task.due, assignee=assignee))
            continue
        rung = step.escalation[index]
        record = event("escalate", rung=index, do=rung.action,
                       after={"amount": rung.after.amount, "unit": rung.after.unit}, assignee=assignee)
        if rung.action == "urge":
            events += [record, event("urge", assignee=assignee)]
        elif rung.action == "transfer_superior":
            superior = engine.org.superior(assignee)
            if superior is None or superior in (assignee, instance.submitter):
                skipped = notes.NO_SUPERIOR if superior is None else notes.SUPERIOR_FILED
                events.append(event_kinds.amended(record, skipped=str(skipped.fill(who=assignee))))
                continue
            events += [record, event("transfer", to=superior,
                                     comment=str(notes.ESCALATED.fill(after=duration_words(rung.after))))]
            assignee = superior
        elif rung.action in DECIDING_ACTIONS:
            approve = rung.action == "auto_approve"
            action = "approve" if approve else "reject"
            others = others_settled_with(task, (t for t in (tasks[i] for i in instance.task_ids)
                                                if t.status is TaskStatus.OPEN))
            why = (notes.AUTO_APPROVED_LATE if approve else notes.AUTO_REJECTED_LATE).fill(after=duration_words(rung.after))
            try:
                decision = engine.act_as_system(defs, instance, task, action, why, others)
            except FormflowError as refused:  # recorded, so one odd task never stalls the others
                skipped = (notes.NOT_APPROVED if approve else notes.NOT_REJECTED).fill(problem=str(refused))
                events.append(event_kinds.amended(record, skipped=str(skipped)))
                continue
            return [*events, record, *decision], True
        else:  # remind: the record is the reminder
            events.append(record)
    return events, False


"""What every step handler shares: the walk through one instance's flow, and the contract a
handler keeps.

A handler's `enter(walk, step)` records what reaching the step causes (a decision, a fork, the
tasks it opens) as events on the walk, and answers what comes next: the next step or `Join`,
`None` when the flow ends there, or `WAIT` when the walk stops until a person acts. `Walk.go`
is the whole walker: it asks the handler of each step's kind in turn. The engine's commands, the
green channel and (through the engine) the simulator all walk this way, so each rule of a step
kind is written once, in its handler's module.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

from builder.flows import Flow, Join, Step
from rules.evaluation import Evaluator
from runtime import events
from runtime.calendar import BusinessCalendar
from runtime.deadlines import due_stamp
from runtime.definitions import Definitions, Event, Lookups
from runtime.org import Organisation, Resolution, User
from runtime.state import InstanceStatus, Task

SYSTEM = "system"
SYSTEM_USER = User(SYSTEM, "formflow", "")  # who decides when a deadline's escalation does
WAIT: Final = "wait"
Next = Step | Join | None | Literal["wait"]  # what a handler says comes after its step


class Services(Protocol):
    """What handlers use of the engine that walks: the organisation and rules to resolve with,
    the business calendar for due dates, the look-ups, new ids, and starting a sub-process."""

    org: Organisation
    evaluator: Evaluator
    calendar: BusinessCalendar
    lookups: Lookups
    new_id: Callable[[], str]

    def start(self, defs: Definitions, submitter: User, data: dict[str, Any],
              parent: dict[str, str] | None = None, chosen: dict[str, list[str]] | None = None) -> list[Event]: ...


class StepHandler(Protocol):
    """One step kind's rule for reaching a step of that kind."""

    def enter(self, walk: Walk, step: Any) -> Next: ...


@dataclass
class Walk:
    """One walk through one instance's flow: what it reads, and the events it has caused so far
    (`events` may also hold a sub-process's events, which carry their own instance id).
    `last_approver` approved the step just before, for the repeat-approver policy."""

    services: Services
    handlers: Mapping[str, StepHandler]
    defs: Definitions
    instance: str
    submitter: str
    data: dict[str, Any]
    at: str
    history: tuple[Event, ...] = ()
    events: list[Event] = field(default_factory=list)
    last_approver: str = ""

    @property
    def flow(self) -> Flow:
        return self.defs.flow

    def go(self, step: Step | Join | None) -> None:
        """From `step` on, each step's handler in turn, until every path waits for a person,
        or the flow ends (then the instance is complete)."""
        while step is not None:
            step = self.handlers[step.kind].enter(self, step)
            if step == WAIT:
                return
        self.emit(finish(self.instance, self.at, InstanceStatus.COMPLETED))

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def mine(self) -> list[Event]:
        """This instance's events, recorded and new, oldest first."""
        return [*self.history, *(e for e in self.events if e["instance"] == self.instance)]

    @property
    def chosen(self) -> dict[str, list[str]]:
        """Who the submitter chose at the start for the steps that let them (发起人自选), by step id."""
        return next((e.get("chosen", {}) for e in self.mine() if e["action"] == "start"), {})

    def event(self, action: str, **details: Any) -> Event:
        """An event the system causes on this instance, now."""
        return events.new(action, self.instance, self.at, SYSTEM, **details)

    def task(self, step: Step, person: Resolution, queue: tuple[str, ...] = ()) -> Event:
        """A task of `step` for `person` (then `queue`, in turn), due by the step's deadline."""
        event = self.event("task", step=step.id, task=self.services.new_id(), kind=step.kind,
                           assignee=person.assignee, note=str(person.note))
        if queue:
            events.amend(event, queue=list(queue))
        if person.on_behalf_of:
            events.amend(event, **{"for": person.on_behalf_of})
        if due := due_stamp(self.services.calendar, self.at, getattr(step, "deadline", None)):
            events.amend(event, due=due)
        return event


def cancel(instance_id: str, at: str, task: Task) -> Event:
    return events.new("cancel", instance_id, at, SYSTEM, step=task.step, task=task.id)


def finish(instance_id: str, at: str, status: InstanceStatus) -> Event:
    return events.new("finish", instance_id, at, SYSTEM, status=str(status))

"""What the end of an instance causes elsewhere: a finished sub-process lets its parent go on
(or rejects it), and a parent that ends takes its running sub-processes with it.

`settle` runs on every command's events before they are committed, so all of it is committed
together. It reads the state through the engine's `Lookups`, plus the batch not yet applied.
"""
from __future__ import annotations

from collections.abc import Callable

from runtime import events, notes
from runtime.definitions import Definitions, Event, Lookups
from runtime.state import TASK_ACTIONS, InstanceStatus, Task
from runtime.steps import SYSTEM, Walk, cancel, finish

CLOSES = (*TASK_ACTIONS, "cancel", "return")  # the events after which a task is no longer open

# (definitions, instance, submitter, data, at, history) -> a walk through that instance's flow
WalkOf = Callable[[Definitions, str, str, dict, str, tuple[Event, ...]], Walk]


def settle(events: list[Event], lookups: Lookups, walk_of: WalkOf) -> list[Event]:
    """The events of a command, plus what the ends among them cause."""
    out = list(events)
    index = 0
    while index < len(out):
        event = out[index]
        index += 1
        if event["action"] != "finish":
            continue
        started = _start_of(event["instance"], out, lookups)
        parent = started.get("parent") if started else None
        if (parent and not event.get("ended_by")
                and _status_in(parent["instance"], out, lookups) is InstanceStatus.RUNNING):
            out += _child_ended(parent, event, out, lookups, walk_of)
        for child in unfinished_children(event["instance"], out, lookups):
            out += end_child(child, event, out, lookups)
    return out


def _child_ended(parent: dict[str, str], ended: Event, batch: list[Event], lookups: Lookups,
                 walk_of: WalkOf) -> list[Event]:
    """The parent goes on after the sub-process step when the child completed; else it is rejected."""
    instance = lookups.instance(parent["instance"])
    started = _start_of(parent["instance"], batch, lookups)
    assert started is not None and lookups.pinned is not None
    defs = lookups.pinned(started)
    history = (instance.events if instance else ()) + tuple(e for e in batch if e["instance"] == started["instance"])
    walk = walk_of(defs, started["instance"], started["actor"], instance.data if instance else started["data"],
                   ended["at"], history)
    walk.emit(events.new("subflow_done", walk.instance, ended["at"], SYSTEM,
                         step=parent["step"], child=ended["instance"], status=ended["status"]))
    if ended["status"] == str(InstanceStatus.COMPLETED):
        walk.go(defs.flow.successor(parent["step"]))
    else:
        walk.events += [cancel(walk.instance, ended["at"], task) for task in _open_in(walk.instance, batch, lookups)]
        walk.emit(finish(walk.instance, ended["at"], InstanceStatus.REJECTED))
    return walk.events


def end_child(child: str, cause: Event, batch: list[Event], lookups: Lookups) -> list[Event]:
    """A sub-process ends with what started it (`cause`: its end, or a return that runs its
    step again); `ended_by` keeps that end from being carried back up as the child's verdict."""
    at = cause["at"]
    why = notes.PARENT_ENDED if cause["action"] == "finish" else notes.PARENT_RETURNED  # a return, or a reject sending back
    return [*(cancel(child, at, task) for task in _open_in(child, batch, lookups)),
            events.new("finish", child, at, SYSTEM, ended_by=cause["instance"],
                       status=str(InstanceStatus.WITHDRAWN), reason=str(why))]


def unfinished_children(instance_id: str, batch: list[Event], lookups: Lookups) -> list[str]:
    """Sub-processes of the instance still running or back with the submitter."""
    instance = lookups.instance(instance_id)
    events = [*(instance.events if instance else ()), *(e for e in batch if e["instance"] == instance_id)]
    children = [e["child"] for e in events if e["action"] == "subflow"]
    return [c for c in children
            if _status_in(c, batch, lookups) in (InstanceStatus.RUNNING, InstanceStatus.RETURNED)]


def _start_of(instance_id: str, batch: list[Event], lookups: Lookups) -> Event | None:
    instance = lookups.instance(instance_id)
    if instance is not None:
        return instance.events[0]
    return next((e for e in batch if e["action"] == "start" and e["instance"] == instance_id), None)


def _status_in(instance_id: str, batch: list[Event], lookups: Lookups) -> InstanceStatus:
    """The instance's status once `batch` is applied (for the statuses `settle` cares about)."""
    ended = [e for e in batch if e["instance"] == instance_id and e["action"] == "finish"]
    if ended:
        return InstanceStatus(ended[-1]["status"])
    instance = lookups.instance(instance_id)
    return instance.status if instance is not None else InstanceStatus.RUNNING


def _open_in(instance_id: str, batch: list[Event], lookups: Lookups) -> list[Task]:
    """The instance's open tasks once `batch` is applied: recorded ones not closed by the batch,
    and ones the batch opened and did not close (as far as cancelling them needs: step and id)."""
    closed = {e["task"] for e in batch if e["instance"] == instance_id and e["action"] in CLOSES}
    recorded = [t for t in lookups.open_tasks(instance_id) if t.id not in closed]
    opened = [Task(id=e["task"], instance=instance_id, process="", step=e["step"], kind=e["kind"],
                   assignee=e["assignee"], created=e["at"])
              for e in batch if e["instance"] == instance_id and e["action"] == "task" and e["task"] not in closed]
    return [*recorded, *opened]

"""The walk after a change of the data that earlier approvals no longer cover (`runtime.coverage`
says which, and why the request goes where it goes): a resubmission, or an edit at a later step."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime import subprocess_settling
from runtime.coverage import (CAUSE_EDIT, CAUSE_RESUBMIT, Invalid, around, invalidated, invalidation, standing,
                              still_covered)
from runtime.definitions import Definitions, Event
from runtime.state import Instance, Task
from runtime.steps import SYSTEM, Walk, cancel

if TYPE_CHECKING:  # the engine calls these; only its type is needed here
    from runtime.engine import Engine


def resubmitted(engine: Engine, defs: Definitions, instance: Instance, event: Event,
                data: dict[str, Any]) -> list[Event]:
    """A resubmission's walk: straight back to the step that returned it when every earlier
    approval still covers the data; else from the first invalidated step (or, when the flow
    runs from the start again, from there, recording the invalidations all the same)."""
    flow = defs.flow
    approvals = standing(instance.events, flow)
    bad = invalidated(flow, defs.form, approvals, data)
    walk = engine.walk(defs, instance.id, instance.submitter, data, event["at"], instance.events, [event])
    from_start = bool(flow.steps) and instance.resume_at == flow.steps[0].id
    if not bad or from_start:
        _invalidate(walk, bad, CAUSE_RESUBMIT, ())
        walk.go(flow.step(instance.resume_at))
        return walk.events
    _invalidate(walk, bad, CAUSE_RESUBMIT, still_covered(flow, defs.form, approvals, data))
    walk.go(flow.step(around(flow, bad[0].step)))
    return walk.events


def edited(engine: Engine, defs: Definitions, instance: Instance, task: Task, done: Event,
           data: dict[str, Any], others_open: tuple[Task, ...], completes_step: bool) -> list[Event] | None:
    """After an edit at `task`'s step (`done` records it): None when every earlier approval still
    covers the new data; else the request goes at once to the first invalidated step (the step's
    other open tasks closed, sub-processes ended), the editor's own approval standing when it
    completes the step and no other approval at that step was invalidated."""
    flow = defs.flow
    approvals = [a for a in standing(instance.events, flow) if (a.step, a.approver) != (task.step, done["actor"])]
    bad = invalidated(flow, defs.form, approvals, data)
    if not bad:
        return None
    at = done["at"]
    walk = engine.walk(defs, instance.id, instance.submitter, data, at, instance.events,
                       [done, *(cancel(instance.id, at, other) for other in others_open)])
    for child in subprocess_settling.unfinished_children(instance.id, [], engine.lookups):
        walk.events += subprocess_settling.end_child(child, done, [], engine.lookups)
    still = still_covered(flow, defs.form, approvals, data) - {task.step}
    # The editor's step stands on the editor's approval only when nobody else's there was invalidated:
    # in a countersign or a sequence the others signed the old data and sign the new one too.
    editor_stands = completes_step and task.step not in {b.step for b in bad}
    _invalidate(walk, bad, CAUSE_EDIT, still | ({task.step} if editor_stands else set()))
    walk.go(flow.step(around(flow, bad[0].step)))
    return walk.events


def _invalidate(walk: Walk, bad: list[Invalid], cause: str, still: Any) -> None:
    walk.events += [invalidation(walk.instance, walk.at, SYSTEM, b, cause, still) for b in bad]

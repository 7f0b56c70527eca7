"""What the request page says about how a task came to be where it is: returned (by whom, when,
why) and urged (by whom, when). Read off the record; pure."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runtime.state import Instance, InstanceStatus, Task, TaskStatus


def _sent_back(event: dict[str, Any]) -> bool:
    return event["action"] == "return" or (event["action"] == "reject" and "to" in event)


def last_return(events: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest return (or rejection that sent the request back) on record, or None."""
    return next((e for e in reversed(events) if _sent_back(e)), None)


def returned_note(instance: Instance, task: Task | None = None) -> dict[str, str] | None:
    """Who returned the request, when and why: for its submitter while it waits for them, and on
    the task of the step it was returned to, opened by that return."""
    event = last_return(instance.events)
    if event is None:
        return None
    if task is None:
        if instance.status is not InstanceStatus.RETURNED:
            return None
    elif task.status is not TaskStatus.OPEN or task.step != event.get("to") or task.created < event["at"]:
        return None
    return {"who": event["actor"], "at": event["at"], "reason": event.get("reason", ""), "step": event["step"]}


def urged_note(instance: Instance, task: Task | None) -> dict[str, str] | None:
    """Who urged this open task on, and when (the latest time), or None."""
    if task is None or task.status is not TaskStatus.OPEN or not task.urged_at:
        return None
    event = next((e for e in reversed(instance.events) if e["action"] == "urge" and e.get("task") == task.id), None)
    return {"who": event["actor"], "at": event["at"]} if event else None

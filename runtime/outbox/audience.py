"""Who is told of a committed batch of events: a pure function of the batch and the state.

Told: the person a task is given, passed on, delegated to or escalated to; the submitter whose
request is returned, rejected or approved; whoever loses a task to a withdrawal; the person urged
or overdue; those copied in; those involved in a request when someone comments on it. Never the
person whose own command it was, never someone who may not read the request, never an auditor of
a to-do. Notices carry no field values, so nothing hidden from a reader can reach them here.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from runtime.org import User
from runtime.outbox.notices import GROUP_OF, TO_DO_GROUPS, Notice
from runtime.state import Instance, Task

Event = dict[str, Any]


class Lookups(Protocol):
    """What the audience reads of the state (the projection, the organisation)."""

    def instance(self, instance_id: str) -> Instance | None: ...
    def task(self, task_id: str) -> Task | None: ...
    def user(self, username: str) -> User | None: ...
    def may_read(self, user: User, instance: Instance) -> bool: ...


def batches(events: Iterable[Event]) -> Iterator[list[Event]]:
    """A log's events cut into the batches they were committed in (the last of each has `commit`)."""
    batch: list[Event] = []
    for event in events:
        batch.append(event)
        if event.get("commit"):
            yield batch
            batch = []
    if batch:
        yield batch


def notices_of(batch: list[Event], lookups: Lookups) -> list[Notice]:
    """Everyone to be told of this batch, one notice per (event, person)."""
    if not batch:
        return []
    acting = batch[0]["actor"]  # whose command it was ("system" for the scheduler's)
    withdrawn = any(e["action"] == "withdraw" for e in batch)
    out: list[Notice] = []
    for event in batch:
        instance = lookups.instance(event["instance"]) if event["instance"] else None
        if instance is None:
            continue
        for kind, recipient in _told(event, instance, lookups, withdrawn):
            if recipient == acting or recipient == "system":
                continue
            user = lookups.user(recipient)
            if user is None or (user.reads_only and GROUP_OF[kind] in TO_DO_GROUPS):
                continue
            if not lookups.may_read(user, instance):
                continue
            out.append(Notice(seq=event.get("seq", 0), kind=kind, recipient=recipient, instance=instance.id,
                              process=instance.process, actor=acting if event["actor"] == "system" else event["actor"],
                              at=event["at"], submitter=instance.submitter, task=event.get("task", ""),
                              text=str(event.get("reason") or event.get("comment") or ""),
                              on_behalf_of=event.get("for", "")))
    return _once_per_event(out)


def _told(event: Event, instance: Instance, lookups: Lookups, withdrawn: bool) -> Iterator[tuple[str, str]]:
    action = event["action"]
    if action == "task":
        yield ("delegated" if event.get("for") else "assigned"), event["assignee"]
    elif action == "transfer":
        yield ("escalated" if event["actor"] == "system" else "transferred"), event["to"]
    elif action == "add_signer" and event["position"] == "before":
        yield "signer_added", event["user"]
    elif action == "return" and event["to"] == "submitter" or action == "reject" and event.get("to") == "submitter":
        yield "returned", instance.submitter
    elif action == "finish" and event["status"] in ("rejected", "completed"):
        yield event["status"], instance.submitter
    elif action == "cancel" and withdrawn:
        task = lookups.task(event["task"])
        if task is not None:
            yield "withdrawn", task.assignee
    elif action == "urge":  # the scheduler's urge (an escalation rung) is a reminder, from nobody
        yield ("reminded" if event["actor"] == "system" else "urged"), event["assignee"]
    elif action == "escalate" and event["do"] == "remind":
        yield "reminded", event["assignee"]
    elif action == "overdue":
        yield "overdue", event["assignee"]
    elif action == "notify":
        for person in event["recipients"]:
            yield "copied", person
    elif action == "comment":
        yield "comment", instance.submitter
        for task_id in instance.task_ids:
            task = lookups.task(task_id)
            if task is not None and task.created <= event["at"]:
                yield "comment", task.assignee


def _once_per_event(notices: list[Notice]) -> list[Notice]:
    """One notice per event and person (a comment reaches someone with two tasks once)."""
    seen: set[str] = set()
    kept = []
    for notice in notices:
        if notice.id not in seen:
            seen.add(notice.id)
            kept.append(notice)
    return kept


class WorkflowLookups:
    """`Lookups` over a running `Workflow` (its projection and organisation)."""

    READ_ALL = ("admin", "auditor")

    def __init__(self, workflow: Any) -> None:
        self.workflow = workflow

    def instance(self, instance_id: str) -> Instance | None:
        return self.workflow.state.instances.get(instance_id)

    def task(self, task_id: str) -> Task | None:
        return self.workflow.state.tasks.get(task_id)

    def user(self, username: str) -> User | None:
        return self.workflow.org.users.get(username)

    def may_read(self, user: User, instance: Instance) -> bool:
        return (instance.involves(user.username, self.workflow.state.tasks)
                or any(user.has_role(r) for r in self.READ_ALL))

"""The current state of all work, as a projection of the event log held in memory.

Nothing here is stored: `Projection.apply` folds events (as appended to the log) into instances,
tasks and the indexes the inbox and "my requests" need. Replaying the same log always rebuilds
the same state, which `formflow audit verify` checks.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar


class InstanceStatus(StrEnum):
    RUNNING = "running"
    REJECTED = "rejected"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    RETURNED = "returned"  # back with the submitter, waiting for a resubmission


class TaskStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # another's decision made it moot (或签), or the request ended
    RETURNED = "returned"  # sent back to the submitter or to an earlier step


_R = TypeVar("_R")

# The actions each kind of task accepts, and the status each leaves it in.
ACTIONS_BY_KIND: dict[str, dict[str, TaskStatus]] = {
    "approval": {"approve": TaskStatus.APPROVED, "reject": TaskStatus.REJECTED},
    "task": {"complete": TaskStatus.COMPLETED},
}
TASK_ACTIONS = {action: status for actions in ACTIONS_BY_KIND.values() for action, status in actions.items()}


@dataclass(frozen=True)
class Task:
    id: str
    instance: str
    process: str
    step: str
    kind: str
    assignee: str
    created: str
    status: TaskStatus = TaskStatus.OPEN
    note: str = ""
    queue: tuple[str, ...] = ()  # sequential (依次) approval: who comes after this person
    urged_at: str = ""
    acted_at: str = ""
    version: int = 1
    post_hoc: bool = False  # green channel: an approval the urgent start skipped, done afterwards
    due: str = ""  # when the step's deadline (or a post-hoc approval's) passes, "" without one
    overdue_at: str = ""  # when the scheduler recorded the deadline as passed
    escalated: tuple[int, ...] = ()  # the escalation rungs already fired, each fires once


# What a person does to a task: once any of these is recorded, the request can no longer be withdrawn.
ACTED = ("approve", "reject", "complete", "transfer", "return", "add_signer")


@dataclass(frozen=True)
class Instance:
    id: str
    process: str
    flow_version: int
    form: str
    form_version: int
    rulesets: dict[str, int]
    submitter: str
    department: str
    data: dict[str, Any]
    created: str
    updated: str
    status: InstanceStatus = InstanceStatus.RUNNING
    task_ids: tuple[str, ...] = ()
    copied: tuple[str, ...] = ()  # people CC'd (抄送): they may read the request
    resume_at: str = ""  # the step that returned the request: where it goes once fixed
    parent: str = ""  # the instance that started this one as a sub-process
    children: tuple[str, ...] = ()  # sub-processes this one started
    urgent_reason: str = ""  # green channel: why it was started urgently (empty for a normal start)
    post_hoc_open: int = 0  # post-hoc approvals still to do: the instance is marked while any are
    post_hoc_refused: bool = False  # a post-hoc approval was rejected: what was done needs review
    events: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    version: int = 1

    def involves(self, username: str, tasks: dict[str, Task]) -> bool:
        """Whether this person filed the request or was ever asked to act on it."""
        return (username == self.submitter or username in self.copied
                or any(username in (tasks[t].assignee, *tasks[t].queue) for t in self.task_ids)
                or bool(self.steps_of(username, tasks)))  # the full scan only for who handed a task on

    def steps_of(self, username: str, tasks: dict[str, Task]) -> frozenset[str]:
        """The steps this person was ever part of: given a task (also one they handed on since),
        queued on one, acting on one, or copied in."""
        steps = {t.step for t in (tasks[i] for i in self.task_ids) if username in (t.assignee, *t.queue)}
        steps |= {e["step"] for e in self.events if "step" in e and username in (
            e["actor"] if e["action"] in ACTED else None, e.get("assignee") if e["action"] == "task" else None, e.get("for"),
            e.get("user"), e.get("to") if e["action"] == "transfer" else None,
            *(e.get("recipients", ()) if e["action"] == "notify" else ()))}
        return frozenset(steps)


def request_target(first: dict[str, Any]) -> str:
    """What a command with a request id acted on, from its first event: the process it started,
    the task it acted on, or the request itself; a request id means one action on one target."""
    if first["action"] == "start":
        return f"start:{first['process']}"
    return f"task:{first['task']}" if "task" in first else f"instance:{first['instance']}"


def evolve(record: _R, **changes: Any) -> _R:
    """A copy of a frozen record with some fields changed. Like `dataclasses.replace`, without
    re-running `__init__`: folding events is the hot path of every command and of start-up."""
    copy = object.__new__(type(record))
    copy.__dict__.update(record.__dict__, **changes)
    return copy


class Projection:
    """Instances and tasks by id, with indexes; mutated only through `apply`.

    Commands apply events in worker threads while pages read on the event loop: `lock` guards
    the indexes for the microseconds of a fold or a read (never across a command's disk write),
    so a reader never iterates a collection that is being changed.
    """

    def __init__(self) -> None:
        self.instances: dict[str, Instance] = {}
        self.tasks: dict[str, Task] = {}
        self.open_by_assignee: dict[str, dict[str, None]] = {}
        self.by_submitter: dict[str, list[str]] = {}
        self.by_copied: dict[str, list[str]] = {}  # username -> instances they were copied in on (抄送我的), in order
        self.copied_at: dict[str, dict[str, str]] = {}  # username -> instance -> when they were last copied in
        # username -> task -> (what they did, when): the tasks they acted on (已办), the latest action last
        self.acted_by: dict[str, dict[str, tuple[str, str]]] = {}
        self.returned_to: dict[str, dict[str, None]] = {}  # submitter -> their requests now back with them to fix
        self.requests: dict[tuple[str, str], tuple[str, str]] = {}  # (actor, request id) -> (instance, target)
        self.serials: dict[tuple[str, str, str], int] = {}  # (process, field, prefix) -> highest number given
        self.serials_given: dict[tuple[str, str], set[str]] = {}  # (process, field) -> every number given
        self.sealed: dict[tuple[str, str, int], str] = {}  # (kind, key, version) -> its digest (runtime.definition_seals)
        self.orgs: list[dict[str, Any]] = []  # the organisation's records, oldest first (runtime.definition_seals)
        self.lock = threading.Lock()
        self.last_seq = 0

    def apply(self, event: dict[str, Any]) -> None:
        handler = _HANDLERS.get(event["action"], _record_only)
        with self.lock:
            handler(self, event)
            if event.get("request"):
                self.requests[(event["actor"], event["request"])] = (event["instance"], request_target(event))
            self.last_seq = event.get("seq", self.last_seq)

    def highest_serial(self, process: str, field: str, prefix: str) -> int:
        """The highest serial number given so far for this process, field and prefix (0: none);
        rebuilt from the start events, so a restart continues the sequence."""
        with self.lock:
            return self.serials.get((process, field, prefix), 0)

    def serial_given(self, process: str, field: str, number: str) -> bool:
        """Whether this formatted serial number was ever given for this process and field, under
        any of its patterns (rebuilt from the start events' data)."""
        with self.lock:
            return number in self.serials_given.get((process, field), ())

    def open_tasks(self, username: str) -> list[Task]:
        with self.lock:
            return [self.tasks[t] for t in self.open_by_assignee.get(username, {})]

    def requests_of(self, username: str) -> list[Instance]:
        with self.lock:
            return [self.instances[i] for i in reversed(self.by_submitter.get(username, []))]

    def copied_to(self, username: str) -> list[Instance]:
        """The requests this person was copied in on, the latest copy first."""
        with self.lock:
            return [self.instances[i] for i in reversed(self.by_copied.get(username, []))]

    def acted_on(self, username: str) -> list[tuple[Task, str, str]]:
        """The tasks this person acted on (approved, rejected, completed, returned, handed on),
        each with their latest action and when, the latest first."""
        with self.lock:
            return [(self.tasks[t], action, at) for t, (action, at) in reversed(self.acted_by.get(username, {}).items())]

    def returned_requests(self, username: str) -> list[Instance]:
        """This person's requests sent back to them to correct and resubmit, the latest first."""
        with self.lock:
            return [self.instances[i] for i in reversed(self.returned_to.get(username, {}))]

    def _touch(self, event: dict[str, Any], **changes: Any) -> Instance:
        inst = self.instances[event["instance"]]
        inst = evolve(inst, updated=event["at"], events=inst.events + (event,),
                       version=inst.version + 1, **changes)
        self.instances[inst.id] = inst
        if "status" in changes:  # a request back with its submitter waits in their to-do until it leaves that state
            returned = self.returned_to.setdefault(inst.submitter, {})
            returned.pop(inst.id, None)
            if inst.status is InstanceStatus.RETURNED:
                returned[inst.id] = None
        return inst

    def _acted(self, event: dict[str, Any]) -> None:
        """Index a person's action on a task for their 已办 (done by me): the latest one counts."""
        done = self.acted_by.setdefault(event["actor"], {})
        done.pop(event["task"], None)
        done[event["task"]] = (event["action"], event["at"])

    def _close_task(self, task_id: str, status: TaskStatus, at: str) -> None:
        task = self.tasks[task_id]
        self.tasks[task_id] = evolve(task, status=status, acted_at=at, version=task.version + 1)
        self.open_by_assignee.get(task.assignee, {}).pop(task_id, None)
        if task.post_hoc and task.status is TaskStatus.OPEN:
            inst = self.instances[task.instance]
            self.instances[inst.id] = evolve(inst, post_hoc_open=inst.post_hoc_open - 1,
                                             post_hoc_refused=inst.post_hoc_refused or status is TaskStatus.REJECTED)


def _on_start(p: Projection, e: dict[str, Any]) -> None:
    p.instances[e["instance"]] = Instance(
        id=e["instance"], process=e["process"], flow_version=e["flow_version"], form=e["form"],
        form_version=e["form_version"], rulesets=dict(e["rulesets"]), submitter=e["actor"],
        department=e["department"], data=e["data"], created=e["at"], updated=e["at"], events=(e,),
        parent=e.get("parent", {}).get("instance", ""),
        urgent_reason=e.get("urgent", {}).get("reason", ""),
    )
    p.by_submitter.setdefault(e["actor"], []).append(e["instance"])
    for name, given in e.get("serials", {}).items():
        counter = (e["process"], name, given["prefix"])
        p.serials[counter] = max(p.serials.get(counter, 0), given["seq"])
        if isinstance(e["data"].get(name), str):
            p.serials_given.setdefault((e["process"], name), set()).add(e["data"][name])


def _on_task(p: Projection, e: dict[str, Any]) -> None:
    inst = p.instances[e["instance"]]
    task = Task(id=e["task"], instance=inst.id, process=inst.process, step=e["step"], kind=e["kind"],
                assignee=e["assignee"], created=e["at"], note=e.get("note", ""),
                queue=tuple(e.get("queue", ())), post_hoc=e.get("post_hoc", False), due=e.get("due", ""))
    p.tasks[task.id] = task
    p.open_by_assignee.setdefault(task.assignee, {})[task.id] = None
    if task.post_hoc:
        p._touch(e, task_ids=inst.task_ids + (task.id,), post_hoc_open=inst.post_hoc_open + 1)
        return
    # Logs from before resumptions were recorded (`resumed`) cleared `resume_at` when its step reopened.
    resumed = {"resume_at": ""} if inst.resume_at == task.step else {}
    p._touch(e, task_ids=inst.task_ids + (task.id,), **resumed)


def _resumed(e: dict[str, Any]) -> dict[str, Any]:
    """A returned request picked up again where it was returned (the step is open once more, or
    was passed by): `resume_at` has served."""
    return {"resume_at": ""} if e.get("resumed") else {}


def _on_task_action(p: Projection, e: dict[str, Any]) -> None:
    p._close_task(e["task"], TASK_ACTIONS[e["action"]], e["at"])
    p._acted(e)
    changed = {"data": apply_changes(p.instances[e["instance"]].data, e["changes"])} if e.get("changes") else {}
    if e["action"] == "reject" and "to" in e:  # a rejection that sent the request back (on_reject)
        changed.update(resume_at=e["resume"], **({"status": InstanceStatus.RETURNED} if e["to"] == "submitter" else {}))
    p._touch(e, **changed, **_resumed(e))


def apply_changes(data: dict[str, Any], changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The data with a step's recorded edits (`{"field": {"from", "to"}}`; `to` None: cleared)."""
    out = dict(data)
    for key, change in changes.items():
        if change["to"] is None:
            out.pop(key, None)
        else:
            out[key] = change["to"]
    return out


def _on_cancel(p: Projection, e: dict[str, Any]) -> None:
    p._close_task(e["task"], TaskStatus.CANCELLED, e["at"])
    p._touch(e)


def _on_return(p: Projection, e: dict[str, Any]) -> None:
    p._close_task(e["task"], TaskStatus.RETURNED, e["at"])
    p._acted(e)
    to_submitter = e["to"] == "submitter"
    p._touch(e, resume_at=e["resume"],  # named since events version 2 (older lines: runtime.events)
             **({"status": InstanceStatus.RETURNED} if to_submitter else {}))


def _on_resubmit(p: Projection, e: dict[str, Any]) -> None:
    p._touch(e, data=e["data"], status=InstanceStatus.RUNNING, **_resumed(e))


def _on_transfer(p: Projection, e: dict[str, Any]) -> None:
    task = p.tasks[e["task"]]
    p.open_by_assignee.get(task.assignee, {}).pop(task.id, None)
    p.open_by_assignee.setdefault(e["to"], {})[task.id] = None
    p.tasks[task.id] = evolve(task, assignee=e["to"], version=task.version + 1)
    p._acted(e)
    p._touch(e)


def _on_add_signer(p: Projection, e: dict[str, Any]) -> None:
    task = p.tasks[e["task"]]
    if e["position"] == "before":  # the added signer goes first; the task then comes back
        p.open_by_assignee.get(task.assignee, {}).pop(task.id, None)
        p.open_by_assignee.setdefault(e["user"], {})[task.id] = None
        changed = {"assignee": e["user"], "queue": (task.assignee, *task.queue)}
    else:
        changed = {"queue": (e["user"], *task.queue)}
    p.tasks[task.id] = evolve(task, version=task.version + 1, **changed)
    p._touch(e)


def _note_on_task(p: Projection, e: dict[str, Any], **changes: Any) -> None:
    """An event that marks its task (urged, overdue, escalated) without changing who holds it."""
    p.tasks[e["task"]] = evolve(p.tasks[e["task"]], **changes)
    p._touch(e)


def _on_urge(p: Projection, e: dict[str, Any]) -> None:
    _note_on_task(p, e, urged_at=e["at"])


def _on_notify(p: Projection, e: dict[str, Any]) -> None:
    inst = p.instances[e["instance"]]
    for person in e["recipients"]:
        copied = p.by_copied.setdefault(person, [])
        if inst.id in copied:
            copied.remove(inst.id)  # copied in again: it moves up
        copied.append(inst.id)
        p.copied_at.setdefault(person, {})[inst.id] = e["at"]
    p._touch(e, copied=inst.copied + tuple(r for r in e["recipients"] if r not in inst.copied))


def _on_subflow(p: Projection, e: dict[str, Any]) -> None:
    p._touch(e, children=p.instances[e["instance"]].children + (e["child"],))


def _on_finish(p: Projection, e: dict[str, Any]) -> None:
    p._touch(e, status=InstanceStatus(e["status"]))


def _on_overdue(p: Projection, e: dict[str, Any]) -> None:
    _note_on_task(p, e, overdue_at=e["at"])


def _on_escalate(p: Projection, e: dict[str, Any]) -> None:
    _note_on_task(p, e, escalated=p.tasks[e["task"]].escalated + (e["rung"],))


def _on_invalidate(p: Projection, e: dict[str, Any]) -> None:
    """An earlier step runs again (runtime/coverage.py): a pending "straight back" has lapsed."""
    p._touch(e, resume_at="")


def _record_only(p: Projection, e: dict[str, Any]) -> None:
    p._touch(e)


def _on_org(p: Projection, e: dict[str, Any]) -> None:
    """The organisation as a start found it: who holds which roles, for the audit."""
    p.orgs.append(e)


def _on_publish(p: Projection, e: dict[str, Any]) -> None:
    """A definition published (no request's): its seal, for the store to be held against."""
    p.sealed[(e["kind"], e["key"], e["version"])] = e["digest"]


_HANDLERS = {"start": _on_start, "task": _on_task, "finish": _on_finish, "cancel": _on_cancel,
             "notify": _on_notify, "transfer": _on_transfer, "urge": _on_urge,
             "return": _on_return, "subflow": _on_subflow, "resubmit": _on_resubmit,
             "add_signer": _on_add_signer, "publish": _on_publish, "org": _on_org, "invalidate": _on_invalidate, "overdue": _on_overdue, "escalate": _on_escalate,
             **{action: _on_task_action for action in TASK_ACTIONS}}

"""The engine: commands that read the current state and return the events they cause.

Commands never write: `runtime.service.Workflow` appends what they return to the log and folds it
into the projection. That keeps every rule of the flow here, testable without storage or HTTP,
and makes the event log the complete record of why an instance went where it went.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from builder.flows import BranchStep, Flow, NotifyStep, Step
from builder.forms import Form
from rules.conditions import condition_fields, matches
from rules.evaluation import Evaluator
from rules.ruleset import Ruleset
from runtime.calendar import BusinessCalendar
from runtime.deadlines import due_stamp, plain_calendar
from runtime.errors import Conflict, Forbidden, TransitionNotAllowed, ValidationFailed
from runtime.org import Organisation, Resolution, User
from runtime.state import ACTIONS_BY_KIND, Instance, InstanceStatus, Task, TaskStatus, evolve

SYSTEM = "system"
SYSTEM_USER = User(SYSTEM, "formflow", "")  # who decides when a deadline's escalation does
Event = dict[str, Any]


@dataclass(frozen=True)
class Definitions:
    """The pinned versions one instance runs on."""

    flow: Flow
    form: Form
    rulesets: dict[str, Ruleset]

    def pins(self) -> dict[str, Any]:
        return {"flow_version": self.flow.version, "form": self.form.key,
                "form_version": self.form.version,
                "rulesets": {k: r.version for k, r in sorted(self.rulesets.items())}}


class Engine:
    """Pure command logic; the clock and id source are injected so tests control both."""

    calendar: BusinessCalendar = plain_calendar()  # due dates; the Workflow sets the configured one

    def __init__(self, org: Organisation, evaluator: Evaluator,
                 now: Callable[[], str], new_id: Callable[[], str]) -> None:
        self.org, self.evaluator, self.now, self.new_id = org, evaluator, now, new_id

    def start(self, defs: Definitions, submitter: User, data: dict[str, Any]) -> list[Event]:
        """Events that open a new instance on clean `data` and walk to its first waiting step."""
        at = self.now()
        instance_id = self.new_id()
        started = {"action": "start", "instance": instance_id, "at": at, "actor": submitter.username,
                   "process": defs.flow.key, "department": submitter.department, "data": data,
                   **defs.pins()}
        first = defs.flow.steps[0] if defs.flow.steps else None
        return [started, *self._walk(defs, instance_id, submitter.username, data, first, at)]

    def act(self, defs: Definitions, instance: Instance, task: Task, actor: User, action: str,
            text: str = "", expected_version: int | None = None,
            others_open: tuple[Task, ...] = (), code: str = "") -> list[Event]:
        """Events for `actor` taking `action` on `task`; checks who may act and in what state.

        `expected_version` is the task version the person saw: if the task has changed since,
        the action is refused rather than applied to something they did not see. `others_open`
        are the step's other open tasks (any/all modes), which this decision may settle.
        """
        self._check_open(instance, task, actor, action)
        allowed = ACTIONS_BY_KIND.get(task.kind, {})
        if action not in allowed:
            raise Conflict(f'cannot {action} here: a "{task.kind}" step allows only {", ".join(allowed)}')
        if expected_version is not None and expected_version != task.version:
            raise Conflict(f"the task has changed since you opened it (now version {task.version}, "
                           f"you saw version {expected_version}); reload it and try again")
        text = text.strip()
        if action == "reject" and actor is not SYSTEM_USER:  # the system states its reason, picks no code
            _check_rejection(defs.flow, text, code)
        at = self.now()
        done: Event = {"action": action, "instance": instance.id, "at": at, "actor": actor.username,
                       "step": task.step, "task": task.id,
                       ("reason" if action == "reject" else "comment"): text}
        if action == "reject" and code:
            done["code"] = code
        cancelled = [_cancel(instance.id, at, other) for other in others_open]
        if action == "reject":
            return [done, *cancelled, _finish(instance.id, at, InstanceStatus.REJECTED)]
        step = defs.flow.step(task.step)
        mode = getattr(step, "mode", "single")
        if mode == "all" and others_open:
            return [done]  # 会签: the step waits for everyone
        if task.queue:  # sequential mode, or a signer added after this person (加签)
            following_person = self._task(instance.id, at, step, Resolution(task.queue[0]), task.queue[1:])
            return [done, following_person]
        settled = cancelled if mode == "any" else []
        if instance.resume_at and instance.resume_at != task.step:  # fixed: straight back to who returned it
            return [done, *settled, *self._assign(instance.id, at, defs.flow.step(instance.resume_at),
                                                  instance.submitter)]
        following = defs.flow.successor(task.step)
        last_approver = actor.username if action == "approve" else ""
        return [done, *settled, *self._walk(defs, instance.id, instance.submitter, instance.data, following, at,
                                            last_approver)]

    def act_as_system(self, defs: Definitions, instance: Instance, task: Task, action: str, text: str,
                      others_open: tuple[Task, ...] = ()) -> list[Event]:
        """An automatic decision (a deadline's escalation): exactly the events the assignee's own
        decision would cause, the flow moving on the same way, recorded as the system's."""
        events = self.act(defs, instance, evolve(task, assignee=SYSTEM), SYSTEM_USER, action, text,
                          others_open=others_open)
        return [{**events[0], "auto": True}, *events[1:]]

    def withdraw(self, instance: Instance, open_tasks: tuple[Task, ...], actor: User) -> list[Event]:
        """The submitter takes the request back, as long as nobody has acted on it yet."""
        if actor.username != instance.submitter:
            raise Forbidden("only the person who filed the request may withdraw it")
        if instance.status is not InstanceStatus.RUNNING:
            raise TransitionNotAllowed("withdraw", str(instance.status), "request")
        acted = next((e for e in instance.events if e["action"] in ACTED), None)
        if acted is not None:
            raise Conflict(f"cannot withdraw: {acted['actor']} has already acted on it ({acted['action']})")
        at = self.now()
        return [{"action": "withdraw", "instance": instance.id, "at": at, "actor": actor.username},
                *(_cancel(instance.id, at, task) for task in open_tasks),
                _finish(instance.id, at, InstanceStatus.WITHDRAWN)]

    def send_back(self, defs: Definitions, instance: Instance, task: Task, actor: User, to: str,
                  reason: str, *, done_steps: frozenset[str], others_open: tuple[Task, ...] = ()) -> list[Event]:
        """退回: to the submitter, or to an earlier step that already acted (`done_steps`); once
        fixed, the request comes straight back to this step."""
        self._check_open(instance, task, actor, "return")
        if to != "submitter" and (to == task.step or to not in done_steps):
            choices = ", ".join(["submitter", *sorted(done_steps - {task.step})])
            raise ValidationFailed({"to": f'cannot return to "{to}": one of {choices}'})
        if not reason.strip():
            raise ValidationFailed({"reason": "say what needs fixing"})
        at = self.now()
        event: Event = {"action": "return", "instance": instance.id, "at": at, "actor": actor.username,
                        "step": task.step, "task": task.id, "to": to, "reason": reason.strip()}
        cancelled = [_cancel(instance.id, at, other) for other in others_open]
        if to == "submitter":
            return [event, *cancelled]
        return [event, *cancelled, *self._assign(instance.id, at, defs.flow.step(to), instance.submitter)]

    def resubmit(self, defs: Definitions, instance: Instance, actor: User, data: dict[str, Any]) -> list[Event]:
        """The submitter sends a returned request again, with corrected data."""
        if actor.username != instance.submitter:
            raise Forbidden("only the person who filed the request may resubmit it")
        if instance.status is not InstanceStatus.RETURNED:
            raise TransitionNotAllowed("resubmit", str(instance.status), "request")
        at = self.now()
        return [{"action": "resubmit", "instance": instance.id, "at": at, "actor": actor.username, "data": data},
                *self._assign(instance.id, at, defs.flow.step(instance.resume_at), instance.submitter)]

    def transfer(self, instance: Instance, task: Task, actor: User, to: User, comment: str = "") -> list[Event]:
        """转交: the assignee hands the task to someone else, who then acts in their place."""
        self._check_open(instance, task, actor, "transfer")
        if to.username in (actor.username, instance.submitter):
            who = "yourself" if to.username == actor.username else "the person who filed the request"
            raise ValidationFailed({"to": f"cannot transfer the task to {who}"})
        return [{"action": "transfer", "instance": instance.id, "at": self.now(), "actor": actor.username,
                 "step": task.step, "task": task.id, "to": to.username, "comment": comment.strip()}]

    def add_signer(self, instance: Instance, task: Task, actor: User, signer: User, position: str) -> list[Event]:
        """加签: someone else approves this step too, before this person or after them."""
        self._check_open(instance, task, actor, "add a signer")
        if task.kind != "approval":
            raise Conflict(f'cannot add a signer to a "{task.kind}" step, only to an approval')
        if position not in ("before", "after"):
            raise ValidationFailed({"position": 'must be "before" or "after"'})
        if signer.username in (actor.username, instance.submitter) or signer.username in task.queue:
            raise ValidationFailed({"user": f"{signer.username} cannot be added: already on this step or filed the request"})
        return [{"action": "add_signer", "instance": instance.id, "at": self.now(), "actor": actor.username,
                 "step": task.step, "task": task.id, "user": signer.username, "position": position}]

    def comment(self, instance: Instance, actor: User, text: str) -> list[Event]:
        """A remark on the record by anyone involved; it changes nothing else."""
        if not text.strip():
            raise ValidationFailed({"comment": "write something"})
        return [{"action": "comment", "instance": instance.id, "at": self.now(), "actor": actor.username,
                 "comment": text.strip()}]

    def urge(self, instance: Instance, task: Task, actor: User) -> list[Event]:
        """催办: the submitter reminds the assignee; at most once an hour per task."""
        if actor.username != instance.submitter:
            raise Forbidden("only the person who filed the request may urge it on")
        if task.status is not TaskStatus.OPEN:
            raise TransitionNotAllowed("urge", str(task.status))
        at = self.now()
        if task.urged_at and _hours_between(task.urged_at, at) < 1:
            raise Conflict(f"this task was urged at {task.urged_at}; urging is possible once an hour")
        return [{"action": "urge", "instance": instance.id, "at": at, "actor": actor.username,
                 "step": task.step, "task": task.id, "assignee": task.assignee}]

    def _check_open(self, instance: Instance, task: Task, actor: User, action: str) -> None:
        if task.assignee != actor.username:
            raise Forbidden(f"task {task.id} is assigned to {task.assignee}, not to you")
        if task.status is not TaskStatus.OPEN:
            raise TransitionNotAllowed(action, str(task.status))
        if instance.status is not InstanceStatus.RUNNING:
            raise TransitionNotAllowed(action, str(instance.status), "instance")

    def _walk(self, defs: Definitions, instance_id: str, submitter: str, data: dict[str, Any],
              step: Step | None, at: str, last_approver: str = "") -> list[Event]:
        """From `step` on: decide branches until a person must act, or the flow ends.

        With the flow's `repeat_approver` policy set to `auto_approve`, a single-approver step
        that falls to `last_approver` (who approved the step just before) is approved for them,
        and the record says so."""
        events: list[Event] = []
        while step is not None:
            if isinstance(step, BranchStep):
                decided, step = self._decide(defs, instance_id, data, step, at)
                events.append(decided)
                continue
            if isinstance(step, NotifyStep):
                people = [r.assignee for r in self.org.resolve_all(step.assignee, submitter)]
                events.append({"action": "notify", "instance": instance_id, "at": at, "actor": SYSTEM,
                               "step": step.id, "recipients": people})
                step = defs.flow.successor(step.id)
                continue
            assigned = self._assign(instance_id, at, step, submitter)
            if (defs.flow.policies.repeat_approver == "auto_approve" and step.kind == "approval"
                    and len(assigned) == 1 and last_approver and assigned[0]["assignee"] == last_approver):
                events += [*assigned, {"action": "approve", "instance": instance_id, "at": at, "actor": SYSTEM,
                                       "step": step.id, "task": assigned[0]["task"], "auto": True,
                                       "comment": f"approved automatically: {last_approver} approved the step before"}]
                step = defs.flow.successor(step.id)
                continue
            events.extend(assigned)
            return events
        events.append(_finish(instance_id, at, InstanceStatus.COMPLETED))
        return events

    def _assign(self, instance_id: str, at: str, step: Step, submitter: str) -> list[Event]:
        """The task events a human step starts with: one person, everyone (any/all), or the
        first in line (sequential), the rest queued on that task."""
        assignee = getattr(step, "assignee")
        mode = getattr(step, "mode", "single")
        if mode == "single":
            return [self._task(instance_id, at, step, self.org.resolve(assignee, submitter))]
        people = _distinct(self.org.resolve_all(assignee, submitter))
        if mode == "sequential":
            return [self._task(instance_id, at, step, people[0], tuple(p.assignee for p in people[1:]))]
        return [self._task(instance_id, at, step, person) for person in people]

    def _task(self, instance_id: str, at: str, step: Step, person: Resolution,
              queue: tuple[str, ...] = ()) -> Event:
        event: Event = {"action": "task", "instance": instance_id, "at": at, "actor": SYSTEM,
                        "step": step.id, "task": self.new_id(), "kind": step.kind,
                        "assignee": person.assignee, "note": person.note}
        if queue:
            event["queue"] = list(queue)
        if due := due_stamp(self.calendar, at, getattr(step, "deadline", None)):
            event["due"] = due
        return event

    def _decide(self, defs: Definitions, instance_id: str, data: dict[str, Any], step: BranchStep,
                at: str) -> tuple[Event, Step | None]:
        """Pick a branch by the step's ruleset, or by the branches' own conditions, and record why."""
        facts = defs.form.facts(data)
        event: Event = {"action": "decide", "instance": instance_id, "at": at, "actor": SYSTEM,
                        "step": step.id}
        if step.ruleset:
            decision = self.evaluator.evaluate(defs.rulesets[step.ruleset], facts)
            index, lane = step.choose(lambda branch: branch.matches(decision.outcome))
            event.update(branch=index, ruleset=decision.ruleset, ruleset_version=decision.version,
                         fired=list(decision.fired), default_used=decision.default_used,
                         outcome=decision.outcome, inputs=decision.inputs, trace=list(decision.trace))
        else:
            index, lane = step.choose(lambda branch: matches(branch.when, facts))
            read = sorted(set().union(*(condition_fields(b.when) for b in step.branches)))
            event.update(branch=index, inputs={name: facts[name] for name in read if name in facts})
        return event, (lane[0] if lane else defs.flow.successor(step.id))


ACTED = ("approve", "reject", "complete", "transfer", "return", "add_signer")


def _check_rejection(flow: Flow, reason: str, code: str) -> None:
    """A refusal states its reason (003 §二(二)2), and its code when the flow keeps a list."""
    errors = {}
    if not reason:
        errors["reason"] = "a rejection must state its reason"
    allowed = [c.value for c in flow.reject_codes]
    if allowed and code not in allowed:
        errors["code"] = f"choose one of: {', '.join(allowed)}"
    elif not allowed and code:
        errors["code"] = "this process keeps no list of rejection codes"
    if errors:
        raise ValidationFailed(errors)


def _hours_between(earlier: str, later: str) -> float:
    return (_moment(later) - _moment(earlier)).total_seconds() / 3600


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _distinct(people: list[Resolution]) -> list[Resolution]:
    seen: dict[str, Resolution] = {}
    for person in people:
        seen.setdefault(person.assignee, person)
    return list(seen.values())


def _cancel(instance_id: str, at: str, task: Task) -> Event:
    return {"action": "cancel", "instance": instance_id, "at": at, "actor": SYSTEM,
            "step": task.step, "task": task.id}


def _finish(instance_id: str, at: str, status: InstanceStatus) -> Event:
    return {"action": "finish", "instance": instance_id, "at": at, "actor": SYSTEM, "status": str(status)}


"""The engine: commands that read the current state and return the events they cause.

Commands never write: `runtime.service.Workflow` appends what they return to the log and folds it
into the projection. That keeps every rule of the flow here and in the step handlers the commands
walk with (`runtime.steps`, one module per step kind), testable without storage or HTTP, and
makes the event log the complete record of why an instance went where it went.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from builder.flows import Flow
from builder.policies import OnReject
from builder.permissions import EDITABLE, edit, editable_at_step
from builder.serial_numbers import assign_serials
from rules.evaluation import Evaluator
from runtime import events, rerun, subprocess_settling
from runtime.calendar import BusinessCalendar
from runtime.clock import from_stamp
from runtime.coverage import DIGEST, SIGNED, step_digest
from runtime.deadlines import plain_calendar
from runtime.definitions import Definitions, Event, Lookups
from runtime.errors import Conflict, Forbidden, TransitionNotAllowed, ValidationFailed, word
from runtime.i18n import N_
from runtime.org import Organisation, Resolution, User
from runtime.state import ACTED, ACTIONS_BY_KIND, Instance, InstanceStatus, Task, TaskStatus, evolve
from runtime.steps import HUMAN_STEPS, STEP_HANDLERS, SYSTEM, SYSTEM_USER, Walk, cancel, finish

__all__ = ["SYSTEM", "SYSTEM_USER", "Definitions", "Engine", "Event", "Lookups", "bounded", "check_version",
           "others_settled_with", "return_targets"]

class Engine:
    """Pure command logic; the clock and id source are injected so tests control both."""

    def __init__(self, org: Organisation, evaluator: Evaluator, now: Callable[[], str],
                 new_id: Callable[[], str], calendar: BusinessCalendar | None = None) -> None:
        self.org, self.evaluator, self.now, self.new_id = org, evaluator, now, new_id
        self.calendar = calendar or plain_calendar()  # what due dates count in
        self.lookups = Lookups()

    def start(self, defs: Definitions, submitter: User, data: dict[str, Any],
              parent: dict[str, str] | None = None, chosen: dict[str, list[str]] | None = None) -> list[Event]:
        """Events that open a new instance on clean `data` and walk to its first waiting step;
        `parent` names the instance and step that started it as a sub-process; `chosen`, the
        people the submitter picked for the steps that let them (checked: runtime.choices)."""
        at = self.now()
        started = self.started(defs, submitter, data, at, chosen)
        if parent:
            events.amend(started, parent=parent)
        walk = self.walk(defs, started["instance"], submitter.username, data, at, events=[started])
        walk.go(defs.flow.steps[0] if defs.flow.steps else None)
        return walk.events

    def started(self, defs: Definitions, submitter: User, data: dict[str, Any], at: str,
                chosen: dict[str, list[str]] | None = None) -> Event:
        """The event that opens a new instance (a normal start, or an urgent one), with its serial
        numbers given (the next per process, field and prefix, on the submission's local date)."""
        day = from_stamp(at).astimezone(self.calendar.zone).date()
        process = defs.flow.key
        data, serials = assign_serials(defs.form.fields, data, day,
                                       lambda key, prefix: self.lookups.serial(process, key, prefix),
                                       lambda key, number: self.lookups.serial_taken(process, key, number))
        return events.new("start", self.new_id(), at, submitter.username,
                          process=process, department=submitter.department, data=data,
                          **defs.pins(), **({"serials": serials} if serials else {}),
                          **({"chosen": chosen} if chosen else {}))

    def walk(self, defs: Definitions, instance: str, submitter: str, data: dict[str, Any], at: str,
             history: tuple[Event, ...] = (), events: Iterable[Event] = ()) -> Walk:
        """A walk through an instance's flow by this engine's step handlers (`runtime.steps`)."""
        return Walk(self, STEP_HANDLERS, defs, instance, submitter, data, at, history, list(events))

    def act(self, defs: Definitions, instance: Instance, task: Task, actor: User, action: str,
            text: str = "", expected_version: int | None = None,
            others_open: tuple[Task, ...] = (), code: str = "",
            edits: dict[str, Any] | None = None) -> list[Event]:
        """Events for `actor` taking `action` on `task`; checks who may act and in what state.

        `expected_version` is the task version the person saw: if the task has changed since,
        the action is refused rather than applied to something they did not see. `others_open`
        are the step's other open tasks (any/all modes), which this decision may settle.
        `edits` changes fields editable at this step; the event records the diff, and what the
        flow decides next sees the new data.
        """
        self._check_open(instance, task, actor, action)
        allowed = ACTIONS_BY_KIND.get(task.kind, {})
        if action not in allowed:
            raise Conflict(N_('cannot %(action)s here: a "%(kind)s" step allows only %(allowed)s',
                              action=word(action), kind=word(task.kind), allowed=word(", ".join(allowed))))
        check_version("task", task.version, expected_version)
        text = bounded("reason" if action == "reject" else "comment", text)
        if action == "reject" and actor is not SYSTEM_USER:  # the system states its reason, picks no code
            _check_rejection(defs.flow, text, code)
        if task.post_hoc and edits:  # what went ahead is what was approved after the fact, unchanged
            raise Conflict(N_("a post-hoc approval cannot change the data: the request has already gone ahead "
                              "on it; approve it, or reject it to flag it for review"))
        data, changes = _edited(defs, instance, task, action, edits, self.org, self.calendar)
        at = self.now()
        done = events.new(action, instance.id, at, actor.username,
                          step=task.step, task=task.id,
                          **{("reason" if action == "reject" else "comment"): text})
        if action == "reject" and code:
            events.amend(done, code=code)
        if changes:
            events.amend(done, changes=changes)
        if action in SIGNED and not task.post_hoc and actor is not SYSTEM_USER:  # what this person passed
            events.amend(done, **{DIGEST: step_digest(defs.flow, defs.form, task.step, data)})
        if task.post_hoc:  # green channel: settles its own step; the request went ahead long ago
            return [done, *self._settle_post_hoc(defs, instance, task, action, others_open, at)]
        step = defs.flow.step(task.step)
        on_reject: OnReject | None = getattr(step, "on_reject", None)
        if action == "reject" and on_reject is not None and not on_reject.ends:
            return self._rejected_back(defs, instance, task, done, on_reject, others_open)
        if action == "reject":
            return [done, *(cancel(instance.id, at, other) for other in others_open),
                    finish(instance.id, at, InstanceStatus.REJECTED)]
        same_step = [other for other in others_open if other.step == task.step]
        mode = getattr(step, "mode", "single")
        if changes and (again := rerun.edited(self, defs, instance, task, done, data, others_open,
                                              completes_step=not task.queue and not (mode == "all" and same_step))):
            return again  # an earlier approval no longer covers the data: it runs again first
        walk = self.walk(defs, instance.id, instance.submitter, data, at, instance.events, [done])
        if task.queue:  # sequential mode, a chain of heads, or a signer added after this person (加签)
            walk.emit(walk.task(step, Resolution(task.queue[0]), task.queue[1:]))
            return walk.events
        if mode == "all" and same_step:
            return [done]  # 会签: the step waits for everyone
        if mode == "any":
            walk.events += [cancel(instance.id, at, other) for other in same_step]
        if instance.resume_at and instance.resume_at != task.step:  # fixed: straight back to who returned it
            events.amend(done, resumed=instance.resume_at)
            walk.go(defs.flow.step(instance.resume_at))
        else:
            walk.last_approver = actor.username if action == "approve" else ""
            walk.go(defs.flow.successor(task.step))
        return walk.events

    def act_as_system(self, defs: Definitions, instance: Instance, task: Task, action: str, text: str,
                      others_open: tuple[Task, ...] = ()) -> list[Event]:
        """An automatic decision (a deadline's escalation): exactly the events the assignee's own
        decision would cause, the flow moving on the same way, recorded as the system's."""
        decided = self.act(defs, instance, evolve(task, assignee=SYSTEM), SYSTEM_USER, action, text,
                           others_open=others_open)
        return [events.amended(decided[0], auto=True), *decided[1:]]

    def withdraw(self, instance: Instance, open_tasks: tuple[Task, ...], actor: User) -> list[Event]:
        """The submitter takes the request back, as long as nobody has acted on it yet."""
        if actor.username != instance.submitter:
            raise Forbidden(N_("only the person who filed the request may withdraw it"))
        if instance.status is not InstanceStatus.RUNNING:
            raise TransitionNotAllowed("withdraw", str(instance.status), "request")
        if instance.parent:
            raise Conflict(N_("this request was started by another one as its sub-process: "
                              "withdraw that one instead"))
        children = (self.lookups.instance(c) for c in instance.children)
        acted = next((e for i in (instance, *(c for c in children if c)) for e in i.events if e["action"] in ACTED),
                     None)
        if acted is not None:
            raise Conflict(N_("cannot withdraw: %(who)s has already acted on it (%(action)s)",
                              who=acted["actor"], action=word(acted["action"])))
        at = self.now()
        return [events.new("withdraw", instance.id, at, actor.username),
                *(cancel(instance.id, at, task) for task in open_tasks),
                finish(instance.id, at, InstanceStatus.WITHDRAWN)]

    def send_back(self, defs: Definitions, instance: Instance, task: Task, actor: User, to: str,
                  reason: str, *, targets: list[str], others_open: tuple[Task, ...] = ()) -> list[Event]:
        """退回: to the submitter, or to one of the earlier steps it may go back to (`return_targets`); once
        fixed, the request comes back as the step says (`_resume_after`): straight back here by default."""
        self._check_open(instance, task, actor, "return")
        if task.post_hoc:
            raise Conflict(N_("a post-hoc approval cannot return the request: it has already gone ahead; "
                              "approve it, or reject it to flag it for review"))
        if to != "submitter" and to not in targets:
            choices = ", ".join(["submitter", *targets])
            raise ValidationFailed({"to": N_('cannot return to "%(to)s": one of %(choices)s',
                                             to=to, choices=choices)})
        reason = bounded("reason", reason)
        if not reason:
            raise ValidationFailed({"reason": N_("say what needs fixing")})
        at = self.now()
        event = events.new("return", instance.id, at, actor.username,
                           step=task.step, task=task.id, to=to, reason=reason,
                           resume=_resume_after(defs.flow, task.step, to))
        walk = self._going_back(defs, instance, event, others_open)
        if walk is None:
            raise ValidationFailed({"to": N_('cannot return to "%(to)s": nobody would act there now '
                                             "(the flow's policies pass it by)", to=to)})
        return walk.events

    def _going_back(self, defs: Definitions, instance: Instance, event: Event,
                    others_open: tuple[Task, ...]) -> Walk | None:
        """The walk of a request sent back as `event` says (`to`: the submitter or an earlier
        step): the other open tasks closed, unfinished sub-processes ended, the earlier step's
        tasks opened; None when nobody would act there now. A return and a rejection that
        sends the request back (`on_reject`) both go back this way."""
        at = event["at"]
        walk = self.walk(defs, instance.id, instance.submitter, instance.data, at, instance.events,
                         [event, *(cancel(instance.id, at, other) for other in others_open)])
        for child in subprocess_settling.unfinished_children(instance.id, [], self.lookups):  # in a lane, say
            walk.events += subprocess_settling.end_child(child, event, [], self.lookups)
        target = defs.flow.step(event["to"]) if event["to"] != "submitter" else None
        if target is not None and HUMAN_STEPS[target.kind].open(walk, target) is not None:
            return None
        return walk

    def _rejected_back(self, defs: Definitions, instance: Instance, task: Task, done: Event,
                       rule: OnReject, others_open: tuple[Task, ...]) -> list[Event]:
        """A rejection the step sends back (`on_reject`): the event stays a rejection, with where
        it went (`to`) and where the request picks up once fixed (`resume`: this step, the first
        step, or "" to go on from the earlier step). The earlier step must have been acted on by
        a person in this request and find someone now; else the request goes to the submitter."""
        flow = defs.flow
        to = rule.to if rule.to == "submitter" or _acted_by_person(flow, instance, rule.to) else "submitter"
        for going in dict.fromkeys((to, "submitter")):
            event = events.amended(done, to=going, resume=_resume_after(flow, task.step, going))
            if going != rule.to:
                events.amend(event, instead_of=rule.to)
            walk = self._going_back(defs, instance, event, others_open)
            if walk is not None:
                return walk.events
        raise AssertionError("a request can always go back to its submitter")

    def resubmit(self, defs: Definitions, instance: Instance, actor: User, data: dict[str, Any]) -> list[Event]:
        """The submitter sends a returned request again, with corrected data: straight back to
        the step that returned it, unless an earlier approval no longer covers the data
        (`runtime.rerun`)."""
        if actor.username != instance.submitter:
            raise Forbidden(N_("only the person who filed the request may resubmit it"))
        if instance.status is not InstanceStatus.RETURNED:
            raise TransitionNotAllowed("resubmit", str(instance.status), "request")
        at = self.now()
        return rerun.resubmitted(self, defs, instance, events.new("resubmit", instance.id, at, actor.username,
                                                                  data=data, resumed=instance.resume_at), data)

    def transfer(self, instance: Instance, task: Task, actor: User, to: User, comment: str = "") -> list[Event]:
        """转交: the assignee hands the task to someone else, who then acts in their place."""
        self._check_open(instance, task, actor, "transfer")
        if to.username in (actor.username, instance.submitter):
            refused = (N_("cannot transfer the task to yourself") if to.username == actor.username
                       else N_("cannot transfer the task to the person who filed the request"))
            raise ValidationFailed({"to": refused})
        return [events.new("transfer", instance.id, self.now(), actor.username,
                           step=task.step, task=task.id, to=to.username, comment=bounded("comment", comment))]

    def add_signer(self, instance: Instance, task: Task, actor: User, signer: User, position: str) -> list[Event]:
        """加签: someone else approves this step too, before this person or after them."""
        self._check_open(instance, task, actor, "add a signer")
        if task.kind != "approval":
            raise Conflict(N_('cannot add a signer to a "%(kind)s" step, only to an approval', kind=word(task.kind)))
        if position not in ("before", "after"):
            raise ValidationFailed({"position": N_('must be "before" or "after"')})
        if signer.username in (actor.username, instance.submitter) or signer.username in task.queue:
            raise ValidationFailed({"user": N_("%(who)s cannot be added: already on this step or filed the request",
                                               who=signer.username)})
        return [events.new("add_signer", instance.id, self.now(), actor.username,
                           step=task.step, task=task.id, user=signer.username, position=position)]

    def comment(self, instance: Instance, actor: User, text: str) -> list[Event]:
        """A remark on the record by anyone involved; it changes nothing else."""
        text = bounded("comment", text)
        if not text:
            raise ValidationFailed({"comment": N_("write something")})
        return [events.new("comment", instance.id, self.now(), actor.username, comment=text)]

    def urge(self, instance: Instance, task: Task, actor: User) -> list[Event]:
        """催办: the submitter reminds the assignee; at most once an hour per task."""
        if actor.username != instance.submitter:
            raise Forbidden(N_("only the person who filed the request may urge it on"))
        if task.status is not TaskStatus.OPEN:
            raise TransitionNotAllowed("urge", str(task.status))
        at = self.now()
        if task.urged_at and _hours_between(task.urged_at, at) < 1:
            raise Conflict(N_("this task was urged at %(at)s; urging is possible once an hour", at=task.urged_at))
        return [events.new("urge", instance.id, at, actor.username,
                           step=task.step, task=task.id, assignee=task.assignee)]

    def _check_open(self, instance: Instance, task: Task, actor: User, action: str) -> None:
        if task.assignee != actor.username:
            raise Forbidden(N_("task %(task)s is assigned to %(who)s, not to you", task=task.id, who=task.assignee))
        if task.status is not TaskStatus.OPEN:
            raise TransitionNotAllowed(action, str(task.status))
        if instance.status is not InstanceStatus.RUNNING and not task.post_hoc:  # post-hoc: whatever became of it
            raise TransitionNotAllowed(action, str(instance.status), "instance")

    def settle(self, events: list[Event]) -> list[Event]:
        """The events of a command, plus what the end of an instance causes elsewhere
        (`runtime.subprocess_settling`): all of it is committed together."""
        return subprocess_settling.settle(events, self.lookups, self.walk)

    def _settle_post_hoc(self, defs: Definitions, instance: Instance, task: Task, action: str,
                         others_open: tuple[Task, ...], at: str) -> list[Event]:
        """What follows a post-hoc decision (runtime/green_channel.py): the next person in a queue
        (same due date), or, after a rejection or a first approval in `any` mode, the step's other
        post-hoc tasks closed. Never a move of the request: a post-hoc rejection is recorded and
        flags the instance for review, but cannot undo what was done."""
        if action == "approve" and task.queue:
            walk = self.walk(defs, instance.id, instance.submitter, instance.data, at)
            following = walk.task(defs.flow.step(task.step), Resolution(task.queue[0]), task.queue[1:])
            return [events.amended(following, post_hoc=True, due=task.due)]
        if action == "reject" or getattr(defs.flow.step(task.step), "mode", "single") == "any":
            return [cancel(instance.id, at, other) for other in others_open]
        return []


def return_targets(flow: Flow, tasks: Iterable[Task], returning: Task | None = None) -> list[str]:
    """The earlier steps a request may be returned to, in the order they were done: steps a person
    completed on its main path (not post-hoc, not passed by a policy), outside parallel reviews
    (those run again whole), other than the returning task's own."""
    done = (t.step for t in tasks if t.status in (TaskStatus.APPROVED, TaskStatus.COMPLETED)
            and not t.post_hoc and t.assignee != SYSTEM)
    return [s for s in dict.fromkeys(done)
            if (returning is None or s != returning.step) and flow.parallel_of(s) is None]


def _resume_after(flow: Flow, step_id: str, to: str) -> str:
    """Where a request `step_id` sent back (to the submitter or the earlier step `to`) picks up once
    fixed, as the step's `on_reject.resume` says: straight back here, from the first step after a
    resubmission, or "" to go on from the earlier step."""
    rule: OnReject | None = getattr(flow.step(step_id), "on_reject", None)
    if rule is None or rule.resume == "here":
        return _returning_step(flow, step_id)
    return flow.steps[0].id if to == "submitter" else ""


def _returning_step(flow: Flow, step_id: str) -> str:
    """Where a request sent back from `step_id` comes back to: the step, or the parallel step
    around it (inside parallel review, all of it runs again)."""
    around = flow.parallel_of(step_id)
    return around.id if around else step_id


def _acted_by_person(flow: Flow, instance: Instance, step_id: str) -> bool:
    """Whether a person (not a policy, not a post-hoc approval) passed `step_id` in this request,
    outside parallel review: the earlier steps a request may be sent back to (as `return_targets`)."""
    post_hoc = {e["task"] for e in instance.events if e["action"] == "task" and e.get("post_hoc")}
    return flow.parallel_of(step_id) is None and any(
        e["action"] in ("approve", "complete") and e.get("step") == step_id and e["actor"] != SYSTEM
        and not e.get("auto") and e.get("task") not in post_hoc for e in instance.events)


def others_settled_with(task: Task, open_tasks: Iterable[Task]) -> tuple[Task, ...]:
    """The other open tasks a decision on `task` may settle: all of the main path's (a rejection
    ends the request), or, for a post-hoc approval, only its own step's post-hoc ones."""
    return tuple(t for t in open_tasks if t.id != task.id and t.post_hoc == task.post_hoc
                 and (t.step == task.step or not task.post_hoc))


MAX_TEXT = 2000  # characters of a comment or reason: a paragraph, not a document


def bounded(field: str, text: str) -> str:
    """A person's comment or reason, trimmed; refused (naming the field) when it is too long to
    be one, since it goes into the permanent record."""
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed({field: N_("at most %(max)s characters (this one has %(n)s)",
                                          max=MAX_TEXT, n=len(text))})
    return text


def check_version(what: str, current: int, seen: int | None) -> None:
    """Optimistic concurrency: refuse an action on a task or request that changed since the
    person saw it (`seen`, when they say), rather than apply it to something they did not see."""
    if seen is not None and seen != current:
        raise Conflict(N_("the %(what)s has changed since you opened it (now version %(now)s, "
                          "you saw version %(seen)s); reload it and try again",
                          what=word(what), now=current, seen=seen))


def _check_rejection(flow: Flow, reason: str, code: str) -> None:
    """A refusal states its reason (003 §二(二)2), and its code when the flow keeps a list."""
    errors = {}
    if not reason:
        errors["reason"] = N_("a rejection must state its reason")
    allowed = [c.value for c in flow.reject_codes]
    if allowed and code not in allowed:
        errors["code"] = N_("choose one of: %(codes)s", codes=", ".join(allowed))
    elif not allowed and code:
        errors["code"] = N_("this process keeps no list of rejection codes")
    if errors:
        raise ValidationFailed(errors)


def _edited(defs: Definitions, instance: Instance, task: Task, action: str,
            edits: dict[str, Any] | None, org: Organisation,
            calendar: BusinessCalendar) -> tuple[dict[str, Any], dict[str, Any]]:
    """The instance's data after `edits` at this task's step, and the diff; a step with editable
    fields checks them even when nothing is sent, since required ones are required from here."""
    if action not in ("approve", "complete"):
        if edits:
            raise ValidationFailed({"data": N_("cannot change the data when you %(action)s", action=word(action))})
        return instance.data, {}
    step = defs.flow.step(task.step)
    if not edits and EDITABLE not in getattr(step, "fields", {}).values():
        return instance.data, {}  # the common case: nothing editable here, nothing sent
    editable = editable_at_step(step, defs.form)
    if not editable and not edits:
        return instance.data, {}
    result = edit(defs.form, instance.data, edits or {}, editable, directory=org, workdays=calendar.workdays_between)
    if result.errors:
        raise ValidationFailed(result.errors)
    return result.data, result.changes


def _hours_between(earlier: str, later: str) -> float:
    return (from_stamp(later) - from_stamp(earlier)).total_seconds() / 3600

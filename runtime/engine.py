"""The engine: commands that read the current state and return the events they cause.

Commands never write: `runtime.service.Workflow` appends what they return to the log and folds it
into the projection. That keeps every rule of the flow here, testable without storage or HTTP,
and makes the event log the complete record of why an instance went where it went.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from builder.flows import BranchStep, Flow, Join, NotifyStep, ParallelStep, Step, SubflowStep
from builder.formdata import clean_submission
from builder.forms import Form
from builder.permissions import EDITABLE, edit, editable_at_step
from builder.serial_numbers import assign_serials
from rules.conditions import condition_fields, matches
from rules.evaluation import Evaluator
from rules.ruleset import Ruleset
from runtime import notes
from runtime.assignment import Assignment, Delegations, assign
from runtime.calendar import BusinessCalendar
from runtime.clock import from_stamp
from runtime.deadlines import due_stamp, plain_calendar
from runtime.errors import Conflict, Forbidden, TransitionNotAllowed, ValidationFailed, word
from runtime.i18n import N_
from runtime.org import Organisation, Resolution, User, describe
from runtime.state import ACTED, ACTIONS_BY_KIND, TASK_ACTIONS, Instance, InstanceStatus, Task, TaskStatus, evolve

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


@dataclass
class Lookups:
    """What the engine may read beyond the instance at hand: other instances (a sub-process's
    parent and children) and definitions. The service supplies them from its in-memory state."""

    instance: Callable[[str], Instance | None] = lambda _: None
    open_tasks: Callable[[str], tuple[Task, ...]] = lambda _: ()
    latest: Callable[[str], Definitions] | None = None
    pinned: Callable[[Event], Definitions] | None = None  # by the versions a start event pins
    away: Delegations | None = None
    serial: Callable[[str, str, str], int] = lambda process, field, prefix: 0  # highest given so far
    serial_taken: Callable[[str, str, str], bool] = lambda process, field, number: False  # ever given


@dataclass
class _Run:
    """One walk through one instance's flow: what it reads, and the events it has caused so far
    (`events` may also hold a sub-process's events, which carry their own instance id)."""

    defs: Definitions
    instance: str
    submitter: str
    data: dict[str, Any]
    at: str
    history: tuple[Event, ...] = ()
    events: list[Event] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def mine(self) -> list[Event]:
        """This instance's events, recorded and new, oldest first."""
        return [*self.history, *(e for e in self.events if e["instance"] == self.instance)]

    @property
    def chosen(self) -> dict[str, list[str]]:
        """Who the submitter chose at the start for the steps that let them (发起人自选), by step id."""
        return next((e.get("chosen", {}) for e in self.mine() if e["action"] == "start"), {})


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
        started = self._started(defs, submitter, data, at, chosen)
        if parent:
            started["parent"] = parent
        run = _Run(defs, started["instance"], submitter.username, data, at, events=[started])
        self._walk(run, defs.flow.steps[0] if defs.flow.steps else None)
        return run.events

    def _started(self, defs: Definitions, submitter: User, data: dict[str, Any], at: str,
                 chosen: dict[str, list[str]] | None = None) -> Event:
        """The event that opens a new instance (a normal start, or an urgent one), with its serial
        numbers given (the next per process, field and prefix, on the submission's local date)."""
        day = from_stamp(at).astimezone(self.calendar.zone).date()
        process = defs.flow.key
        data, serials = assign_serials(defs.form.fields, data, day,
                                       lambda key, prefix: self.lookups.serial(process, key, prefix),
                                       lambda key, number: self.lookups.serial_taken(process, key, number))
        return {"action": "start", "instance": self.new_id(), "at": at, "actor": submitter.username,
                "process": process, "department": submitter.department, "data": data,
                **defs.pins(), **({"serials": serials} if serials else {}), **({"chosen": chosen} if chosen else {})}

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
        data, changes = _edited(defs, instance, task, action, edits, self.org)
        at = self.now()
        done: Event = {"action": action, "instance": instance.id, "at": at, "actor": actor.username,
                       "step": task.step, "task": task.id,
                       ("reason" if action == "reject" else "comment"): text}
        if action == "reject" and code:
            done["code"] = code
        if changes:
            done["changes"] = changes
        if task.post_hoc:  # green channel: settles its own step; the request went ahead long ago
            return [done, *self._settle_post_hoc(defs, instance, task, action, others_open, at)]
        if action == "reject":
            return [done, *(_cancel(instance.id, at, other) for other in others_open),
                    _finish(instance.id, at, InstanceStatus.REJECTED)]
        same_step = [other for other in others_open if other.step == task.step]
        step = defs.flow.step(task.step)
        mode = getattr(step, "mode", "single")
        run = _Run(defs, instance.id, instance.submitter, data, at, instance.events, [done])
        if task.queue:  # sequential mode, a chain of heads, or a signer added after this person (加签)
            run.emit(self._task(run, step, Resolution(task.queue[0]), task.queue[1:]))
            return run.events
        if mode == "all" and same_step:
            return [done]  # 会签: the step waits for everyone
        if mode == "any":
            run.events += [_cancel(instance.id, at, other) for other in same_step]
        if instance.resume_at and instance.resume_at != task.step:  # fixed: straight back to who returned it
            done["resumed"] = instance.resume_at
            self._walk(run, defs.flow.step(instance.resume_at))
        else:
            self._walk(run, defs.flow.successor(task.step), actor.username if action == "approve" else "")
        return run.events

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
        return [{"action": "withdraw", "instance": instance.id, "at": at, "actor": actor.username},
                *(_cancel(instance.id, at, task) for task in open_tasks),
                _finish(instance.id, at, InstanceStatus.WITHDRAWN)]

    def send_back(self, defs: Definitions, instance: Instance, task: Task, actor: User, to: str,
                  reason: str, *, targets: list[str], others_open: tuple[Task, ...] = ()) -> list[Event]:
        """退回: to the submitter, or to one of the earlier steps it may go back to (`return_targets`); once
        fixed, the request comes straight back to this step."""
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
        around = defs.flow.parallel_of(task.step)  # inside parallel review, all of it runs again
        event: Event = {"action": "return", "instance": instance.id, "at": at, "actor": actor.username,
                        "step": task.step, "task": task.id, "to": to, "reason": reason,
                        "resume": around.id if around else task.step}
        run = _Run(defs, instance.id, instance.submitter, instance.data, at, instance.events,
                   [event, *(_cancel(instance.id, at, other) for other in others_open)])
        for child in _unfinished_children(instance.id, [], self.lookups):  # a sub-process in a lane ends too
            run.events += self._end_child(child, event, [])
        if to != "submitter" and self._assign_step(run, defs.flow.step(to)) is not None:
            raise ValidationFailed({"to": N_('cannot return to "%(to)s": nobody would act there now '
                                             "(the flow's policies pass it by)", to=to)})
        return run.events

    def resubmit(self, defs: Definitions, instance: Instance, actor: User, data: dict[str, Any]) -> list[Event]:
        """The submitter sends a returned request again, with corrected data."""
        if actor.username != instance.submitter:
            raise Forbidden(N_("only the person who filed the request may resubmit it"))
        if instance.status is not InstanceStatus.RETURNED:
            raise TransitionNotAllowed("resubmit", str(instance.status), "request")
        at = self.now()
        run = _Run(defs, instance.id, instance.submitter, data, at, instance.events,
                   [{"action": "resubmit", "instance": instance.id, "at": at, "actor": actor.username,
                     "data": data, "resumed": instance.resume_at}])
        self._walk(run, defs.flow.step(instance.resume_at))
        return run.events

    def transfer(self, instance: Instance, task: Task, actor: User, to: User, comment: str = "") -> list[Event]:
        """转交: the assignee hands the task to someone else, who then acts in their place."""
        self._check_open(instance, task, actor, "transfer")
        if to.username in (actor.username, instance.submitter):
            refused = (N_("cannot transfer the task to yourself") if to.username == actor.username
                       else N_("cannot transfer the task to the person who filed the request"))
            raise ValidationFailed({"to": refused})
        return [{"action": "transfer", "instance": instance.id, "at": self.now(), "actor": actor.username,
                 "step": task.step, "task": task.id, "to": to.username, "comment": bounded("comment", comment)}]

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
        return [{"action": "add_signer", "instance": instance.id, "at": self.now(), "actor": actor.username,
                 "step": task.step, "task": task.id, "user": signer.username, "position": position}]

    def comment(self, instance: Instance, actor: User, text: str) -> list[Event]:
        """A remark on the record by anyone involved; it changes nothing else."""
        text = bounded("comment", text)
        if not text:
            raise ValidationFailed({"comment": N_("write something")})
        return [{"action": "comment", "instance": instance.id, "at": self.now(), "actor": actor.username,
                 "comment": text}]

    def urge(self, instance: Instance, task: Task, actor: User) -> list[Event]:
        """催办: the submitter reminds the assignee; at most once an hour per task."""
        if actor.username != instance.submitter:
            raise Forbidden(N_("only the person who filed the request may urge it on"))
        if task.status is not TaskStatus.OPEN:
            raise TransitionNotAllowed("urge", str(task.status))
        at = self.now()
        if task.urged_at and _hours_between(task.urged_at, at) < 1:
            raise Conflict(N_("this task was urged at %(at)s; urging is possible once an hour", at=task.urged_at))
        return [{"action": "urge", "instance": instance.id, "at": at, "actor": actor.username,
                 "step": task.step, "task": task.id, "assignee": task.assignee}]

    def _check_open(self, instance: Instance, task: Task, actor: User, action: str) -> None:
        if task.assignee != actor.username:
            raise Forbidden(N_("task %(task)s is assigned to %(who)s, not to you", task=task.id, who=task.assignee))
        if task.status is not TaskStatus.OPEN:
            raise TransitionNotAllowed(action, str(task.status))
        if instance.status is not InstanceStatus.RUNNING and not task.post_hoc:  # post-hoc: whatever became of it
            raise TransitionNotAllowed(action, str(instance.status), "instance")

    def settle(self, events: list[Event]) -> list[Event]:
        """The events of a command, plus what the end of an instance causes elsewhere: a finished
        sub-process lets its parent go on (or rejects it), and a parent that ends takes its
        running sub-processes with it. All of it is committed together."""
        out = list(events)
        index = 0
        while index < len(out):
            event = out[index]
            index += 1
            if event["action"] != "finish":
                continue
            started = _start_of(event["instance"], out, self.lookups)
            parent = started.get("parent") if started else None
            if (parent and not event.get("ended_by")
                    and _status_in(parent["instance"], out, self.lookups) is InstanceStatus.RUNNING):
                out += self._child_ended(parent, event, out)
            for child in _unfinished_children(event["instance"], out, self.lookups):
                out += self._end_child(child, event, out)
        return out

    def _child_ended(self, parent: dict[str, str], finish: Event, batch: list[Event]) -> list[Event]:
        instance = self.lookups.instance(parent["instance"])
        started = _start_of(parent["instance"], batch, self.lookups)
        assert started is not None and self.lookups.pinned is not None
        defs = self.lookups.pinned(started)
        history = (instance.events if instance else ()) + tuple(e for e in batch if e["instance"] == started["instance"])
        run = _Run(defs, started["instance"], started["actor"], instance.data if instance else started["data"],
                   finish["at"], history)
        run.emit({"action": "subflow_done", "instance": run.instance, "at": finish["at"], "actor": SYSTEM,
                  "step": parent["step"], "child": finish["instance"], "status": finish["status"]})
        if finish["status"] == str(InstanceStatus.COMPLETED):
            self._walk(run, defs.flow.successor(parent["step"]))
        else:
            run.events += [_cancel(run.instance, finish["at"], task)
                           for task in _open_in(run.instance, batch, self.lookups)]
            run.emit(_finish(run.instance, finish["at"], InstanceStatus.REJECTED))
        return run.events

    def _end_child(self, child: str, cause: Event, batch: list[Event]) -> list[Event]:
        """A sub-process ends with what started it (`cause`: its end, or a return that runs its
        step again); `ended_by` keeps that end from being carried back up as the child's verdict."""
        at = cause["at"]
        why = notes.PARENT_RETURNED if cause["action"] == "return" else notes.PARENT_ENDED
        return [*(_cancel(child, at, task) for task in _open_in(child, batch, self.lookups)),
                {"action": "finish", "instance": child, "at": at, "actor": SYSTEM, "ended_by": cause["instance"],
                 "status": str(InstanceStatus.WITHDRAWN), "reason": str(why)}]

    def _walk(self, run: _Run, step: Step | Join | None, last_approver: str = "") -> None:
        """From `step` on: decide branches, fork parallel lanes, start sub-processes, open the tasks
        of human steps (or pass them by, as the flow's policies say: `_assign_step`), until every
        path waits for a person, or the flow ends. `last_approver` approved the step just before."""
        flow = run.defs.flow
        while step is not None:
            if isinstance(step, Join):
                if not self._arrive(run, step):
                    return
                step = flow.successor(step.step)
            elif isinstance(step, BranchStep):
                decided, step = self._decide(run, step)
                run.emit(decided)
            elif isinstance(step, ParallelStep):
                run.emit(self._event(run, "fork", step=step.id, lanes=len(step.branches)))
                for lane in step.lanes():
                    self._walk(run, lane[0], last_approver)
                return
            elif isinstance(step, SubflowStep):
                self._start_child(run, step)
                return
            elif isinstance(step, NotifyStep):
                self._notify(run, step)
                step = flow.successor(step.id)
            elif (passed_by := self._assign_step(run, step, last_approver)) is not None:
                last_approver = passed_by
                step = flow.successor(step.id)
            else:
                return
        run.emit(_finish(run.instance, run.at, InstanceStatus.COMPLETED))

    def _notify(self, run: _Run, step: NotifyStep) -> None:
        """抄送: record who is copied in (they may then read the request); nobody has to act."""
        people = self.org.candidates(step.assignee, run.submitter, run.data)
        run.emit(self._event(run, "notify", step=step.id, recipients=list(dict.fromkeys(people))))

    def _arrive(self, run: _Run, join: Join) -> bool:
        """Record that a parallel lane has finished; True once all lanes have (exactly once:
        commands run one at a time, and the lane that completes the set is the one that joins)."""
        run.emit(self._event(run, "arrive", step=join.step, lane=join.lane))
        arrived: set[int] = set()
        for event in reversed(run.mine()):
            if event["action"] == "fork" and event["step"] == join.step:
                break
            if event["action"] == "arrive" and event["step"] == join.step:
                arrived.add(event["lane"])
        parallel = run.defs.flow.step(join.step)
        if len(arrived) < len(getattr(parallel, "branches")):
            return False
        run.emit(self._event(run, "join", step=join.step))
        return True

    def _start_child(self, run: _Run, step: SubflowStep) -> None:
        if self.lookups.latest is None:
            raise Conflict(N_('cannot start sub-process "%(process)s" here', process=step.process))
        defs = self.lookups.latest(step.process)
        raw = {child: run.data[own] for child, own in step.inputs.items() if own in run.data}
        data, errors = clean_submission(defs.form, raw, directory=self.org)
        if errors:
            detail = "; ".join(f"{name}: {message}" for name, message in errors.items())
            raise Conflict(N_('cannot start sub-process "%(process)s" with this request\'s data (%(detail)s)',
                              process=step.process, detail=detail))
        child = self.start(defs, self.org.user(run.submitter), data,
                           parent={"instance": run.instance, "step": step.id})
        run.emit(self._event(run, "subflow", step=step.id, process=step.process, child=child[0]["instance"]))
        run.events += child

    def _assign_step(self, run: _Run, step: Step, last_approver: str = "") -> str | None:
        """Open the tasks of a human step, and None: the walk waits. When a policy passes the step
        by (skipped, or approved automatically), the walk goes on: the answer is who counts as the
        last approver from here ("" when nobody approved)."""
        mode = getattr(step, "mode", "single")
        assignee = getattr(step, "assignee")
        if assignee.kind == "dept_heads" and mode == "single":
            mode = "sequential"  # 连续多级主管: each head in turn
        assignment = self._assignment(run, step, single=mode == "single")
        if assignment.skip:
            run.emit(self._event(run, "skip", step=step.id, reason=str(assignment.why)))
            return ""
        if assignment.auto_approve:
            self._auto_pass(run, step, Resolution(SYSTEM, assignment.why), assignment.why)
            return ""
        people = assignment.people
        if (run.defs.flow.policies.repeat_approver == "auto_approve" and step.kind == "approval"
                and len(people) == 1 and last_approver and people[0].assignee == last_approver):
            self._auto_pass(run, step, people[0], notes.REPEAT_APPROVER.fill(who=last_approver))
            return last_approver  # a third step in a row for them passes too
        if mode == "sequential":
            run.emit(self._task(run, step, people[0], tuple(p.assignee for p in people[1:])))
        else:
            run.events += [self._task(run, step, person) for person in people]
        return None

    def _auto_pass(self, run: _Run, step: Step, person: Resolution, why: str) -> None:
        task = self._task(run, step, person)
        action = "approve" if step.kind == "approval" else "complete"
        run.events += [task, self._event(run, action, step=step.id, task=task["task"], auto=True, comment=str(why))]

    def _assignment(self, run: _Run, step: Step, *, single: bool) -> Assignment:
        """Who the step goes to, by its assignee and the flow's policies."""
        assignee = getattr(step, "assignee")
        interchangeable = assignee.kind == "role"
        why: Callable[[], str] = lambda: notes.NOBODY_FITS.fill(who=describe(assignee))  # only when said
        if assignee.kind == "ruleset":
            decision = self.evaluator.evaluate(run.defs.rulesets[assignee.ruleset], run.defs.form.facts(run.data))
            named = decision.outcome.get(assignee.output)
            interchangeable = named in self.org.roles
            candidates = (self.org.holders(named) if interchangeable
                          else [named] if named in self.org.users else [])
            why = lambda: notes.RULESET_NAMED_NOBODY.fill(ruleset=decision.ruleset, version=decision.version,
                                                          named=repr(named))
        elif assignee.kind == "chosen":
            candidates = [u for u in run.chosen.get(step.id, []) if u in self.org.users]
            interchangeable = False
        else:
            candidates = self.org.candidates(assignee, run.submitter, run.data)
        chosen = assign(self.org, candidates, run.submitter, run.defs.flow.policies, nobody_fits=why,
                        single=single, interchangeable=interchangeable, at=run.at, away=self.lookups.away)
        if assignee.kind == "ruleset" and chosen.people:
            named_by = notes.NAMED_BY_RULESET.fill(ruleset=decision.ruleset, version=decision.version,
                                                   output=assignee.output)
            chosen = Assignment(tuple(replace(p, note=p.note or named_by) for p in chosen.people))
        return chosen

    def _event(self, run: _Run, action: str, **details: Any) -> Event:
        return {"action": action, "instance": run.instance, "at": run.at, "actor": SYSTEM, **details}

    def _task(self, run: _Run, step: Step, person: Resolution, queue: tuple[str, ...] = ()) -> Event:
        event = self._event(run, "task", step=step.id, task=self.new_id(), kind=step.kind,
                            assignee=person.assignee, note=str(person.note))
        if queue:
            event["queue"] = list(queue)
        if person.on_behalf_of:
            event["for"] = person.on_behalf_of
        if due := due_stamp(self.calendar, run.at, getattr(step, "deadline", None)):
            event["due"] = due
        return event

    def _settle_post_hoc(self, defs: Definitions, instance: Instance, task: Task, action: str,
                         others_open: tuple[Task, ...], at: str) -> list[Event]:
        """What follows a post-hoc decision (runtime/green_channel.py): the next person in a queue
        (same due date), or, after a rejection or a first approval in `any` mode, the step's other
        post-hoc tasks closed. Never a move of the request: a post-hoc rejection is recorded and
        flags the instance for review, but cannot undo what was done."""
        if action == "approve" and task.queue:
            run = _Run(defs, instance.id, instance.submitter, instance.data, at)
            following = self._task(run, defs.flow.step(task.step), Resolution(task.queue[0]), task.queue[1:])
            return [{**following, "post_hoc": True, "due": task.due}]
        if action == "reject" or getattr(defs.flow.step(task.step), "mode", "single") == "any":
            return [_cancel(instance.id, at, other) for other in others_open]
        return []

    def _decide(self, run: _Run, step: BranchStep) -> tuple[Event, Step | Join | None]:
        """Pick a branch by the step's ruleset, or by the branches' own conditions, and record why."""
        defs = run.defs
        facts = defs.form.facts(run.data)
        event = self._event(run, "decide", step=step.id)
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


def return_targets(flow: Flow, tasks: Iterable[Task], returning: Task | None = None) -> list[str]:
    """The earlier steps a request may be returned to, in the order they were done: steps a person
    completed on its main path (not post-hoc, not passed by a policy), outside parallel reviews
    (those run again whole), other than the returning task's own."""
    done = (t.step for t in tasks if t.status in (TaskStatus.APPROVED, TaskStatus.COMPLETED)
            and not t.post_hoc and t.assignee != SYSTEM)
    return [s for s in dict.fromkeys(done)
            if (returning is None or s != returning.step) and flow.parallel_of(s) is None]


def others_settled_with(task: Task, open_tasks: Iterable[Task]) -> tuple[Task, ...]:
    """The other open tasks a decision on `task` may settle: all of the main path's (a rejection
    ends the request), or, for a post-hoc approval, only its own step's post-hoc ones."""
    return tuple(t for t in open_tasks if t.id != task.id and t.post_hoc == task.post_hoc
                 and (t.step == task.step or not task.post_hoc))


CLOSES = (*TASK_ACTIONS, "cancel", "return")  # the events after which a task is no longer open


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
            edits: dict[str, Any] | None, org: Organisation) -> tuple[dict[str, Any], dict[str, Any]]:
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
    result = edit(defs.form, instance.data, edits or {}, editable, directory=org)
    if result.errors:
        raise ValidationFailed(result.errors)
    return result.data, result.changes


def _hours_between(earlier: str, later: str) -> float:
    return (from_stamp(later) - from_stamp(earlier)).total_seconds() / 3600


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


def _unfinished_children(instance_id: str, batch: list[Event], lookups: Lookups) -> list[str]:
    """Sub-processes of the instance still running or back with the submitter."""
    instance = lookups.instance(instance_id)
    events = [*(instance.events if instance else ()), *(e for e in batch if e["instance"] == instance_id)]
    children = [e["child"] for e in events if e["action"] == "subflow"]
    return [c for c in children
            if _status_in(c, batch, lookups) in (InstanceStatus.RUNNING, InstanceStatus.RETURNED)]


def _open_in(instance_id: str, batch: list[Event], lookups: Lookups) -> list[Task]:
    """The instance's open tasks once `batch` is applied: recorded ones not closed by the batch,
    and ones the batch opened and did not close (as far as cancelling them needs: step and id)."""
    closed = {e["task"] for e in batch if e["instance"] == instance_id and e["action"] in CLOSES}
    recorded = [t for t in lookups.open_tasks(instance_id) if t.id not in closed]
    opened = [Task(id=e["task"], instance=instance_id, process="", step=e["step"], kind=e["kind"],
                   assignee=e["assignee"], created=e["at"])
              for e in batch if e["instance"] == instance_id and e["action"] == "task" and e["task"] not in closed]
    return [*recorded, *opened]


def _cancel(instance_id: str, at: str, task: Task) -> Event:
    return {"action": "cancel", "instance": instance_id, "at": at, "actor": SYSTEM,
            "step": task.step, "task": task.id}


def _finish(instance_id: str, at: str, status: InstanceStatus) -> Event:
    return {"action": "finish", "instance": instance_id, "at": at, "actor": SYSTEM, "status": str(status)}


"""What-if with the real organisation: the route a request would take and who would act at each
step today, found by running the engine's own commands on a scratch state.

Nothing here re-states a rule of the flow: an `Engine` sharing the workflow's organisation,
evaluator, calendar, clock and delegations starts the request and then every open task is
approved (or completed) as its assignee, until the request ends, exactly as the service would
commit it — sub-processes, parallel lanes, sequential queues, the no-assignee and self-approval
policies included. Events go to a scratch projection, never to the log: the real state is not
touched. The draft being designed can be simulated before it is published.

People are found as the engine would find them today, but due dates are not all counted from
today: each task is acted on, in the scratch run, at the latest it would be done — when it falls
due, or at once without a time limit — so a step's due date counts on the business calendar from
the latest moment the step before it would be done (after a parallel step, its slowest lane). A
due date is the latest a step would be due if every step before it took its full time.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from builder.formdata import clean_submission
from builder.permissions import editable_at_step, not_asked_at_start
from builder.text import localize
from runtime import i18n, notes
from runtime.condition_names import subject_names
from runtime.choices import check_choices
from runtime.deadlines import due_stamp
from runtime.engine import Definitions, Engine, Event, Lookups, others_settled_with
from runtime.errors import Conflict, ValidationFailed
from runtime.i18n import N_
from runtime.org import User
from runtime.service import Workflow
from runtime.state import InstanceStatus, Projection, Task, TaskStatus

MAX_EVENTS = 2000  # a flow that would run longer than this is a loop, not a request
ACTION_OF_KIND = {"approval": "approve", "task": "complete"}


@dataclass(frozen=True)
class PathStep:
    """One step the request passes, in the order it is reached."""

    step: str
    kind: str
    people: tuple[dict[str, Any], ...] = ()  # {"username","name","note"?,"for"?}: who acts or is copied in
    because: str = ""  # a branch: which branch and why; a step passed by: the policy's note
    due: str = ""  # the latest the step would be due, every step before it taking its full time; "" without a limit
    outcome: str = ""  # "branch 2" / "otherwise" / "skipped" / "auto-approved" / ""
    branch: int | None = None  # a branch step: the branch taken, None for otherwise
    instance: str = ""  # the (scratch) request it belongs to: a sub-process has its own
    decision: dict[str, Any] | None = field(default=None, compare=False)  # a branch: its decide event, to word it

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "kind": self.kind, "people": list(self.people)}
        for name in ("because", "due", "outcome"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.kind == "branch":
            out["branch"] = self.branch
        return out


@dataclass(frozen=True)
class Simulation:
    path: tuple[PathStep, ...]
    status: str  # how the request would end: "completed", or "waiting" when a step needs input
    waiting: dict[str, str] = field(default_factory=dict)  # field → what the step still needs

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": [p.to_dict() for p in self.path], "status": self.status}
        if self.waiting:
            out["waiting"] = self.waiting
        return out

    def taken(self) -> frozenset[str]:
        return frozenset(p.step for p in self.path)

    def route(self) -> tuple[str, ...]:
        """The step ids in the order reached: what a saved scenario keeps and compares."""
        return tuple(p.step for p in self.path)


def simulate(workflow: Workflow, defs: Definitions, submitter: str, data: dict[str, Any],
             chosen: Any = None, *, partial: bool = False) -> Simulation:
    """The path a request filed by `submitter` with form data `data` (and `chosen`, the people
    picked for the steps that let the submitter choose) would take on `defs` (a draft or a
    published version), with the people the engine would choose today. `partial`: a form still
    being filled in (the start form's route panel) runs on the values that are valid so far,
    the others left out, rather than being refused."""
    unknown = {} if isinstance(submitter, str) and submitter in workflow.org.users else \
        {"submitter": N_("choose who files the request (a user of the organisation)")}
    if not isinstance(data, dict):
        raise ValidationFailed({**unknown, "data": N_("must be an object of field values")})
    later = not_asked_at_start(defs.flow, defs.form)  # the sample's values for these are used at their steps
    clean, errors = clean_submission(defs.form, {k: v for k, v in data.items() if k not in later}, skip=later,
                                     directory=workflow.org, workdays=workflow.calendar.workdays_between)
    people, choice_errors = check_choices(defs.flow, chosen, workflow.org)
    if partial and not unknown:
        errors, choice_errors = {}, {}
    if unknown or errors or choice_errors:  # every problem at once, as a start form shows them
        raise ValidationFailed({**unknown, **errors, **choice_errors})
    return _Scratch(workflow, defs).run(workflow.org.user(submitter), clean, data, people)


class _Scratch:
    """One simulation: an engine of its own over a projection of its own."""

    def __init__(self, workflow: Workflow, defs: Definitions) -> None:
        self.workflow, self.defs = workflow, defs
        self.state = Projection()
        ids = itertools.count(1)
        real = workflow.engine
        self.engine = Engine(workflow.org, real.evaluator, real.now, lambda: f"sim-{next(ids)}", real.calendar)
        self.engine.lookups = Lookups(
            instance=self.state.instances.get, open_tasks=self._open, latest=workflow.latest, pinned=self._pinned,
            away=real.lookups.away)
        self.events: list[Event] = []
        self.moments: list[str] = []  # of each event: the latest moment it would happen (module docstring)
        self.done_by: dict[str, str] = {}  # task id → the latest it would be done: when due, else when created
        self.root = ""

    def run(self, submitter: User, data: dict[str, Any], sample: dict[str, Any],
            chosen: dict[str, list[str]]) -> Simulation:
        started = self.engine.start(self.defs, submitter, data, chosen=chosen)
        self.root = started[0]["instance"]
        self._commit(started, started[0]["at"])
        while (task := self._next_task()) is not None:
            instance = self.state.instances[task.instance]
            defs = self._defs_of(instance.id)
            step = defs.flow.step(task.step)
            edits = {k: sample[k] for k in editable_at_step(step, defs.form) if k in sample}
            others = others_settled_with(task, self._open(instance.id))
            try:
                caused = self.engine.act(defs, instance, task, self.workflow.org.user(task.assignee),
                                         ACTION_OF_KIND[task.kind], edits=edits or None, others_open=others)
            except ValidationFailed as failed:  # the step needs what the sample does not give
                return Simulation(self._path(), "waiting", i18n.localized_errors(failed.errors))
            self._commit(caused, self.done_by[task.id])
        status = self.state.instances[self.root].status
        return Simulation(self._path(), str(status))

    # --- the scratch service ---------------------------------------------------------------
    def _commit(self, events: list[Event], moment: str) -> None:
        """Apply what a command caused, at `moment`: the latest the command would be given (the
        task acted on done at the latest). Tasks created then are due counting from it."""
        for event in self.engine.settle(events):
            if event["action"] == "join":  # after the slowest lane
                moment = max([moment, *self._arrivals(event)])
            elif event["action"] == "task":
                event = self._due_from(event, moment)
            self.state.apply(event)
            self.events.append(event)
            self.moments.append(moment)
        if len(self.events) > MAX_EVENTS:
            raise Conflict(N_("the simulation ran past %(max)s events: the flow would never end", max=MAX_EVENTS))

    def _due_from(self, task: Event, moment: str) -> Event:
        """The task event with its due counted from `moment` rather than from now."""
        step = self._defs_of(task["instance"]).flow.step(task["step"])
        due = due_stamp(self.engine.calendar, moment, getattr(step, "deadline", None))
        self.done_by[task["task"]] = due or moment
        return {**task, "due": due} if due else task

    def _arrivals(self, join: Event) -> list[str]:
        """The moments each lane of the parallel step `join` closes arrived, since it forked."""
        out: list[str] = []
        for event, moment in zip(reversed(self.events), reversed(self.moments)):
            if event.get("instance") == join["instance"] and event.get("step") == join["step"]:
                if event["action"] == "fork":
                    break
                if event["action"] == "arrive":
                    out.append(moment)
        return out

    def _open(self, instance_id: str) -> tuple[Task, ...]:
        instance = self.state.instances.get(instance_id)
        if instance is None:
            return ()
        return tuple(t for t in (self.state.tasks[i] for i in instance.task_ids)
                     if t.status is TaskStatus.OPEN and not t.post_hoc)

    def _next_task(self) -> Task | None:
        """The oldest open task of any running request of this simulation."""
        for task in self.state.tasks.values():
            instance = self.state.instances[task.instance]
            if task.status is TaskStatus.OPEN and not task.post_hoc and instance.status is InstanceStatus.RUNNING:
                return task
        return None

    def _pinned(self, started: Event) -> Definitions:
        return self.defs if started["instance"] == self.root or not self.root else self.workflow.pinned_by(started)

    def _defs_of(self, instance_id: str) -> Definitions:
        if instance_id == self.root:
            return self.defs
        return self.workflow.pinned(self.state.instances[instance_id])

    # --- the path ----------------------------------------------------------------------------
    def _path(self) -> tuple[PathStep, ...]:
        """The steps in the order they were reached, read off the scratch events."""
        org, locale = self.workflow.org, i18n.current_locale.get()
        order: list[tuple[str, str]] = []  # (instance, step) as first reached
        reached: dict[tuple[str, str], dict[str, Any]] = {}
        for event in self.events:
            step = event.get("step")
            if not step or event["action"] not in ("task", "decide", "notify", "skip", "fork", "subflow"):
                continue
            key = (event["instance"], step)
            if key not in reached:
                order.append(key)
                reached[key] = {"kind": self._defs_of(event["instance"]).flow.step(step).kind, "people": [],
                                "because": "", "due": "", "outcome": "", "branch": None, "decision": None}
            entry = reached[key]
            if event["action"] == "task":
                person = {"username": event["assignee"], "name": org.name_of(event["assignee"], locale)}
                if event.get("note"):
                    person["note"] = _note(event["note"])
                if event.get("for"):
                    person["for"] = event["for"]
                if person["username"] not in [p["username"] for p in entry["people"]]:
                    entry["people"].append(person)
                entry["due"] = max(entry["due"], event.get("due", ""))  # a queue's last person's
            elif event["action"] == "notify":
                entry["people"] = [{"username": u, "name": org.name_of(u, locale)} for u in event["recipients"]]
            elif event["action"] == "skip":
                entry["outcome"], entry["because"] = "skipped", _note(event.get("reason", ""))
            elif event["action"] == "decide":
                entry["branch"] = event.get("branch")
                entry["outcome"] = "otherwise" if event.get("branch") is None else f"branch {event['branch'] + 1}"
                entry["because"], entry["decision"] = _because(event, self._defs_of(event["instance"])), dict(event)
        for event in self.events:  # an automatic approval is recorded on its task
            if event["action"] in ("approve", "complete") and event.get("auto"):
                key = (event["instance"], event["step"])
                if key in reached:
                    reached[key]["outcome"] = "auto-approved"
                    reached[key]["because"] = _note(event.get("comment", ""))
        return tuple(PathStep(step, instance=instance, **reached[(instance, step)]) for instance, step in order)


def _note(sentence: str) -> str:
    """A sentence the engine recorded, in the reader's language."""
    return i18n.localized(notes.read(sentence)) if sentence else ""


def _because(decided: Event, defs: Definitions) -> str:
    """Why the branch was taken: the ruleset and the rows that fired, or the inputs read, each
    named as people read it in the current language (the condition builder's words, the
    ruleset output's label), never by its key."""
    locale = i18n.current_locale.get()
    if decided.get("ruleset"):
        ruleset = defs.rulesets.get(decided["ruleset"])
        fired = ", ".join(str(r) for r in decided.get("fired", ())) or "—"
        outcome = ", ".join(f"{localize(ruleset.output_label(k), locale) if ruleset else k} = {v}"
                            for k, v in decided.get("outcome", {}).items())
        return f'{decided["ruleset"]} v{decided.get("ruleset_version", "")}: rows {fired} → {outcome}'
    names = subject_names(defs.form.to_dict())
    return ", ".join(f"{localize(names.get(k, k), locale)} = {v}" for k, v in decided.get("inputs", {}).items())

"""The workflow service: the one place where commands meet storage.

Each command runs under one lock: read the projection, let the engine compute events, append them
durably to the log, then fold them into the projection. A request never re-reads a file.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import orjson

from builder.exchange import export_bundle, import_bundle
from builder.flows import Flow
from builder.formdata import clean_submission
from builder.forms import Form
from builder.permissions import edit, editable_at_start, not_asked_at_start
from rules.evaluation import Evaluator
from rules.lint import publish_blockers
from rules.ruleset import Ruleset, validate_ruleset
from runtime import events as event_kinds
from runtime import definition_seals as seals
from runtime import notes
from runtime.calendar import BusinessCalendar
from runtime.clock import from_stamp, new_id, utc_now
from runtime.deadlines import TimeLeft, inbox_order, time_left
from runtime.engine import (Definitions, Engine, Event, Lookups, check_version, others_settled_with,
                            return_targets)
from runtime.escalation import due_escalations
from runtime.errors import (BadRequest, Conflict, DefinitionError, Forbidden, NotFound, Problem,
                            UnsealedDefinitions, ValidationFailed, word)
from runtime.checkpoint import SETTING as CHECKPOINT
from runtime.choices import check_choices
from runtime.checkpoint import checkpoint
from runtime.flow_checks import flow_checks
from runtime.delegation import SETTING as DELEGATIONS, Delegation, delegate_for, parse_delegation
from runtime.green_channel import PostHocRow, check_urgent, open_post_hoc, urgent_start
from runtime.i18n import N_
from runtime.org import Organisation, Resolution, User
from runtime.state import Instance, Projection, Task, TaskStatus, evolve
from runtime.store.repository import Repository
from runtime.uploads import resolve_attachments
from runtime.visibility import redact_events, visible_fields

DESIGNER_ROLES = ("designer", "admin")
MAX_REQUEST_ID = 100
MAX_ESCALATION_PASSES = 50
READ_ALL_ROLES = ("admin", "auditor")
_PARSERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "flow": Flow.from_dict, "form": Form.from_dict, "ruleset": Ruleset.from_dict}


class Workflow:
    """Instances, tasks and published definitions, backed by a `Repository`."""

    def __init__(self, repo: Repository, evaluator: Evaluator, *,
                 now: Callable[[], str] = utc_now, make_id: Callable[[], str] = new_id,
                 timezone: str = "Asia/Shanghai", calendar: BusinessCalendar | None = None) -> None:
        self.repo = repo
        org_doc = repo.get_org()
        if org_doc is None:
            raise NotFound(N_("no organisation loaded; start with --demo or load one first"))
        self.org = Organisation(org_doc)
        self.engine = Engine(self.org, evaluator, now, make_id, calendar)
        self.calendar = self.engine.calendar
        self.timezone = timezone
        self._delegations: dict[str, dict[str, str]] = dict(repo.get_setting(DELEGATIONS, {}))
        self.engine.lookups = Lookups(instance=self.state_instance, open_tasks=self.open_tasks_of,
                                      latest=self.latest, pinned=self.pinned_by, away=self._away,
                                      serial=lambda *counter: self.state.highest_serial(*counter),
                                      serial_taken=lambda *given: self.state.serial_given(*given))
        self.lock = threading.Lock()
        self.on_commit: list[Callable[[list[Event]], None]] = []  # told of each commit's events, under the lock
        self.state = Projection()
        self._parsed: dict[tuple[str, str, int], Any] = {}
        self._latest: dict[tuple[str, str], int] = {}
        self._effective: dict[str, list[tuple[int, str]]] = {}  # process → (version, effective date), oldest first
        for line in repo.read_events():  # a line it cannot read stops start-up, naming its seq
            self.state.apply(event_kinds.read(line))
        self._hold_the_store_to_the_record(org_doc)

    def _hold_the_store_to_the_record(self, org_doc: dict[str, Any]) -> None:
        """Refuse a store whose definitions the record does not bear out; seal, as found, those of a
        data directory from before definitions were sealed; record the organisation when it changed
        since the last start (`runtime.definition_seals`)."""
        stored = list(seals.stored_definitions(self.repo.definition_versions,
                                               lambda kind: [d["key"] for d in self.repo.list_definitions(kind)]))
        if not self.state.sealed and stored:
            self._record([seals.publish_event(kind, doc, self.engine.now(), adopted=True) for kind, doc in stored])
        elif found := seals.problems(stored, self.state.sealed):
            raise UnsealedDefinitions(found)
        if not self.state.orgs or self.state.orgs[-1]["digest"] != seals.seal(org_doc):
            self._record([seals.org_event(org_doc, self.engine.now(), adopted=not self.state.orgs)])

    # --- definitions -------------------------------------------------------------------
    def definition(self, kind: str, key: str, version: int | None = None) -> Any:
        """A published definition, parsed once: published versions never change."""
        wanted = version or self._latest.get((kind, key))
        parsed = self._parsed.get((kind, key, wanted)) if wanted else None
        if parsed is not None:
            return parsed
        doc = self.repo.get_definition(kind, key, version)
        if doc is None:
            raise NotFound(N_('no %(kind)s "%(key)s" version %(version)s', kind=word(kind), key=key, version=version)
                           if version else N_('no %(kind)s "%(key)s"', kind=word(kind), key=key))
        if version is None:
            self._latest[(kind, key)] = doc["version"]
        parsed = self._parsed[(kind, key, doc["version"])] = _PARSERS[kind](doc)
        return parsed

    def processes(self) -> list[Flow]:
        """Every published process, each in the version in effect today."""
        return [self.definition("flow", d["key"], self.version_in_effect(d["key"]))
                for d in self.repo.list_definitions("flow")]

    def latest(self, process: str) -> Definitions:
        """What a request started now runs on: the process version in effect, the form version it
        was published with (the latest form when it pins none, as documents from before pinning),
        the latest rulesets."""
        flow: Flow = self.definition("flow", process, self.version_in_effect(process))
        return Definitions(flow, self.definition("form", flow.form, flow.form_version),
                           {k: self.definition("ruleset", k) for k in flow.rulesets})

    def version_in_effect(self, process: str) -> int | None:
        """The newest version of a process whose effective date has come (a version published with a
        later date than the one before it takes over on that date; the first version applies at
        once). The clock is read only when such a version waits, so plain publishing costs nothing."""
        dated = self._effective.get(process)
        if dated is None:
            dated = self._effective[process] = [(d["version"], d.get("meta", {}).get("effective_date", ""))
                                                for d in self.repo.definition_versions("flow", process)]
        today = ""
        for index in range(len(dated) - 1, 0, -1):
            version, effective = dated[index]
            if not effective or effective <= max(e for _, e in dated[:index]):
                return version
            today = today or from_stamp(self.engine.now()).astimezone(self.calendar.zone).date().isoformat()
            if effective <= today:
                return version
        return dated[0][0] if dated else None

    def pinned(self, instance: Instance) -> Definitions:
        return Definitions(self.definition("flow", instance.process, instance.flow_version),
                           self.definition("form", instance.form, instance.form_version),
                           {k: self.definition("ruleset", k, v) for k, v in instance.rulesets.items()})

    def pinned_by(self, started: dict[str, Any]) -> Definitions:
        """The definitions a start event pinned (for an instance not yet in the projection)."""
        return Definitions(self.definition("flow", started["process"], started["flow_version"]),
                           self.definition("form", started["form"], started["form_version"]),
                           {k: self.definition("ruleset", k, v) for k, v in started["rulesets"].items()})

    def export(self, process: str) -> dict[str, Any]:
        defs = self.latest(process)
        return export_bundle(defs.flow, defs.form, list(defs.rulesets.values()))

    def import_bundle(self, user: User, doc: Any) -> Flow:
        """Publish an exported process as the current one, all of it or nothing.

        Content identical to the latest version changes nothing; anything else becomes a new version.
        A ruleset shared with other processes must still fit their forms too, and sub-processes
        must be published, fit and end (`flow_checks`). The designer's other checks do not refuse
        an import: a flow that leaves some requests to its policies (nobody fits, no branch
        taken) runs as it was exported, and the designer shows what it would do about them.
        """
        self.require_designer(user)
        flow, form, rulesets = import_bundle(doc, roles=set(self.org.roles), users=set(self.org.users))
        documents = [flow.to_dict(), form.to_dict(), *(r.to_dict() for r in rulesets)]
        try:
            for document in documents:
                orjson.dumps(document)  # refuse what the store could not write before writing any
        except TypeError as exc:
            raise BadRequest(N_("the document holds a value that cannot be stored: %(exc)s", exc=exc)) from None
        with self.lock:
            problems = [problem for index, ruleset in enumerate(rulesets)
                        for problem in (self._misfits(ruleset, flow.key, f"rulesets[{index}]")
                                        + publish_blockers(ruleset, f"rulesets[{index}]"))]
            problems += [Problem(f"flow.{p.path}", p.message) for p in flow_checks(
                doc["flow"], form=form, rulesets={r.key: r for r in rulesets}, org=self.org, processes=self,
                only=("subflow",))]
            if problems:
                raise DefinitionError(problems)
            for ruleset in rulesets:
                self.publish_definition("ruleset", ruleset.to_dict())
            form_version = self.publish_definition("form", form.to_dict())
            pinned = flow.to_dict() if flow.form_version is None else {**flow.to_dict(), "form_version": form_version}
            stored = self.publish_definition("flow", pinned)
        return self.definition("flow", flow.key, stored)

    def publish_definition(self, kind: str, doc: dict[str, Any]) -> int:
        """Make a validated definition the current one (caller holds `lock`).

        The same content as the latest version changes nothing; anything else, including an
        older version brought back, is stored as a new version after the latest.
        """
        versions = self.repo.definition_versions(kind, doc["key"])
        if versions and {**versions[-1], "version": doc["version"]} == doc:
            return versions[-1]["version"]
        if versions and versions[-1]["version"] >= doc["version"]:
            doc = {**doc, "version": versions[-1]["version"] + 1}
        self.repo.put_definition(kind, doc)
        self._record([seals.publish_event(kind, self.repo.get_definition(kind, doc["key"], doc["version"]),
                                          self.engine.now())])
        self._latest[(kind, doc["key"])] = doc["version"]
        if kind == "flow":
            self._effective.pop(doc["key"], None)
        return doc["version"]

    def field_types_for_ruleset(self, key: str, *, except_flow: str = "") -> dict[str, str] | None:
        """The field types of every form whose current flow consults the ruleset, or None if none does."""
        types: dict[str, str] = {}
        used = False
        for flow in self.processes():
            if key in flow.rulesets and flow.key != except_flow:
                used = True
                types.update(self.definition("form", flow.form, flow.form_version).field_types())
        return types if used else None

    def _misfits(self, ruleset: Ruleset, flow_key: str, path: str) -> list[Problem]:
        """Problems of a ruleset against the forms of the other processes that share it."""
        others = self.field_types_for_ruleset(ruleset.key, except_flow=flow_key)
        return [] if others is None else validate_ruleset(ruleset.to_dict(), others, path)

    # --- the published processes, as the flow checks read them (flow_checks.ProcessCatalog) ---
    def exists(self, key: str) -> bool:
        return bool(self.repo.definition_versions("flow", key))

    def flow(self, key: str) -> Flow:
        return self.definition("flow", key)

    def form_fields(self, key: str) -> dict[str, str]:
        flow = self.flow(key)
        return self.definition("form", flow.form, flow.form_version).field_types()

    def require_definition_reader(self, user: User) -> None:
        """Whole definitions (an export) are for those who design processes or audit them."""
        if not any(user.has_role(r) for r in (*DESIGNER_ROLES, "auditor")):
            raise Forbidden(N_("only a designer, admin or auditor may export process definitions"))

    def require_designer(self, user: User) -> None:
        if not any(user.has_role(r) for r in DESIGNER_ROLES):
            raise Forbidden(N_("only a designer or admin may change process definitions"))

    # --- commands -----------------------------------------------------------------------
    def start(self, user: User, process: str, raw: Any, request_id: str = "", urgent: Any = None,
              chosen: Any = None) -> Instance:
        """Open an instance; a repeated `request_id` from the same person has no second effect.
        With `urgent` ({"reason"}), through the green channel, if the process allows one;
        `chosen` names the people the submitter picks for the steps that let them (step → users)."""
        self.require_actor(user)
        if not isinstance(raw, dict):
            raise ValidationFailed({"data": N_("must be an object of field values")})

        def events() -> list[Event]:  # under the lock: a publish cannot slip between reading and pinning
            defs = self.latest(process)
            files, file_errors = resolve_attachments(defs.form, raw, user, self.repo)
            data, errors = clean_submission(defs.form, files, skip=not_asked_at_start(defs.flow, defs.form),
                                            directory=self.org, workdays=self.calendar.workdays_between)
            reason, urgent_errors = check_urgent(defs.flow, urgent) if urgent is not None else ("", {})
            people, choice_errors = check_choices(defs.flow, chosen, self.org)
            if errors or urgent_errors or file_errors or choice_errors:
                raise ValidationFailed({**errors, **file_errors, **urgent_errors, **choice_errors})
            return (urgent_start(self.engine, self.calendar, defs, user, data, reason, people) if reason
                    else self.engine.start(defs, user, data, chosen=people))
        return self._once(user, request_id, f"start:{process}", events)

    def act(self, user: User, task_id: str, action: str, text: str = "", *, request_id: str = "",
            version: int | None = None, code: str = "", data: Any = None) -> Instance:
        """Act on a task; a repeated `request_id` has no second effect, a stale `version` is refused.
        `data` changes the fields editable at the task's step (approve or complete only)."""
        if data is not None and not isinstance(data, dict):
            raise ValidationFailed({"data": N_("must be an object of field values")})

        def events() -> list[Event]:
            task = self.task(task_id)
            instance = self.state.instances[task.instance]
            others = others_settled_with(task, self.open_tasks_of(instance.id, post_hoc=None))
            defs = self.pinned(instance)
            edits, file_errors = (resolve_attachments(defs.form, data, user, self.repo, instance.data)
                                  if data else (data, {}))
            acted = self.engine.act(defs, instance, task, user, action, text, version, others, code, edits)
            if file_errors:  # after the engine's checks: a stranger hears 403, not which uploads exist
                raise ValidationFailed(file_errors)
            return acted
        return self._once(user, request_id, f"task:{task_id}", events)

    def withdraw(self, user: User, instance_id: str, version: int | None = None, request_id: str = "") -> Instance:
        def events() -> list[Event]:
            instance = self.instance_for(user, instance_id)
            done = self.engine.withdraw(instance, self.open_tasks_of(instance.id, post_hoc=None), user)
            check_version("request", instance.version, version)
            return done
        return self._once(user, request_id, f"instance:{instance_id}", events)

    def send_back(self, user: User, task_id: str, to: str, reason: str, version: int | None = None,
                  request_id: str = "") -> Instance:
        """Return a task's request to the submitter or to an earlier step that has acted."""
        def events() -> list[Event]:
            task = self.task(task_id)
            instance = self.state.instances[task.instance]
            tasks = [self.state.tasks[i] for i in instance.task_ids]
            defs = self.pinned(instance)
            others = tuple(t for t in tasks if t.status is TaskStatus.OPEN and t.id != task.id and not t.post_hoc)
            returned = self.engine.send_back(defs, instance, task, user, to, reason,
                                             targets=return_targets(defs.flow, tasks, task), others_open=others)
            check_version("task", task.version, version)
            return returned
        return self._once(user, request_id, f"task:{task_id}", events)

    def resubmit(self, user: User, instance_id: str, raw: Any, version: int | None = None,
                 request_id: str = "") -> Instance:
        """Send a returned request again; its data is checked as strictly as at the start, with
        the start's permissions: fields hidden there keep what later steps filled in."""
        if not isinstance(raw, dict):
            raise ValidationFailed({"data": N_("must be an object of field values")})

        def events() -> list[Event]:
            instance = self.instance_for(user, instance_id)
            defs = self.pinned(instance)
            files, file_errors = resolve_attachments(defs.form, raw, user, self.repo, instance.data)
            result = edit(defs.form, instance.data, files, editable_at_start(defs.flow, defs.form), whole=True,
                          directory=self.org, workdays=self.calendar.workdays_between)
            resubmitted = self.engine.resubmit(defs, instance, user, result.data)
            if result.errors or file_errors:
                raise ValidationFailed({**result.errors, **file_errors})
            check_version("request", instance.version, version)
            return resubmitted
        return self._once(user, request_id, f"instance:{instance_id}", events)

    def transfer(self, user: User, task_id: str, to: str, comment: str = "", version: int | None = None,
                 request_id: str = "") -> Instance:
        def events() -> list[Event]:
            task = self.task(task_id)
            moved = self.engine.transfer(self.state.instances[task.instance], task, user, self._person("to", to),
                                         comment)
            check_version("task", task.version, version)
            return moved
        return self._once(user, request_id, f"task:{task_id}", events)

    def add_signer(self, user: User, task_id: str, signer: str, position: str,
                   version: int | None = None, request_id: str = "") -> Instance:
        def events() -> list[Event]:
            task = self.task(task_id)
            added = self.engine.add_signer(self.state.instances[task.instance], task, user,
                                           self._person("user", signer), position)
            check_version("task", task.version, version)
            return added
        return self._once(user, request_id, f"task:{task_id}", events)

    def comment(self, user: User, instance_id: str, text: str, request_id: str = "") -> Instance:
        """A remark on the record, by someone involved in the request (the submitter, an assignee,
        someone copied in): reading every record, as admins and auditors do, is not writing to one."""
        def events() -> list[Event]:
            instance = self.instance_for(user, instance_id)
            if not instance.involves(user.username, self.state.tasks):
                raise Forbidden(N_("only the people involved in a request may comment on it"))
            return self.engine.comment(instance, user, text)
        return self._once(user, request_id, f"instance:{instance_id}", events)

    def urge(self, user: User, task_id: str, request_id: str = "") -> Instance:
        def events() -> list[Event]:
            task = self.task(task_id)
            return self.engine.urge(self.instance_for(user, task.instance), task, user)
        return self._once(user, request_id, f"task:{task_id}", events)

    def _once(self, user: User, request_id: str, target: str, events: Callable[[], list[Event]]) -> Instance:
        """Run a command under the lock, once per `request_id`: a repeat answers with the request
        as it is, and changes nothing. Commands check who may act before whether what they saw
        is stale, so a stranger hears 403, not 409."""
        self.require_actor(user)  # an auditor's account does none of them, whatever task it was given
        with self.lock:
            if repeated := self._repeated(user, request_id, target):
                return repeated
            caused = events()
            self._commit(caused, request_id)
            return self.state.instances[caused[0]["instance"]]

    def _person(self, field: str, username: Any) -> User:
        """The person a task is handed to (transfer, add signer): one who may act."""
        if not isinstance(username, str) or username not in self.org.users:
            shown = username[:60] if isinstance(username, str) else username
            raise ValidationFailed({field: N_("choose a person: there is no user %(who)s", who=repr(shown))
                                    if username else N_("choose a person")})
        if self.org.user(username).reads_only:
            raise ValidationFailed({field: notes.READS_ONLY.fill(who=username)})
        return self.org.user(username)

    def save_checkpoint(self) -> None:
        """Record a digest of the current state, for `formflow audit verify` to replay against."""
        with self.lock:
            self.repo.put_setting(CHECKPOINT, checkpoint(self.state))

    # --- delegation while away ------------------------------------------------------------
    def delegation(self, user: User) -> Delegation | None:
        rule = self._delegations.get(user.username)
        return Delegation(**rule) if rule else None

    def set_delegation(self, user: User, body: Any) -> Delegation:
        """Send this person's new tasks to someone else for a range of dates (replaces any earlier rule)."""
        self.require_actor(user)
        delegation = parse_delegation(body, user.username, self.org)
        with self.lock:
            self._save_delegations({**self._delegations, user.username: delegation.to_dict()})
        return delegation

    def clear_delegation(self, user: User) -> None:
        with self.lock:
            self._save_delegations({k: v for k, v in self._delegations.items() if k != user.username})

    def _save_delegations(self, rules: dict[str, dict[str, str]]) -> None:
        self.repo.put_setting(DELEGATIONS, rules)
        self._delegations = rules

    def _away(self, username: str, at: str) -> Resolution | None:
        return delegate_for(self._delegations, username, at, self.timezone)

    def escalate_due(self) -> list[dict[str, Any]]:
        """Fire what the passing of working time calls for (reminders, urges, transfers, automatic
        decisions, overdue records), each once; the scheduler calls this on every tick."""
        committed: list[dict[str, Any]] = []
        with self.lock:
            for _ in range(MAX_ESCALATION_PASSES):  # a decision defers its instance's other tasks
                with_open_tasks = sorted((self.state.instances[i] for i in {t.instance for t in self._open_tasks()}),
                                         key=lambda i: (i.created, i.id))
                events = due_escalations(self.engine, from_stamp(self.engine.now()), with_open_tasks, self.state.tasks,
                                         self.pinned, self.calendar)
                if not events:
                    break
                self._commit(events)
                committed += events
        return committed

    def _open_tasks(self) -> list[Task]:
        with self.state.lock:
            return [self.state.tasks[t] for tasks in self.state.open_by_assignee.values() for t in tasks]

    def _repeated(self, user: User, request_id: str, target: str) -> Instance | None:
        """The request as it is when this person already sent this request id for this target (a
        retry: no second effect); a conflict when they used it for something else."""
        if len(request_id) > MAX_REQUEST_ID:
            raise ValidationFailed({"request_id": N_("at most %(max)s characters", max=MAX_REQUEST_ID)})
        done = self.state.requests.get((user.username, request_id)) if request_id else None
        if done is None:
            return None
        if done[1] != target:
            raise Conflict(N_('request id "%(id)s" was already used for another action; send a new one',
                              id=request_id))
        return self.state.instances[done[0]]

    def _commit(self, events: list[dict[str, Any]], request_id: str = "") -> None:
        if request_id:
            events[0] = event_kinds.amended(events[0], request=request_id)
        batch = self.engine.settle(events)
        event_kinds.check_batch(batch)  # never a line the next start-up could not read
        committed = self.repo.append_events(batch)
        for event in committed:
            self.state.apply(event)
        for listener in self.on_commit:
            listener(committed)

    def _record(self, batch: list[Event]) -> None:
        """Append events of no request (a definition's seal, the organisation): no engine settles them."""
        event_kinds.check_batch(batch)
        for event in self.repo.append_events(batch):
            self.state.apply(event)

    # --- queries -------------------------------------------------------------------------
    def state_instance(self, instance_id: str) -> Instance | None:
        return self.state.instances.get(instance_id)

    def open_tasks_of(self, instance_id: str, *, post_hoc: bool | None = False) -> tuple[Task, ...]:
        """The instance's open tasks on its main path (`post_hoc=False`, what the flow's own steps
        settle), its open post-hoc approvals (True), or all of them (None)."""
        instance = self.state.instances[instance_id]
        return tuple(t for t in (self.state.tasks[i] for i in instance.task_ids)
                     if t.status is TaskStatus.OPEN and post_hoc in (None, t.post_hoc))

    def task(self, task_id: str) -> Task:
        try:
            return self.state.tasks[task_id]
        except KeyError:
            raise NotFound(N_('no task "%(id)s"', id=task_id)) from None

    def instance_for(self, user: User, instance_id: str) -> Instance:
        """The instance, if this person may read it (submitter, an assignee, admin or auditor)."""
        instance = self.state.instances.get(instance_id)
        if instance is None:
            raise NotFound(N_('no instance "%(id)s"', id=instance_id))
        if not (instance.involves(user.username, self.state.tasks)
                or any(user.has_role(r) for r in READ_ALL_ROLES)):
            raise Forbidden(N_("you are not involved in this request"))
        return instance

    def hidden_for(self, user: User, instance: Instance) -> frozenset[str]:
        """The fields of `instance` this person may not see (none for admins and auditors)."""
        if any(user.has_role(r) for r in READ_ALL_ROLES):
            return frozenset()
        defs = self.pinned(instance)
        steps = instance.steps_of(user.username, self.state.tasks)
        shown = visible_fields(defs.flow, defs.form, steps, user.username == instance.submitter)
        return frozenset(f.key for f in defs.form.fields) - shown

    def view(self, user: User, instance: Instance, hidden: frozenset[str] | None = None) -> Instance:
        """The instance as this person may read it: hidden fields out of its data and its record
        (`hidden`: `hidden_for(user, instance)`, when the caller has it already)."""
        hidden = self.hidden_for(user, instance) if hidden is None else hidden
        if not hidden:
            return instance
        return evolve(instance, data={k: v for k, v in instance.data.items() if k not in hidden},
                      events=redact_events(instance.events, hidden))

    def task_for(self, user: User, task_id: str) -> tuple[Task, Instance]:
        task = self.task(task_id)
        return task, self.instance_for(user, task.instance)

    def post_hoc_report(self, user: User) -> list[PostHocRow]:
        """Open post-hoc approvals of the green channel, overdue first; for admins and auditors."""
        if not any(user.has_role(r) for r in READ_ALL_ROLES):
            raise Forbidden(N_("only an admin or auditor may see the post-hoc approvals report"))
        with self.state.lock:
            marked = {i.id: i for i in self.state.instances.values() if i.post_hoc_open}
            tasks = [self.state.tasks[t] for i in marked.values() for t in i.task_ids]
        return open_post_hoc(tasks, marked, self.engine.now())

    def every_request(self, user: User) -> list[Instance]:
        """Every request on record, the latest first: what admins and auditors may read."""
        self.require_reader_of_all(user)
        with self.state.lock:
            return sorted(self.state.instances.values(), key=lambda i: (i.created, i.id), reverse=True)

    def require_actor(self, user: User) -> None:
        """Refuse an account that reads only (`User.reads_only`: an auditor's) a command of its own."""
        if user.reads_only:
            raise Forbidden(N_("an auditor's account reads the record and acts on nothing"))

    def org_history(self, user: User) -> list[tuple[str, bool, list[str]]]:
        """Each record of the organisation, latest first: when, whether it was the first, and
        whose roles changed since the one before (for admins and auditors)."""
        self.require_reader_of_all(user)
        with self.state.lock:
            orgs = list(self.state.orgs)
        return [(e["at"], not i, seals.role_changes(orgs[i - 1]["roles"], e["roles"]) if i else [])
                for i, e in enumerate(orgs)][::-1]

    def require_reader_of_all(self, user: User) -> None:
        if not any(user.has_role(r) for r in READ_ALL_ROLES):
            raise Forbidden(N_("only an admin or auditor may read every record"))

    def inbox(self, user: User) -> list[Task]:
        """This person's open tasks: overdue first, then by due, then by creation."""
        return inbox_order(self.state.open_tasks(user.username), from_stamp(self.engine.now()))

    def time_left(self, task: Task) -> TimeLeft | None:
        """Where the task stands against its deadline now, in working time (None without one)."""
        return time_left(self.calendar, task, from_stamp(self.engine.now()))

    def requests(self, user: User) -> list[Instance]:
        return self.state.requests_of(user.username)

    def copied_to(self, user: User) -> list[Instance]:
        """The requests `user` was copied in on (they may read them, as the copy's step allows)."""
        return self.state.copied_to(user.username)

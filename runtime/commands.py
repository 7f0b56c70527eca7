"""What people (and the scheduler) do to requests: each command computes its events under the
workflow's lock, once per request id, and commits them (`Workflow._commit`)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


from builder.formdata import clean_submission
from builder.permissions import edit, editable_at_start, not_asked_at_start
from runtime import notes
from runtime.calendar import BusinessCalendar
from runtime.clock import from_stamp
from runtime.engine import Engine, Event, check_version, others_settled_with, return_targets
from runtime.escalation import due_escalations
from runtime.errors import Conflict, Forbidden, ValidationFailed
from runtime.choices import check_choices
from runtime.delegation import SETTING as DELEGATIONS, Delegation, delegate_for, parse_delegation
from runtime.green_channel import check_urgent, urgent_start
from runtime.i18n import N_
from runtime.org import Organisation, Resolution, User
from runtime.state import Instance, Projection, TaskStatus
from runtime.store.repository import Repository
from runtime.uploads import resolve_attachments


MAX_REQUEST_ID = 100
MAX_ESCALATION_PASSES = 50


class Commands:
    """Starting, deciding, handing on, returning, resubmitting, withdrawing, commenting, urging;
    delegation while away; escalation as working time passes."""

    repo: Repository
    org: Organisation
    engine: Engine
    calendar: BusinessCalendar
    state: Projection
    lock: threading.Lock
    timezone: str
    _delegations: dict[str, dict[str, str]]
    _commit: Callable[..., None]

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

"""What a person may read: instances and tasks from the projection, redacted to what they may
see; the inbox, the requests they filed or were copied in on, the reports for admins and auditors."""
from __future__ import annotations

import threading


from runtime import definition_seals as seals
from runtime.calendar import BusinessCalendar
from runtime.clock import from_stamp
from runtime.deadlines import TimeLeft, inbox_order, time_left
from runtime.engine import Engine
from runtime.errors import Forbidden, NotFound
from runtime.green_channel import PostHocRow, open_post_hoc
from runtime.i18n import N_
from runtime.org import Organisation, User
from runtime.state import Instance, Projection, Task, TaskStatus, evolve
from runtime.store.repository import Repository
from runtime.visibility import redact_events, visible_fields


READ_ALL_ROLES = ("admin", "auditor")


class Queries:
    """Reads of the projection, each checking who may read."""

    repo: Repository
    org: Organisation
    engine: Engine
    calendar: BusinessCalendar
    state: Projection
    lock: threading.Lock

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

    def _open_tasks(self) -> list[Task]:
        with self.state.lock:
            return [self.state.tasks[t] for tasks in self.state.open_by_assignee.values() for t in tasks]

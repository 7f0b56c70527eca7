"""The workflow service: the one place where commands meet storage.

Each command runs under one lock: read the projection, let the engine compute events, append them
durably to the log, then fold them into the projection. A request never re-reads a file.
`Workflow` is put together from its three parts, each in its own module: the definitions it runs
on (`runtime.catalog`), what people do (`runtime.commands`) and what they may read
(`runtime.queries`); what is here is what they share: start-up, the lock and the commit.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from rules.evaluation import Evaluator
from runtime import events as event_kinds
from runtime import definition_seals as seals
from runtime.calendar import BusinessCalendar
from runtime.clock import new_id, utc_now
from runtime.engine import Engine, Event, Lookups
from runtime.errors import NotFound, UnsealedDefinitions
from runtime.catalog import DESIGNER_ROLES, DefinitionsCatalog
from runtime.checkpoint import SETTING as CHECKPOINT
from runtime.checkpoint import checkpoint
from runtime.commands import Commands
from runtime.delegation import SETTING as DELEGATIONS
from runtime.i18n import N_
from runtime.org import Organisation
from runtime.queries import READ_ALL_ROLES, Queries
from runtime.state import Projection
from runtime.store.repository import Repository

__all__ = ["DESIGNER_ROLES", "READ_ALL_ROLES", "Workflow"]  # who designs and who reads all: asked of the service


class Workflow(DefinitionsCatalog, Commands, Queries):
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

    def save_checkpoint(self) -> None:
        """Record a digest of the current state, for `formflow audit verify` to replay against."""
        with self.lock:
            self.repo.put_setting(CHECKPOINT, checkpoint(self.state))

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

"""Wiring: the audience, the in-app board, preferences and the dispatcher around one `Workflow`.

`Notifications.start()` rebuilds the board from the log, hands the email dispatcher and the
webhook relay the batches after their watermarks, and only then listens to `Workflow.on_commit`
(all under the workflow's lock, so no commit slips between the replay and the listening). The
listener never raises into a command: its events are durable already, and a notice lost in memory
is rebuilt on the next start. It only queues the batch: one thread works out who is told and
hands on the deliveries, mostly while the command thread waits on its fdatasync, and reading the
board first lets that thread catch up (a person always sees the notices of what they just did).
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from builder.text import localize
from runtime.errors import NotFound
from runtime.outbox.audience import WorkflowLookups, batches, notices_of
from runtime.outbox.board import Board
from runtime.outbox.notices import Notice
from runtime.outbox.prefs import SETTING as PREFS, Preferences, language_of
from runtime.outbox.webhooks import Registry

log = logging.getLogger("formflow.outbox")
LINGER = 0.02  # seconds batches gather before the notifications thread takes them


class Notifications:
    def __init__(self, workflow: Any, dispatcher: Any = None) -> None:
        self.workflow = workflow
        self.lookups = WorkflowLookups(workflow)
        self.board = Board(workflow.repo.get_setting, workflow.repo.put_setting)
        self.hooks = Registry(workflow.repo.get_setting, workflow.repo.put_setting)
        self.dispatcher = dispatcher  # email's (`Dispatcher`), with an SMTP server
        self.relay: Any = None  # webhooks' (`HookRelay`)
        self.mail_off: Callable[[int], None] = lambda seq: None  # no SMTP: the email log is settled up to seq
        self._prefs: dict[str, Preferences] = {}
        self._listening = False
        self._batches: queue.SimpleQueue[list[dict[str, Any]] | None] = queue.SimpleQueue()
        self._queued = self._taken = 0
        self._took = threading.Condition()
        self._hurry = threading.Event()
        self._taker = threading.Thread(target=self._take_all, name="notifications", daemon=True)

    def start(self) -> None:
        with self.workflow.lock:
            mail = self.dispatcher.watermark if self.dispatcher else None
            hooks = self.relay.watermark if self.relay else None
            for batch in batches(self.workflow.repo.read_events()):
                notices = notices_of(batch, self.lookups)
                self.board.add(notices)
                last = batch[-1].get("seq", 0)
                if mail is not None:
                    self.dispatcher.submit(batch, notices) if last > mail else self.dispatcher.remember(batch, notices)
                if hooks is not None:
                    self.relay.submit(batch) if last > hooks else self.relay.remember(batch)
            self.workflow.on_commit.append(self._committed)
            self._listening = True
            self.mail_off(self.workflow.state.last_seq)
        self._taker.start()
        if self.dispatcher:
            self.dispatcher.start()

    def stop(self) -> None:
        if self._listening:
            with self.workflow.lock:
                self.workflow.on_commit.remove(self._committed)
                self.mail_off(self.workflow.state.last_seq)
            self._listening = False
            self._batches.put(None)
            self._hurry.set()
            self._taker.join(10)
        if self.relay:
            self.relay.stop()
        if self.dispatcher:
            self.dispatcher.stop()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until every email and webhook delivery queued so far is settled (tests and benches)."""
        self.caught_up(timeout)
        return all(channel.wait_idle(timeout) for channel in (self.dispatcher, self.relay) if channel)

    def caught_up(self, timeout: float = 5.0) -> None:
        """Until every batch committed so far is on the board and handed on."""
        self._hurry.set()
        with self._took:
            wanted = self._queued
            self._took.wait_for(lambda: self._taken >= wanted or not self._taker.is_alive(), timeout)

    def _committed(self, batch: list[dict[str, Any]]) -> None:
        """Under the workflow's lock, in the command: only a queue put."""
        self._queued += 1
        self._batches.put(batch)

    def _take_all(self) -> None:
        """In bursts (LINGER apart unless a reader is waiting): fewer wake-ups of this thread."""
        while (batch := self._batches.get()) is not None:
            self._hurry.wait(LINGER)
            self._hurry.clear()
            taken = [batch]
            while not self._batches.empty():
                taken.append(self._batches.get())
            for batch in taken:
                if batch is None:
                    return
                self._take(batch)
                with self._took:
                    self._taken += 1
                    self._took.notify_all()

    def _take(self, batch: list[dict[str, Any]]) -> None:
        try:
            notices = notices_of(batch, self.lookups)
            self.board.add(notices)
            if self.dispatcher:
                self.dispatcher.submit(batch, notices)
            if self.relay:
                self.relay.submit(batch)
        except Exception:  # the command is durable; never fail it for a notice
            log.exception("could not queue the notifications of events %s..%s",
                          batch[0].get("seq"), batch[-1].get("seq"))

    # --- preferences --------------------------------------------------------------------------
    def prefs(self, username: str) -> Preferences:
        found = self._prefs.get(username)
        if found is None:
            found = self._prefs[username] = Preferences.from_dict(self.workflow.repo.get_setting(PREFS + username))
        return found

    def set_prefs(self, username: str, prefs: Preferences) -> None:
        self.workflow.repo.put_setting(PREFS + username, prefs.to_dict())
        self._prefs[username] = prefs

    def language(self, username: str) -> str:
        user = self.workflow.org.users.get(username)
        return language_of(self.prefs(username), getattr(user, "locale", "") if user else "")

    def in_app(self, username: str) -> Callable[[Notice], bool]:
        prefs = self.prefs(username)
        return lambda notice: prefs.wants(notice.group, "inapp")

    # --- reading ------------------------------------------------------------------------------
    def items(self, username: str) -> list[tuple[Notice, bool]]:
        self.caught_up()
        return self.board.items(username, self.in_app(username))

    def unread(self, username: str) -> int:
        self.caught_up()
        return self.board.unread(username, self.in_app(username))

    def sentence(self, notice: Notice, locale: str) -> Any:
        """The notice's sentence (a `Text`), with names and the process title in `locale`."""
        return notice.sentence(lambda who: self.workflow.org.name_of(who, locale) if who else "",
                               lambda key: self.process_title(key, locale))

    def process_title(self, key: str, locale: str) -> str:
        try:
            return localize(self.workflow.definition("flow", key).title, locale)
        except NotFound:
            return key

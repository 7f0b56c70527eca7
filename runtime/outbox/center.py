"""Wiring: the audience, the in-app board, preferences and the dispatcher around one `Workflow`.

`Notifications.start()` rebuilds the board from the log, hands the dispatcher the batches after
its watermark, and only then listens to `Workflow.on_commit` (all under the workflow's lock, so
no commit slips between the replay and the listening). The listener never raises into a command:
its events are durable already, and a notice lost in memory is rebuilt on the next start.
"""
from __future__ import annotations

import logging
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


class Notifications:
    def __init__(self, workflow: Any, dispatcher: Any = None) -> None:
        self.workflow = workflow
        self.lookups = WorkflowLookups(workflow)
        self.board = Board(workflow.repo.get_setting, workflow.repo.put_setting)
        self.hooks = Registry(workflow.repo.get_setting, workflow.repo.put_setting)
        self.dispatcher = dispatcher
        self._prefs: dict[str, Preferences] = {}
        self._listening = False

    def start(self) -> None:
        with self.workflow.lock:
            watermark = self.dispatcher.watermark if self.dispatcher else None
            for batch in batches(self.workflow.repo.read_events()):
                notices = notices_of(batch, self.lookups)
                self.board.add(notices)
                if watermark is None:
                    continue
                if batch[-1].get("seq", 0) > watermark:
                    self.dispatcher.submit(batch, notices)
                else:
                    self.dispatcher.remember(batch, notices)
            self.workflow.on_commit.append(self._committed)
            self._listening = True
        if self.dispatcher:
            self.dispatcher.start()

    def stop(self) -> None:
        if self._listening:
            with self.workflow.lock:
                self.workflow.on_commit.remove(self._committed)
            self._listening = False
        if self.dispatcher:
            self.dispatcher.stop()

    def _committed(self, batch: list[dict[str, Any]]) -> None:
        try:
            notices = notices_of(batch, self.lookups)
            self.board.add(notices)
            if self.dispatcher:
                self.dispatcher.submit(batch, notices)
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
        return self.board.items(username, self.in_app(username))

    def unread(self, username: str) -> int:
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

"""Notify steps (抄送): record who is copied in (they may then read the request); nobody has to act."""
from __future__ import annotations

from builder.flows import NotifyStep
from runtime.steps.base import Next, Walk


class NotifyHandler:
    def enter(self, walk: Walk, step: NotifyStep) -> Next:
        people = walk.services.org.candidates(step.assignee, walk.submitter, walk.data)
        walk.emit(walk.event("notify", step=step.id, recipients=list(dict.fromkeys(people))))
        return walk.flow.successor(step.id)

"""The confirmation a person lands on after an action: the sentence (`runtime.outcome_words`),
recomputed from the record for the kind the address names (`?done=approve`), and where to go
next: the inbox, or their next open task."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from builder.text import localize
from runtime import i18n
from runtime.outcome_words import EVENT_OF, Waiting, sentence, since_own
from runtime.org import User
from runtime.service import Workflow
from runtime.state import Instance

DONE = "done"  # the query parameter naming the outcome kind
SUBMITTED = "submitted"  # ?submitted=1, the start form's own (kept: links and tests use it)


def landing(url: str, kind: str) -> str:
    """`url` with the outcome kind to confirm there."""
    return f"{url}?{urlencode({DONE: kind})}"


def asked_kind(query: Any) -> str:
    """The outcome kind the address asks to confirm, if it is one ("" otherwise)."""
    if query.get(SUBMITTED) == "1":
        return "submit"
    kind = str(query.get(DONE, ""))
    return kind if kind in EVENT_OF else ""


def outcome(workflow: Workflow, user: User, instance: Instance, kind: str,
            shown_task: str = "") -> dict[str, Any] | None:
    """The confirmation for `kind` on this request, or None when this person never did that here.
    `next_task`: another open task of theirs (not `shown_task`, the one on the page), if any."""
    caused = since_own(instance.events, kind, user.username) if kind else []
    if not caused:
        return None
    locale = i18n.current_locale.get()
    flow = workflow.pinned(instance).flow
    waiting = [Waiting(t.assignee, t.step) for t in workflow.open_tasks_of(instance.id)]

    def title(step: str) -> str:
        try:
            return localize(flow.step(step).title, locale) or step
        except KeyError:
            return step

    said = sentence(caused, user.username, instance.submitter, str(instance.status), waiting,
                    lambda u: workflow.org.name_of(u, locale), title)
    following = next((t for t in workflow.inbox(user) if t.id != shown_task), None)
    return {"kind": kind, "sentence": said, "next_task": following.id if following else ""}

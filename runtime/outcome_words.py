"""What an action did and where the request goes next, in words (issue 11 item 2).

After approve, reject, return, transfer, add a signer, urge, withdraw, resubmit, comment,
complete or a submission the page a person lands on says what happened ("You approved.") and
where the request is now ("It now waits for Zhao Min (Finance review).").

The sentence is computed here from the record, never taken from the address: `since_own` finds
the person's own latest event of that kind, and `sentence` reads it, the events it caused after
it, and the request as it stands now. Pure: names and step titles come in as functions.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from runtime import i18n
from runtime.i18n import N_, Text

# The outcome kinds a landing page may be asked for (`?done=`), and the event each one records.
EVENT_OF: dict[str, str] = {
    "submit": "start", "approve": "approve", "complete": "complete", "reject": "reject", "return": "return",
    "transfer": "transfer", "add-signer": "add_signer", "urge": "urge", "withdraw": "withdraw",
    "resubmit": "resubmit", "comment": "comment",
}

SUBMITTED = N_("Your request was submitted.")
_DONE: dict[str, Text] = {
    "start": SUBMITTED,
    "approve": N_("You approved."),
    "complete": N_("You marked it as done."),
    "reject": N_("You rejected the request."),
    "resubmit": N_("You resubmitted the request."),
    "comment": N_("Your comment is on the record."),
    "withdraw": N_("You withdrew the request."),
}
COMPLETE = N_("The request is complete.")
ENDED = N_("It has ended.")
REJECTED = N_("The request was rejected and has ended.")
RETURNED_TO = N_("Returned to %(who)s to correct.")
BACK_TO_STEP = N_("Returned to %(step)s.")
WAITS_FOR = N_("It now waits for %(whom)s.")
GOES_ON = N_("It goes on to the next step.")
YOU = N_("you")
AT_STEP = N_("%(who)s (%(step)s)")  # whom it waits for, at which step
LISTED = N_("%(earlier)s, %(then)s")  # one more of them


@dataclass(frozen=True)
class Waiting:
    """An open task on the request's main path: who holds it, at which step."""

    assignee: str
    step: str


def since_own(events: Sequence[dict[str, Any]], kind: str, actor: str) -> list[dict[str, Any]]:
    """The person's own latest event of this outcome kind and every event after it; [] when they
    never did it on this request (so an address cannot make a page claim something happened)."""
    action = EVENT_OF.get(kind)
    if action is None:
        return []
    for index in range(len(events) - 1, -1, -1):
        if events[index]["action"] == action and events[index]["actor"] == actor:
            return list(events[index:])
    return []


def sentence(caused: Sequence[dict[str, Any]], actor: str, submitter: str, status: str, waiting: Sequence[Waiting],
             name: Callable[[str], str], title: Callable[[str], str]) -> str:
    """What the person's action (`caused[0]`, with what followed it) did and where the request is
    now (`status`, `waiting`), in the reader's language; "" without an action."""
    if not caused:
        return ""
    done = caused[0]

    def who(username: str) -> str:
        return i18n.localized(YOU) if username == actor else name(username)

    action = done["action"]
    if action in ("return", "reject") and done.get("to"):
        if done["to"] == "submitter":
            first: Text = RETURNED_TO.fill(who=name(submitter))
            return i18n.localized(first) if status == "returned" else _join(first, _where(status, waiting, who, title))
        return _join(BACK_TO_STEP.fill(step=title(done["to"])), _where(status, waiting, who, title))
    if action == "transfer":
        return _join(N_("You handed the task to %(who)s.", who=name(done["to"])), _where(status, waiting, who, title))
    if action == "add_signer":
        said = (N_("You asked %(who)s to sign before you; the task comes back to you after.", who=name(done["user"]))
                if done["position"] == "before" else N_("%(who)s will sign after you.", who=name(done["user"])))
        return _join(said, _where(status, waiting, who, title))
    if action == "urge":
        return i18n.localized(N_("You reminded %(who)s to act on %(step)s.", who=name(done["assignee"]),
                                 step=title(done["step"])))
    if action == "comment":
        return i18n.localized(_DONE["comment"])
    if action == "withdraw":
        return _join(_DONE["withdraw"], ENDED)
    if action == "reject":
        return _join(_DONE["reject"], ENDED)
    return _join(_DONE.get(action, N_("Done.")), _where(status, waiting, who, title))


def _where(status: str, waiting: Sequence[Waiting], who: Callable[[str], str],
           title: Callable[[str], str]) -> Text | str:
    """Where the request is now: ended how, or whom it waits for (each at their step)."""
    if status == "completed":
        return COMPLETE
    if status == "rejected":
        return REJECTED
    if status == "withdrawn":
        return ENDED
    if not waiting:
        return GOES_ON
    whom = functools.reduce(lambda earlier, then: LISTED.fill(earlier=earlier, then=then).localized(),
                            (AT_STEP.fill(who=who(w.assignee), step=title(w.step)).localized() for w in waiting))
    return WAITS_FOR.fill(whom=whom)


def _join(*parts: Text | str) -> str:
    """Sentences one after the other: with a space in English, none in Chinese."""
    gap = "" if i18n.current_locale.get().startswith("zh") else " "
    return gap.join(i18n.localized(p) for p in parts if p)

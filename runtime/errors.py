"""The runtime's errors, each mapped to one HTTP status by the web app (see `runtime.web.errors`).

Their messages (and those of `ValidationFailed.errors`) are `runtime.i18n.Text` where a person may
read them: the English sentence for the API and logs, shown in the page's language by the web app.
"""
from __future__ import annotations

from rules.errors import DefinitionError, FormflowError, Problem, RuleError
from runtime.i18n import N_, Text

__all__ = [
    "BadRequest", "Conflict", "DefinitionError", "Forbidden", "FormflowError", "NotAuthenticated", "NotFound",
    "PayloadTooLarge", "Problem", "RuleError", "TransitionNotAllowed", "UnreadableEvent", "ValidationFailed",
]


class BadRequest(FormflowError):
    """The request itself is malformed: not JSON, not an object (400)."""


class PayloadTooLarge(FormflowError):
    """An upload over its size cap, refused before (or while) it is read (413)."""


class NotFound(FormflowError):
    """No such instance, task, process or user (404)."""


class NotAuthenticated(FormflowError):
    """No valid session or token (401, or a redirect to the sign-in page)."""


class Forbidden(FormflowError):
    """Signed in, but not allowed to do this (403)."""


class Conflict(FormflowError):
    """The action no longer fits the current state: already acted on, stale version (409)."""


class TransitionNotAllowed(Conflict):
    """An action that the task's or instance's state does not allow, naming both."""

    def __init__(self, action: str, state: str, what: str = "task") -> None:
        super().__init__(N_('cannot %(action)s: the %(what)s is already "%(state)s"',
                            action=word(action), what=word(what), state=word(state)))
        self.action, self.state = action, state


# The words the runtime's messages put in their sentences (actions, statuses, what is acted on).
WORDS: dict[str, Text] = {w: w for w in (
    N_("approve"), N_("reject"), N_("complete"), N_("return"), N_("transfer"), N_("add a signer"), N_("urge"),
    N_("withdraw"), N_("resubmit"), N_("comment"), N_("approve, reject"),
    N_("open"), N_("approved"), N_("rejected"), N_("completed"), N_("cancelled"), N_("returned"), N_("running"),
    N_("withdrawn"),
    N_("task"), N_("request"), N_("instance"), N_("approval"), N_("flow"), N_("form"), N_("ruleset"))}


def word(name: str) -> str:
    """An action, status or kind as a word the reader's language has (the name itself if unknown)."""
    return WORDS.get(name, name)


class UnreadableEvent(FormflowError):
    """A line of the event log that is not an event this server knows (`runtime.events`): the
    server refuses to start on it rather than rebuild a state that leaves it out. For operators,
    so in English, naming the line's sequence number."""

    def __init__(self, seq: int | None, problem: str) -> None:
        self.seq, self.problem = seq, problem
        super().__init__(f"event {seq if seq is not None else '(no seq)'} of the log cannot be read: {problem}; "
                         "formflow does not start on a log it cannot read (restore the log, or run the "
                         "formflow version that wrote it)")


class UnsealedDefinitions(FormflowError):
    """The store's definitions are not what the record sealed (`runtime.definition_seals`): the
    server refuses to start rather than route requests by a flow the record never published."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the stored definitions do not match the record: " + "; ".join(problems) +
                         "; formflow does not start on them (restore the definitions from a backup)")


class ValidationFailed(FormflowError):
    """Submitted data is invalid; `errors` maps each field path to its message (422)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))

"""Errors as people read them on a page (issue 11 item 2): the runtime's messages keep their
English sentence with usernames, UTC stamps, step ids and codes for the API and the logs; a page
shows the same message with people's names, local times, step titles and option labels, in the
reader's language, and a few messages written for machines as sentences for people.

`humane` rewrites a message's params by what they hold (their name says: `who` is a person,
`at` a moment, `to` a step...), so every message that names them reads well without each
raising site knowing about pages."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.requests import Request

from builder.flows import Flow
from builder.text import localize
from runtime import i18n
from runtime.errors import FormflowError, TransitionNotAllowed, word
from runtime.i18n import N_, Text
from runtime.org import Organisation
from runtime.web.rendering import local_time

PEOPLE = ("who", "user", "assignee", "actor")
MOMENTS = ("at", "when", "due")
STEPS = ("to", "step")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")

STALE = ("the %(what)s has changed since you opened it (now version %(now)s, you saw version %(seen)s); "
         "reload it and try again")
REWORDED: dict[str, Text] = {  # a message meant for a program, and what a person reads instead
    STALE: N_("This %(what)s has changed since you opened it: someone acted on it in the meantime. "
              "Reload the page to see it as it is now, then try again."),
}
NOT_NOW = N_("You cannot %(action)s now: this %(what)s is %(state)s.")


def humane(message: Any, org: Organisation | None, local_time: Callable[[str], str],
           flow: Flow | None = None) -> Any:
    """`message` (a `Text`) with its params as people read them; anything else as it is."""
    if not isinstance(message, Text):
        return message
    locale = i18n.current_locale.get()

    def person(value: Any) -> Any:
        return org.name_of(value, locale) if org and isinstance(value, str) and value in org.users else value

    def step(value: Any) -> Any:
        if value == "submitter":
            return i18n.gettext("the submitter")
        try:
            return localize(flow.step(value).title, locale) or value if flow and isinstance(value, str) else value
        except KeyError:
            return value

    def code(value: str) -> str:
        found = next((o for o in (flow.reject_codes if flow else ()) if o.value == value), None)
        return localize(found.label, locale) or value if found else value

    params: dict[str, Any] = {}
    for name, value in message.params.items():
        if name in PEOPLE:
            value = person(value)
        elif name in MOMENTS and isinstance(value, str) and STAMP.fullmatch(value):
            value = local_time(value)
        elif name in STEPS:
            value = step(value)
        elif name == "choices" and isinstance(value, str):
            value = ", ".join(str(step(v)) for v in value.split(", "))
        elif name == "codes" and isinstance(value, str):
            value = ", ".join(code(v) for v in value.split(", "))
        params[name] = value
    return REWORDED.get(message.msgid, Text(message.msgid)).fill(**params)


def people_message(exc: Exception, org: Organisation | None, local_time: Callable[[str], str],
                   flow: Flow | None = None) -> str:
    """The error's one message as a page shows it, in the reader's language."""
    if isinstance(exc, TransitionNotAllowed):
        what = exc.args[0].params.get("what", word("task")) if isinstance(exc.args[0], Text) else word("task")
        return NOT_NOW.fill(action=word(exc.action), what=what, state=word(exc.state)).localized()
    message = exc.args[0] if len(exc.args) == 1 else str(exc)
    return i18n.localized(humane(message, org, local_time, flow))


def people_errors(errors: dict[str, Any], org: Organisation | None, local_time: Callable[[str], str],
                  flow: Flow | None = None) -> dict[str, str]:
    """`ValidationFailed.errors` as a page shows them (`humane`, then translated)."""
    return {path: i18n.localized(humane(text, org, local_time, flow)) for path, text in errors.items()}


@dataclass(frozen=True)
class PageWords:
    """What a page's error needs to read well: the organisation (names), the local time, and
    the flow of the task or request the page is about (step titles, option labels)."""

    org: Organisation | None = None
    local_time: Callable[[str], str] = str
    flow: Flow | None = None

    def errors(self, errors: dict[str, Any], flow: Flow | None = None) -> dict[str, str]:
        """`ValidationFailed.errors` at a step of `flow`, as the page shows them."""
        return people_errors(errors, self.org, self.local_time, flow or self.flow)

    @classmethod
    def of(cls, request: Request) -> PageWords:
        workflow = getattr(request.app.state, "workflow", None)
        if workflow is None:
            return cls()
        return cls(workflow.org, partial(local_time, timezone=workflow.timezone), _flow_of(workflow, request))


def _flow_of(workflow: Any, request: Request) -> Flow | None:
    """The pinned flow of the task or request in the path (/tasks/{id}…, /instances/{id}…), if any."""
    ident, path = request.path_params.get("id"), request.url.path
    try:
        if ident and path.startswith("/tasks/"):
            return workflow.pinned(workflow.state.instances[workflow.task(ident).instance]).flow
        if ident and path.startswith("/instances/"):
            return workflow.pinned(workflow.state.instances[ident]).flow
    except (KeyError, FormflowError):
        return None
    return None

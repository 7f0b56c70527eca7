"""The runtime's errors, each mapped to one HTTP status by the web app (see `runtime.web.errors`)."""
from __future__ import annotations

from rules.errors import DefinitionError, FormflowError, Problem, RuleError

__all__ = [
    "BadRequest", "Conflict", "DefinitionError", "Forbidden", "FormflowError", "NotAuthenticated", "NotFound",
    "Problem", "RuleError", "TransitionNotAllowed", "ValidationFailed",
]


class BadRequest(FormflowError):
    """The request itself is malformed: not JSON, not an object (400)."""


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
        super().__init__(f'cannot {action}: the {what} is already "{state}"')
        self.action, self.state = action, state


class ValidationFailed(FormflowError):
    """Submitted data is invalid; `errors` maps each field path to its message (422)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))

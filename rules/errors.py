"""The error family shared by every layer.

It lives in `rules` because that is the bottom of the import graph; `builder` and `runtime` raise
these (or subclasses) and the web app maps them to HTTP status codes in one place.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, located by a JSON path such as `steps[2].assignee.role`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class FormflowError(Exception):
    """Base of every error formflow raises on purpose."""


class DefinitionError(FormflowError):
    """A form, flow, ruleset or import document is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class RuleError(FormflowError):
    """A ruleset could not be evaluated (bad data, too many rows, an engine failure)."""

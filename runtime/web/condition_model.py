"""The condition builder's model: a condition as groups of clauses, as the builder carries it.

Plain dataclasses shared by `runtime.web.condition_builder` (condition ↔ builder ↔ posted pairs,
operations) and `runtime.web.condition_check` (builder → checked condition).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from runtime.web.condition_subjects import value_shape

JOINS = ("and", "or")
MODES = ("builder", "json")
LIST_SPLIT = re.compile(r"[,，、;；]")


@dataclass
class Clause:
    """One comparison as the builder carries it: text as typed (`values` for ticked options)."""

    subject: str
    op: str
    value: str = ""
    values: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def shape(self) -> str:
        """What the operator needs besides the subject: "one" value, "many", a "field", "none"."""
        return value_shape(self.op)

    @property
    def pending(self) -> bool:
        """Added but not chosen yet (no field, or no operator): it is shown, and counts for
        nothing until the person picks what it compares."""
        return not self.op


@dataclass
class Group:
    join: str = "and"
    clauses: list[Clause] = field(default_factory=list)


@dataclass
class ConditionForm:
    """What the builder shows: groups joined by `join`, or the JSON text in mode "json";
    `problems` are those no single clause owns (JSON syntax, the JSON view's findings)."""

    groups: list[Group] = field(default_factory=list)
    join: str = "and"
    mode: str = "builder"
    json: str = ""
    problems: list[str] = field(default_factory=list)
    focus: str = ""  # the id of the control to focus after a re-render

    @property
    def has_problems(self) -> bool:
        return bool(self.problems) or any(c.problem for g in self.groups for c in g.clauses)

    @property
    def is_empty(self) -> bool:
        return not any(g.clauses for g in self.groups)

    @property
    def has_pending(self) -> bool:
        return any(c.pending for g in self.groups for c in g.clauses)


def pretty(cond: Any) -> str:
    return json.dumps(cond, ensure_ascii=False, indent=2)

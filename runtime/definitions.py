"""What an engine command reads besides the instance at hand: the definitions it runs on, and
look-ups into the rest of the state (a sub-process's parent and children, other definitions).

Kept apart from the engine so the step handlers (`runtime.steps`) and the settling of
sub-processes can read them without importing the command module.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from builder.flows import Flow
from builder.forms import Form
from rules.ruleset import Ruleset
from runtime.assignment import Delegations
from runtime.events import Event
from runtime.state import Instance, Task


@dataclass(frozen=True)
class Definitions:
    """The pinned versions one instance runs on."""

    flow: Flow
    form: Form
    rulesets: dict[str, Ruleset]

    def pins(self) -> dict[str, Any]:
        return {"flow_version": self.flow.version, "form": self.form.key,
                "form_version": self.form.version,
                "rulesets": {k: r.version for k, r in sorted(self.rulesets.items())}}


@dataclass
class Lookups:
    """What the engine may read beyond the instance at hand: other instances (a sub-process's
    parent and children) and definitions. The service supplies them from its in-memory state;
    the simulator from a scratch one."""

    instance: Callable[[str], Instance | None] = lambda _: None
    open_tasks: Callable[[str], tuple[Task, ...]] = lambda _: ()
    latest: Callable[[str], Definitions] | None = None
    pinned: Callable[[Event], Definitions] | None = None  # by the versions a start event pins
    away: Delegations | None = None
    serial: Callable[[str, str, str], int] = lambda process, field, prefix: 0  # highest given so far
    serial_taken: Callable[[str, str, str], bool] = lambda process, field, number: False  # ever given

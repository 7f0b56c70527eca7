"""A human step's time limit and escalation ladder, as frozen data.

A step may say how long its task may take (`deadline`) and what happens as time passes
(`escalation`: remind, urge, hand the task to the assignee's superior, or decide it
automatically). Amounts are working time on the business calendar; the runtime does the
arithmetic (`runtime.deadlines`), this module only holds the definitions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TIME_UNITS = ("hours", "days")
ESCALATION_ACTIONS = ("remind", "urge", "transfer_superior", "auto_approve", "auto_reject")
DECIDING_ACTIONS = ("auto_approve", "auto_reject")  # end the task, so only the last rung may
MAX_AMOUNT = 1000  # working hours or days: far beyond any real limit, small enough to compute


@dataclass(frozen=True)
class Duration:
    """An amount of working time: `amount` whole working hours or working days."""

    amount: int
    unit: str

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Duration:
        return cls(amount=int(doc["amount"]), unit=doc["unit"])


@dataclass(frozen=True)
class Rung:
    """One rung of an escalation ladder: `action` once `after` has passed since the task was created."""

    after: Duration
    action: str

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Rung:
        return cls(after=Duration.from_dict(doc["after"]), action=doc["action"])


def timing_from_dict(doc: dict[str, Any]) -> dict[str, Any]:
    """The `deadline` and `escalation` keyword arguments of a human step, from its document."""
    deadline = doc.get("deadline")
    return {"deadline": Duration.from_dict(deadline) if deadline is not None else None,
            "escalation": tuple(Rung.from_dict(r) for r in doc.get("escalation", ()))}

"""How a flow treats special cases (nobody fits, the submitter approves, the same person again),
for the whole flow and per human step, and what a rejection at an approval step does.

A step's own policies say only what differs from the flow's (an empty choice: as the flow says);
`effective_policies` is the one place that merges them, so the engine, the simulator and the
green channel agree on every step.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # builder.flows holds steps of these; only its type is needed here
    from builder.flows import Flow

# Each policy's choices, the default first.
POLICY_CHOICES: dict[str, tuple[str, ...]] = {
    "repeat_approver": ("ask", "auto_approve"),
    "no_assignee": ("admin", "skip", "auto_approve"),
    "submitter_approver": ("superior", "skip", "self"),
}
APPROVAL_ONLY = ("repeat_approver",)  # a task step has no approver to repeat
REJECT_TO_END, REJECT_TO_SUBMITTER = "end", "submitter"
RESUME_CHOICES = ("here", "start")  # the resubmission comes straight back here, or runs the flow again


@dataclass(frozen=True)
class Policies:
    """Per-flow handling of special cases, each recorded as an event when it applies.

    `repeat_approver`: the next approver approved the step just before: ask them again, or
    approve for them. `no_assignee`: nobody fits a step: route it to the process admin, skip the
    step, or approve it automatically. `submitter_approver`: the submitter is an approver of their
    own request: send it to their superior instead, skip them, or let them decide."""

    repeat_approver: str = "ask"
    no_assignee: str = "admin"
    submitter_approver: str = "superior"

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Policies:
        return cls(**{name: doc.get(name, choices[0]) for name, choices in POLICY_CHOICES.items()})


@dataclass(frozen=True)
class StepPolicies:
    """A human step's own choices for the flow's policies; "" leaves a policy as the flow says
    (and is not written, so a step without its own policies has no `policies` key)."""

    repeat_approver: str = ""
    no_assignee: str = ""
    submitter_approver: str = ""

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> StepPolicies:
        return cls(**{name: str(doc.get(name, "")) for name in POLICY_CHOICES})

    def own(self) -> dict[str, str]:
        """The policies this step sets itself, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True)
class OnReject:
    """What a rejection at an approval step does: end the request (`to: end`, the default), or
    send it back to the submitter or a named earlier step, as a return does. `resume`: once
    fixed, a request this step sent back (by such a rejection, or by a return) comes straight back
    to this step (`here`), or goes through the flow again (`start`: from the first step after a
    resubmission, on from the earlier step it went to)."""

    to: str = REJECT_TO_END
    resume: str = "here"

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> OnReject:
        return cls(to=str(doc.get("to", REJECT_TO_END)), resume=str(doc.get("resume", "here")))

    @property
    def ends(self) -> bool:
        return self.to == REJECT_TO_END


def effective_policies(flow: Flow, step: Any) -> Policies:
    """The policies that hold at `step` of `flow`: the flow's, with what the step sets itself
    (a human step's `policies`; other steps have none) in their place."""
    own = getattr(step, "policies", None)
    return replace(flow.policies, **own.own()) if isinstance(own, StepPolicies) else flow.policies

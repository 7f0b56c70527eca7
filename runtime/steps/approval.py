"""Approval steps: someone decides. Passed by approving; the repeat-approver policy applies."""
from __future__ import annotations

from builder.flows import HumanStep
from builder.policies import effective_policies
from runtime.org import Resolution
from runtime.steps.base import Walk
from runtime.steps.human import HumanStepHandler


class ApprovalHandler(HumanStepHandler):
    action = "approve"

    def passes_again(self, walk: Walk, step: HumanStep, people: tuple[Resolution, ...],
                     last_approver: str) -> bool:
        """With `repeat_approver: auto_approve` at this step (the flow's or its own), a step whose
        one approver approved the step just before is approved for them."""
        return (effective_policies(walk.flow, step).repeat_approver == "auto_approve" and len(people) == 1
                and bool(last_approver) and people[0].assignee == last_approver)

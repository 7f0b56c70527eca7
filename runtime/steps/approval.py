"""Approval steps: someone decides. Passed by approving; the repeat-approver policy applies."""
from __future__ import annotations

from runtime.org import Resolution
from runtime.steps.base import Walk
from runtime.steps.human import HumanStepHandler


class ApprovalHandler(HumanStepHandler):
    action = "approve"

    def passes_again(self, walk: Walk, people: tuple[Resolution, ...], last_approver: str) -> bool:
        """With the flow's `repeat_approver: auto_approve`, a step whose one approver approved
        the step just before is approved for them."""
        return (walk.flow.policies.repeat_approver == "auto_approve" and len(people) == 1
                and bool(last_approver) and people[0].assignee == last_approver)

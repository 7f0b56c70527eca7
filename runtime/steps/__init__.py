"""One handler per step kind (viewflow keeps one file per node): the registry the walker reads.

`STEP_HANDLERS` maps each step kind, and `join` (where a parallel lane ends), to its handler;
`HUMAN_STEPS` the kinds a person acts on, whose handlers can also open a step's tasks without
walking on (a return to an earlier step, the green channel's post-hoc approvals).
"""
from __future__ import annotations

from runtime.steps.approval import ApprovalHandler
from runtime.steps.base import SYSTEM, SYSTEM_USER, WAIT, Next, Services, StepHandler, Walk, cancel, finish
from runtime.steps.branch import BranchHandler
from runtime.steps.human import HumanStepHandler
from runtime.steps.notify import NotifyHandler
from runtime.steps.parallel import JoinHandler, ParallelHandler
from runtime.steps.subflow import SubflowHandler
from runtime.steps.task import TaskHandler

__all__ = ["HUMAN_STEPS", "STEP_HANDLERS", "SYSTEM", "SYSTEM_USER", "WAIT", "HumanStepHandler", "Next", "Services",
           "StepHandler", "Walk", "cancel", "finish"]

HUMAN_STEPS: dict[str, HumanStepHandler] = {"approval": ApprovalHandler(), "task": TaskHandler()}
STEP_HANDLERS: dict[str, StepHandler] = {
    **HUMAN_STEPS, "notify": NotifyHandler(), "branch": BranchHandler(), "parallel": ParallelHandler(),
    "join": JoinHandler(), "subflow": SubflowHandler()}

"""Parallel steps (并行): every lane runs at once; the flow goes on once all lanes have arrived
at the step's join."""
from __future__ import annotations

from builder.flows import Join, ParallelStep
from runtime.steps.base import WAIT, Next, Walk


class ParallelHandler:
    """The fork: each lane walked in turn, each from the same last approver."""

    def enter(self, walk: Walk, step: ParallelStep) -> Next:
        walk.emit(walk.event("fork", step=step.id, lanes=len(step.branches)))
        last_approver = walk.last_approver
        for lane in step.lanes():
            walk.last_approver = last_approver
            walk.go(lane[0])
        return WAIT


class JoinHandler:
    """Where a lane ends: record its arrival; go on after the parallel step once all lanes have
    (exactly once: commands run one at a time, and the lane that completes the set joins)."""

    def enter(self, walk: Walk, join: Join) -> Next:
        walk.emit(walk.event("arrive", step=join.step, lane=join.lane))
        arrived: set[int] = set()
        for event in reversed(walk.mine()):
            if event["action"] == "fork" and event["step"] == join.step:
                break
            if event["action"] == "arrive" and event["step"] == join.step:
                arrived.add(event["lane"])
        parallel = walk.flow.step(join.step)
        if len(arrived) < len(getattr(parallel, "branches")):
            return WAIT
        walk.emit(walk.event("join", step=join.step))
        return walk.flow.successor(join.step)

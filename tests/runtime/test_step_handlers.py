"""The registry of step handlers the engine walks with: every step kind a flow may hold has one,
and so has the join where a parallel lane ends, so no kind can reach the walker unhandled."""
from __future__ import annotations

from builder.flows import STEP_KINDS, HumanStep, Join
from runtime.steps import HUMAN_STEPS, STEP_HANDLERS, HumanStepHandler


def test_every_step_kind_and_the_join_has_a_handler():
    assert set(STEP_HANDLERS) == {*STEP_KINDS, Join.kind}


def test_the_kinds_a_person_acts_on_are_handled_as_human_steps_and_passed_by_their_own_action():
    human = {kind for kind, cls in STEP_KINDS.items() if issubclass(cls, HumanStep)}
    assert set(HUMAN_STEPS) == human
    assert all(isinstance(STEP_HANDLERS[kind], HumanStepHandler) for kind in human)
    assert {kind: HUMAN_STEPS[kind].action for kind in human} == {"approval": "approve", "task": "complete"}

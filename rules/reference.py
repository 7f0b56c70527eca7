"""The plain-Python evaluator: the oracle for differential tests and the fallback engine.

It reads each row with `conditions.matches`, so its meaning is the language's definition. It
needs no compilation, holds no state and is safe to call from any thread.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.conditions import matches
from rules.evaluation import Decision, check_evaluable, coerce_inputs, decide
from rules.ruleset import Ruleset


class ReferenceEvaluator:
    """Evaluates rows in order and stops as soon as the hit policy has its answer."""

    def evaluate(self, ruleset: Ruleset, data: Mapping[str, Any]) -> Decision:
        check_evaluable(ruleset)
        inputs = coerce_inputs(ruleset, data)
        return decide(ruleset, inputs, matching_rows(ruleset, inputs))


def matching_rows(ruleset: Ruleset, inputs: Mapping[str, Any]) -> list[int]:
    """The 1-based numbers of the rows whose condition holds, as many as the hit policy needs."""
    enough = {"first": 1, "unique": 2}.get(ruleset.hit_policy)
    matched: list[int] = []
    for number, row in enumerate(ruleset.rows, start=1):
        if matches(row.when, inputs):
            matched.append(number)
            if enough is not None and len(matched) >= enough:
                break
    return matched

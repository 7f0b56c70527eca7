"""Both evaluators for the rules tests, and the differential check that they agree."""
from __future__ import annotations

import json
from typing import Any

import pytest

from rules.errors import RuleError
from rules.evaluation import Decision, Evaluator
from rules.reference import ReferenceEvaluator
from rules.ruleset import Ruleset

_durable: list[Evaluator] = []


def durable_evaluator() -> Evaluator:
    pytest.importorskip("durable")
    from rules.durable_adapter import DurableEvaluator

    return DurableEvaluator()


def _outcome_of(evaluator: Evaluator, ruleset: Ruleset, form: dict[str, Any]) -> Decision | str:
    try:
        return evaluator.evaluate(ruleset, form)
    except RuleError as exc:
        return f"RuleError: {exc}"


def assert_same_decisions(ruleset: Ruleset, forms: list[dict[str, Any]]) -> None:
    """durable-rules (one shared evaluator, as in the server) decides every form as the
    reference evaluator does, errors included, and each decision is plain JSON."""
    if not _durable:
        _durable.append(durable_evaluator())
    reference = ReferenceEvaluator()
    for form in forms:
        expected = _outcome_of(reference, ruleset, form)
        assert _outcome_of(_durable[0], ruleset, form) == expected, (ruleset.to_dict(), form)
        if isinstance(expected, Decision):
            assert json.loads(json.dumps(expected.to_dict())) == expected.to_dict()

"""Every evaluator-level rules test runs on both evaluators."""
from __future__ import annotations

import pytest

from rules.reference import ReferenceEvaluator
from tests.rules.evaluators import durable_evaluator


@pytest.fixture(params=["reference", "durable"])
def evaluator(request: pytest.FixtureRequest):
    return ReferenceEvaluator() if request.param == "reference" else durable_evaluator()

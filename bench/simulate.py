"""The what-if simulator on the demo contract flow, against the engine's own start of the same request.

Run from the repository root: `python bench/simulate.py` (a few seconds). It reports and always
exits 0: a benchmark measures, it does not assert.

One simulation is what a designer waits for after changing the sample data: the data cleaned,
the request started on a scratch state by the engine, and every task approved as its assignee
until the request ends (7 steps for a major contract: head, legal, finance, VP, the ruleset
branch, GM, signing). The baseline is `Engine.start` of the same request — the first step only —
timed in the same run, taking turns with the simulations. Goal: simulation p50 <= 5 ms.
"""
from __future__ import annotations

import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/simulate.py` puts bench/, not the root, on the path

from builder.formdata import clean_submission  # noqa: E402
from runtime.setup import open_workflow  # noqa: E402
from runtime.simulation import simulate  # noqa: E402
from runtime.store.repository import MemoryRepository  # noqa: E402

ROUNDS = 500
WARM_UP = 30
GOAL_P50_MS = 5.0
CONTRACT = {"title": "Control cabinet supply 2026", "counterparty": "Huadian Equipment Co.", "type": "purchase",
            "amount": "2,000,000", "risk": "low", "start_date": "2026-04-01", "end_date": "2027-03-31",
            "payment_terms": "30% advance, 70% within 30 days of acceptance", "summary": "Supply of 12 control cabinets"}


def main() -> None:
    workflow = open_workflow(MemoryRepository(), demo=True)
    defs = workflow.latest("contract")
    submitter = workflow.org.user("liu.yang")
    data, errors = clean_submission(defs.form, CONTRACT, directory=workflow.org)
    assert not errors, errors
    steps = len(simulate(workflow, defs, "liu.yang", CONTRACT).path)

    def one_simulation() -> None:
        simulate(workflow, defs, "liu.yang", CONTRACT)

    def one_start() -> None:
        workflow.engine.start(defs, submitter, data)

    for _ in range(WARM_UP):
        one_simulation()
        one_start()
    simulated, started = [], []
    for _ in range(ROUNDS):
        for run, times in ((one_simulation, simulated), (one_start, started)):
            begin = time.perf_counter()
            run()
            times.append((time.perf_counter() - begin) * 1000)
    p50, base = statistics.median(simulated), statistics.median(started)
    p95 = statistics.quantiles(simulated, n=20)[-1]
    print(f"python {platform.python_version()} on {platform.machine()}, {ROUNDS} rounds, contract flow: {steps} steps")
    print(f"simulation        p50 {p50:7.3f} ms   p95 {p95:7.3f} ms   (goal p50 <= {GOAL_P50_MS} ms: "
          f"{'met' if p50 <= GOAL_P50_MS else 'NOT met'})")
    print(f"engine start      p50 {base:7.3f} ms   (the baseline: the first step only)")
    print(f"ratio             {p50 / base:7.2f}x   (simulation / engine start, same run)")


if __name__ == "__main__":
    main()

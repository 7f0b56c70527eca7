"""Ruleset evaluation: durable-rules through our adapter against plain Python, and memory.

Run from the repository root: `python bench/rules.py` (about a minute). It reports and always
exits 0: a benchmark measures, it does not assert.

1. Speed. Evaluations per second through `DurableEvaluator` and through `ReferenceEvaluator`
   (plain Python reading the same JSON conditions) on two rulesets: the demo's expense tier
   (`first`, 2 rows on the total) and an 11-row `collect` table of expense checks on five inputs,
   two of them derived facts of the invoice table (`items.count`, `items.amount.max`). Both sides
   get the same forms, which go through the same input coercion, and take turns; the median run
   counts. Goal: the adapter within 3x of plain Python (reference rate / durable rate <= 3).
2. Memory. Resident set size before and after 100,000 durable evaluations, after a warm-up
   (compilation, first-use caches). Goal: flat (growth <= 4 MiB), so that per-evaluation state
   (sids, fired rows) is really released.
"""
from __future__ import annotations

import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/rules.py` puts bench/, not the root, on the path

from rules.evaluation import Evaluator, coerce_inputs  # noqa: E402
from rules.reference import ReferenceEvaluator  # noqa: E402
from rules.ruleset import Ruleset, parse_ruleset  # noqa: E402

DEMO = ROOT / "demo" / "processes" / "expense.json"
FORMS = 1_000                   # distinct forms, cycled
SECONDS_PER_RUN = 1.5           # target length of one timed run
RUNS = 3                        # runs per side and ruleset; the median counts
MEMORY_EVALUATIONS = 100_000
SPEED_GOAL = 3.0                # reference rate / durable rate, at most
MEMORY_GOAL = 4 * 1024 * 1024   # RSS growth over MEMORY_EVALUATIONS, at most (bytes)

CHECKS = {
    "key": "expense-checks", "version": 1, "hit_policy": "collect",
    "title": "Expense checks",
    "inputs": [
        {"key": "total", "type": "money"},
        {"key": "category", "type": "select", "options": ["travel", "office", "meals", "other"]},
        {"key": "items.count", "type": "number"},
        {"key": "items.amount.max", "type": "money"},
        {"key": "urgent", "type": "checkbox"},
    ],
    "outputs": [{"key": "check", "type": "text"}],
    "rows": [
        {"when": {"$gt": {"total": 50000}}, "then": {"check": "gm"}},
        {"when": {"$gt": {"total": 5000}}, "then": {"check": "vp"}},
        {"when": {"category": "meals"}, "then": {"check": "meals-policy"}},
        {"when": {"$and": [{"category": "travel"}, {"$gt": {"total": 20000}}]},
         "then": {"check": "travel-desk"}},
        {"when": {"$gt": {"items.count": 10}}, "then": {"check": "many-lines"}},
        {"when": {"$gte": {"items.amount.max": 10000}}, "then": {"check": "large-invoice"}},
        {"when": {"urgent": True}, "then": {"check": "urgent"}},
        {"when": {"$in": {"category": ["office", "other"]}}, "then": {"check": "admin"}},
        {"when": {"$or": [{"$lt": {"total": 100}}, {"$nex": {"total": 1}}]},
         "then": {"check": "small"}},
        {"when": {"$and": [{"urgent": True}, {"$gt": {"total": 50000}}]},
         "then": {"check": "urgent-large"}},
        {"when": {"$ne": {"category": "travel"}}, "then": {"check": "not-travel"}},
    ],
    "default": {"check": "none"},
}


def forms(seed: int = 7) -> list[dict[str, Any]]:
    """Varied claims: totals across every threshold, 1-15 invoice lines, some urgent."""
    rng = random.Random(seed)
    out = []
    for _ in range(FORMS):
        lines = [round(rng.choice((80, 600, 3_000, 12_000)) * rng.uniform(0.5, 1.5), 2)
                 for _ in range(rng.randint(1, 15))]
        out.append({
            "category": rng.choice(("travel", "office", "meals", "other")),
            "items": [{"description": f"line {i}", "amount": a} for i, a in enumerate(lines)],
            "total": round(sum(lines), 2),
            "urgent": rng.random() < 0.2,
            "reason": "client visit",
        })
    return out


def rss() -> int:
    """Resident set size in bytes (Linux /proc; 0 where it is unavailable)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def timed_run(evaluate: Callable[[Ruleset, dict[str, Any]], Any], ruleset: Ruleset,
              data: list[dict[str, Any]], count: int) -> float:
    """Evaluations per second over `count` evaluations."""
    gc.collect()
    start = time.perf_counter()
    for i in range(count):
        evaluate(ruleset, data[i % len(data)])
    return count / (time.perf_counter() - start)


def size_run(evaluate: Callable[..., Any], ruleset: Ruleset, data: list[dict[str, Any]]) -> int:
    """How many evaluations take about SECONDS_PER_RUN (after a warm-up of 200)."""
    rate = timed_run(evaluate, ruleset, data, 200)
    return max(200, int(rate * SECONDS_PER_RUN))


def compare(name: str, ruleset: Ruleset, durable: Evaluator, reference: Evaluator,
            data: list[dict[str, Any]]) -> float:
    sides = {"durable": durable.evaluate, "reference": reference.evaluate,
             "coerce only": lambda r, d: coerce_inputs(r, d)}
    counts = {side: size_run(fn, ruleset, data) for side, fn in sides.items()}
    rates: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(RUNS):
        for side, fn in sides.items():
            rates[side].append(timed_run(fn, ruleset, data, counts[side]))
    median = {side: statistics.median(r) for side, r in rates.items()}
    ratio = median["reference"] / median["durable"]
    print(f"\n{name} ({ruleset.hit_policy}, {len(ruleset.rows)} rows, {len(ruleset.inputs)} inputs)")
    for side in sides:
        print(f"  {side:<12} {median[side]:>10,.0f} evaluations/s   "
              f"{1e6 / median[side]:7.1f} us each   (runs: "
              + ", ".join(f"{r:,.0f}" for r in rates[side]) + ")")
    print(f"  reference / durable = {ratio:.2f}x   "
          f"{'PASS' if ratio <= SPEED_GOAL else 'MISS'} (goal <= {SPEED_GOAL:g}x)")
    return ratio


def agree(ruleset: Ruleset, durable: Evaluator, reference: Evaluator,
          data: list[dict[str, Any]]) -> None:
    for form in data:
        if durable.evaluate(ruleset, form) != reference.evaluate(ruleset, form):
            raise SystemExit(f"the evaluators disagree on {ruleset.ref}: {form}")


def main() -> int:
    try:
        from rules.durable_adapter import DurableEvaluator
    except Exception as exc:  # noqa: BLE001 - durable-rules missing or broken here
        print(f"durable-rules is not available ({type(exc).__name__}: {exc}); nothing to compare")
        return 0
    started = time.perf_counter()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    durable, reference = DurableEvaluator(), ReferenceEvaluator()
    tier = parse_ruleset(json.loads(DEMO.read_text("utf-8"))["rulesets"][0])
    checks = parse_ruleset(CHECKS)
    data = forms()
    for ruleset in (tier, checks):
        agree(ruleset, durable, reference, data)
    print(f"{FORMS:,} forms; both evaluators agree on every one for both rulesets")
    ratios = [compare("demo expense tier", tier, durable, reference, data),
              compare("expense checks", checks, durable, reference, data)]

    per_ruleset = MEMORY_EVALUATIONS // 2
    for i in range(2_000):  # warm-up: allocator arenas, caches
        durable.evaluate((tier, checks)[i % 2], data[i % len(data)])
    gc.collect()
    before = rss()
    start = time.perf_counter()
    for i in range(per_ruleset):
        durable.evaluate(tier, data[i % len(data)])
        durable.evaluate(checks, data[i % len(data)])
    seconds = time.perf_counter() - start
    gc.collect()
    after = rss()
    growth = after - before
    print(f"\nmemory: {MEMORY_EVALUATIONS:,} durable evaluations (both rulesets, {seconds:.1f} s)")
    print(f"  RSS before {before / 2**20:.1f} MiB, after {after / 2**20:.1f} MiB, "
          f"growth {growth / 2**10:+,.0f} KiB   "
          f"{'PASS' if before and growth <= MEMORY_GOAL else 'MISS'} "
          f"(goal <= {MEMORY_GOAL // 2**20} MiB)")

    print(f"\nsummary ({time.perf_counter() - started:.0f} s):")
    worst = max(ratios)
    print(f"  speed: reference/durable {', '.join(f'{r:.2f}x' for r in ratios)}   "
          f"{'PASS' if worst <= SPEED_GOAL else 'MISS'} (goal <= {SPEED_GOAL:g}x)")
    print(f"  memory: growth {growth / 2**10:+,.0f} KiB over {MEMORY_EVALUATIONS:,}   "
          f"{'PASS' if before and growth <= MEMORY_GOAL else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What checking and reading events through `runtime/events.py` costs, as shares of the work
around it, measured in one process.

Run from the repository root: `python bench/events.py`. It reports and always exits 0.

1. Commands: `bench/approve.py`'s in-memory chain (start, two approvals, a payment). The time
   one instance's commands take, and the time `events.check_batch` (run before every append)
   takes over the batches they write; the share counts (goal: at most 5 %).
2. Start-up: a data directory's log (claims started through the engine) reopened into a fresh
   `Workflow`, and the time `events.read` takes over the same lines (goal: at most 5 %).

Each time is the median of several runs. An A/B with the check switched off measures the same
thing, but on a shared machine its noise (±10 %) is larger than the effect.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import approve  # noqa: E402
from rules.evaluation import default_evaluator  # noqa: E402
from runtime import events  # noqa: E402
from runtime.service import Workflow  # noqa: E402
from runtime.setup import open_workflow  # noqa: E402
from runtime.store.repository import FileRepository  # noqa: E402

RUNS = 7                  # medians of this many runs
INSTANCES = 500           # chain instances per command run
STARTUP_INSTANCES = 5_000  # claims in the log a restart replays (two events each)
GOAL = 0.05               # share of the time around it, at most


def median_time(work: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def commands() -> tuple[float, float, int]:
    """Per instance: its commands' time, the batch check's time over what they wrote, and how many events."""
    run = approve.formflow_runner()
    batches: list[list[dict[str, Any]]] = []
    check = events.check_batch
    events.check_batch = lambda batch: batches.append(list(batch))  # type: ignore[assignment]
    try:
        run()
    finally:
        events.check_batch = check
    for _ in range(100):  # warm-up
        run()

    def chain() -> None:
        for _ in range(INSTANCES):
            run()

    def checks() -> None:
        for _ in range(INSTANCES):
            for batch in batches:
                check(batch)

    return median_time(chain) / INSTANCES, median_time(checks) / INSTANCES, sum(map(len, batches))


def startup() -> tuple[float, float, int]:
    """A restart's time, `events.read`'s time over the lines it replays, and how many."""
    with tempfile.TemporaryDirectory(prefix="formflow-bench-") as work:
        data_dir = Path(work) / "data"
        with approve.setup_without_fdatasync():
            workflow = open_workflow(FileRepository(data_dir), demo=True)
            approve.start_claims(workflow, STARTUP_INSTANCES)
            workflow.repo.close()
        with FileRepository(data_dir) as repo:
            lines = list(repo.read_events())

        def reopen() -> None:
            with FileRepository(data_dir) as repo:
                Workflow(repo, default_evaluator())

        def reads() -> None:
            for line in lines:
                events.read(line)

        return median_time(reopen), median_time(reads), len(lines)


def main() -> int:
    print(f"formflow events benchmark - Python {sys.version.split()[0]}, median of {RUNS} runs")
    command, check, count = commands()
    share = check / command
    print(f"1. commands: one chain instance {command * 1e6:.0f} us; checking its {count} events "
          f"{check * 1e6:.1f} us = {share:.1%}  (goal <= {GOAL:.0%})  {'PASS' if share <= GOAL else 'MISS'}")
    reopen, read, count = startup()
    share = read / reopen
    print(f"2. start-up: reopening a log of {count:,} events {reopen * 1e3:.0f} ms; reading them through "
          f"events.read {read * 1e3:.1f} ms = {share:.1%}  (goal <= {GOAL:.0%})  {'PASS' if share <= GOAL else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

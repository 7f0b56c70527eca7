"""Approval throughput: is the durable path independent of history, and is the engine fast?

Run from the repository root: `python bench/approve.py` (add `--profile` for a cProfile of the
in-memory engine). It reports and always exits 0: a benchmark measures, it does not assert.

1. Durable path. Approvals through `Workflow.act` on a `FileRepository` (one fdatasync per
   command) with 100 and with 10,000 instances already stored. The event log and the in-memory
   projection are built to be independent of history, so the two rates should be close
   (goal: rate at 100 / rate at 10,000 <= 1.5).
2. Engine speed. The same 3-step chain (department head approves, finance approves, cashier
   pays) through SpiffWorkflow 3.2 (`bench/expense_chain.bpmn`) and through our engine on a
   `MemoryRepository`, instances per second (goal: ours / Spiff >= 5).
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import cProfile
import gc
import json
import os
import platform
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/approve.py` puts bench/, not the root, on the path

import runtime.store.eventlog as eventlog  # noqa: E402
from rules.evaluation import default_evaluator  # noqa: E402
from runtime.service import Workflow  # noqa: E402
from runtime.setup import INSTALLER, load_demo, open_workflow  # noqa: E402
from runtime.state import Instance, InstanceStatus  # noqa: E402
from runtime.store.repository import FileRepository, MemoryRepository  # noqa: E402
from tests.support import DEMO, claim  # noqa: E402

BPMN = Path(__file__).with_name("expense_chain.bpmn")
CHAIN = ["dept_head", "finance", "pay"]

SMALL, LARGE = 100, 10_000        # instances stored before measuring
APPROVALS = 300                   # timed approvals per round
ROUNDS = 7                        # rounds per setting; the median counts
WARM_UP_APPROVALS = 20            # untimed, per store: first-use caches, page cache
SECONDS_PER_RUN = 2.5             # target length of one in-memory run
RUNS = 3                          # in-memory runs per side; the median counts

HISTORY_GOAL = 1.5                # rate at SMALL / rate at LARGE, at most
SPEED_GOAL = 5.0                  # our instances/s / SpiffWorkflow's, at least

# Varied submitters (different heads, so different inbox index entries) and amounts.
SUBMITTERS = ("zhang.wei", "wang.fang", "liu.yang", "zhou.jie", "wu.qiang", "li.na")
AMOUNTS = (120.0, 4_800.0, 12_000.0, 60_000.0, 730.5)


# --- 1. durable path --------------------------------------------------------------------------

@contextlib.contextmanager
def setup_without_fdatasync() -> Iterator[None]:
    """Build history fast: the log bytes and projection are the same, only the per-command
    fdatasync (0.3-3 ms on this disk) is skipped. Everything is flushed with `os.sync()` on the way out,
    so the timed approvals that follow pay their own fdatasync and nobody else's write-back."""
    real = eventlog._datasync
    eventlog._datasync = lambda fd: None
    try:
        yield
    finally:
        eventlog._datasync = real
        os.sync()


def start_claims(workflow: Workflow, count: int, offset: int = 0) -> list[str]:
    """Start `count` expense claims through the engine; the ids of their open dept-head tasks."""
    tasks = []
    for i in range(offset, offset + count):
        submitter = workflow.org.user(SUBMITTERS[i % len(SUBMITTERS)])
        instance = workflow.start(submitter, "expense", claim([AMOUNTS[i % len(AMOUNTS)]]))
        tasks.append(instance.task_ids[-1])
    return tasks


def approve(workflow: Workflow, task_ids: list[str]) -> float:
    """Approve each task as its assignee; the seconds it took."""
    users = [workflow.org.user(workflow.state.tasks[t].assignee) for t in task_ids]
    gc.collect()
    began = time.perf_counter()
    for user, task_id in zip(users, task_ids):
        workflow.act(user, task_id, "approve")
    return time.perf_counter() - began


class Seeded(NamedTuple):
    """A seeded store and what reopening it cost."""

    workflow: Workflow
    reopen_seconds: float
    replayed_events: int


def seed_store(data_dir: Path, instances: int) -> Seeded:
    """A data directory holding `instances` started claims, reopened so the projection is
    rebuilt from the log the way a restarted server sees it (and how long that took)."""
    with setup_without_fdatasync():
        workflow = open_workflow(FileRepository(data_dir), demo=True)
        start_claims(workflow, instances)
        workflow.repo.close()
    began = time.perf_counter()
    workflow = open_workflow(FileRepository(data_dir), demo=True)
    seeded = Seeded(workflow, time.perf_counter() - began, workflow.state.last_seq)
    with setup_without_fdatasync():
        warm = start_claims(workflow, WARM_UP_APPROVALS, offset=instances)
    approve(workflow, warm)
    return seeded


def durable_round(workflow: Workflow) -> float:
    """Approvals per second over APPROVALS fresh dept-head tasks (started untimed just before)."""
    with setup_without_fdatasync():
        tasks = start_claims(workflow, APPROVALS, offset=len(workflow.state.instances))
    return APPROVALS / approve(workflow, tasks)


def measure_durable(work_dir: Path) -> dict[str, Any]:
    """Rounds alternate between the settings so disk noise hits both alike. The small store is
    rebuilt for every round (so it stays ~100 instances); the large one is built once and grows
    by APPROVALS per round, which only makes its rate harder to keep."""
    began = time.perf_counter()
    large, reopened, events = seed_store(work_dir / "large", LARGE)
    built = time.perf_counter() - began
    small_rates, large_rates, small_stored, large_stored = [], [], 0, []
    for round_no in range(ROUNDS):
        small_dir = work_dir / f"small-{round_no}"
        small = seed_store(small_dir, SMALL).workflow
        small_rates.append(durable_round(small))
        small_stored = len(small.state.instances)
        small.repo.close()
        shutil.rmtree(small_dir)
        large_rates.append(durable_round(large))
        large_stored.append(len(large.state.instances))
    large.repo.close()
    return {"small": small_rates, "large": large_rates, "small_stored": small_stored,
            "large_stored": (large_stored[0], large_stored[-1]), "built": built,
            "reopened": reopened, "events": events}


# --- 2. engine vs SpiffWorkflow ------------------------------------------------------------------

def chain_bundle() -> dict[str, Any]:
    """The demo expense bundle cut to dept_head approval -> finance approval -> pay task: same
    form (validation and the computed total still run), no ruleset, no branch."""
    bundle = json.loads((DEMO / "processes" / "expense.json").read_text(encoding="utf-8"))
    flow = bundle["flow"]
    flow["key"] = "expense-chain"
    flow["rulesets"] = []
    flow["steps"] = [step for step in flow["steps"] if step["id"] in CHAIN]
    bundle["rulesets"] = []
    return bundle


def formflow_runner() -> Callable[[], list[str]]:
    """One instance of the chain through `Workflow` on a `MemoryRepository`, per call."""
    repo = MemoryRepository()
    load_demo(repo)
    workflow = Workflow(repo, default_evaluator())
    workflow.import_bundle(INSTALLER, chain_bundle())
    submitter = workflow.org.user("zhang.wei")
    data = claim([1_200.0, 300.5])

    def run() -> list[str]:
        instance: Instance = workflow.start(submitter, "expense-chain", data)
        steps = []
        while instance.status is InstanceStatus.RUNNING:
            task = workflow.state.tasks[instance.task_ids[-1]]
            action = "approve" if task.kind == "approval" else "complete"
            instance = workflow.act(workflow.org.user(task.assignee), task.id, action)
            steps.append(task.step)
        return steps

    return run


def spiff_runner() -> Callable[[], list[str]]:
    """One instance of `expense_chain.bpmn` through SpiffWorkflow, per call; parsed once. The
    claim goes into the first task's data, so Spiff carries the same payload from task to task."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator
    from SpiffWorkflow.util.task import TaskState

    parser = BpmnParser(validator=BpmnValidator())
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("expense_chain")
    subprocesses = parser.get_subprocess_specs("expense_chain")
    data = claim([1_200.0, 300.5])

    def run() -> list[str]:
        workflow = BpmnWorkflow(spec, subprocesses)
        workflow.do_engine_steps()
        steps: list[str] = []
        while not workflow.is_completed():
            (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
            if not steps:
                task.data.update(copy.deepcopy(data))
            steps.append(task.task_spec.name)
            task.run()
            workflow.do_engine_steps()
        return steps

    return run


def sized(run: Callable[[], list[str]]) -> int:
    """How many instances make one ~SECONDS_PER_RUN run, from a 0.5 s warm-up; checks first
    that the runner really walks the whole chain, so both sides are known to do the same work."""
    if run() != CHAIN:
        raise RuntimeError(f"the runner did not walk {CHAIN}")
    began, warm = time.perf_counter(), 0
    while time.perf_counter() - began < 0.5:
        run()
        warm += 1
    return max(50, int(warm / (time.perf_counter() - began) * SECONDS_PER_RUN))


def rate(run: Callable[[], list[str]], count: int) -> float:
    """Instances per second over `count` instances."""
    gc.collect()
    began = time.perf_counter()
    for _ in range(count):
        run()
    return count / (time.perf_counter() - began)


def head_to_head(sides: dict[str, Callable[[], list[str]]]) -> dict[str, tuple[int, list[float]]]:
    """RUNS runs per side, alternating sides run by run, so load from elsewhere on the machine
    hits every side alike; per side, its run size and its rates."""
    counts = {name: sized(run) for name, run in sides.items()}
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(RUNS):
        for name, run in sides.items():
            rates[name].append(rate(run, counts[name]))
    return {name: (counts[name], rates[name]) for name in sides}


def profile_formflow(instances: int = 2_000) -> None:
    """Where our in-memory engine spends its time, by own time and by cumulative time."""
    run = formflow_runner()
    for _ in range(100):
        run()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(instances):
        run()
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    print(f"\ncProfile of {instances:,} formflow chain instances (in memory)")
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


# --- report ------------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def spiff_version() -> str | None:
    try:
        from importlib.metadata import version
        return version("SpiffWorkflow")
    except Exception:
        return None


def print_durable(durable: dict[str, Any]) -> float:
    """The durable table; returns rate@SMALL / rate@LARGE."""
    small, large = statistics.median(durable["small"]), statistics.median(durable["large"])
    print(f"   history: {LARGE:,} instances started through Workflow.start in {durable['built']:.1f} s; "
          f"reopening replayed its {durable['events']:,} events in {durable['reopened']:.2f} s")
    print(f"   {'history':>9}  {'stored while timed':>18}  {'approvals/s':>11}  {'ms each':>7}  rounds")
    low, high = durable["large_stored"]
    for label, stored, median_rate, rounds in (
            (f"{SMALL:,}", f"{durable['small_stored']:,}", small, durable["small"]),
            (f"{LARGE:,}", f"{low:,}-{high:,}", large, durable["large"])):
        print(f"   {label:>9}  {stored:>18}  {median_rate:>11.0f}  {1000 / median_rate:>7.2f}  "
              + " ".join(f"{r:.0f}" for r in rounds))
    return small / large


def print_speed(spiff: str | None) -> float | None:
    """Run and print the in-memory head-to-head; returns ours / Spiff (None without Spiff)."""
    print("\n2. Engine vs SpiffWorkflow, in memory: dept_head -> finance -> pay, median of "
          f"{RUNS} alternating runs of ~{SECONDS_PER_RUN:g} s")
    sides = {"formflow (MemoryRepository)": formflow_runner()}
    if spiff:
        sides[f"SpiffWorkflow {spiff}"] = spiff_runner()
    medians = []
    for name, (count, rates) in head_to_head(sides).items():
        medians.append(statistics.median(rates))
        print(f"   {name:<30} {medians[-1]:>7.0f} instances/s  (n={count:,} per run; "
              + ", ".join(f"{r:.0f}" for r in rates) + ")")
    if not spiff:
        print("   SpiffWorkflow is not installed: pip install -e '.[bench]'")
        return None
    return medians[0] / medians[1]


def print_goals(history_ratio: float, speed_ratio: float | None) -> None:
    print("\nGoals")
    print(f"   history independence  rate@{SMALL} / rate@{LARGE:,} = {history_ratio:.2f}   "
          f"(goal <= {HISTORY_GOAL})  {verdict(history_ratio <= HISTORY_GOAL)}")
    if speed_ratio is None:
        print(f"   engine speed          formflow / SpiffWorkflow: not measured (goal >= {SPEED_GOAL:g}x)")
    else:
        print(f"   engine speed          formflow / SpiffWorkflow = {speed_ratio:.2f}x  "
              f"(goal >= {SPEED_GOAL:g}x)  {verdict(speed_ratio >= SPEED_GOAL)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="store_true", help="also cProfile the in-memory engine")
    args = parser.parse_args()
    spiff = spiff_version()
    print(f"formflow approval benchmark - Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, SpiffWorkflow {spiff or 'not installed'}")
    work_dir = Path(tempfile.mkdtemp(prefix="formflow-bench-", dir=os.environ.get("BENCH_DIR")))
    try:
        print(f"\n1. Durable approvals: FileRepository in {work_dir} (fdatasync per command), "
              f"{APPROVALS} approvals x {ROUNDS} rounds, median")
        history_ratio = print_durable(measure_durable(work_dir))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    speed_ratio = print_speed(spiff)
    if args.profile:
        profile_formflow()
    print_goals(history_ratio, speed_ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What keying the chain costs: approvals/s with the keyed (HMAC-SHA256) event log as a ratio
against the plain SHA-256 one, in the same run.

Run from the repository root: `python bench/audit_chain.py`. It reports and always exits 0.

1. Durable approvals through `Workflow.act` on a `FileRepository` (one fdatasync per command),
   keyed and plain in alternating rounds so disk noise hits both alike (goal: keyed / plain >= 0.9).
2. The log alone without fdatasync (what the MAC adds on the CPU): appends/s of a 3-event batch.
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/audit_chain.py` puts bench/, not the root, on the path

from bench.approve import approve, setup_without_fdatasync, start_claims  # noqa: E402
from runtime.service import Workflow  # noqa: E402
from runtime.setup import open_workflow  # noqa: E402
from runtime.store.eventlog import EventLog  # noqa: E402
from runtime.store.repository import FileRepository  # noqa: E402

APPROVALS = 300   # timed approvals per round
ROUNDS = 7        # per setting; the median counts
APPENDS = 20_000  # batches per in-memory run of the log alone
GOAL = 0.9


def plain_repository(data_dir: Path) -> FileRepository:
    """A file repository whose log is plain, as every log was before the key: the same store
    with its keyed log swapped for a plain one on a file of its own (for comparison only)."""
    repo = FileRepository(data_dir)
    repo._events.close()
    repo._events = EventLog(data_dir / "events-plain.jsonl", key=None)
    return repo


def durable_rate(workflow: Workflow) -> float:
    with setup_without_fdatasync():
        tasks = start_claims(workflow, APPROVALS, offset=len(workflow.state.instances))
    return APPROVALS / approve(workflow, tasks)


def measure_durable(work: Path) -> tuple[list[float], list[float]]:
    keyed = open_workflow(FileRepository(work / "keyed"), demo=True)
    plain = open_workflow(plain_repository(work / "plain"), demo=True)
    assert keyed.repo._events.keyed and not plain.repo._events.keyed
    for workflow in (keyed, plain):  # warm-up: first-use caches, page cache
        durable_rate(workflow)
    keyed_rates, plain_rates = [], []
    for _ in range(ROUNDS):
        keyed_rates.append(durable_rate(keyed))
        plain_rates.append(durable_rate(plain))
    keyed.repo.close()
    plain.repo.close()
    return keyed_rates, plain_rates


def append_rate(path: Path, key: bytes | None) -> float:
    batch = [{"action": "approve", "instance": "i1", "actor": "li.na", "at": "2026-12-04T10:00:00.000Z",
              "comment": "ok", "data": {"amount": 1200.5}}] * 3
    with setup_without_fdatasync(), EventLog(path, key=key) as log:
        began = time.perf_counter()
        for _ in range(APPENDS):
            log.append(batch)
        return APPENDS / (time.perf_counter() - began)


def main() -> int:
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    with tempfile.TemporaryDirectory(prefix="formflow-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        keyed, plain = measure_durable(work)
        k, p = statistics.median(keyed), statistics.median(plain)
        print(f"1. durable approvals/s, median of {ROUNDS} rounds of {APPROVALS}: keyed {k:,.0f}, plain {p:,.0f}")
        print(f"   keyed / plain = {k / p:.2f} (goal >= {GOAL}) {'ok' if k / p >= GOAL else 'MISSED'}")
        key = bytes(32)
        runs = [(append_rate(work / f"k{n}.jsonl", key), append_rate(work / f"p{n}.jsonl", None)) for n in range(3)]
        ka, pa = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        print(f"2. the log alone, no fdatasync, 3-event batches/s: keyed {ka:,.0f}, plain {pa:,.0f}, "
              f"ratio {ka / pa:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

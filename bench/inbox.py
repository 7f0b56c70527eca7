"""The inbox page with 10,000 open tasks for one person and 100,000 in the store, against the same
page with 10 tasks.

Run from the repository root: `python bench/inbox.py` (about half a minute). It reports and always
exits 0: a benchmark measures, it does not assert.

Both stores are the demo on a MemoryRepository, served by the app through Starlette's TestClient
with li.na (a department head) signed in. Their requests are expense claims folded into the
projection directly: the events of one real start (`Engine.start`) copied with new ids, amounts,
times and assignees, a third with a deadline (some of them past), so the rows are what the engine
makes without 100,000 commands to build them. The large store holds 100,000 open tasks, 10,000 of
them li.na's; the small one 10 tasks, all hers. Timed: `GET /inbox` (to do, due soonest first,
page 1 of 50 rows), the two stores taking turns; also a search that keeps 1 row in 10, and the
done tab, on the large store. Goal: the large store's page p50 <= 50 ms.
"""
from __future__ import annotations

import gc
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/inbox.py` puts bench/, not the root, on the path

from builder.formdata import clean_submission  # noqa: E402
from runtime import events  # noqa: E402
from runtime.app import create_app  # noqa: E402
from runtime.clock import to_stamp  # noqa: E402
from runtime.service import Workflow  # noqa: E402
from runtime.settings import Settings  # noqa: E402
from runtime.setup import open_workflow  # noqa: E402
from runtime.store.repository import MemoryRepository  # noqa: E402
from tests.support import SameOriginClient, claim, page_sign_in  # noqa: E402

PERSON = "li.na"
LARGE_STORE, LARGE_MINE = 100_000, 10_000
SMALL = 10
ROUNDS = 60
WARM_UP = 5
GOAL_P50_MS = 50.0
OTHERS = ("chen.gang", "zhao.min", "wang.fang", "liu.yang", "zhou.jie", "wu.qiang")
SUBMITTERS = ("zhang.wei", "wang.fang", "liu.yang", "zhou.jie", "wu.qiang")
AMOUNTS = (120.0, 4_800.0, 12_000.0, 60_000.0, 730.5, 1_999.99, 86.0)


def fill(workflow: Workflow, tasks: int, mine: int) -> None:
    """Fold `tasks` started claims into the projection, each with one open approval; `mine` of
    them (spread through the store) li.na's, the rest other people's."""
    defs = workflow.latest("expense")
    data, errors = clean_submission(defs.form, claim([1_200.0]), directory=workflow.org)
    assert not errors, errors
    start, task = workflow.engine.start(defs, workflow.org.user("zhang.wei"), data)[:2]
    began = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    now = datetime.now(UTC)
    every = max(1, tasks // mine) if mine else tasks + 1
    for n in range(tasks):
        at = to_stamp(began + timedelta(minutes=n))
        instance, task_id = f"i{n:07d}", f"t{n:07d}"
        amount = AMOUNTS[n % len(AMOUNTS)] + n % 100
        assignee = PERSON if n % every == 0 and n // every < mine else OTHERS[n % len(OTHERS)]
        due = {"due": to_stamp(now + timedelta(hours=(n % 7) * 24 - 48))} if n % 3 == 0 else {}
        workflow.state.apply(events.amended(start, instance=instance, at=at, actor=SUBMITTERS[n % len(SUBMITTERS)],
                                            data={**data, "total": amount, "number": f"BX-2026-{n:06d}"}))
        workflow.state.apply(events.amended(task, instance=instance, at=at, task=task_id, assignee=assignee, **due))


def serve(tasks: int, mine: int) -> tuple[SameOriginClient, Any]:
    """A started app on a demo store holding `tasks` claims, li.na signed in; the client and its context."""
    repo = MemoryRepository()
    open_workflow(repo, demo=True)
    app = create_app(Settings(), repo)
    client = SameOriginClient(app, follow_redirects=False)
    client.__enter__()
    fill(app.state.workflow, tasks, mine)
    gc.freeze()  # as the server does once it has rebuilt its state from the log (runtime/app.py)
    assert page_sign_in(client, PERSON).status_code == 303
    return client, app


def timed(client: SameOriginClient, url: str) -> float:
    began = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, response.text[:500]
    return elapsed


def main() -> None:
    built = time.perf_counter()
    large, large_app = serve(LARGE_STORE, LARGE_MINE)
    small, _ = serve(SMALL, SMALL)
    built = time.perf_counter() - built
    counts = large.get("/api/inbox").json()["counts"]
    gc.collect()
    for _ in range(WARM_UP):
        timed(large, "/inbox")
        timed(small, "/inbox")
    big, little, searched, done = [], [], [], []
    for _ in range(ROUNDS):
        big.append(timed(large, "/inbox"))
        little.append(timed(small, "/inbox"))
    for _ in range(ROUNDS // 3):
        searched.append(timed(large, "/inbox?q=4800"))
        done.append(timed(large, "/inbox?tab=done"))
    p50, base = statistics.median(big), statistics.median(little)
    p95 = statistics.quantiles(big, n=20)[-1]
    print(f"python {platform.python_version()} on {platform.machine()}, {ROUNDS} rounds; stores built in {built:.1f} s")
    print(f"large store: {len(large_app.state.workflow.state.tasks):,} tasks, {counts['todo']:,} of them {PERSON}'s")
    print(f"inbox, 10,000 to do     p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   (goal p50 <= {GOAL_P50_MS:.0f} ms: "
          f"{'met' if p50 <= GOAL_P50_MS else 'NOT met'})")
    print(f"inbox, 10 to do         p50 {base:7.2f} ms   (the baseline, same run)")
    print(f"ratio                   {p50 / base:7.2f}x  (10,000 / 10)")
    print(f"search q=4800 (10,000)  p50 {statistics.median(searched):7.2f} ms")
    print(f"done tab (empty)        p50 {statistics.median(done):7.2f} ms")
    large.__exit__(None, None, None)
    small.__exit__(None, None, None)


if __name__ == "__main__":
    main()

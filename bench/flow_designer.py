"""The flow designer's edit round trip on a 40-step flow, against the engine's start of the same request.

Run from the repository root: `python bench/flow_designer.py` (about half a minute; `--memory`
uses a MemoryRepository instead of a data directory). It reports and always exits 0: a benchmark
measures, it does not assert.

One round trip is what a designer waits for after choosing a kind of step in a "+" menu: an htmx
POST to `/designer/flows/<key>/steps` → the step inserted (`builder.flow_editing`) → the draft
checked (shape, organisation, branch coverage) and saved (`FlowAuthoring.save`, on a
`FileRepository`: an fsynced TinyDB write) → the workspace back (the whole tree of 40 cards, the
panel of the new step, the problem list). The step is deleted again, untimed, so every insert
meets the same 40 steps. The baseline is `Engine.start` of a request on the same flow, timed in
the same run, taking turns with the edits. Goal: insert p50 <= 40 ms.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/flow_designer.py` puts bench/, not the root, on the path

from builder.formdata import clean_submission  # noqa: E402
from runtime.app import create_app  # noqa: E402
from runtime.settings import Settings  # noqa: E402
from runtime.store.repository import MemoryRepository  # noqa: E402
from tests.support import SameOriginClient as TestClient, page_sign_in  # noqa: E402

KEY = "bench-flow"
STEPS = 40
ROUNDS = 200
WARM_UP = 15
GOAL_P50_MS = 40.0
HX = {"HX-Request": "true", "Accept-Language": "en"}
ROLES = ("legal", "finance", "vp", "gm", "cashier")
CONTRACT = {"title": "Control cabinet supply 2026", "counterparty": "Huadian Equipment Co.", "type": "purchase",
            "amount": "380,000", "risk": "low", "start_date": "2026-04-01", "end_date": "2027-03-31",
            "payment_terms": "30% advance", "summary": "Supply of 12 control cabinets"}


def forty_steps() -> list[dict[str, Any]]:
    """Approvals by role and head, with a branch on the amount every tenth step (its two lanes
    hold a step each): 40 steps in all, counting the nested ones."""
    steps: list[dict[str, Any]] = []
    count = 0
    while count < STEPS:
        n = len(steps)
        if n % 10 == 9 and count + 3 <= STEPS:
            steps.append({"id": f"b{n}", "kind": "branch", "title": f"Amount check {n}",
                          "branches": [{"when": {"$gt": {"amount": 1000000}},
                                        "steps": [{"id": f"b{n}_gm", "kind": "approval", "title": "GM",
                                                   "assignee": {"kind": "role", "role": "gm"}}]}],
                          "else": [{"id": f"b{n}_vp", "kind": "approval", "title": "VP",
                                    "assignee": {"kind": "role", "role": "vp"}}]})
            count += 3
            continue
        assignee = ({"kind": "dept_head", "levels": 1} if n % 3 == 0
                    else {"kind": "role", "role": ROLES[n % len(ROLES)]})
        steps.append({"id": f"s{n}", "kind": "approval", "title": f"Step {n}", "assignee": assignee,
                      "deadline": {"amount": 2, "unit": "days"}})
        count += 1
    return steps


def set_up(client: TestClient, app: Any) -> str:
    page_sign_in(client, "admin", "demo", "/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]
    admin = app.state.workflow.org.users["admin"]
    authoring = app.state.flow_authoring
    authoring.create(admin, KEY, {"zh_CN": "四十步", "en": "Forty steps"}, "contract-approval")
    authoring.save(admin, KEY, {**authoring.draft(admin, KEY).flow, "steps": forty_steps()})
    authoring.publish(admin, KEY, "bench")
    authoring.save(admin, KEY, {**authoring.draft(admin, KEY).flow, "title": {"zh_CN": "四十步", "en": "Forty steps (draft)"}})
    assert not authoring.problems(admin, KEY), authoring.problems(admin, KEY)
    return csrf


def timed(call: Any) -> float:
    began = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - began
    if response is not None and response.status_code != 200:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code}")
    return elapsed * 1000


def measure(client: TestClient, app: Any, csrf: str) -> tuple[list[float], list[float], int]:
    workflow = app.state.workflow
    defs = workflow.latest(KEY)
    submitter = workflow.org.user("liu.yang")
    data, errors = clean_submission(defs.form, CONTRACT, directory=workflow.org)
    assert not errors, errors

    def insert() -> Any:
        return client.post(f"/designer/flows/{KEY}/steps", headers=HX,
                           data={"csrf_token": csrf, "container": "", "index": "5", "kind": "approval"})

    def delete_new() -> None:
        response = client.post(f"/designer/flows/{KEY}/steps/approval/delete", headers=HX, data={"csrf_token": csrf})
        assert response.status_code == 200, response.status_code

    def start() -> None:
        workflow.engine.start(defs, submitter, data)

    for _ in range(WARM_UP):
        insert(), delete_new(), start()
    inserts, starts = [], []
    for _ in range(ROUNDS):
        inserts.append(timed(insert))
        delete_new()
        starts.append(timed(start))
    return inserts, starts, len(insert().content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory", action="store_true", help="a MemoryRepository instead of a data directory")
    args = parser.parse_args()
    print(f"formflow flow designer benchmark - Python {platform.python_version()}, {os.cpu_count()} CPUs")
    work_dir = Path(tempfile.mkdtemp(prefix="formflow-bench-flows-", dir=os.environ.get("BENCH_DIR")))
    try:
        settings = Settings(data_dir=None if args.memory else work_dir / "data", demo=True)
        app = create_app(settings, MemoryRepository() if args.memory else None)
        with TestClient(app, follow_redirects=False) as client:
            csrf = set_up(client, app)
            inserts, starts, size = measure(client, app, csrf)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    store = "MemoryRepository" if args.memory else "FileRepository"
    p50, base = statistics.median(inserts), statistics.median(starts)
    print(f"\n{STEPS}-step flow, {ROUNDS} rounds after {WARM_UP} warm-up, taking turns; store: {store}")
    print(f"   insert a step (POST, tree + checks back)   p50 {p50:7.2f} ms   p90 "
          f"{statistics.quantiles(inserts, n=10)[-1]:7.2f} ms   {size:,} bytes")
    print(f"   engine start of the same request         p50 {base:7.3f} ms")
    print(f"   ratio                                     {p50 / base:7.1f}x (insert / engine start, same run)")
    print(f"   goal insert p50 <= {GOAL_P50_MS:g} ms: {'PASS' if p50 <= GOAL_P50_MS else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

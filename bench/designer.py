"""The form designer's edit round trip on a 60-field form, against rendering its staff page.

Run from the repository root: `python bench/designer.py` (about half a minute; `--memory` uses a
MemoryRepository instead of a data directory). It reports and always exits 0: a benchmark
measures, it does not assert.

One round trip is what a designer waits for after typing a label: an htmx POST of one property
change to `/designer/forms/<key>/fields/<field>` → the edit applied (`builder.form_editing`) →
the draft validated and saved (`FormAuthoring.save`, on a `FileRepository`: an fsynced TinyDB
write) → the workspace fragment back (canvas, property panel, live preview of all 60 fields).
The baseline is the staff page of the same form (`GET /start/<key>`), timed in the same run,
taking turns with the edits so that load from elsewhere hits both alike. Both go through the
whole app (middleware, session, templates) with Starlette's TestClient, in process.
Goal: edit p50 <= 30 ms.
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
sys.path.insert(0, str(ROOT))  # `python bench/designer.py` puts bench/, not the root, on the path

from runtime.app import create_app  # noqa: E402
from runtime.settings import Settings  # noqa: E402
from runtime.store.repository import MemoryRepository  # noqa: E402
from tests.support import SameOriginClient as TestClient, page_sign_in  # noqa: E402

FIELDS = 60
KEY = "bench-form"
ROUNDS = 300            # timed edits, and as many timed page renders
WARM_UP = 20            # untimed, per side: template compilation, first-use caches
GOAL_P50_MS = 30.0
HX = {"HX-Request": "true", "Accept-Language": "en"}

# A realistic mix: what DingTalk expense, leave and purchase forms hold.
KINDS = ("text", "number", "money", "date", "select", "textarea")


def sixty_fields() -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = []
    for i in range(FIELDS - 2):
        kind = KINDS[i % len(KINDS)]
        f: dict[str, Any] = {"key": f"f{i:02d}", "type": kind,
                             "label": {"zh_CN": f"字段{i}", "en": f"Field {i}"}, "required": i % 3 == 0}
        if kind == "select":
            f["options"] = [{"value": v, "label": v.title()} for v in ("travel", "office", "meals", "other")]
        if i % 10 == 4:
            f["visible_when"] = {"f04": "travel"} if kind != "select" else None
        fields.append({k: v for k, v in f.items() if v is not None})
    fields.append({"key": "items", "type": "table", "label": "Lines", "min_rows": 1,
                   "columns": [{"key": "what", "type": "text", "label": "What"},
                               {"key": "amount", "type": "money", "label": "Amount"}]})
    fields.append({"key": "total", "type": "money", "label": "Total", "computed": "sum(items.amount)"})
    return fields


def sign_in(client: TestClient, username: str) -> str:
    page_sign_in(client, username, "demo", "/")
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]


def set_up(client: TestClient, app: Any) -> str:
    """The 60-field form created, published (so staff can open it) and open as a draft again."""
    csrf = sign_in(client, "admin")
    admin = app.state.workflow.org.users["admin"]
    authoring = app.state.form_authoring
    authoring.create(admin, KEY, {"zh_CN": "六十个字段", "en": "Sixty fields"}, process=True)
    authoring.save(admin, KEY, {**authoring.draft(admin, KEY).form, "fields": sixty_fields()})
    authoring.publish(admin, KEY, "bench")
    assert len(authoring.draft(admin, KEY).form["fields"]) == FIELDS
    return csrf


def timed(call: Any) -> float:
    began = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code}")
    return elapsed * 1000


def measure(client: TestClient, csrf: str) -> tuple[list[float], list[float], int, int]:
    url = f"/designer/forms/{KEY}/fields/f30"

    def edit(n: int) -> Any:
        return client.post(url, data={"csrf_token": csrf, "_changed": "p.label.en", "p.label.en": f"Field 30 ({n})"},
                           headers=HX)

    def page() -> Any:
        return client.get(f"/start/{KEY}", headers={"Accept-Language": "en"})

    for n in range(WARM_UP):
        edit(n), page()
    edits, pages = [], []
    for n in range(ROUNDS):
        edits.append(timed(lambda: edit(WARM_UP + n)))
        pages.append(timed(page))
    return edits, pages, len(edit(-1).content), len(page().content)


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory", action="store_true", help="a MemoryRepository instead of a data directory")
    args = parser.parse_args()
    print(f"formflow form designer benchmark - Python {platform.python_version()}, {os.cpu_count()} CPUs")
    work_dir = Path(tempfile.mkdtemp(prefix="formflow-bench-designer-", dir=os.environ.get("BENCH_DIR")))
    try:
        settings = Settings(data_dir=None if args.memory else work_dir / "data", demo=True)
        app = create_app(settings, MemoryRepository() if args.memory else None)
        with TestClient(app, follow_redirects=False) as client:
            csrf = set_up(client, app)
            edits, pages, edit_bytes, page_bytes = measure(client, csrf)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    store = "MemoryRepository" if args.memory else f"FileRepository in {work_dir}"
    print(f"\n{FIELDS}-field form, {ROUNDS} rounds after {WARM_UP} warm-up, taking turns; store: {store}")
    print(f"   {'':<40} {'p50 ms':>7} {'p90 ms':>7} {'bytes':>8}")
    for name, values, size in (("edit round trip (POST one property)", edits, edit_bytes),
                               ("staff page (GET /start/<key>)", pages, page_bytes)):
        print(f"   {name:<40} {statistics.median(values):>7.2f} {pct(values, 90):>7.2f} {size:>8,}")
    p50, ratio = statistics.median(edits), statistics.median(edits) / statistics.median(pages)
    print("\nGoal")
    print(f"   edit p50 = {p50:.1f} ms (goal <= {GOAL_P50_MS:g} ms)  {'PASS' if p50 <= GOAL_P50_MS else 'MISS'};"
          f"  edit / staff page = {ratio:.2f}x (p50), {pct(edits, 90) / pct(pages, 90):.2f}x (p90)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

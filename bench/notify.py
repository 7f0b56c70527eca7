"""What notifications and webhooks cost the commands that cause them, as a ratio in one run.

Run from the repository root: `python bench/notify.py`. It reports and always exits 0.

Two data directories (`FileRepository`, one fdatasync per command, as a server runs): one with no
outbox at all, one with the in-app board and three webhooks registered for every event (their
deliveries sent by the webhook courier, a process of its own at a lower priority), two answered
by a receiver in another process and one that never answers (it accepts the connection and says
nothing, so its worker waits out each 5 s timeout and retries). The receiver stands for other
companies' systems on other machines: it runs at the lowest priority (nice 19) so that it takes
as little as it can of this machine's CPU. Each round times `ROUND` claims started and approved by
their department head through `Workflow`; the two settings take turns for `ROUNDS` rounds, and
between rounds (untimed) the live webhooks are let catch up, so one setting's background sends
never land in the other's timing. The report gives the median commands/s of each and their ratio.

Three runs:
1. CPUs as the system places them. On 2 cores the courier's and the receiver's many short
   wake-ups (four POSTs per command) land on the server's core too: measured ~0.75, no goal.
2. As `serve --courier-cpu N` runs: the courier (and the receiver, standing for a remote machine)
   on the last CPU, the server on the others. Goal: with / without >= 0.9.
3. In memory (`MemoryRepository`, no fdatasync): only the CPU cost of the board and of planning
   and queueing the deliveries in the server's process remains. For information, no goal.
"""
from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import approve  # noqa: E402
from runtime.outbox.setup import open_notifications  # noqa: E402
from runtime.settings import Settings  # noqa: E402
from runtime.setup import open_workflow  # noqa: E402
from runtime.store.repository import FileRepository, MemoryRepository  # noqa: E402

ROUNDS = 7
ROUND = 100  # claims per round: 200 commands (start, approve)
GOAL = 0.9
RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection open, as real endpoints do
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""


def commands(workflow, offset: int) -> float:
    """Start ROUND claims and approve each: commands per second."""
    began = time.perf_counter()
    tasks = approve.start_claims(workflow, ROUND, offset)
    for task_id in tasks:
        workflow.act(workflow.org.user(workflow.state.tasks[task_id].assignee), task_id, "approve", "ok")
    return 2 * ROUND / (time.perf_counter() - began)


def caught_up(center, live_hooks: list[str], since: int, until: int, timeout: float = 120.0) -> None:
    """Until every event in (since, until] is logged as sent to each live hook (untimed)."""
    wanted = [f"{seq}.hook.{h}" for h in live_hooks for seq in range(since + 1, until + 1)]
    deadline = time.monotonic() + timeout
    while len(center.relay.sent(wanted)) < len(wanted) and time.monotonic() < deadline:
        time.sleep(0.02)


def compare(make_repo, port: int, silent_port: int, cpu: int | None = None) -> tuple[list[float], list[float], int]:
    """Rounds without and with the outbox on stores from `make_repo(name)`; commands/s of each.
    `cpu`: the courier's own, as `serve --courier-cpu` gives it (the bench keeps off it then)."""
    plain = open_workflow(make_repo("plain"), demo=True)
    told = open_workflow(make_repo("told"), demo=True)
    center = open_notifications(told, Settings(courier_cpu=cpu))
    hooks = [center.hooks.register({"url": url, "events": ["all"]}, told.state.last_seq, "bench")
             for url in (f"http://127.0.0.1:{port}/a", f"http://127.0.0.1:{port}/b",
                         f"http://127.0.0.1:{silent_port}/never")]
    center.start()
    live_ids = [h.id for h in hooks[:2]]
    registered = before = told.state.last_seq
    for workflow in (plain, told):  # warm-up
        commands(workflow, 0)
    caught_up(center, live_ids, before, told.state.last_seq)
    without, with_outbox = [], []
    for index in range(ROUNDS):
        if index % 2:  # the first of a pair can pay for the other's write-back: they take turns going first
            without.append(commands(plain, (index + 1) * ROUND))
        before = told.state.last_seq
        with_outbox.append(commands(told, (index + 1) * ROUND))
        caught_up(center, live_ids, before, told.state.last_seq)
        if not index % 2:
            without.append(commands(plain, (index + 1) * ROUND))
    sent = len(center.relay.sent([f"{seq}.hook.{h}" for h in live_ids
                                  for seq in range(registered + 1, told.state.last_seq + 1)]))
    center.stop()
    plain.repo.close()
    told.repo.close()
    return without, with_outbox, sent


def report(number: int, title: str, without: list[float], with_outbox: list[float], sent: int,
           goal: bool = True) -> None:
    a, b = statistics.median(without), statistics.median(with_outbox)
    ratio = b / a
    verdict = f"(goal >= {GOAL})  {'PASS' if ratio >= GOAL else 'MISS'}" if goal else "(for information: no goal)"
    print(f"{number}. {title}: without notifications {a:,.0f} commands/s; with the in-app board and 3 webhooks "
          f"(one never answers) {b:,.0f} commands/s, {sent:,} webhook deliveries sent")
    print(f"   rounds without: {', '.join(f'{r:.0f}' for r in without)}; with: {', '.join(f'{r:.0f}' for r in with_outbox)}")
    print(f"   ratio with / without = {ratio:.2f}  {verdict}")


def main() -> int:
    print(f"formflow notifications benchmark - Python {sys.version.split()[0]}, median of {ROUNDS} rounds "
          f"of {2 * ROUND} commands")
    work = Path(tempfile.mkdtemp(prefix="formflow-bench-", dir=os.environ.get("BENCH_DIR")))
    live = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True,
                            preexec_fn=lambda: os.nice(19))
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # accepts into its backlog, never answers
    everywhere = os.sched_getaffinity(0)
    courier_cpu = max(everywhere)
    try:
        port = int(live.stdout.readline())
        durable = compare(lambda name: FileRepository(work / name), port, silent.getsockname()[1])
        in_memory = compare(lambda name: MemoryRepository(), port, silent.getsockname()[1])
        if len(everywhere) > 1:  # as `serve --courier-cpu`: the server off the courier's CPU, the receiver on it
            os.sched_setaffinity(0, everywhere - {courier_cpu})
            os.sched_setaffinity(live.pid, {courier_cpu})
            pinned = compare(lambda name: FileRepository(work / name), port, silent.getsockname()[1], courier_cpu)
            os.sched_setaffinity(0, everywhere)
    finally:
        live.kill()
        silent.close()
        shutil.rmtree(work, ignore_errors=True)
    report(1, "durable (a data directory, fdatasync per command), CPUs as the system places them", *durable,
           goal=False)
    if len(everywhere) > 1:
        report(2, f"durable, the courier on CPU {courier_cpu} of its own (serve --courier-cpu {courier_cpu})", *pinned)
    report(3, "in memory (no disk: what the outbox's threads cost in CPU)", *in_memory, goal=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

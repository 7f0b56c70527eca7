"""The server's side of the webhook courier (`courier`): plan each committed batch's webhook
deliveries and pass them on; keep a copy of the courier's delivery log for the admin's pages.

A command pays for planning (a few microseconds) and a queue put, and only when an endpoint is
registered; one thread writes what is queued to the courier's pipe, and the HTTP work, the retries
and the delivery log's syncs all happen in the courier's process, on the other core. The
courier starts with the first endpoint (none registered: no process at all). If it dies, the next
batch starts another, and the batches after its log's watermark are passed again.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

import runtime
from runtime.outbox.log import FILE, DeliveryLog, read_lines
from runtime.outbox.retry import RetryPolicy
from runtime.outbox.webhooks import TIMEOUT, Hook, Registry, plan

log = logging.getLogger("formflow.outbox")
LINGER = 0.005
Batches = Callable[[], Iterable[list[dict[str, Any]]]]


class HookRelay:
    def __init__(self, registry: Registry, process_of: Callable[[str], str], path: Path | None, start: int,
                 batches: Batches, policy: RetryPolicy = RetryPolicy(), timeout: float = TIMEOUT,
                 cpu: int | None = None) -> None:
        """`path`: the courier's log (None: in memory, within one courier's life); `start`: the
        event log's last seq now; `batches`: the committed batches from the start (to catch a new
        courier up); `cpu`: the one the courier runs on (None: wherever the system puts it)."""
        self.registry, self._process_of, self.path = registry, process_of, path
        self._batches, self._policy, self._timeout, self._cpu = batches, policy, timeout, cpu
        if path is not None and not path.exists():
            _begin(path, start)
        found = DeliveryLog.read(path)  # where the courier's log stands: what start-up replays
        self.watermark = found.replay_from() if path is not None else start
        self._failed_seqs = {int(i.split(".", 1)[0]) for i in found.failed}
        self._failed_ids = set(found.failed)
        self._lock = threading.Lock()
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None  # the one thread that writes to the courier
        self._hurry = threading.Event()  # a question waits for no more batches to gather
        self._process: subprocess.Popen[bytes] | None = None
        self._started = False  # a courier ran before: a new one must be caught up
        self._answers: dict[int, Any] = {}
        self._answered = threading.Condition()
        self._questions = itertools.count()
        registry.on_change.append(self._hooks_changed)

    # --- in ------------------------------------------------------------------------------------
    def submit(self, batch: list[dict[str, Any]]) -> None:
        """A committed batch (under the workflow's lock): its deliveries queued for the courier."""
        if (message := self._batch(batch)) is not None:
            self._tell(message)

    def remember(self, batch: list[dict[str, Any]]) -> None:
        """A batch at or before the watermark, at start-up: its failed deliveries, for a manual retry."""
        if (message := self._failed(batch)) is not None:
            self._tell(message)

    def retry(self, delivery_id: str) -> bool:
        """Send a failed delivery again; False if it is not failed."""
        return bool(self.ask("retry", delivery_id))

    def deliveries(self, hook_id: str) -> list[dict[str, Any]]:
        """One webhook's deliveries, the latest first, as the courier's log has them."""
        return self.ask("rows", hook_id) or []

    def sent(self, delivery_ids: list[str]) -> set[str]:
        """Which of these deliveries are sent (benches wait on the live endpoints with it)."""
        return set(self.ask("sent", delivery_ids) or ())

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until the courier has sent or given up on all it was passed (tests and benches: a deadline)."""
        deadline = time.monotonic() + timeout
        while not self.ask("idle", None, max(0.0, deadline - time.monotonic())):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def ask(self, question: str, about: Any, timeout: float = 10.0) -> Any:
        """The courier's answer (None with no courier running, or none within `timeout`). Asked
        after everything passed before it, so the answer counts all of it."""
        if self._writer is None and not self.registry.current:
            return {"idle": True, "rows": [], "sent": [], "retry": False}[question]
        number = next(self._questions)
        self._tell(["ask", number, question, about], hurry=True)
        with self._answered:
            self._answered.wait_for(lambda: number in self._answers, timeout)
            return self._answers.pop(number, None)

    def stop(self, timeout: float = 15.0) -> None:
        with self._lock:
            writer, self._writer = self._writer, None
            self.registry.on_change[:] = [f for f in self.registry.on_change if f != self._hooks_changed]
        if writer is not None:
            self._outbox.put(_line(["stop"]))
            self._outbox.put(None)
            self._hurry.set()
            writer.join(timeout)
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        self._listener.join(5)  # it closes the courier's output at its end

    # --- what is passed on -----------------------------------------------------------------------
    def _batch(self, batch: list[dict[str, Any]]) -> list[Any] | None:
        hooks = self.registry.current
        return ["batch", batch[-1].get("seq", 0), plan(batch, hooks, self._process_of)] if hooks else None

    def _failed(self, batch: list[dict[str, Any]]) -> list[Any] | None:
        if not self._failed_seqs.intersection(e.get("seq", 0) for e in batch):
            return None
        failed = [p for p in plan(batch, self.registry.current, self._process_of)
                  if f"{p[0]}.hook.{p[1]}" in self._failed_ids]
        return ["remember", failed] if failed else None

    def _hooks_changed(self, hooks: tuple[Hook, ...]) -> None:
        self._tell(["hooks", [h.to_dict() for h in hooks]])

    # --- the pipe and the courier ----------------------------------------------------------------
    def _tell(self, message: list[Any], hurry: bool = False) -> None:
        """Queued for the writer thread: a command never waits on the pipe or the courier."""
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = threading.Thread(target=self._write_all, name="courier-write", daemon=True)
                    self._writer.start()
        self._outbox.put(_line(message))
        if hurry:
            self._hurry.set()

    def _write_all(self) -> None:
        """Everything queued, in order, in one write per LINGER at most: a busy server wakes this
        thread and the courier's threads a few times a second, not once per command (measured on
        2 cores: a wake-up per command cost the commands a tenth of their speed)."""
        while (first := self._outbox.get()) is not None:
            self._hurry.wait(LINGER)
            self._hurry.clear()
            chunk, ending = [first], False
            while not self._outbox.empty():
                if (more := self._outbox.get()) is None:
                    ending = True
                    break
                chunk.append(more)
            self._deliver(b"".join(chunk))
            if ending:
                return

    def _deliver(self, data: bytes) -> None:
        for _ in range(2):  # once more through a new courier if this one has died
            if self._process is None and self._started:  # its catch-up replays every committed batch
                process = self._start()
                data = b"".join(line + b"\n" for line in data.splitlines() if not line.startswith(b'["batch"'))
            else:
                process = self._process or self._start()
            try:
                process.stdin.write(data)
                process.stdin.flush()
                return
            except (OSError, ValueError):
                log.error("the webhook courier ended (code %s): starting another", process.poll())
                self._process = None
                with contextlib.suppress(OSError, ValueError):
                    process.stdin.close()

    def _start(self) -> subprocess.Popen[bytes]:
        root = str(Path(runtime.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        process = subprocess.Popen(
            [sys.executable, "-m", "runtime.outbox.courier", "--log", str(self.path or ""),
             "--policy", orjson.dumps(asdict(self._policy)).decode(), "--timeout", str(self._timeout),
             *(["--cpu", str(self._cpu)] if self._cpu is not None else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._listener = threading.Thread(target=self._listen, args=(process,), name="courier-listen", daemon=True)
        self._listener.start()
        self._process = process
        opening = [["hooks", [h.to_dict() for h in self.registry.current]]]
        if self._started:  # what the last courier was passed but may not have sent
            self.watermark = DeliveryLog.read(self.path).replay_from() if self.path else self.watermark
            for batch in self._batches():
                late = batch[-1].get("seq", 0) > self.watermark
                opening.append(self._batch(batch) if late else self._failed(batch))
        process.stdin.write(b"".join(_line(m) for m in opening if m is not None))
        self._started = True
        return process

    def _listen(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        with process.stdout:
            for raw in process.stdout:
                self._heard(*orjson.loads(raw))

    def _heard(self, kind: str, number: int, value: Any) -> None:
        with self._answered:
            self._answers[number] = value
            self._answered.notify_all()


def _line(message: list[Any]) -> bytes:
    return orjson.dumps(message) + b"\n"


def _begin(path: Path, start: int) -> None:
    """A new courier log: webhook lines an older data directory kept in the shared delivery log
    come along (with its watermark), so nothing pending is forgotten; else it begins now."""
    shared = path.with_name(FILE)
    kept = [line for line in read_lines(shared) if ".hook." in str(line.get("id", line.get("reopened", "")))] \
        if shared.exists() else []
    watermarks = [line["watermark"] for line in read_lines(shared) if "watermark" in line] if shared.exists() else []
    DeliveryLog(path, start=min(watermarks[-1], start) if watermarks and kept else start).close()
    if kept:
        with path.open("ab") as out:
            out.write(b"".join(orjson.dumps(line) + b"\n" for line in kept))
            os.fsync(out.fileno())

"""Threads that send: a router that turns committed batches into deliveries, and one worker per
channel (email; each webhook endpoint) with its own retry schedule, so a dead or slow endpoint
holds up only its own deliveries and never a command.

The router keeps, per batch, the deliveries still unsettled; when the oldest batches have none
left it moves the log's watermark past them.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from runtime.outbox.log import DeliveryLog
from runtime.outbox.retry import RetryPolicy

log = logging.getLogger("formflow.outbox")


@dataclass
class Delivery:
    """One thing to send, named by what caused it: `<seq>.<channel kind>.<recipient>`."""

    id: str
    seq: int
    channel: str  # "email", or "hook:<webhook id>"
    payload: Any  # the Notice (email) or the event (webhook)
    tries: int = 0  # attempts made so far (since a manual retry)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str = ""
    drop: bool = False  # nothing to send any more (a webhook deleted): settled at once, not retried


Sender = Callable[[Delivery], Outcome]
Planner = Callable[[list[dict[str, Any]], list[Any]], list[Delivery]]


def stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(order=True)
class _Due:
    at: float
    order: int
    delivery: Delivery = field(compare=False)


class Worker:
    """One channel's deliveries, sent one at a time in the order they fall due."""

    _order = itertools.count()

    def __init__(self, name: str, send: Sender, book: DeliveryLog, policy: RetryPolicy,
                 settled: Callable[[Delivery, bool], None], defer: Callable[[Delivery], float | None] = lambda d: None,
                 clock: Callable[[], float] = time.time) -> None:
        self.name, self._send, self._log, self._policy = name, send, book, policy
        self._settled, self._defer, self._clock = settled, defer, clock
        self._heap: list[_Due] = []
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"outbox-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, delivery: Delivery, at: float | None = None) -> None:
        with self._wake:
            heapq.heappush(self._heap, _Due(self._clock() if at is None else at, next(self._order), delivery))
            self._wake.notify()

    def pending(self) -> int:
        with self._wake:
            return len(self._heap)

    def stop(self, timeout: float = 10.0) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _next(self) -> Delivery | None:
        with self._wake:
            while not self._stopping:
                now = self._clock()
                if self._heap and self._heap[0].at <= now:
                    return heapq.heappop(self._heap).delivery
                self._wake.wait(min(self._heap[0].at - now, 60.0) if self._heap else 60.0)
            return None

    def _run(self) -> None:
        while (delivery := self._next()) is not None:
            try:
                self._attempt(delivery)
            except Exception:  # a bug in one send must not stop the channel
                log.exception("delivery %s failed unexpectedly", delivery.id)
                self.put(delivery, self._clock() + self._policy.delay(max(1, delivery.tries)))

    def _attempt(self, delivery: Delivery) -> None:
        if (later := self._defer(delivery)) is not None:  # quiet hours: not an attempt
            self.put(delivery, later)
            return
        outcome = self._send(delivery)
        delivery.tries += 1
        now = self._clock()
        given_up = outcome.drop or (not outcome.ok and self._policy.gives_up(delivery.tries))
        next_at = "" if outcome.ok or given_up else stamp(now + self._policy.delay(delivery.tries))
        self._log.attempt(delivery.id, delivery.tries, stamp(now), outcome.ok, outcome.status, outcome.error,
                          next_at, failed=given_up)
        if outcome.ok or given_up:
            self._settled(delivery, outcome.ok)
        else:
            self.put(delivery, now + self._policy.delay(delivery.tries))


class Dispatcher:
    """Committed batches in, deliveries out to their channels' workers."""

    def __init__(self, book: DeliveryLog, plan: Planner, senders: Callable[[str], Sender],
                 policy: RetryPolicy = RetryPolicy(), defer: Callable[[Delivery], float | None] = lambda d: None,
                 clock: Callable[[], float] = time.time) -> None:
        self.log, self._plan, self._senders, self._policy = book, plan, senders, policy
        self._defer, self._clock = defer, clock
        self.watermark = book.replay_from()
        self._inbox: queue.SimpleQueue[tuple[list[dict[str, Any]], list[Any]] | None] = queue.SimpleQueue()
        self._workers: dict[str, Worker] = {}
        self._open: OrderedDict[int, set[str]] = OrderedDict()  # batch's last seq -> unsettled delivery ids
        self._failed: dict[str, Delivery] = {}  # given up: an admin may send them again
        self._lock = threading.Lock()
        self._router = threading.Thread(target=self._route_all, name="outbox-router", daemon=True)
        self._started = False

    # --- in --------------------------------------------------------------------------------------
    def submit(self, batch: list[dict[str, Any]], notices: list[Any]) -> None:
        """A committed batch (called under the workflow's lock: only a queue put)."""
        with self._lock:
            self._submitted += 1
        self._inbox.put((batch, notices))

    def remember(self, batch: list[dict[str, Any]], notices: list[Any]) -> None:
        """A batch at or before the watermark, at start-up: its failed deliveries are kept for a
        manual retry. Planned only when the log has a failure among its seqs."""
        seqs = {e.get("seq", 0) for e in batch}
        if not any(int(i.split(".", 1)[0]) in seqs for i in self.log.failed):
            return
        with self._lock:
            for delivery in self._plan(batch, notices):
                if delivery.id in self.log.failed:
                    self._failed[delivery.id] = delivery

    def start(self) -> None:
        self._started = True
        self._router.start()

    def stop(self) -> None:
        if not self._started:
            return
        self._inbox.put(None)
        self._router.join(10)
        for worker in list(self._workers.values()):
            worker.stop()
        self.log.close()
        self._started = False

    # --- what admins see and do ----------------------------------------------------------------
    def failed(self) -> list[Delivery]:
        with self._lock:
            return list(self._failed.values())

    def retry(self, delivery_id: str) -> bool:
        """Send a failed delivery again (a fresh set of attempts); False if it is not failed."""
        with self._lock:
            delivery = self._failed.pop(delivery_id, None)
            if delivery is None:
                return False
            self.log.reopen(delivery_id)
            delivery.tries = 0
            self._open.setdefault(delivery.seq, set()).add(delivery.id)
        self._worker(delivery.channel).put(delivery)
        return True

    def idle(self) -> bool:
        """Nothing queued, nothing unsettled (tests wait for this, benches too)."""
        with self._lock:
            return self._submitted == self._routed and not any(self._open.values())

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until idle (for tests and benches: a deadline, never a timed assertion)."""
        deadline = time.monotonic() + timeout
        while not self.idle():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    _submitted = _routed = 0

    # --- routing ---------------------------------------------------------------------------------
    def _route_all(self) -> None:
        while (item := self._inbox.get()) is not None:
            try:
                self._route(*item)
            except Exception:
                log.exception("could not plan the deliveries of a batch")
            finally:
                with self._lock:
                    self._routed += 1

    def _route(self, batch: list[dict[str, Any]], notices: list[Any]) -> None:
        last = batch[-1].get("seq", 0)
        todo = [d for d in self._plan(batch, notices) if not self.log.settled(d.id)]
        for delivery in todo:
            delivery.tries = self.log.tries(delivery.id)
        with self._lock:
            self._open[last] = {d.id for d in todo}
            self._advance()
        for delivery in todo:
            self._worker(delivery.channel).put(delivery)

    def _worker(self, channel: str) -> Worker:
        with self._lock:
            worker = self._workers.get(channel)
            if worker is None:
                worker = self._workers[channel] = Worker(channel, self._senders(channel), self.log, self._policy,
                                                         self._settled, self._defer, self._clock)
                worker.start()
            return worker

    def _settled(self, delivery: Delivery, ok: bool) -> None:
        with self._lock:
            if not ok:
                self._failed[delivery.id] = delivery
            for last, ids in self._open.items():
                if delivery.id in ids and last >= delivery.seq:
                    ids.discard(delivery.id)
                    break
            self._advance()

    def _advance(self) -> None:
        moved = None
        while self._open and not next(iter(self._open.values())):
            moved, _ = self._open.popitem(last=False)
        if moved is not None:
            self.log.set_watermark(moved)

"""The webhook courier: a process of its own that sends every webhook delivery, so their HTTP work
runs on the other core and never takes the server's interpreter lock from a command.

The server (`relay.HookRelay`) starts it as `python -m runtime.outbox.courier` and writes to its
standard input one JSON line per message: the registered endpoints, each committed batch's
deliveries already planned (which endpoint, the body), and questions: a webhook's delivery rows
for the admin's log, a manual retry, whether it is idle. It answers each on its standard output.
It sends with the same `Dispatcher` and `Worker` threads email uses and keeps the delivery log,
`webhook-deliveries.jsonl`.

It runs at a lower priority (nice 10): under full load commands keep the CPU and deliveries wait,
durable in the event log, until there is time. On a small machine it can have a CPU of its own
(`serve --courier-cpu N`, which keeps the server off that CPU): measured on 2 cores, the system
otherwise lets the courier's many short wake-ups land on the server's core. It ends when its input ends, however the server
ended (a kill -9 included); a lock on its log keeps a restarted server's courier from writing
beside one still finishing. A delivery sent but not yet logged when it ends is sent once more
after the restart, with the same event id and body.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import sys
import threading
from pathlib import Path
from typing import Any

import orjson

from runtime.outbox.dispatcher import Delivery, Dispatcher
from runtime.outbox.log import DeliveryLog
from runtime.outbox.retry import RetryPolicy
from runtime.outbox.webhooks import Hook, sender

NICE = 10


def delivery(seq: int, hook_id: str, body: dict[str, Any]) -> Delivery:
    return Delivery(f"{seq}.hook.{hook_id}", seq, f"hook:{hook_id}", body)


class Courier:
    def __init__(self, path: Path | None, policy: RetryPolicy, timeout: float) -> None:
        self.hooks: dict[str, Hook] = {}
        self._out = sys.stdout.buffer
        self._out_lock = threading.Lock()
        self.book = DeliveryLog(path)
        self.dispatcher = Dispatcher(
            self.book, lambda batch, planned: planned,  # planned by the server: the "notices" are the deliveries
            lambda channel: sender(lambda hook_id: self.hooks.get(hook_id), timeout=timeout), policy)

    def serve(self) -> None:
        self.dispatcher.start()
        for raw in sys.stdin.buffer:
            try:
                message = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue  # never from the server; a torn line as it died
            if message[0] == "stop":
                self.dispatcher.stop()  # lets each send in flight finish and be logged
                break
            self.handle(message)
        self.book.close()

    def handle(self, message: list[Any]) -> None:
        kind = message[0]
        if kind == "hooks":
            self.hooks = {found["id"]: Hook.from_dict(found) for found in message[1]}
        elif kind == "batch":
            self.dispatcher.submit([{"seq": message[1]}], [delivery(*planned) for planned in message[2]])
        elif kind == "remember":
            planned = [delivery(*p) for p in message[1]]
            self.dispatcher.remember([{"seq": d.seq} for d in planned], planned)
        elif kind == "ask":
            self._answer(message[1], self.answer(message[2], message[3]))

    def answer(self, question: str, about: Any) -> Any:
        if question == "idle":
            return self.dispatcher.idle()
        if question == "rows":  # one webhook's deliveries
            return self.book.rows(f".hook.{about}") if about else []
        if question == "sent":  # which of these delivery ids are sent
            return [i for i in about if i in self.book.sent]
        if question == "retry":
            return self.dispatcher.retry(about)
        return None

    def _answer(self, number: int, value: Any) -> None:
        with self._out_lock:
            try:
                self._out.write(orjson.dumps(["answer", number, value]) + b"\n")
                self._out.flush()
            except (BrokenPipeError, ValueError):  # the server is gone: its input ends next
                pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runtime.outbox.courier")
    parser.add_argument("--log", default="", help="the webhook delivery log (none: kept in memory)")
    parser.add_argument("--policy", default="{}", help="the retry policy, as JSON")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--cpu", type=int, default=None, help="run on this CPU only (serve --courier-cpu)")
    args = parser.parse_args(argv)
    try:
        os.nice(NICE)
        if args.cpu is not None:
            os.sched_setaffinity(0, {args.cpu})
    except OSError:
        pass
    path = Path(args.log) if args.log else None
    if path is not None:
        lock = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)  # an earlier courier still finishing writes first
    Courier(path, RetryPolicy(**orjson.loads(args.policy)), args.timeout).serve()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass  # the server is gone
    os._exit(0)  # the workers are daemon threads, possibly waiting on a dead endpoint


if __name__ == "__main__":
    sys.exit(main())

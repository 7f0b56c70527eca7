"""The server's clockwork: a job run every so many seconds while the app is up.

It only decides *when* to look; what is due is decided from the injected clock by the job itself
(`Workflow.escalate_due`), so tests call the job directly with a fake clock and never sleep.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

log = logging.getLogger("formflow.scheduler")


@contextlib.asynccontextmanager
async def every(seconds: float, job: Callable[[], Any], *,
                sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> AsyncIterator[None]:
    """Run `job` in a worker thread every `seconds` (first after one interval) until the block
    ends; `seconds` ≤ 0 runs nothing. A failing run is logged and the next one still comes.
    `sleep` is how it waits (tests pass one that does not)."""
    if seconds <= 0:
        yield
        return
    ticker = asyncio.create_task(_tick(seconds, job, sleep))
    try:
        yield
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def _tick(seconds: float, job: Callable[[], Any], sleep: Callable[[float], Awaitable[Any]]) -> None:
    while True:
        await sleep(seconds)
        try:
            await run_in_threadpool(job)
        except Exception:  # one bad run must not stop the deadlines for good
            log.exception("scheduled job %s failed", getattr(job, "__qualname__", job))

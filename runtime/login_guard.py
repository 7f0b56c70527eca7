"""Password checks that cannot starve the server: throttled per username and per client address,
run in their own small thread pool.

An Argon2 check costs ~0.1 s of CPU on purpose. Sixty wrong passwords at once used to fill the
thread pool every command shares (and both cores), so a signed-in approval waited seconds. Here a
check runs on `workers` threads of its own (commands keep theirs), and each username and each
client address earns a growing delay with its recent failures, waited asynchronously *before*
the check (so the wait holds no thread and tells nothing about the password). The right password
after the delay works as ever: a person locked out by someone else guessing is only slowed.
"""
from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from runtime import auth
from runtime.org import Organisation, User

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class ThrottlePolicy:
    """How failures turn into waits: `free` failures per key within `window` seconds cost nothing,
    each further one doubles the wait from `first` seconds up to `longest`."""
    window: float
    free: int
    first: float = 1.0
    longest: float = 60.0

    def delay(self, attempt: int) -> float:
        """The wait before the `attempt`-th try within the window (failures so far + 1)."""
        if attempt <= self.free:
            return 0.0
        return min(self.longest, self.first * 2 ** min(attempt - self.free - 1, 32))


# A username: 5 wrong passwords in 15 minutes are typing; then at most one guess a minute (ASVS
# 2.2.1: under 100 an hour). An address may be a whole office behind one NAT: 60 a minute are free.
DEFAULT_POLICIES = {"user": ThrottlePolicy(window=900.0, free=5), "addr": ThrottlePolicy(window=60.0, free=60)}


@dataclass
class LoginThrottle:
    """Recent failures (and checks still running, counted as failures until they end) per key:
    `user:<name>` and `addr:<client>`, each kind with its policy. Used from the event loop only,
    so it needs no lock."""
    clock: Clock = time.monotonic
    policies: dict[str, ThrottlePolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _running: dict[str, int] = field(default_factory=dict)
    _ready_at: dict[str, float] = field(default_factory=dict)  # a throttled key's next try starts no sooner

    MAX_KEYS = 50_000  # past this many keys, forget those with no recent failure

    def _policy(self, key: str) -> ThrottlePolicy:
        return self.policies[key.split(":", 1)[0]]

    def _recent(self, key: str) -> int:
        stamps = self._failures.get(key)
        if stamps is None:
            return 0
        horizon = self.clock() - self._policy(key).window
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
        return len(stamps)

    def reserve(self, keys: tuple[str, ...]) -> float:
        """Seconds this try waits before its check; the try counts as running from now on. A
        throttled key's tries are spaced by its delay even when they arrive together (a burst of
        100 at one name does not get 100 checks after one minute's wait)."""
        now = self.clock()
        start = now
        throttled = []
        for k in keys:
            delay = self._policy(k).delay(self._recent(k) + self._running.get(k, 0) + 1)
            if delay > 0:
                throttled.append(k)
                start = max(start, max(now, self._ready_at.get(k, now)) + delay)
        for k in throttled:
            self._ready_at[k] = start
        for k in keys:
            self._running[k] = self._running.get(k, 0) + 1
        return start - now

    def end(self, keys: tuple[str, ...], *, failed: bool) -> None:
        for k in keys:
            left = self._running.get(k, 0) - 1
            if left > 0:
                self._running[k] = left
            else:
                self._running.pop(k, None)
                if self._ready_at.get(k, 0.0) <= self.clock():
                    self._ready_at.pop(k, None)
        if failed:
            now = self.clock()
            for k in keys:
                self._failures.setdefault(k, deque()).append(now)
            if len(self._failures) > self.MAX_KEYS:
                for k in list(self._failures):
                    self._recent(k)

    def succeeded(self, username_key: str) -> None:
        """The right password clears that username's failures (not the address's: one right
        password among many guesses from an address does not make the guesses stop counting)."""
        self._failures.pop(username_key, None)


def throttle_keys(username: str, client: str) -> tuple[str, str]:
    return (f"user:{username.strip().casefold()}", f"addr:{client}")


def _yield_to_commands() -> None:
    """Run this thread only when no command wants the core (Linux: SCHED_IDLE, else the lowest
    nice; kept per thread, and inherited by Argon2's own lane threads)."""
    tid = threading.get_native_id()
    try:
        os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        try:
            os.setpriority(os.PRIO_PROCESS, tid, 19)
        except (AttributeError, OSError):  # not allowed here: the pool's size still bounds them
            pass


class LoginGuard:
    """`await guard.check(org, username, password, client)`: the user, or NotAuthenticated after
    the delay those keys have earned; the Argon2 work on the guard's own threads."""

    def __init__(self, workers: int = 1, throttle: LoginThrottle | None = None,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password-check",
                                       initializer=_yield_to_commands)
        self.throttle = throttle or LoginThrottle()
        self.sleep = sleep

    async def check(self, org: Organisation, username: str, password: str, client: str) -> User:
        keys = throttle_keys(username, client)
        wait = self.throttle.reserve(keys)
        failed = True
        try:
            if wait > 0:
                await self.sleep(wait)
            loop = asyncio.get_running_loop()
            user = await loop.run_in_executor(self.pool, auth.check_password, org, username, password)
            failed = False
        finally:
            self.throttle.end(keys, failed=failed)
        self.throttle.succeeded(keys[0])
        return user

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["DEFAULT_POLICIES", "LoginGuard", "LoginThrottle", "ThrottlePolicy", "throttle_keys"]

"""Sign-in throttled per username and per client address with growing delays, waited without
holding a thread; password checks on their own threads. A fake clock and a fake sleep: no test
waits for real."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime import auth
from runtime.app import create_app
from runtime.errors import NotAuthenticated
from runtime.login_guard import LoginGuard, LoginThrottle, ThrottlePolicy, throttle_keys
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.support import page_sign_in


REAL_CHECK = auth.check_password


class Time:
    """A clock that moves only when told, and a sleep that records what it was asked to wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def time_() -> Time:
    return Time()


@pytest.fixture
def app():
    return create_app(Settings(demo=True, escalate_every=0), MemoryRepository())


def quick_check(org, username: str, password: str):
    """The password check without Argon2's deliberate 0.1 s (these tests count tries, not hashes)."""
    user = org.users.get(username)
    if user is None or password != "demo":
        raise NotAuthenticated("wrong username or password")
    return user


@pytest.fixture
def api(app, time_, monkeypatch) -> Iterator[TestClient]:
    monkeypatch.setattr(auth, "check_password", quick_check)
    with TestClient(app) as c:
        app.state.login_guard.close()
        app.state.login_guard = LoginGuard(throttle=LoginThrottle(clock=time_), sleep=time_.sleep)
        yield c


def login(client: TestClient, username: str, password: str) -> int:
    return client.post("/api/login", json={"username": username, "password": password}).status_code


def test_a_few_wrong_passwords_cost_nothing_then_each_waits_longer():
    policy = ThrottlePolicy(window=900, free=5, first=1, longest=60)
    assert [policy.delay(n) for n in range(1, 14)] == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_failures_are_forgotten_after_the_window(time_):
    throttle = LoginThrottle(clock=time_, policies={"user": ThrottlePolicy(window=60, free=1),
                                                    "addr": ThrottlePolicy(window=60, free=100)})
    keys = throttle_keys("li.na", "10.0.0.1")
    for _ in range(3):
        throttle.reserve(keys)
        throttle.end(keys, failed=True)
    time_.now += 10
    assert throttle.reserve(keys) == 4
    throttle.end(keys, failed=True)
    time_.now += 61
    assert throttle.reserve(keys) == 0


def test_tries_arriving_together_are_spaced_by_their_delays(time_):
    """A burst at one name: each throttled try starts its delay after the one before it."""
    throttle = LoginThrottle(clock=time_)
    keys = throttle_keys("li.na", "10.0.0.1")
    waits = [throttle.reserve(keys) for _ in range(12)]
    assert waits == [0, 0, 0, 0, 0, 1, 3, 7, 15, 31, 63, 123]
    other = throttle_keys("wang.fang", "10.0.0.1")  # the address is not throttled: others are not held up
    assert throttle.reserve(other) == 0


def test_the_61st_wrong_password_in_a_minute_waits_and_the_right_one_still_works(api, time_):
    for attempt in range(60):
        time_.now += 0.5  # sixty tries within a minute (before their waits)
        assert login(api, "li.na", f"guess-{attempt}") == 401
    time_.waits.clear()
    assert login(api, "li.na", "guess-61") == 401
    assert time_.waits and time_.waits[0] > 0
    waited = len(time_.waits)
    assert login(api, "li.na", "demo") == 200
    assert len(time_.waits) == waited + 1  # the right password waits its turn too, then works


def test_a_usernames_delay_grows_whatever_the_address(app, api, time_):
    for i in range(7):
        elsewhere = TestClient(app, client=(f"10.0.0.{i}", 1000))  # the same running app, not a new start
        assert login(elsewhere, "wang.fang", "nope") == 401
    assert time_.waits == [1.0, 2.0]  # the 6th and 7th try on this name, each from a new address
    assert login(api, "zhang.wei", "demo") == 200  # another name from another address: no wait
    assert time_.waits == [1.0, 2.0]


def test_an_address_guessing_many_names_is_slowed(api, time_):
    for i in range(61):
        assert login(api, f"nobody-{i}", "nope") == 401
    assert time_.waits == [1.0]  # the address's 61st failure in its minute; no name failed twice


def test_the_right_password_clears_the_names_failures(api, time_):
    for _ in range(4):
        assert login(api, "li.na", "nope") == 401
    assert login(api, "li.na", "demo") == 200
    for _ in range(5):
        assert login(api, "li.na", "nope") == 401
    assert time_.waits == []


def test_the_sign_in_page_is_throttled_too(api, time_):
    for _ in range(6):
        r = page_sign_in(api, "li.na", "nope")
        assert r.status_code == 401
    assert time_.waits == [1.0]
    assert page_sign_in(api, "li.na", "demo", follow_redirects=False).status_code == 303


def test_passwords_are_checked_on_threads_of_their_own(api, monkeypatch):
    seen: list[str] = []
    check = REAL_CHECK

    def recording(*args):
        seen.append(threading.current_thread().name)
        return check(*args)
    monkeypatch.setattr(auth, "check_password", recording)
    assert login(api, "li.na", "demo") == 200
    assert seen and seen[0].startswith("password-check")

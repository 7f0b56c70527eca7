"""The outbox's parts on their own: quiet hours, backoff, the delivery log read back, and the
dispatcher retrying a failing channel with backoff until it gives up, without holding up another
channel, then sending again by hand."""
from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from runtime.outbox.dispatcher import Delivery, Dispatcher, Outcome
from runtime.outbox.log import DeliveryLog
from runtime.outbox.prefs import Preferences, quiet_until
from runtime.outbox.retry import RetryPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_quiet_hours_defer_to_their_end_in_the_organisations_time_zone():
    night = Preferences(quiet_from="22:00", quiet_to="08:00")
    at_23 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    assert quiet_until(night, at_23, SHANGHAI) == datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    at_7 = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 07:00 the next day
    assert quiet_until(night, at_7, SHANGHAI) == datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI)
    assert quiet_until(night, datetime(2026, 3, 2, 2, 0, tzinfo=UTC), SHANGHAI) is None  # 10:00
    lunch = Preferences(quiet_from="12:00", quiet_to="13:30")
    assert quiet_until(lunch, datetime(2026, 3, 2, 4, 15, tzinfo=UTC), SHANGHAI) == datetime(
        2026, 3, 2, 13, 30, tzinfo=SHANGHAI)
    assert quiet_until(Preferences(), at_23, SHANGHAI) is None


def test_backoff_doubles_up_to_its_cap_then_gives_up():
    policy = RetryPolicy(base=10, cap=60, attempts=5)
    assert [policy.delay(n) for n in range(1, 6)] == [10, 20, 40, 60, 60]
    assert not policy.gives_up(4) and policy.gives_up(5)


def test_the_delivery_log_reads_back_what_was_sent_failed_and_reopened(tmp_path):
    path = tmp_path / "deliveries.jsonl"
    book = DeliveryLog(path, start=10)
    book.attempt("11.email.li.na", 1, "t", True, 250, "")
    book.attempt("12.hook.wh_1", 1, "t", False, 500, "boom", "t2")
    book.attempt("12.hook.wh_1", 2, "t", False, 500, "boom", failed=True)
    book.attempt("13.hook.wh_1", 1, "t", False, None, "refused", failed=True)
    book.reopen("13.hook.wh_1")
    book.set_watermark(13)
    book.close()
    with path.open("ab") as torn:
        torn.write(b'{"id": "14.email')  # a crash mid-write
    again = DeliveryLog(path, start=99)
    assert again.sent == {"11.email.li.na"} and again.failed == {"12.hook.wh_1"}
    assert again.tries("12.hook.wh_1") == 2 and again.tries("13.hook.wh_1") == 0
    assert again.watermark == 13 and again.replay_from() == 12  # the reopened one is replayed
    again.close()


def test_a_failing_channel_is_retried_with_backoff_then_failed_and_never_holds_up_another():
    book = DeliveryLog(None)
    calls: dict[str, int] = {"down": 0, "up": 0}
    gate = threading.Event()

    def senders(channel: str):
        def send(delivery: Delivery) -> Outcome:
            calls[channel.split(":")[1]] += 1
            if channel == "hook:down":
                return Outcome(False, 503, "unavailable")
            gate.set()
            return Outcome(True, 200)
        return send

    def plan(batch, notices):
        return [Delivery(f"{e['seq']}.hook.{name}", e["seq"], f"hook:{name}", e) for e in batch for name in ("down", "up")]

    dispatcher = Dispatcher(book, plan, senders, RetryPolicy(base=0.01, cap=0.02, attempts=3))
    dispatcher.start()
    try:
        dispatcher.submit([{"seq": 5, "action": "start", "commit": True}], [])
        assert gate.wait(10)
        assert dispatcher.wait_idle()
        assert calls == {"down": 3, "up": 1}
        assert book.sent == {"5.hook.up"} and book.failed == {"5.hook.down"}
        assert [a["next"] != "" for a in book.attempts["5.hook.down"]] == [True, True, False]
        assert book.watermark == 5 and [d.id for d in dispatcher.failed()] == ["5.hook.down"]
        assert dispatcher.retry("5.hook.down") and not dispatcher.retry("5.hook.up")
        assert dispatcher.wait_idle()
        assert calls["down"] == 6 and book.failed == {"5.hook.down"}
    finally:
        dispatcher.stop()

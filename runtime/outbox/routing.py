"""Who is emailed for a committed batch: an email per notice its recipient wants by email (and
has an address for). Pure, given the preferences; the same notices always plan the same delivery
ids. (Webhook deliveries are planned by `webhooks.plan`, for the courier.)"""
from __future__ import annotations

from collections.abc import Callable

from runtime.org import User
from runtime.outbox.dispatcher import Delivery
from runtime.outbox.notices import Notice
from runtime.outbox.prefs import Preferences


def plan(notices: list[Notice], *, user: Callable[[str], User | None],
         prefs: Callable[[str], Preferences]) -> list[Delivery]:
    out: list[Delivery] = []
    for notice in notices:
        person = user(notice.recipient)
        if person is not None and person.email and prefs(notice.recipient).wants(notice.group, "email"):
            out.append(Delivery(f"{notice.seq}.email.{notice.recipient}", notice.seq, "email", notice))
    return out

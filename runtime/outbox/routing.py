"""What is sent for a committed batch: an email per notice its recipient wants by email (and has
an address for), a webhook delivery per event each endpoint wants. Pure, given the preferences
and the registered webhooks; the same batch always plans the same delivery ids."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.org import User
from runtime.outbox.dispatcher import Delivery
from runtime.outbox.notices import Notice
from runtime.outbox.prefs import Preferences
from runtime.outbox.webhooks import Hook


def plan(batch: list[dict[str, Any]], notices: list[Notice], *, email: bool, user: Callable[[str], User | None],
         prefs: Callable[[str], Preferences], hooks: list[Hook]) -> list[Delivery]:
    out: list[Delivery] = []
    if email:
        for notice in notices:
            person = user(notice.recipient)
            if person is not None and person.email and prefs(notice.recipient).wants(notice.group, "email"):
                out.append(Delivery(f"{notice.seq}.email.{notice.recipient}", notice.seq, "email", notice))
    for hook in hooks:
        for event in batch:
            if hook.wants(event):
                out.append(Delivery(f"{event['seq']}.hook.{hook.id}", event["seq"], f"hook:{hook.id}", event))
    return out

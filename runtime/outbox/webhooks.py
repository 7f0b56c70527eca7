"""Webhooks: the endpoints admins register, what each is sent, and how it is signed.

Registered in a setting (`webhooks`): id, URL, the event kinds wanted, the secret (shown once to
the admin who registers it), and `since`, the last event seq at registration (an endpoint hears
of what happens after it is registered, never of the past). Each delivery POSTs
`{"id", "type", "created", "data"}` with `Formflow-Event-Id` and `Formflow-Signature:
t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as Stripe signs. The data names the
request, process, task, step and people, never a field's value, so nothing hidden from anyone
leaves. 2xx is delivered; anything else, or no answer within the timeout, is retried.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from runtime.clock import new_id, utc_now
from runtime.errors import NotFound, ValidationFailed
from runtime.events import KINDS
from runtime.i18n import N_
from runtime.outbox.dispatcher import Delivery, Outcome

SETTING = "webhooks"
TIMEOUT = 5.0
MAX_URL = 2000
GROUPS: dict[str, tuple[str, ...]] = {  # friendly names for sets of kinds
    "tasks": ("task", "transfer", "add_signer", "urge", "overdue", "escalate", "cancel"),
    "decisions": ("approve", "reject", "complete", "return"),
    "requests": ("start", "resubmit", "withdraw", "finish", "comment", "notify"),
}
REQUEST_KINDS = tuple(k for k in KINDS if k not in ("publish", "org"))
GROUPS["all"] = REQUEST_KINDS
DATA_FIELDS = ("task", "step", "assignee", "to", "user", "status", "kind", "position", "due", "for")


@dataclass(frozen=True)
class Hook:
    id: str
    url: str
    kinds: tuple[str, ...]
    secret: str
    created: str
    since: int
    by: str = ""

    def wants(self, event: dict[str, Any]) -> bool:
        return event["action"] in self.kinds and event.get("seq", 0) > self.since

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "kinds": list(self.kinds)}

    @classmethod
    def from_dict(cls, found: dict[str, Any]) -> Hook:
        return cls(**{**found, "kinds": tuple(found["kinds"])})

    def shown(self) -> dict[str, Any]:
        """What the API shows of it (the secret only once, at registration)."""
        return {"id": self.id, "url": self.url, "events": list(self.kinds), "created": self.created, "by": self.by}


def check(body: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The URL and event kinds of a registration, or a 422 naming the field."""
    url, wanted = body.get("url"), body.get("events", ["all"])
    errors: dict[str, Any] = {}
    if not isinstance(url, str) or not url.strip():
        errors["url"] = N_("give the address (http:// or https://) to send events to")
    else:
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors["url"] = N_("only http:// and https:// addresses can receive webhooks")
        elif len(url) > MAX_URL or any(ord(c) < 0x21 for c in url):
            errors["url"] = N_("not a web address")
    if isinstance(wanted, str):
        wanted = [w for w in wanted.replace(",", " ").split() if w]
    kinds: list[str] = []
    if not isinstance(wanted, list) or not wanted:
        errors["events"] = N_("choose the events to send")
    else:
        for name in wanted:
            if name in GROUPS:
                kinds += GROUPS[name]
            elif isinstance(name, str) and name in REQUEST_KINDS:
                kinds.append(name)
            else:
                errors["events"] = N_("no event %(name)s: use one of %(choices)s", name=repr(name),
                                      choices=", ".join((*GROUPS, *REQUEST_KINDS)))
                break
    if errors:
        raise ValidationFailed(errors)
    return url, tuple(dict.fromkeys(kinds))


class Registry:
    """The registered webhooks, kept in a setting and in memory. `on_change` listeners hear of
    each registration and deletion before it is visible to `current` (so the courier knows a new
    endpoint before any delivery is planned for it)."""

    def __init__(self, get_setting: Callable[[str, Any], Any], put_setting: Callable[[str, Any], None]) -> None:
        self._get, self._put = get_setting, put_setting
        self._lock = threading.Lock()
        self._hooks = {d["id"]: Hook.from_dict(d) for d in get_setting(SETTING, []) or []}
        self.current: tuple[Hook, ...] = tuple(self._hooks.values())  # read at every commit: no lock, no sort
        self.on_change: list[Callable[[tuple[Hook, ...]], None]] = []

    def all(self) -> list[Hook]:
        with self._lock:
            return sorted(self._hooks.values(), key=lambda h: (h.created, h.id))

    def get(self, hook_id: str) -> Hook:
        with self._lock:
            hook = self._hooks.get(hook_id)
        if hook is None:
            raise NotFound(N_('no webhook "%(id)s"', id=hook_id))
        return hook

    def find(self, hook_id: str) -> Hook | None:
        with self._lock:
            return self._hooks.get(hook_id)

    def register(self, body: dict[str, Any], since: int, by: str) -> Hook:
        url, kinds = check(body)
        hook = Hook(id=f"wh_{new_id()}", url=url, kinds=kinds, secret=f"whsec_{secrets.token_hex(24)}",
                    created=utc_now(), since=since, by=by)
        with self._lock:
            self._hooks[hook.id] = hook
            self._save()
        return hook

    def delete(self, hook_id: str) -> None:
        with self._lock:
            if self._hooks.pop(hook_id, None) is None:
                raise NotFound(N_('no webhook "%(id)s"', id=hook_id))
            self._save()

    def _save(self) -> None:
        self._put(SETTING, [h.to_dict() for h in self._hooks.values()])
        hooks = tuple(self._hooks.values())
        for listener in self.on_change:
            listener(hooks)
        self.current = hooks


def event_id(seq: int) -> str:
    return f"evt_{seq}"


def payload(event: dict[str, Any], process: str) -> dict[str, Any]:
    """What an endpoint is sent of an event: who, what, where; never a field's value."""
    data = {"instance": event["instance"], "process": process, "actor": event["actor"]}
    data.update({k: event[k] for k in DATA_FIELDS if k in event})
    if event["action"] == "notify":
        data["recipients"] = list(event["recipients"])
    return {"id": event_id(event.get("seq", 0)), "type": event["action"], "created": event["at"], "data": data}


def plan(batch: list[dict[str, Any]], hooks: tuple[Hook, ...], process_of: Callable[[str], str]) -> list[list[Any]]:
    """`[seq, webhook id, body]` for each event of a committed batch each endpoint wants; pure,
    and the same batch always plans the same deliveries (each body built once, shared)."""
    planned: list[list[Any]] = []
    for event in batch:
        body = None
        for hook in hooks:
            if hook.wants(event):
                body = body or payload(event, process_of(event["instance"]))
                planned.append([event["seq"], hook.id, body])
    return planned


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (tests, and the README's example): recompute and compare."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        return False
    return hmac.compare_digest(signature(secret, int(parts["t"]), body), f"t={parts['t']},v1={parts['v1']}")


def sender(find: Callable[[str], Hook | None], *, timeout: float = TIMEOUT,
           clock: Callable[[], float] = time.time) -> Callable[[Delivery], Outcome]:
    """POSTs a webhook delivery (`Delivery.payload` is the body, from `payload`) to its endpoint, over one
    connection kept open between deliveries (each endpoint has its own worker, so its own
    connection). A redirect is not followed: only a 2xx answer counts as delivered."""
    open_conn: dict[str, http.client.HTTPConnection] = {}

    def connection(url: str) -> http.client.HTTPConnection:
        found = open_conn.get(url)
        if found is None:
            parts = urlsplit(url)
            kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            found = open_conn[url] = kind(parts.hostname, parts.port, timeout=timeout)
        return found

    def send(delivery: Delivery) -> Outcome:
        hook = find(delivery.channel.split(":", 1)[1])
        if hook is None:
            return Outcome(False, None, "the webhook was deleted", drop=True)
        body = orjson.dumps(delivery.payload)
        parts = urlsplit(hook.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"Content-Type": "application/json", "User-Agent": "formflow-webhooks/1",
                   "Formflow-Event-Id": delivery.payload["id"],
                   "Formflow-Signature": signature(hook.secret, int(clock()), body)}
        conn = connection(hook.url)
        try:
            conn.request("POST", target, body, headers)
            answer = conn.getresponse()
            answer.read()
            if answer.will_close:
                conn.close()
                open_conn.pop(hook.url, None)
            ok = 200 <= answer.status < 300
            return Outcome(ok, answer.status, "" if ok else answer.reason)
        except (OSError, http.client.HTTPException) as failed:  # refused, unreachable, timed out, cut off
            conn.close()
            open_conn.pop(hook.url, None)
            return Outcome(False, None, str(failed) or failed.__class__.__name__)
    return send

"""Delegation while away (出差/休假代理): a dated rule per user that sends their new tasks to
someone else. The rules are settings, changed by the person themself; each task a rule redirects
records who it was meant for and why, so replaying the log never needs the rules."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from rules.derived import is_iso_date
from runtime import notes
from runtime.clock import from_stamp
from runtime.errors import ValidationFailed
from runtime.i18n import N_
from runtime.org import Organisation, Resolution

SETTING = "delegations"
MAX_NOTE = 200


@dataclass(frozen=True)
class Delegation:
    """From `start` to `end` (dates, both included, in the organisation's time zone) `to` acts for the person."""

    to: str
    start: str
    end: str
    note: str = ""

    def covers(self, day: date) -> bool:
        return date.fromisoformat(self.start) <= day <= date.fromisoformat(self.end)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def parse_delegation(body: Any, username: str, org: Organisation) -> Delegation:
    """The rule a person asked for, or ValidationFailed naming each field that is wrong."""
    if not isinstance(body, dict):
        raise ValidationFailed({"delegation": N_("must be an object with to, start and end")})
    errors: dict[str, str] = {}
    to = body.get("to")
    if not isinstance(to, str) or to not in org.users:
        errors["to"] = N_("no user %(who)s", who=repr(to))
    elif to == username:
        errors["to"] = N_("cannot delegate to yourself")
    elif org.users[to].reads_only:
        errors["to"] = notes.READS_ONLY.fill(who=to)
    for name in ("start", "end"):
        if not isinstance(body.get(name), str) or not is_iso_date(body[name]):
            errors[name] = N_("must be a date (YYYY-MM-DD)")
    if "start" not in errors and "end" not in errors and body["end"] < body["start"]:
        errors["end"] = N_("must not be before the start")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        errors["note"] = N_("must be text of at most %(max)s characters", max=MAX_NOTE)
    if errors:
        raise ValidationFailed(errors)
    return Delegation(to, body["start"], body["end"], note.strip())


def delegate_for(rules: dict[str, dict[str, str]], username: str, at: str, timezone: str) -> Resolution | None:
    """Who acts for `username` at the moment `at` (an ISO instant), if they are away then.

    One hop only: a delegate who is away themself does not pass the task on again."""
    rule = rules.get(username)
    if rule is None:
        return None
    delegation = Delegation(**rule)
    day = from_stamp(at).astimezone(ZoneInfo(timezone)).date()
    if not delegation.covers(day):
        return None
    return Resolution(delegation.to, notes.AWAY.fill(who=username, end=delegation.end, to=delegation.to),
                      on_behalf_of=username)

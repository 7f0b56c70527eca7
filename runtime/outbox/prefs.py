"""Each person's notification preferences: which channels per group, quiet hours, language.

Stored per user (a setting `notifications.prefs.<username>`). Defaults: everything in-app; email
for tasks and returns, as a DingTalk user expects. Quiet hours defer email (never in-app) to their
end, in the organisation's time zone (the working calendar's).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from runtime.errors import ValidationFailed
from runtime.i18n import DEFAULT_LOCALE, LOCALES, N_
from runtime.outbox.notices import GROUPS

CHANNELS = ("inapp", "email")
EMAIL_BY_DEFAULT = frozenset({"tasks", "returns"})
SETTING = "notifications.prefs."
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d\Z")


@dataclass(frozen=True)
class Preferences:
    channels: dict[str, frozenset[str]] = field(default_factory=lambda: {
        g: frozenset({"inapp", "email"} if g in EMAIL_BY_DEFAULT else {"inapp"}) for g in GROUPS})
    quiet_from: str = ""  # "22:00": no email from then …
    quiet_to: str = ""    # … until "08:00" (may pass midnight); both empty: no quiet hours
    language: str = ""    # "" : the organisation's locale for the person, else the default

    def wants(self, group: str, channel: str) -> bool:
        return channel in self.channels.get(group, frozenset())

    def to_dict(self) -> dict[str, Any]:
        return {"channels": {g: sorted(c) for g, c in self.channels.items()}, "quiet_from": self.quiet_from,
                "quiet_to": self.quiet_to, "language": self.language}

    @classmethod
    def from_dict(cls, doc: dict[str, Any] | None) -> Preferences:
        if not doc:
            return cls()
        default = cls().channels
        channels = {g: frozenset(c for c in doc.get("channels", {}).get(g, default[g]) if c in CHANNELS)
                    for g in GROUPS}
        return cls(channels, doc.get("quiet_from", ""), doc.get("quiet_to", ""), doc.get("language", ""))


def parse_form(pairs: list[tuple[str, str]]) -> Preferences:
    """Preferences from the settings page's form: a checkbox `<group>.<channel>` per choice."""
    chosen = {k for k, _ in pairs}
    values = dict(pairs)
    quiet_from, quiet_to = values.get("quiet_from", "").strip(), values.get("quiet_to", "").strip()
    errors: dict[str, Any] = {}
    for name, value in (("quiet_from", quiet_from), ("quiet_to", quiet_to)):
        if value and not _CLOCK.match(value):
            errors[name] = N_("a time of day such as 22:00")
    if bool(quiet_from) != bool(quiet_to):
        errors["quiet_to" if quiet_from else "quiet_from"] = N_("give both ends of the quiet hours, or neither")
    language = values.get("language", "")
    if language and language not in LOCALES:
        errors["language"] = N_("choose a language")
    if errors:
        raise ValidationFailed(errors)
    channels = {g: frozenset(c for c in CHANNELS if f"{g}.{c}" in chosen) for g in GROUPS}
    return Preferences(channels, quiet_from, quiet_to, language)


def language_of(prefs: Preferences, org_locale: str) -> str:
    """The language a person is written to in: their choice, the organisation's for them, the default."""
    for candidate in (prefs.language, org_locale):
        if candidate in LOCALES:
            return candidate
    return DEFAULT_LOCALE


def quiet_until(prefs: Preferences, now: datetime, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours around `now` end (an aware moment), or None when `now` is not in them."""
    if not (prefs.quiet_from and prefs.quiet_to) or prefs.quiet_from == prefs.quiet_to:
        return None
    local = now.astimezone(zone)
    start, end = time.fromisoformat(prefs.quiet_from), time.fromisoformat(prefs.quiet_to)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= clock < end
        day = local.date()
    else:  # passes midnight: 22:00 → 08:00
        inside = clock >= start or clock < end
        day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return datetime.combine(day, end, tzinfo=zone)

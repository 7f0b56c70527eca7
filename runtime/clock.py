"""Time and identity sources, injectable so tests control both and never sleep."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime


def utc_now() -> str:
    """The current time as the ISO 8601 UTC string every event carries."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    """A short random id, unguessable so ids in URLs leak nothing."""
    return secrets.token_hex(8)


def to_stamp(moment: datetime) -> str:
    """An aware datetime in the stamp format events carry (UTC, milliseconds, "Z")."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_stamp(stamp: str) -> datetime:
    """The aware UTC datetime of an event stamp."""
    return datetime.fromisoformat(stamp)  # 3.11 reads the "Z"

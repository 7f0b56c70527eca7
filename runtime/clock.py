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

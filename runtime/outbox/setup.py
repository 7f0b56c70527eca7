"""The outbox as the server's settings ask for it (SMTP, base URL, data directory)."""
from __future__ import annotations

from typing import Any

from runtime.outbox.center import Notifications
from runtime.settings import Settings


def open_notifications(workflow: Any, settings: Settings) -> Notifications:
    return Notifications(workflow)

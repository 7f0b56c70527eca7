"""`formflow audit verify`: is the record intact, and does it still rebuild into a state?

Reads the data directory without taking its lock (the log is append-only, so a running server
does not disturb the check) and never changes anything.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.state import Projection
from runtime.store.eventlog import verify

EVENTS_FILE = "events.jsonl"


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    message: str


def verify_data_dir(data_dir: Path) -> AuditReport:
    """Check the hash chain and seq continuity, then replay every event into a fresh projection."""
    chain = verify(data_dir / EVENTS_FILE)
    if not chain.ok:
        return AuditReport(False, f"event log broken: {chain}")
    projection = Projection()
    batch: list[dict[str, Any]] = []
    try:
        for event in _events(data_dir / EVENTS_FILE):
            batch.append(event)
            if event.get("commit"):  # replay whole commands only, as the server does at start-up
                for committed in batch:
                    projection.apply(committed)
                batch = []
    except (KeyError, ValueError, TypeError) as exc:
        return AuditReport(False, f"event {projection.last_seq + 1} cannot be replayed: {exc!r}")
    unfinished = f"; {len(batch)} events of an unfinished last command will be set aside" if batch else ""
    return AuditReport(True, f"{chain}; replayed {len(projection.instances)} instances and "
                             f"{len(projection.tasks)} tasks{unfinished}")


def _events(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for line in handle:
            yield json.loads(line)

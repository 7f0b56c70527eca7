"""Checkpoints: a digest of the whole in-memory state at a point of the event log.

The server writes one after rebuilding its state at start-up and again when it stops;
`formflow audit verify` replays the log up to that point and checks it rebuilds exactly the state
the server held. A mismatch names the instances that differ, so an auditor knows where to look.
"""
from __future__ import annotations

import hashlib
from typing import Any

import orjson

from runtime.state import Projection

SETTING = "checkpoint"


def _digest(record: Any) -> str:
    return hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()


def checkpoint(projection: Projection) -> dict[str, Any]:
    """The state's digest: one per instance (its record, events and tasks) and one for all of it."""
    with projection.lock:
        instances = {
            instance_id: _digest([instance, [projection.tasks[t] for t in instance.task_ids]])
            for instance_id, instance in sorted(projection.instances.items())
        }
        seq = projection.last_seq
    return {"seq": seq, "state": _digest(instances), "instances": instances}


def differences(stored: dict[str, Any], rebuilt: dict[str, Any]) -> list[str]:
    """The instances whose rebuilt state is not what was stored (missing, extra or different)."""
    ids = set(stored["instances"]) | set(rebuilt["instances"])
    return sorted(i for i in ids if stored["instances"].get(i) != rebuilt["instances"].get(i))

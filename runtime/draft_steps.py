"""Undo and redo steps of a draft (a form's fields, a flow's steps), stored as small deltas
instead of whole copies.

A designer's edit changes one property of one field, or adds, removes or moves a field, so a
step stores only the top-level members that differ and, for the field list, each field either as
the position of an identical field in the other document or, when it differs, in full. With a
60-field form and a hundred steps that is kilobytes, not a megabyte rewritten on every save.
"""
from __future__ import annotations

from typing import Any

import orjson

FIELDS = "fields"


def step_back(current: dict[str, Any], previous: dict[str, Any], items: str = FIELDS) -> dict[str, Any]:
    """What rebuilds `previous` from `current` (see `rebuild`); `items` names the document's list
    whose members are kept by position when unchanged ("fields" of a form, "steps" of a flow)."""
    at = {_identity(f): i for i, f in reversed(list(enumerate(current.get(items, []))))}
    return {"set": {k: v for k, v in previous.items() if k != items and current.get(k, _MISSING) != v},
            "drop": [k for k in current if k not in previous],
            "items": items, items: [at.get(_identity(f), f) for f in previous.get(items, [])]}


def rebuild(current: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    """The document a step made with `step_back(current, previous)` describes: `previous`."""
    items = step.get("items", FIELDS)  # steps stored before flows had drafts are a form's
    members = current.get(items, [])
    doc = {k: v for k, v in current.items() if k not in step["drop"]}
    doc.update(step["set"])
    doc[items] = [members[e] if isinstance(e, int) else e for e in step[items]]
    return doc


def _identity(field: Any) -> bytes:
    return orjson.dumps(field, option=orjson.OPT_SORT_KEYS)


_MISSING = object()

"""Turning frozen definition dataclasses into plain JSON data and back, deterministically.

`to_plain` drops fields still at their default so exported documents stay small and an
export → import → export round trip is byte-identical.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any


def to_plain(value: Any) -> Any:
    """Plain JSON data for a dataclass tree; fields at their default value are left out."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    plan = _PLANS.get(kind, _UNSEEN)
    if plan is _UNSEEN:
        plan = _PLANS[kind] = _plan(kind)
    if plan is not None:
        out: dict[str, Any] = {}
        for name, key, always, default, factory in plan:
            item = getattr(value, name)
            if not always and ((default is not _NONE and item == default) or (factory is not None and item == factory())):
                continue
            out[key] = to_plain(item)
        return out
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})
_NONE = object()  # "no default", distinct from a default of None
_UNSEEN = object()  # a type not planned yet
_Plan = tuple[tuple[str, str, bool, Any, Any], ...]
_PLANS: dict[type, _Plan | None] = {}  # by type: how to write its instances, None for what is no dataclass


def _plan(kind: type) -> _Plan | None:
    """Per dataclass, once: each field's name, JSON name, whether it is always written, and its
    default or default factory (what `to_plain` compares with, for every instance it writes)."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple((f.name, f.metadata.get("json", f.name), bool(f.metadata.get("always")),
                  f.default if f.default is not dataclasses.MISSING else _NONE,
                  f.default_factory if f.default_factory is not dataclasses.MISSING else None)  # type: ignore[misc]
                 for f in dataclasses.fields(kind))


def canonical_json(data: Any) -> str:
    """The one JSON spelling formflow writes for documents: sorted keys, two-space indent, UTF-8."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

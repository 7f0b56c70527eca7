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
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if _is_default(field, item):
                continue
            out[field.metadata.get("json", field.name)] = to_plain(item)
        return out
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def _is_default(field: dataclasses.Field, item: Any) -> bool:
    if field.metadata.get("always"):
        return False
    if field.default is not dataclasses.MISSING:
        return item == field.default
    if field.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return item == field.default_factory()  # type: ignore[misc]
    return False


def canonical_json(data: Any) -> str:
    """The one JSON spelling formflow writes for documents: sorted keys, two-space indent, UTF-8."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

"""JSON that people type or upload, parsed with a cap on nesting.

`json.loads` gives up on ~1,000 levels with a RecursionError, which no caller expects (a 500), and
anything nested a few hundred deep would exhaust the validators' and renderers' recursion later
on. Here both are a `json.JSONDecodeError` (a ValueError, as for any bad JSON) saying so; so is
a string with a control character in it, which no person types."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from rules.messages import N_

MAX_DEPTH = 128  # arrays and objects inside each other: room for nested branches and conditions (16 deep)
# C0 controls and DEL, but tab, newline, CR; and the bidirectional embeddings, overrides and isolates
# that make text read otherwise than it is stored (Trojan Source)
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than `limit` levels (walked without recursion)."""
    level: list[Any] = [value]
    for _ in range(limit):
        level = [child for item in level
                 for child in (item.values() if isinstance(item, dict) else item if isinstance(item, list) else ())
                 if isinstance(child, (dict, list))]
        if not level:
            return False
    return True


def loads(text: str | bytes, **options: Any) -> Any:
    """`json.loads(text, **options)`, refusing more than MAX_DEPTH levels of nesting and strings
    with control characters (`"\\u0000"` in the text)."""
    try:
        value = json.loads(text, **options)
    except RecursionError:
        value = None
        deep = True
    else:
        deep = too_deep(value)
    doc = text if isinstance(text, str) else text.decode("utf-8", "replace")
    if deep:
        raise json.JSONDecodeError(N_("nested more than %(max_depth)s levels deep",
                                      max_depth=MAX_DEPTH), doc, 0)
    bad = control_characters(value)
    if bad:
        raise json.JSONDecodeError(N_("%(name)s must not contain control characters", name=bad[0]) if bad[0]
                                   else N_("the text must not contain control characters"), doc, 0)
    return value


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a parsed document (keys too) with its JSON path, `items[0].reason`."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            yield at, item
        elif isinstance(item, dict):
            for key, child in item.items():
                child_at = f"{at}.{key}" if at else str(key)
                if isinstance(key, str):
                    yield child_at, key
                stack.append((child, child_at))
        elif isinstance(item, list):
            stack.extend((child, f"{at}[{i}]") for i, child in enumerate(item))


def control_characters(value: Any) -> list[str]:
    """The JSON paths of the strings holding a control character (NUL, ESC, …: never typed;
    tab, newline and CR are text), in document order."""
    return sorted({at for at, text in _strings(value, "") if CONTROL.search(text)})

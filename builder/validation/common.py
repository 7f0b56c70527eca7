"""Small checks shared by the form and flow validators: keys, slugs, labels, bounds, lists.

Each appends `Problem`s (with their JSON paths) to `out` and never raises on malformed input.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

from builder import paths
from builder.forms import FIELD_TYPES
from builder.text import shorten
from rules.errors import Problem
from rules.messages import N_

MAX_KEY = 64  # characters of a key (form, flow, field, step): a name, never a payload
SLUG = re.compile(rf"[a-z][a-z0-9_-]{{0,{MAX_KEY - 1}}}\Z")
SLUG_TEXT = "[a-z][a-z0-9_-]*"


def json_names(cls: type) -> tuple[str, ...]:
    return tuple(f.metadata.get("json", f.name) for f in dataclasses.fields(cls))


def unknown_keys(doc: dict[str, Any], allowed: Iterable[str], path: str, out: list[Problem]) -> None:
    allowed = set(allowed)
    for name in doc:
        if name not in allowed:
            out.append(Problem(paths.key(path, str(name)), N_("unknown key")))


def slug_problem(value: Any) -> str:
    """Why `value` is not a key: too long, or not a slug at all."""
    if isinstance(value, str) and len(value) > MAX_KEY:
        return N_("must be at most %(max_key)s characters", max_key=MAX_KEY)
    return N_("must be a slug (%(slug_text)s), got %(value)s", slug_text=SLUG_TEXT, value=show_value(value))


def check_slug(doc: dict[str, Any], name: str, path: str, out: list[Problem], *,
          required: bool = False) -> bool:
    """Check `doc[name]` is a slug; True when it is."""
    where = paths.key(path, name)
    if name not in doc:
        if required:
            out.append(Problem(where, N_("missing")))
        return False
    value = doc[name]
    if not isinstance(value, str) or not SLUG.match(value):
        out.append(Problem(where, slug_problem(value)))
        return False
    return True


def check_version(doc: dict[str, Any], path: str, out: list[Problem]) -> None:
    where = paths.key(path, "version")
    if "version" not in doc:
        out.append(Problem(where, N_("missing")))
    elif not is_int(doc["version"]) or doc["version"] < 1:
        out.append(Problem(where, N_("must be a positive integer, got %(version)s",
                                     version=show_value(doc['version']))))


def check_label(doc: dict[str, Any], name: str, path: str, out: list[Problem], *,
           required: bool = False) -> None:
    where = paths.key(path, name)
    if name not in doc:
        if required:
            out.append(Problem(where, N_("missing")))
        return
    value = doc[name]
    if isinstance(value, str):
        return
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                       for k, v in value.items()):
        return
    out.append(Problem(where, N_("must be text or a mapping of locale to text")))


def check_bool(doc: dict[str, Any], name: str, path: str, out: list[Problem]) -> None:
    if name in doc and not isinstance(doc[name], bool):
        out.append(Problem(paths.key(path, name), N_("must be true or false, got %(doc)s",
                                                     doc=show_value(doc[name]))))


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_typed(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("key"), str) \
        and doc.get("type") in FIELD_TYPES


def required_list(doc: dict[str, Any], name: str, path: str, when_empty: str,
                   out: list[Problem]) -> list[Any] | None:
    """`doc[name]` when it is a non-empty list; otherwise the problem with it goes to `out`."""
    value, where = doc.get(name), paths.key(path, name)
    if name not in doc:
        out.append(Problem(where, N_("missing")))
    elif not isinstance(value, list):
        out.append(Problem(where, N_("must be a list")))
    elif not value:
        out.append(Problem(where, when_empty))
    else:
        return value
    return None


def show_value(value: Any) -> str:
    """A JSON value as a problem message names it: `"cfo"`, `12`, `true`, `an object`."""
    if isinstance(value, str):
        return f'"{shorten(value)}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    return {dict: N_("an object"), list: N_("a list")}.get(type(value), type(value).__name__)


def duplicates(items: list[Any], name: str, list_path: str, what: str,
                out: list[Problem]) -> None:
    """Report every item after the first whose `name` repeats an earlier one."""
    seen: set[Any] = set()
    for position, item in enumerate(items):
        value = item.get(name) if isinstance(item, dict) else None
        if not isinstance(value, str):
            continue
        if value in seen:
            out.append(Problem(paths.key(paths.index(list_path, position), name),
                               N_('duplicate %(what)s "%(value)s"', what=what, value=value)))
        seen.add(value)


def check_bounds(doc: dict[str, Any], low: str, high: str, path: str, out: list[Problem],
            valid: Callable[[Any], bool], wanted: str) -> None:
    ok = True
    for name in (low, high):
        if name in doc and doc[name] is not None and not valid(doc[name]):
            out.append(Problem(paths.key(path, name), N_("must be %(wanted)s, got %(doc)s",
                                                         wanted=wanted, doc=show_value(doc[name]))))
            ok = False
    if ok and doc.get(low) is not None and doc.get(high) is not None and doc[low] > doc[high]:
        out.append(Problem(paths.key(path, low),
                           N_("%(low)s %(doc)s is greater than %(high)s %(doc2)s",
                              low=low, doc=show_value(doc[low]), high=high, doc2=show_value(doc[high]))))

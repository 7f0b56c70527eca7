"""A condition in words, for the cards that show one without its builder.

"Category is Travel and Total ≥ 5,000" on the form designer's field cards, and later on the flow
designer's branch cards. Any condition reads, even one the builder can only show as JSON:
nested groups are put in parentheses, and what is malformed is shown as its JSON.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rules.conditions import EQ, LOGICAL, REF
from runtime import i18n
from runtime.web.condition_subjects import Subject, in_locale, kind_of, operator_word, subject
from runtime.web.editor_values import show_value

_ = i18n.gettext


def describe(cond: Any, subjects: Sequence[Subject], locale: str) -> str:
    """`cond` in words in `locale`; "" for no condition."""
    if cond is None:
        return ""
    with in_locale(locale):
        return _words(cond, subjects, 0)


def _words(cond: Any, subjects: Sequence[Subject], depth: int) -> str:
    if not isinstance(cond, Mapping) or len(cond) != 1 or depth > 16:
        return _json(cond)
    ((key, arg),) = cond.items()
    if key in LOGICAL:
        if not isinstance(arg, list) or not arg:
            return _json(cond)
        joiner = _(" and ") if key == "$and" else _(" or ")
        return joiner.join(f"({_words(c, subjects, depth + 1)})" if _is_logical(c) and len(arg) > 1
                           else _words(c, subjects, depth + 1) for c in arg)
    if not isinstance(key, str):
        return _json(cond)
    if key.startswith("$"):
        if not isinstance(arg, Mapping) or len(arg) != 1:
            return _json(cond)
        ((name, value),) = arg.items()
        op = key
    else:
        name, value, op = key, arg, EQ
    one = subject(subjects, name) if isinstance(name, str) else None
    label = one.label if one else str(name)
    kind = one.kind if one else _guess_kind(value)
    if op == "$ex":
        return _("%(field)s is filled in") % {"field": label}
    if op == "$nex":
        return _("%(field)s is empty") % {"field": label}
    if op == EQ and isinstance(value, bool) and kind == "boolean":
        return (_("%(field)s is ticked") if value else _("%(field)s is not ticked")) % {"field": label}
    word = operator_word(kind, "=" if op == EQ else op)
    if isinstance(value, Mapping):
        other = subject(subjects, value.get(REF, "")) if isinstance(value.get(REF), str) else None
        shown = other.label if other else (str(value[REF]) if isinstance(value.get(REF), str) else _json(value))
    else:
        shown = _shown(one, kind, value)
    return f"{label} {word} {shown}"


def _is_logical(cond: Any) -> bool:
    return isinstance(cond, Mapping) and len(cond) == 1 and next(iter(cond)) in LOGICAL \
        and isinstance(next(iter(cond.values())), list) and len(next(iter(cond.values()))) > 1


def _shown(one: Subject | None, kind: str, value: Any) -> str:
    options = one.options if one else ()
    if kind == "text" and isinstance(value, str):
        return f"“{value}”"
    if kind == "text" and isinstance(value, list):
        return ", ".join(f"“{v}”" for v in value)
    return show_value(value, options)


def _guess_kind(value: Any) -> str:
    if isinstance(value, bool):
        return kind_of("checkbox")
    if isinstance(value, (int, float)):
        return kind_of("number")
    return "other"


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)

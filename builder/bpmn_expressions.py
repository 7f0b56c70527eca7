"""formflow conditions as Python expressions, the language BPMN/DMN engines in Python evaluate.

SpiffWorkflow's default script engine evaluates a sequence flow's `conditionExpression` and a
decision table's entries as Python over the process variables. The BPMN export names one
variable per fact a condition may read (`variable`): the form's fields by key and the derived
facts of its tables and date ranges (`items.amount.sum` → `items__amount__sum`), each present,
None when the field is empty (`process_variables` builds exactly that from `Form.facts`).
Translations keep formflow's meaning: an empty field makes every comparison false (`$ne` and
`$nin` included), a multiselect matches `$in` when any chosen value is listed, and patterns match
the whole value. Nothing here evaluates anything: it only writes text.
"""
from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping
from typing import Any

from builder.forms import Form
from rules.conditions import EQ, LOGICAL, MULTI_TYPES, REF
from rules.messages import N_

Namer = Callable[[str], str]

_ORDERING = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}
_REF_OPS = {EQ: "==", "$ne": "!=", **_ORDERING}
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def variable(name: str) -> str:
    """The process variable that holds fact `name`: dots become `__`, anything else that is not
    a Python identifier character `_`, and a keyword gets a trailing `_` (`from` → `from_`)."""
    text = _UNSAFE.sub("_", name.replace(".", "__")) or "_"
    if text[0].isdigit():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) else text


def process_variables(form: Form, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The variables a BPMN engine runs the exported process on: every fact the form's conditions
    may name, under its `variable` name, None when absent (`facts` as `Form.facts` gives them)."""
    return {variable(name): facts.get(name) for name in form.condition_types()}


def python_condition(cond: Any, types: Mapping[str, str] | None = None, name: Namer = variable) -> str:
    """`cond` as one Python boolean expression; `types` (`Form.condition_types()`) tell which
    fields are multiselects, `name` spells a field (a DMN entry spells its own column `?`)."""
    key, arg = _single(cond)
    if key in LOGICAL:
        joiner = " and " if key == "$and" else " or "
        parts = [python_condition(sub, types, name) for sub in arg]
        return parts[0] if len(parts) == 1 else joiner.join(f"({p})" for p in parts)
    if key.startswith("$"):
        ((field, value),) = arg.items()
        return _operand(key, field, value, types or {}, name)
    return _operand(EQ, key, arg, types or {}, name)


def literal(value: Any) -> str:
    """A JSON value as a Python literal (`"high"` → `'high'`, true → `True`, null → `None`)."""
    return repr(value)


def first_of(conditions: list[str]) -> list[str]:
    """Priority made explicit: the i-th expression holds only when none before it does, so the
    result does not depend on the order an engine tries a gateway's flows in."""
    out = []
    for index, text in enumerate(conditions):
        earlier = conditions[:index]
        if not earlier:
            out.append(text)
            continue
        before = earlier[0] if len(earlier) == 1 else " or ".join(f"({t})" for t in earlier)
        out.append(f"({text}) and not ({before})")
    return out


def none_of(conditions: list[str]) -> str:
    """Holds when none of `conditions` does (the "otherwise" written out)."""
    if len(conditions) == 1:
        return f"not ({conditions[0]})"
    return "not (" + " or ".join(f"({t})" for t in conditions) + ")"


def _operand(op: str, field: str, value: Any, types: Mapping[str, str], name: Namer) -> str:
    x = name(field)
    if op == "$ex":
        return f"{x} is not None"
    if op == "$nex":
        return f"{x} is None"
    if isinstance(value, Mapping) and REF in value:
        y = name(value[REF])
        return f"{x} is not None and {y} is not None and {x} {_REF_OPS[op]} {y}"
    if op == EQ:
        return f"{x} == {literal(value)}"
    if op == "$ne":
        return f"{x} is not None and {x} != {literal(value)}"
    if op in _ORDERING:
        return f"{x} is not None and {x} {_ORDERING[op]} {literal(value)}"
    if op == "$mt":  # the whole value, `.` matching newlines too (re.DOTALL), as formflow does
        return f"isinstance({x}, str) and __import__('re').fullmatch({literal(value)}, {x}, 16) is not None"
    listed = literal(list(value))
    if types.get(field) in MULTI_TYPES:
        disjoint = f"set({x}).isdisjoint({listed})"
        return f"{x} is not None and {'not ' if op == '$in' else ''}{disjoint}"
    if op == "$in":
        return f"{x} in {listed}"
    return f"{x} is not None and {x} not in {listed}"  # $nin


def _single(cond: Any) -> tuple[str, Any]:
    if not isinstance(cond, Mapping) or len(cond) != 1:
        raise ValueError(N_("a condition must be an object with exactly one key, got %(cond)s",
                            cond=repr(cond)))
    ((key, arg),) = cond.items()
    return key, arg

"""Generated submissions for a flow: a filled-in form, and that form with each value its branch
conditions and ruleset rows test set to a value that makes them hold (a witness), or to each of
the values around it (options, both checkbox states, a compared number and its neighbours).

Values are written as a person submits them; a computed `sum(table.column)` field (and a table's
derived `table.column.sum`) is steered through a one-row table. Whatever the form still refuses
is settled by the caller, with `filler` for the fields it names.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from builder.flows import BranchStep, Flow
from builder.forms import Field, Form
from rules.conditions import EQ, LOGICAL, ORDERING, REF, condition_fields
from rules.derived import split_name
from rules.ruleset import Ruleset

DATE = "2026-04-01"
_SUM = re.compile(r"\s*sum\((\w+)\.(\w+)\)\s*\Z")


def filler(f: Field, user: str = "li.na", department: str = "rd") -> Any:
    """A value `f` accepts, as a person would enter it."""
    kind = f.type
    if kind in ("number", "money", "percent"):
        low = max(f.min, 1) if f.min is not None else 1
        return min(low, f.max) if f.max is not None else low
    if kind in ("select", "radio"):
        return f.options[0].value
    if kind == "multiselect":
        return [f.options[0].value]
    if kind == "checkbox":
        return True
    if kind == "date":
        return DATE
    if kind == "datetime":
        return f"{DATE}T09:00"
    if kind == "daterange":
        return {"start": DATE, "end": DATE}
    if kind == "email":
        return "someone@example.com"
    if kind == "phone":
        return "13800000000"
    if kind == "user":
        return [user] if f.multiple else user
    if kind == "department":
        return [department] if f.multiple else department
    if kind == "table":
        return [{c.key: filler(c, user, department) for c in f.columns if c.is_input}
                for _ in range(max(f.min_rows, 1))]
    return "x"


def base_submission(form: Form) -> dict[str, Any]:
    """Every required input field filled in."""
    return {f.key: filler(f) for f in form.fields if f.is_input and f.required}


def submissions(flow: Flow, form: Form, rulesets: dict[str, Ruleset]) -> list[dict[str, Any]]:
    """The base submission, then one per witness and per interesting value of every fact the
    flow's branches read, then each witness with each interesting value of another fact (a later
    branch holds only where the earlier ones do not), without repeats."""
    base = base_submission(form)
    types = form.condition_types()
    found: list[dict[str, Any]] = []
    around: list[dict[str, Any]] = []
    for cond in branch_conditions(flow, rulesets):
        found += witnesses(cond, types)
        around += [{name: value} for name in condition_fields(cond)
                   for value in neighbours(name, cond, form, types)]
    changes = [{}, *found, *around, *({**n, **w} for w in found for n in around if not set(n) & set(w))]
    out: list[dict[str, Any]] = []
    for change in changes:
        data = steer(form, {**base}, change)
        if data is not None and data not in out:
            out.append(data)
    return out


def branch_conditions(flow: Flow, rulesets: dict[str, Ruleset]) -> Iterator[dict[str, Any]]:
    for step in flow.walk():
        if isinstance(step, BranchStep) and step.ruleset:
            yield from (row.when for row in rulesets[step.ruleset].rows)
        elif isinstance(step, BranchStep):
            yield from (b.when for b in step.branches if b.when)


def witnesses(cond: dict[str, Any], types: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Changes that make `cond` hold (for `$or`, one per alternative)."""
    ((key, arg),) = cond.items()
    if key == "$or":
        for sub in arg:
            yield from witnesses(sub, types)
        return
    if key == "$and":
        merged: dict[str, Any] = {}
        for sub in arg:
            merged.update(next(witnesses(sub, types), {}))
        yield merged
        return
    op, (field, value) = (key, next(iter(arg.items()))) if key.startswith("$") else (EQ, (key, arg))
    if isinstance(value, dict) and REF in value or op in ("$ex", "$mt"):
        return
    if op == "$nex":
        yield {field: None}
    elif op in ("$in",):
        yield from ({field: item} for item in value)
    elif op in (EQ, "$gte", "$lte"):
        yield {field: value}
    elif op in ("$gt", "$lt"):
        yield {field: _step(value, 1 if op == "$gt" else -1)}
    elif op in ("$ne", "$nin"):
        yield {field: _step(value[0] if isinstance(value, list) else value, 1)}


def neighbours(name: str, cond: dict[str, Any], form: Form, types: dict[str, str]) -> list[Any]:
    """The values around what `cond` compares `name` with: every option, both checkbox states,
    and each compared number or date, one less and one more."""
    f = form.field(name)
    if f is not None and f.options:
        return list(f.option_values())
    if types.get(name) == "checkbox":
        return [True, False]
    values = [v for v in _compared(cond, name) if not isinstance(v, (bool, dict, list))]
    return [x for v in values for x in (_step(v, -1), v, _step(v, 1))]


def steer(form: Form, data: dict[str, Any], change: dict[str, Any]) -> dict[str, Any] | None:
    """`data` with `change` applied as input; None when a changed fact cannot be set by input."""
    for name, value in change.items():
        f = form.field(name)
        target = _summed(form, name)
        if f is not None and f.is_input:
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        elif target is not None and value is not None:
            table, column = target
            row = {c.key: filler(c) for c in table.columns if c.is_input}
            data[table.key] = [{**row, column: value}]
        else:
            return None
    return data


def _summed(form: Form, name: str) -> tuple[Field, str] | None:
    """The table and column whose sum `name` is (a `sum(t.c)` field, or the fact `t.c.sum`)."""
    f = form.field(name)
    match = _SUM.match(f.computed) if f is not None and f.computed else None
    parts = (match.group(1), match.group(2), "sum") if match else split_name(name)
    if parts is None or parts[2] != "sum" or parts[1] is None:
        return None
    table = form.field(parts[0])
    return (table, parts[1]) if table is not None and table.type == "table" else None


def _compared(cond: Any, name: str) -> Iterator[Any]:
    if not isinstance(cond, dict):
        return
    for key, arg in cond.items():
        if key in LOGICAL:
            for sub in arg:
                yield from _compared(sub, name)
        elif key in ORDERING + ("$ne",) and isinstance(arg, dict) and name in arg:
            yield arg[name]
        elif key == name:
            yield arg


def _step(value: Any, by: int) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + by
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return (dt.date.fromisoformat(value) + dt.timedelta(days=by)).isoformat()
    return value + "x" if by > 0 else value

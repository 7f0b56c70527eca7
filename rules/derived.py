"""Derived facts: a table column's sum, min, max and count, named like fields.

Conditions and ruleset inputs can only compare one value with another; "the invoice lines add up to
more than 50,000" needs a value computed from a table first. durable-rules cannot add up a list
(and nothing admins type is `eval`-ed), so these values are computed here, in Decimal arithmetic,
before any condition is judged or any fact is posted. They are spelled as dotted field names, so
the condition language needs no new operator:

    items.count                 rows of the table `items` (number)
    items.amount.sum            sum of the column's filled cells (0 for no rows; the column's type)
    items.amount.min / .max     smallest / largest filled cell (absent for no rows; the column's
                                type: number, money or date)
    items.amount.count          filled cells of the column (number)
    trip.start / trip.end       a date range's ends (date)
    trip.days                   its length in days, both ends counted (number): calendar days, or
                                working days for a range the form counts so (`count_days`)

A table that is absent from the data counts as empty when the field types say it is a table
(`facts_for`); without them (`derive`) only a present list is read. A cell that is not a number
makes the column's sum, min and max unknown: `derive` raises ValueError, `lookup` sees an absent
fact. Sums are exact (0.1 + 0.2 is 0.3) and come back as JSON numbers (int when whole).
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from rules.messages import N_

AGGREGATES = ("sum", "min", "max", "count")
NUMERIC = ("number", "money", "percent")
ORDERED = NUMERIC + ("date",)  # min and max also apply to date columns
TABLE = "table"
DATERANGE = "daterange"
RANGE_FACTS = {"start": "date", "end": "date", "days": "number"}
_MINUTES = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
DayCounter = Callable[[str, _dt.date, _dt.date], int]  # (range field, first, last) → its length in days


def calendar_days(_key: str, first: _dt.date, last: _dt.date) -> int:
    """A range's length in calendar days, both ends counted (1 Dec → 3 Dec is 3)."""
    return (last - first).days + 1


def derived_types(field_types: Mapping[str, str]) -> dict[str, str]:
    """The derived facts a form offers, name → type, from its field types (`Form.field_types()`
    shape: `items` → table, `items.amount` → money)."""
    out: dict[str, str] = {f"{key}.{fact}": kind for key, range_kind in field_types.items()
                           if range_kind == DATERANGE for fact, kind in RANGE_FACTS.items()}
    tables = [key for key, kind in field_types.items() if kind == TABLE]
    for table in tables:
        out[f"{table}.count"] = "number"
        prefix = table + "."
        for name, kind in field_types.items():
            if not name.startswith(prefix) or "." in name[len(prefix):] \
                    or split_name(name) is not None:
                continue  # not a column, or already a derived fact (`items.count`)
            if kind in NUMERIC:
                out[f"{name}.sum"] = kind
            if kind in ORDERED:
                out[f"{name}.min"] = kind
                out[f"{name}.max"] = kind
            out[f"{name}.count"] = "number"
    return out


def condition_types(field_types: Mapping[str, str]) -> dict[str, str]:
    """What a condition may name, and as what type: every field except table columns (a column
    has many values; conditions use its derived facts instead), plus the derived facts.
    Idempotent, and the identity for types without tables (a ruleset's inputs)."""
    tables = {key for key, kind in field_types.items() if kind == TABLE}
    out = {key: kind for key, kind in field_types.items()
           if not _is_column(key, tables) or split_name(key) is not None}
    out.update(derived_types(field_types))
    return out


def _is_column(key: str, tables: set[str]) -> bool:
    table, dot, _ = key.partition(".")
    return bool(dot) and table in tables


def split_name(name: str) -> tuple[str, str | None, str] | None:
    """(table, column or None, aggregate) for a derived fact's name, else None."""
    parts = name.split(".")
    if len(parts) == 2 and parts[1] == "count":
        return parts[0], None, "count"
    if len(parts) == 3 and parts[2] in AGGREGATES:
        return parts[0], parts[1], parts[2]
    return None


def derive(data: Mapping[str, Any], name: str) -> Any:
    """The value of the derived fact `name` in `data`, or None when `name` is not one, the table
    is not a list in `data`, or (min, max) no cell is filled. ValueError for a non-number cell."""
    parts = split_name(name)
    if parts is None:
        return range_fact(data, name)
    table, column, aggregate = parts
    rows = data.get(table)
    if not isinstance(rows, list):
        return None
    return _aggregate(rows, column, aggregate)


def range_fact(data: Mapping[str, Any], name: str, count_days: DayCounter = calendar_days) -> Any:
    """`trip.start`, `trip.end` or `trip.days` of a date range `{"start", "end"}` in `data`, or
    None when `name` is not one or the range is incomplete."""
    key, dot, fact = name.rpartition(".")
    value = data.get(key) if dot and fact in RANGE_FACTS else None
    if not isinstance(value, Mapping):
        return None
    start, end = value.get("start"), value.get("end")
    if not (isinstance(start, str) and isinstance(end, str) and is_iso_date(start)
            and is_iso_date(end)):
        return None
    if fact == "days":
        return count_days(key, _dt.date.fromisoformat(start), _dt.date.fromisoformat(end))
    return start if fact == "start" else end


def facts_for(field_types: Mapping[str, str], data: Mapping[str, Any],
              names: Iterable[str] | None = None, count_days: DayCounter = calendar_days) -> dict[str, Any]:
    """`data` plus its derived facts under their dotted names, ready for `matches` or an
    evaluator. `names` limits which derived facts are computed (default: all the form offers);
    `count_days` gives a date range's length (the form's, which may count working days);
    a fact that cannot be computed (a bad cell, min of no rows) is left out. A datetime field's
    value gains its seconds (`…T09:30` → `…T09:30:00`), the spelling conditions compare with."""
    offered = derived_types(field_types)
    wanted = offered if names is None else [n for n in names if n in offered]
    facts = dict(data)
    for key, kind in field_types.items():  # a form's "YYYY-MM-DDTHH:MM" as conditions spell it
        value = facts.get(key)
        if kind == "datetime" and isinstance(value, str) and _MINUTES.fullmatch(value):
            facts[key] = value + ":00"
    for name in wanted:
        parts = split_name(name)
        if parts is None:
            if (fact := range_fact(data, name, count_days)) is not None:
                facts[name] = fact
            continue
        table, column, aggregate = parts
        rows = data.get(table)
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            continue
        try:
            value = _aggregate(rows, column, aggregate)
        except ValueError:
            continue
        if value is not None:
            facts[name] = value
    return facts


def _aggregate(rows: list[Any], column: str | None, aggregate: str) -> Any:
    if column is None:
        return len(rows)
    cells = [row.get(column) if isinstance(row, Mapping) else None for row in rows]
    filled = [c for c in cells if c is not None and not (isinstance(c, str) and not c.strip())]
    if aggregate == "count":
        return len(filled)
    if filled and all(isinstance(c, str) and is_iso_date(c) for c in filled):
        if aggregate == "sum":
            raise ValueError(N_("dates cannot be added up"))
        return min(filled) if aggregate == "min" else max(filled)
    numbers = [_decimal(c) for c in filled]
    if aggregate == "sum":
        return _plain(sum(numbers, Decimal(0)))
    if not numbers:
        return None
    return _plain(min(numbers) if aggregate == "min" else max(numbers))


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise ValueError(N_("expected a number, got %(type)s", type=type(value).__name__))
    try:
        number = value if isinstance(value, Decimal) else Decimal(
            repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValueError(N_("expected a number, got %(value)s", value=repr(value))) from None
    if not number.is_finite():
        raise ValueError(N_("expected a finite number, got %(value)s", value=repr(value)))
    return number


def _plain(number: Decimal) -> int | float:
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def is_iso_date(text: str) -> bool:
    """`YYYY-MM-DD` and a real date (not 2026-02-30)."""
    if len(text) != 10 or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True

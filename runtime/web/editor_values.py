"""Typed values as the designers show and read them: one place for both editors.

The rule designer's decision table and the form designer's condition builder both turn JSON
values into text for an input and typed text back into JSON values ("8,000" → 8000, "¥1,200.50"
→ 1200.5, "2026/12/1" → "2026-12-01"), and show values for reading (grouped numbers, option
labels, yes/no). Doing it in one module keeps the two editors from disagreeing. Pure functions.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal

from rules.conditions import MAX_NUMBER
from rules.errors import DefinitionError, Problem
from runtime import i18n
from runtime.i18n import N_

_ = i18n.gettext

OP_SYMBOLS = {"$gt": ">", "$gte": "≥", "$lt": "<", "$lte": "≤", "=": "=", "$ne": "≠"}

_SPACES_AND_GROUPING = re.compile(r"[\s,，_]")
_AMOUNT_SIGNS = re.compile(r"\A[¥￥$]|[%％元]\Z")
_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\Z")
_DATETIME_RE = re.compile(r"(.+?)[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?\Z")


def number_text(value: Any) -> str:
    """A number as typed into an input: no grouping, no exponent."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return format(Decimal(str(value)).normalize(), "f") if isinstance(value, float) else str(value)


def raw_value(value: Any) -> str:
    """A JSON value as an input holds it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    return "" if value is None else str(value)


def parse_number(text: str) -> int | float:
    """A typed number ("8,000", " 12.5 ") as int or float; ValueError when it is not one."""
    cleaned = _SPACES_AND_GROUPING.sub("", text)
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise ValueError(text)
    return int(number) if number == number.to_integral_value() else float(number)


def parse_amount(text: str) -> int | float:
    """A typed amount or percentage ("¥5,000", "12.5%", "300元") as a number; ValueError if not."""
    return parse_number(_AMOUNT_SIGNS.sub("", text.strip()).strip())


def parse_date(text: str) -> str:
    """A typed date ("2026-12-01", "2026/12/1", "2026年12月1日") as "YYYY-MM-DD"; ValueError if
    it is not a real date."""
    match = _DATE_RE.match(text.strip())
    if not match:
        raise ValueError(text)
    year, month, day = (int(g) for g in match.groups())
    return dt.date(year, month, day).isoformat()


def parse_datetime(text: str) -> str:
    """A typed moment ("2026-12-01T09:30", "2026/12/1 9:30") as "YYYY-MM-DDTHH:MM:SS"."""
    match = _DATETIME_RE.match(text.strip())
    if not match:
        raise ValueError(text)
    day = dt.date.fromisoformat(parse_date(match.group(1)))
    moment = dt.datetime.combine(day, dt.time(int(match.group(2)), int(match.group(3)),
                                             int(match.group(4) or 0)))
    return moment.isoformat()


def show_value(value: Any, options: Sequence[tuple[str, str]] = ()) -> str:
    """A value for reading: grouped numbers, option labels, yes/no."""
    if isinstance(value, list):
        return ", ".join(show_value(v, options) for v in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, float)):
        try:
            return format_decimal(Decimal(str(value)), locale=i18n.current_locale.get())
        except (InvalidOperation, ValueError):  # beyond what grouping can show (1e+25, inf)
            return number_text(value)
    if options:
        return next((label for v, label in options if v == value), str(value))
    return str(value)


def whole_number(text: str | None, where: str) -> int | None:
    """A posted index or position ("2"); None when empty. A DefinitionError at `where` otherwise."""
    if text in (None, ""):
        return None
    try:
        return int(text)  # type: ignore[arg-type]
    except ValueError:
        raise DefinitionError([Problem(where, N_('must be a whole number, got "%(text)s"',
                                                 text=text))]) from None

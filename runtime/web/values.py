"""How a stored field value reads for a person: the record, timeline diffs and the form's hints.

One function per concern, shared by the record's value templates (`VALUE_TEMPLATES`, keyed by
field type like `forms_view.FIELD_TEMPLATES`) and the timeline, so an amount, a date range or a
picked colleague reads the same everywhere: money with its capitals (大写), percentages with a
%, option labels rather than codes, people and departments by name in the reader's language,
date ranges with their length in days or working days (on the business calendar).
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from builder.fieldtypes import range_days
from builder.forms import Field
from builder.text import localize
from rules.derived import facts_for
from rules.errors import RuleError
from rules.expressions import rmb_upper
from runtime import i18n
from runtime.calendar import BusinessCalendar
from runtime.deadlines import plain_calendar
from runtime.org import Organisation

VALUE_TEMPLATES: dict[str, str] = {
    "money": "partials/values/money.html",
    "table": "partials/values/table.html",
    "attachment": "partials/values/attachment.html",  # the uploads engineer's: list and downloads
}
PLAIN_VALUE = "partials/values/plain.html"  # every other type: `shown` as one line of text
FORMAT_LIMIT = Decimal("1e25")  # beyond, babel runs out of precision (and a 1e999999 spells a million digits)


def value_template(f: Field) -> str:
    return VALUE_TEMPLATES.get(f.type, PLAIN_VALUE)


def capitals(amount: Any) -> str:
    """An amount in Chinese capitals (大写), "" when it is not an amount."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        return ""
    try:
        return rmb_upper(amount)
    except RuleError:
        return ""


def range_length(value: Any, working_days: bool, calendar: BusinessCalendar | None = None) -> str:
    """A date range's length in words: "3 days", or "2 working days" on the business calendar."""
    if not isinstance(value, dict) or not isinstance(value.get("start"), str) \
            or not isinstance(value.get("end"), str):
        return ""
    try:
        if working_days:
            first, last = (_dt.date.fromisoformat(value[k]) for k in ("start", "end"))
            count = (calendar or plain_calendar()).workdays_between(first, last)
            return i18n.ngettext("%(num)d working day", "%(num)d working days", count) % {"num": count}
        count = range_days(value)
    except ValueError:
        return ""
    return i18n.ngettext("%(num)d day", "%(num)d days", count) % {"num": count}


def shown(f: Field | None, value: Any, org: Organisation | None = None,
          calendar: BusinessCalendar | None = None) -> str:
    """`value` of field `f` as one line a person reads (— for empty)."""
    if value is None or value == "" or value == []:
        return "—"
    kind = f.type if f is not None else ""
    locale = i18n.current_locale.get()
    if kind == "money" and _is_number(value):
        return amount(value)
    if kind == "percent" and _is_number(value):
        return f"{number(value)} %"
    if kind == "checkbox":
        return i18n.gettext("Yes") if value else i18n.gettext("No")
    if kind in ("select", "radio", "multiselect") and f is not None:
        return "、".join(option_label(f, v) for v in _listed(value))
    if kind == "user":
        return "、".join(org.name_of(v, locale) if org else str(v) for v in _listed(value))
    if kind == "department":
        return "、".join(department_name(org, v) for v in _listed(value))
    if kind == "datetime" and isinstance(value, str):
        return value.replace("T", " ")
    if kind == "daterange" and isinstance(value, dict) and f is not None:
        length = range_length(value, f.working_days, calendar)
        return f"{value.get('start')} → {value.get('end')} ({length})"
    if kind == "attachment":
        return "、".join(str(v.get("name", "")) if isinstance(v, dict) else str(v) for v in _listed(value))
    if kind == "table" and isinstance(value, list):
        return i18n.ngettext("%(num)d line", "%(num)d lines", len(value)) % {"num": len(value)}
    if _is_number(value):
        return number(value)
    return str(value)


SUMMED_TYPES = ("number", "money")  # a table's columns that get a total under them


def column_totals(f: Field, rows: Any) -> dict[str, Any]:
    """The totals under a table's number and money columns: the same sums conditions and rulesets
    read (`items.amount.sum`), so what the form shows is what the rules see."""
    summed = [c for c in f.columns if c.type in SUMMED_TYPES]
    if f.type != "table" or not summed:
        return {}
    types = {f.key: "table", **{f"{f.key}.{c.key}": c.type for c in f.columns}}
    facts = facts_for(types, {f.key: rows if isinstance(rows, list) else []})
    return {c.key: facts.get(f"{f.key}.{c.key}.sum") for c in summed}


def option_label(f: Field, value: Any) -> str:
    option = next((o for o in f.options if o.value == value), None)
    return (localize(option.label, i18n.current_locale.get()) or str(value)) if option else str(value)


def department_name(org: Organisation | None, key: Any) -> str:
    department = org.departments.get(key) if org is not None and isinstance(key, str) else None
    return localize(department.name, i18n.current_locale.get()) if department else str(key)


def number(value: Any) -> str:
    """A number in the reader's locale (1,234.5); anything odd (infinity, text, a number too
    large to format) as its plain text, since a page must render whatever is stored."""
    return _formatted(value, None)


def amount(value: Any) -> str:
    """An amount of money with two decimals in the reader's locale (1,234.50)."""
    return _formatted(value, "#,##0.00")


def _formatted(value: Any, pattern: str | None) -> str:
    if value is None or value == "":
        return ""
    try:
        exact = Decimal(str(value))
        if exact.is_finite() and abs(exact) < FORMAT_LIMIT:
            return format_decimal(exact, format=pattern, locale=i18n.current_locale.get())
    except (ArithmeticError, ValueError, TypeError):
        pass
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]

"""The expression helper: what a computed field's expression may use, and what is wrong with it.

Process admins do not know the expression language by heart, so the property panel lists what
they may use — the form's fields by kind of value, a table's columns for the aggregates, the
functions `rules.expressions` allows, each with a line of help and an example — as chips that
insert themselves at the cursor. `check_expression` gives the same message saving would give,
because it asks the same validator. Pure functions; `templates/designer/_expression_helper.html`
renders them.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from builder import paths
from builder.text import localize
from builder.validation import form_field_types, validate_form
from rules.expressions import FUNCTIONS, validate_expression
from runtime import i18n
from runtime.i18n import N_, Text
from runtime.web.condition_subjects import in_locale

_ = i18n.gettext

# What each allowed function does, with an example: every name of rules.expressions.FUNCTIONS.
FUNCTION_HELP: dict[str, tuple[Text, str]] = {
    "round": (N_("Rounds a number to a number of decimals (none if not given)."), "round(total * 0.06, 2)"),
    "min": (N_("The smallest of the values given, or of a table column."), "min(items.amount)"),
    "max": (N_("The largest of the values given, or of a table column."), "max(total, 5000)"),
    "abs": (N_("The number without its sign."), "abs(balance)"),
    "sum": (N_("Adds up a table column."), "sum(items.amount)"),
    "count": (N_("The rows of a table, or the filled cells of a column."), "count(items)"),
    "days_between": (N_("The days from the first date to the second."), "days_between(start, end)"),
    "rmb_upper": (N_("An amount in Chinese capitals (大写)."), "rmb_upper(total)"),
}
_GROUPS = (("number", N_("Numbers"), ("number", "money", "percent")),
           ("date", N_("Dates"), ("date", "datetime", "daterange")),
           ("text", N_("Text and choices"), ("text", "textarea", "phone", "email", "select", "radio",
                                             "user", "department")),
           ("other", N_("Other"), ("checkbox", "multiselect")))
_NO_VALUE = ("section", "note", "attachment", "serial")


@dataclass(frozen=True)
class Chip:
    """Something to insert: `before` goes before the cursor (or the selection), `after` after."""

    label: str
    before: str
    after: str = ""
    hint: str = ""  # a line of help (functions), or the field's type


@dataclass(frozen=True)
class ChipGroup:
    key: str
    title: str
    chips: tuple[Chip, ...]


@dataclass(frozen=True)
class ExpressionHelp:
    fields: tuple[ChipGroup, ...]  # by kind of value; tables' columns last, for the aggregates
    functions: tuple[Chip, ...]


def expression_help(form_doc: Any, locale: str, field: str | None = None,
                    table: str | None = None) -> ExpressionHelp:
    """What the expression of `field` (a column of `table` when given) may use, labelled in
    `locale`: a column's expression sees its row's other columns, a field's the form's fields."""
    docs = _fields(form_doc, table)
    with in_locale(locale):
        groups = []
        for key, title, types in _GROUPS:
            chips = tuple(Chip(_label(f, locale), f["key"], hint=f["type"]) for f in docs
                          if f["type"] in types and f["key"] != field)
            if chips:
                groups.append(ChipGroup(key, _(title), chips))
        if table is None:
            columns = tuple(chip for f in docs if f["type"] == "table" for chip in _table_chips(f, locale))
            if columns:
                groups.append(ChipGroup("table", _("Table columns (inside sum, min, max, count)"), columns))
        example = _("Example:")
        functions = tuple(Chip(name, f"{name}(", ")", f"{_(FUNCTION_HELP[name][0])} {example} {FUNCTION_HELP[name][1]}")
                          for name in FUNCTIONS)
        return ExpressionHelp(tuple(groups), functions)


def _fields(form_doc: Any, table: str | None) -> list[dict[str, Any]]:
    fields = form_doc.get("fields") if isinstance(form_doc, dict) else None
    fields = fields if isinstance(fields, list) else []
    if table is not None:
        owner = next((f for f in fields if isinstance(f, dict) and f.get("key") == table), {})
        fields = owner.get("columns") if isinstance(owner.get("columns"), list) else []
    return [f for f in fields if isinstance(f, dict) and isinstance(f.get("key"), str)
            and isinstance(f.get("type"), str) and f["type"] not in _NO_VALUE]


def _table_chips(table: dict[str, Any], locale: str) -> list[Chip]:
    columns = table.get("columns") if isinstance(table.get("columns"), list) else []
    rows = _("rows")
    chips = [Chip(f"{_label(table, locale)} ({rows})", table["key"], hint="table")]
    chips += [Chip(f"{_label(table, locale)}: {_label(c, locale)}", f"{table['key']}.{c['key']}", hint=c["type"])
              for c in columns if isinstance(c, dict) and isinstance(c.get("key"), str)
              and isinstance(c.get("type"), str)]
    return chips


def _label(f: dict[str, Any], locale: str) -> str:
    try:
        text = localize(f.get("label"), locale)
    except (AttributeError, TypeError):
        text = ""
    return text if isinstance(text, str) and text.strip() else f["key"]


def check_expression(expression: str, form_doc: Any, field: str | None = None,
                     table: str | None = None) -> str:
    """What is wrong with `expression` as the computed value of `field` (a column of `table`
    when given), in the words saving the form would use; "" when nothing is. Without `field`
    it is checked against the form's fields alone."""
    if not expression.strip():
        return ""
    where = _computed_path(form_doc, field, table)
    if where is None:
        types = form_field_types(form_doc)
        if table is not None:
            types = {k[len(table) + 1:]: v for k, v in types.items() if k.startswith(table + ".")}
        return "; ".join(i18n.localized(p.message) for p in validate_expression(expression, types, ""))
    doc = copy.deepcopy(form_doc)
    _at(doc, where)["computed"] = expression
    path = _path(where)
    return "; ".join(dict.fromkeys(i18n.localized(p.message) for p in validate_form(doc) if paths.under(p.path, path)))


def _computed_path(form_doc: Any, field: str | None, table: str | None) -> tuple[int, int | None] | None:
    if field is None or not isinstance(form_doc, dict) or not isinstance(form_doc.get("fields"), list):
        return None
    fields = form_doc["fields"]
    owner = table if table is not None else field
    i = next((n for n, f in enumerate(fields) if isinstance(f, dict) and f.get("key") == owner), None)
    if i is None or table is None:
        return None if i is None else (i, None)
    columns = fields[i].get("columns")
    j = next((n for n, c in enumerate(columns) if isinstance(c, dict) and c.get("key") == field), None) \
        if isinstance(columns, list) else None
    return None if j is None else (i, j)


def _at(doc: dict[str, Any], where: tuple[int, int | None]) -> dict[str, Any]:
    i, j = where
    return doc["fields"][i] if j is None else doc["fields"][i]["columns"][j]


def _path(where: tuple[int, int | None]) -> str:
    i, j = where
    path = paths.index("fields", i)
    if j is not None:
        path = paths.index(paths.key(path, "columns"), j)
    return paths.key(path, "computed")

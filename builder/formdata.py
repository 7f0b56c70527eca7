"""Server-side cleaning of submitted form data: the browser is never trusted.

`clean_submission` turns what a person (or a script) posted into data of the declared types,
with an error message per field path (`reason`, `items[1].amount`, `items`). It recomputes every
computed field from the cleaned inputs, so a forged `total` is simply overwritten, and it applies
conditional visibility (`visible_when`): a hidden field's value is dropped and it is not required.
Fields the flow does not ask of this person (`skip`: hidden at the start, say) are neither read
nor required; a value sent for one is refused, since nobody could have typed it.
Then the form's rules run on the settled data: `required_when` (a visible field, or a table
column in every row, is required while its condition holds) and the form's `validations`, whose
message lands on each field they name, or under the key `""` (the form as a whole) when they
name none or only hidden ones. Each key holds one message: the first problem found wins.

Conditions see the derived facts of tables (`items.amount.sum`, `items.count`; an absent table is
empty) and are judged by the reference semantics (`rules.conditions.matches`): form rules never go
through durable-rules, which serves rulesets only.

`form_values_from_pairs` reads HTML form encoding (`items-0-amount=12.5`) into the nested shape
`clean_submission` takes, and `field_name` spells those names for the templates, so the two can
never disagree.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from builder import paths
from builder.fieldtypes import Directory, clean_value, computed_value
from builder.forms import Field, Form, Workdays
from builder.text import localize
from rules.conditions import compared_fields, condition_fields, lookup, matches
from rules.derived import facts_for
from rules.errors import RuleError
from rules.expressions import compute, expression_fields
from rules.messages import N_, reason

_ROW = re.compile(r"(\d{1,6})-(.+)\Z", re.ASCII | re.DOTALL)
_MISSING = object()
NOT_ASKED = N_("cannot be filled in here")
RANGE_ENDS = ("start", "end")


# ---------------------------------------------------------------------------------------------
# Public API


def clean_submission(form: Form, raw: dict[str, Any], *, partial: bool = False, locale: str = "en",
                     skip: frozenset[str] = frozenset(), directory: Directory | None = None,
                     workdays: Workdays | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean `raw` against `form`: (data of the declared types, errors by field path).

    Missing or empty values are left out of the data. With `partial=True` (validation as the
    person types) "required" is reported only for fields present in `raw`, so an untouched form
    shows no errors; every other check is the same. `locale` picks the language of the form's
    own validation messages (admin-typed labels); built-in messages are English, for gettext.
    `skip` names input fields not asked here: left out, never required, refused when sent;
    computed fields are still computed (from what was asked). `directory` (the organisation)
    lets user and department fields be checked against who exists; without it only their shape
    is. `workdays` (the business calendar's) gives the length of a date range counted in working
    days, as conditions on it judge it (calendar days without it). Serial numbers are never read (the runtime assigns them); layout fields hold no value,
    so a value sent for one is refused.
    """
    if not isinstance(raw, dict):
        return {}, {"": "must be an object"}
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in raw:
        if form.field(str(name)) is None:
            errors[str(name)] = N_("unknown field")
        elif name in skip:
            errors[str(name)] = NOT_ASKED
    for f in form.fields:
        if f.is_layout and f.key in raw:
            errors[f.key] = N_("holds no value")
        if not f.is_input or f.key in skip:
            continue
        value = (_clean_table(f, raw, partial, errors) if f.type == "table"
                 else _clean_input(f, raw, f.key, partial, errors, directory))
        if value is not _MISSING:
            data[f.key] = value
    _settle(form, data, errors, workdays)
    if form.validations or any(f.required_when is not None or
                               any(c.required_when is not None for c in f.columns)
                               for f in form.fields):
        _form_rules(form, raw, data, errors, partial, locale, skip, workdays)
    return data, errors


def field_name(field_key: str, row: int | None = None, column: str | None = None,
               end: str | None = None) -> str:
    """The HTML input name of a field (`reason`), of a table cell (`items-0-amount`) or of one
    end of a date range (`trip-start`, with `end="start"`)."""
    if end is not None:
        if end not in RANGE_ENDS:
            raise ValueError(N_('a date range\'s end is "start" or "end"'))
        return f"{field_key}-{end}"
    if row is None and column is None:
        return field_key
    if row is None or column is None or row < 0:
        raise ValueError(N_("a table cell's name needs a row (0 or more) and a column"))
    return f"{field_key}-{row}-{column}"


def form_values_from_pairs(form: Form, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The raw nested dict `clean_submission` takes, from form-encoded `(name, value)` pairs.

    Table cells (`items-1-amount`) become lists of row dicts ordered by row index; a date
    range's ends (`trip-start`, `trip-end`) one {"start", "end"} dict; an empty
    input counts as missing; when a name repeats, the last value wins, except for fields that
    hold several values (`repeats_name`), which keep them all, in order, as a list. Names starting with `_`
    (`_csrf`) are transport, not data, and are skipped; other unknown names are kept so that
    `clean_submission` reports them.
    """
    tables = sorted((f.key for f in form.fields if f.type == "table"), key=len, reverse=True)
    ranges = {f.key for f in form.fields if f.type == "daterange"}
    raw: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, str]]] = {}
    for name, value in pairs:
        if name.startswith("_"):
            continue
        cell = _table_cell(name, tables)
        if cell is not None:
            table, index, column = cell
            row = rows.setdefault(table, {}).setdefault(index, {})
            if value.strip():
                row[column] = value
            else:
                row.pop(column, None)
        elif (end := _range_end(name, ranges)) is not None:
            raw.setdefault(end[0], {})
            if value.strip():
                raw[end[0]][end[1]] = value
        elif (f := form.field(name)) is not None and repeats_name(f):
            values = raw.setdefault(name, [])
            if value.strip():
                values.append(value)
        elif value.strip() or f is None:
            raw[name] = value
        else:
            raw.pop(name, None)
    for table, by_index in rows.items():
        raw[table] = [by_index[i] for i in sorted(by_index)]
    return raw


def _range_end(name: str, ranges: set[str]) -> tuple[str, str] | None:
    key, _, end = name.rpartition("-")
    return (key, end) if key in ranges and end in RANGE_ENDS else None


def repeats_name(f: Field) -> bool:
    """Whether the field's HTML input name repeats, once per chosen value or file."""
    return f.type in ("multiselect", "attachment") or (f.multiple and f.type in ("user", "department"))


# ---------------------------------------------------------------------------------------------
# Inputs


def _table_cell(name: str, tables: list[str]) -> tuple[str, int, str] | None:
    for table in tables:
        if name.startswith(table + "-"):
            match = _ROW.match(name, len(table) + 1)
            if match:
                return table, int(match.group(1)), match.group(2)
    return None


def _is_empty(value: Any) -> bool:
    return (value is None or value == [] or value == {}
            or (isinstance(value, str) and not value.strip()))


def _clean_input(f: Field, source: dict[str, Any], path: str, partial: bool,
                 errors: dict[str, str], directory: Directory | None = None) -> Any:
    """One scalar value from `source[f.key]`, or _MISSING (with an error when it must be there)."""
    if f.type == "checkbox":
        return _clean_checkbox(f, source, path, partial, errors)
    present = f.key in source
    value = source.get(f.key)
    if _is_empty(value):
        if f.required and (present or not partial):
            errors[path] = N_("required")
        return _MISSING
    if partial and f.type == "daterange" and isinstance(value, dict) and len(value) == 1:
        return _MISSING  # one end typed so far: the other is still to come
    try:
        return clean_value(f, value, directory)
    except ValueError as exc:
        errors[path] = reason(exc)
        return _MISSING


_TRUE = ("on", "true", "1", "yes")
_FALSE = ("off", "false", "0", "no", "")


def _clean_checkbox(f: Field, source: dict[str, Any], path: str, partial: bool,
                    errors: dict[str, str]) -> Any:
    """True or False, never missing: an HTML form sends "on" for a ticked box and nothing for an
    unticked one, so absent means False. A required checkbox must be ticked ("I confirm…")."""
    value = source.get(f.key)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        value = value.strip().lower() in _TRUE
    elif value is None:
        value = False
    if not isinstance(value, bool):
        errors[path] = N_("must be true or false")
        return _MISSING
    if f.required and not value and (f.key in source or not partial):
        errors[path] = N_("required")
    return value


def _clean_table(f: Field, raw: dict[str, Any], partial: bool,
                 errors: dict[str, str]) -> Any:
    present = f.key in raw
    value = raw.get(f.key)
    if value is None or value == "":
        value = []
    if not isinstance(value, list):
        errors[f.key] = N_("must be a list of rows")
        return _MISSING
    rows: list[dict[str, Any]] = []
    for position, row in enumerate(value):
        row_path = paths.index(f.key, position)
        if not isinstance(row, dict):
            errors[row_path] = N_("must be an object")
            rows.append({})
            continue
        rows.append(_clean_row(f, row, row_path, partial, errors))
    least = max(f.min_rows, 1 if f.required else 0)
    if len(rows) < least and (present or not partial):
        errors[f.key] = N_("at least %(n)s rows", n=least) if least > 1 else N_("at least 1 row")
    elif f.max_rows is not None and len(rows) > f.max_rows:
        errors[f.key] = N_("at most %(n)s rows", n=f.max_rows) if f.max_rows > 1 else N_("at most %(n)s row", n=f.max_rows)
    return rows if present or rows else _MISSING


def _clean_row(f: Field, row: dict[str, Any], row_path: str, partial: bool,
               errors: dict[str, str]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name in row:
        if f.column(str(name)) is None:
            errors[paths.key(row_path, str(name))] = N_("unknown field")
    for column in f.columns:
        if column.is_computed:
            continue
        value = _clean_input(column, row, paths.key(row_path, column.key), partial, errors)
        if value is not _MISSING:
            clean[column.key] = value
    _compute_all(f.columns, clean, row_path, errors)
    return clean


# ---------------------------------------------------------------------------------------------
# Computed fields and visibility


def _settle(form: Form, data: dict[str, Any], errors: dict[str, str], workdays: Workdays | None) -> None:
    """Compute, then hide what `visible_when` hides, until nothing changes: a computed total
    may show a field, and hiding a field may change a total."""
    if not any(f.visible_when is not None for f in form.fields):
        _compute_all(form.fields, data, "", errors)  # nothing can hide: one pass settles it
        return
    inputs = dict(data)
    hidden: set[str] = set()
    types = form.field_types()
    derived = {name for f in form.fields if f.visible_when is not None  # facts_for keeps the derived ones
               for name in condition_fields(f.visible_when)}
    for _ in range(len(form.fields) + 1):
        data.clear()
        data.update({k: v for k, v in inputs.items() if k not in hidden})
        computed_errors: dict[str, str] = {}
        _compute_all(tuple(f for f in form.fields if f.key not in hidden), data, "",
                     computed_errors)
        facts = facts_for(types, data, derived, form.day_counter(workdays))
        now_hidden = {f.key for f in form.fields
                      if f.visible_when is not None and not _visible(f, facts)}
        if now_hidden == hidden:
            break
        hidden = now_hidden
    errors.update(computed_errors)
    for key in hidden:
        data.pop(key, None)
        for path in [p for p in errors if paths.under(p, key) and errors[p] != "unknown field"]:
            del errors[path]


def _visible(f: Field, facts: dict[str, Any]) -> bool:
    try:
        return bool(matches(f.visible_when, facts))
    except RuleError:
        return True  # a condition that cannot be judged never hides a field's checks


# ---------------------------------------------------------------------------------------------
# Form rules: required_when and validations


def _form_rules(form: Form, raw: dict[str, Any], data: dict[str, Any], errors: dict[str, str],
                partial: bool, locale: str, skip: frozenset[str], workdays: Workdays | None) -> None:
    facts = form.facts(data, workdays)
    visible = {f.key for f in form.fields
               if f.key not in skip and (f.visible_when is None or _visible(f, facts))}
    for f in form.fields:
        if f.key not in visible or f.is_computed:
            continue
        if f.required_when is not None and f.key not in errors and _holds(f.required_when, facts):
            missing = not data.get(f.key) if f.type in ("table", "checkbox") else f.key not in data
            if missing and (f.key in raw or not partial):
                errors[f.key] = N_("at least 1 row") if f.type == "table" else N_("required")
        if f.type == "table":
            _required_cells(f, raw.get(f.key), data.get(f.key), facts, partial, errors)
    for check in form.validations:
        if any(lookup(facts, name) is None for name in compared_fields(check.when)):
            continue  # an empty field: not judged until it is filled in
        try:
            if matches(check.when, facts):
                continue
        except RuleError:
            continue  # validated forms cannot get here; an unjudgeable check blocks nobody
        message = localize(check.message, locale)
        for key in [k for k in check.fields if k in visible] or [""]:
            errors.setdefault(key, message)


def _required_cells(f: Field, raw_rows: Any, rows: Any, facts: dict[str, Any], partial: bool,
                    errors: dict[str, str]) -> None:
    columns = [c for c in f.columns if c.required_when is not None and not c.is_computed
               and _holds(c.required_when, facts)]
    if not columns or not isinstance(rows, list):
        return
    raw_rows = raw_rows if isinstance(raw_rows, list) else []
    for position, row in enumerate(rows):
        raw_row = raw_rows[position] if position < len(raw_rows) else {}
        for c in columns:
            path = paths.key(paths.index(f.key, position), c.key)
            present = isinstance(raw_row, dict) and c.key in raw_row
            if c.key not in row and path not in errors and (present or not partial):
                errors[path] = N_("required")


def _holds(cond: dict[str, Any], facts: dict[str, Any]) -> bool:
    try:
        return bool(matches(cond, facts))
    except RuleError:
        return False  # cannot be judged: asks for nothing


def _compute_all(fields: tuple[Field, ...], data: dict[str, Any], prefix: str,
                 errors: dict[str, str]) -> None:
    """Set every computed field in `data`, inputs first (a computed field may use another)."""
    computed = [f for f in fields if f.is_computed]
    if not computed:
        return
    for f in _in_dependency_order(computed):
        path = paths.key(prefix, f.key)
        data.pop(f.key, None)
        try:
            value = compute(f.computed, data)
            if value is not None:
                data[f.key] = computed_value(f, value)
        except RuleError as exc:
            errors[path] = N_("cannot compute: %(why)s", why=reason(exc))
        except ValueError as exc:
            errors[path] = reason(exc)


def _in_dependency_order(fields: list[Field]) -> list[Field]:
    """Computed fields ordered so each comes after the computed fields it uses (declared order
    otherwise; a loop, which validation refuses, is broken at the first field)."""
    keys = {f.key for f in fields}
    needs: dict[str, set[str]] = {}
    for f in fields:
        try:
            used = expression_fields(f.computed)
        except RuleError:
            used = set()
        needs[f.key] = {n.split(".")[0] for n in used} & keys - {f.key}
    ordered: list[Field] = []
    done: set[str] = set()
    pending = list(fields)
    while pending:
        ready = [f for f in pending if needs[f.key] <= done] or pending[:1]
        for f in ready:
            ordered.append(f)
            done.add(f.key)
            pending.remove(f)
    return ordered

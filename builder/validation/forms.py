"""Validation of form definitions: every problem in a form document, each with its JSON path.

The properties a field may hold are read from `builder.forms.Field` itself; `TYPE_PROPERTIES`
says which field types may carry which of them, and `builder.validation.fieldprops` checks the
values of the type-specific ones.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from builder import paths
from builder.fieldtypes import computed_value
from builder.forms import (CHOICE_TYPES, FIELD_TYPES, NUMERIC_TYPES, SCALAR_TYPES, Field, Form,
                           Option, Validation)
from builder.validation.fieldprops import TYPE_PROPERTIES, type_properties  # noqa: F401 (re-exported)
from builder.validation.common import (check_bool, check_bounds, check_label, check_slug,
                                       check_version, duplicates, is_int, is_number, is_typed,
                                       json_names, required_list, show_value, unknown_keys)
from rules.conditions import condition_fields, validate_condition
from rules.errors import DefinitionError, Problem, RuleError
from rules.expressions import compute, expression_fields, validate_expression
from rules.messages import N_
from rules.words import word

FORM_PROPERTIES = json_names(Form)
FIELD_PROPERTIES = json_names(Field)
OPTION_PROPERTIES = json_names(Option)
VALIDATION_PROPERTIES = json_names(Validation)
MAX_FIELDS = 200  # per form: a long form, still one people can fill in
MAX_COLUMNS = 30  # per table


def validate_form(doc: Any, path: str = "") -> list[Problem]:
    """Every problem in a form definition document, located under `path`."""
    if not isinstance(doc, dict):
        return [Problem(path, N_("must be an object"))]
    out: list[Problem] = []
    unknown_keys(doc, FORM_PROPERTIES, path, out)
    check_slug(doc, "key", path, out, required=True)
    check_version(doc, path, out)
    check_label(doc, "title", path, out)
    check_label(doc, "description", path, out)
    fields = required_list(doc, "fields", path, "a form needs at least one field", out)
    if fields and len(fields) > MAX_FIELDS:  # refused whole: checking each would only cost time
        out.append(Problem(paths.key(path, "fields"), N_("at most %(max_fields)s fields (%(count)s given)",
                                                         max_fields=MAX_FIELDS, count=len(fields))))
    elif fields:
        _fields(fields, paths.key(path, "fields"), out)
    if "validations" in doc:
        _validations(doc["validations"], fields or [], paths.key(path, "validations"), out)
    return out


def parse_form(doc: Any, path: str = "") -> Form:
    """The `Form` a document describes; raises DefinitionError with every problem."""
    problems = validate_form(doc, path)
    if problems:
        raise DefinitionError(problems)
    return Form.from_dict(doc)


def form_field_types(doc: Any) -> dict[str, str]:
    """`Form.field_types()` for a raw form document, skipping what is malformed; lets
    conditions and expressions be checked even while the form itself has problems."""
    types: dict[str, str] = {}
    fields = doc.get("fields") if isinstance(doc, dict) else None
    for f in fields if isinstance(fields, list) else ():
        if not is_typed(f):
            continue
        types.setdefault(f["key"], f["type"])
        columns = f.get("columns")
        if f["type"] == "table" and isinstance(columns, list):
            for c in columns:
                if is_typed(c):
                    types.setdefault(f"{f['key']}.{c['key']}", c["type"])
    return types


def form_options(doc: Any) -> dict[str, tuple[str, ...]]:
    """The option values of each well-formed choice field of a raw form document."""
    found: dict[str, tuple[str, ...]] = {}
    fields = doc.get("fields") if isinstance(doc, dict) else None
    for f in fields if isinstance(fields, list) else ():
        if is_typed(f) and f["type"] in CHOICE_TYPES and isinstance(f.get("options"), list):
            found.setdefault(f["key"], tuple(o["value"] for o in f["options"]
                                             if isinstance(o, dict)
                                             and isinstance(o.get("value"), str)))
    return found


@dataclasses.dataclass(frozen=True)
class _Scope:
    """What the expressions and conditions of one list of fields may refer to. `broken` names
    fields that exist but are malformed: their own problems are reported, so what refers to them
    is not checked again (no "unknown field" cascade)."""

    expression_types: dict[str, str]
    condition_types: dict[str, str]
    options: dict[str, tuple[str, ...]]
    broken: frozenset[str]


def _broken(fields: list[Any], prefix: str = "") -> frozenset[str]:
    """Keys of fields whose type is unknown, with `table.column` for columns of top-level
    tables (`prefix` is set while reading columns)."""
    names: set[str] = set()
    for f in fields:
        if isinstance(f, dict) and isinstance(f.get("key"), str):
            if f.get("type") not in FIELD_TYPES:
                names.add(prefix + f["key"])
            elif f.get("type") == "table" and isinstance(f.get("columns"), list) and not prefix:
                names.update(_broken(f["columns"], f["key"] + "."))
    return frozenset(names)


def _form_scope(fields: list[Any]) -> _Scope:
    form_types = form_field_types({"fields": fields})
    return _Scope(expression_types=form_types, condition_types=form_types,
                  options=form_options({"fields": fields}), broken=_broken(fields))


def _fields(fields: list[Any], fields_path: str, out: list[Problem]) -> None:
    scope = _form_scope(fields)
    for position, f in enumerate(fields):
        where = paths.index(fields_path, position)
        _field(f, where, out, column=False, scope=scope)
        if isinstance(f, dict) and f.get("type") == "table" and isinstance(f.get("columns"), list) \
                and len(f["columns"]) <= MAX_COLUMNS:
            _columns(f["columns"], paths.key(where, "columns"), out, scope)
    duplicates(fields, "key", fields_path, N_("key"), out)
    _computed_cycles(fields, fields_path, out)


def _columns(columns: list[Any], columns_path: str, out: list[Problem], form: _Scope) -> None:
    """A table's columns: expressions see the sibling columns; `required_when` sees the form."""
    scope = _Scope(expression_types={c["key"]: c["type"] for c in columns if is_typed(c)},
                   condition_types=form.condition_types, options=form.options,
                   broken=frozenset(c["key"] for c in columns if isinstance(c, dict)
                                    and isinstance(c.get("key"), str)
                                    and c.get("type") not in FIELD_TYPES) | form.broken)
    for position, c in enumerate(columns):
        _field(c, paths.index(columns_path, position), out, column=True, scope=scope)
    duplicates(columns, "key", columns_path, N_("key"), out)
    _computed_cycles(columns, columns_path, out)


def _refers_to_broken(names: set[str], broken: frozenset[str]) -> bool:
    return any(n in broken for n in names)


def _field(doc: Any, path: str, out: list[Problem], *, column: bool, scope: _Scope) -> None:
    if not isinstance(doc, dict):
        out.append(Problem(path, N_("must be an object")))
        return
    unknown_keys(doc, FIELD_PROPERTIES, path, out)
    check_slug(doc, "key", path, out, required=True)
    kind = doc.get("type")
    if "type" not in doc:
        out.append(Problem(paths.key(path, "type"), N_("missing")))
    elif kind not in FIELD_TYPES:
        out.append(Problem(paths.key(path, "type"), N_("unknown field type %(kind)s", kind=show_value(kind))))
        kind = None
    elif column and kind not in SCALAR_TYPES:
        out.append(Problem(paths.key(path, "type"),
                           N_('a table column must be one of %(scalar_types)s, not "%(kind)s"',
                              scalar_types=", ".join(SCALAR_TYPES), kind=word(kind))))
    for name in ("label", "help", "placeholder"):
        check_label(doc, name, path, out)
    check_bool(doc, "required", path, out)
    if kind is not None:
        type_properties(doc, kind, path, out)
    if kind in CHOICE_TYPES:
        _options(doc, kind, path, out)
    if kind == "table":
        _table(doc, path, out)
    if kind in NUMERIC_TYPES:
        check_bounds(doc, "min", "max", path, out, is_number, N_("a number"))
    if doc.get("computed") is not None:
        _computed(doc, path, out, scope)
    if doc.get("visible_when") is not None:
        where = paths.key(path, "visible_when")
        if column:
            out.append(Problem(where, N_("a table column can't have visible_when; put it on the table")))
        elif not _refers_to_broken(condition_fields(doc["visible_when"]), scope.broken):
            out.extend(validate_condition(doc["visible_when"], scope.condition_types, where,
                                          options=scope.options))
    if doc.get("required_when") is not None:
        _required_when(doc, path, out, scope)


def _required_when(doc: dict[str, Any], path: str, out: list[Problem], scope: _Scope) -> None:
    where = paths.key(path, "required_when")
    if doc.get("required") is True:
        out.append(Problem(where, N_("a field is either required or required_when, not both")))
    elif isinstance(doc.get("computed"), str) and doc["computed"].strip():
        out.append(Problem(where, N_("a computed field can't be required")))
    elif not _refers_to_broken(condition_fields(doc["required_when"]), scope.broken):
        out.extend(validate_condition(doc["required_when"], scope.condition_types, where,
                                      options=scope.options))


def _validations(docs: Any, fields: list[Any], path: str, out: list[Problem]) -> None:
    """The form's cross-field checks, against the form's fields and their derived facts."""
    if not isinstance(docs, list):
        out.append(Problem(path, N_("must be a list")))
        return
    scope = _form_scope(fields)
    keys = {f["key"] for f in fields if isinstance(f, dict) and isinstance(f.get("key"), str)}
    for position, doc in enumerate(docs):
        at = paths.index(path, position)
        if not isinstance(doc, dict):
            out.append(Problem(at, N_("must be an object")))
            continue
        unknown_keys(doc, VALIDATION_PROPERTIES, at, out)
        if "when" not in doc:
            out.append(Problem(paths.key(at, "when"), N_("missing")))
        elif not _refers_to_broken(condition_fields(doc["when"]), scope.broken):
            out.extend(validate_condition(doc["when"], scope.condition_types,
                                          paths.key(at, "when"), options=scope.options))
        message = doc.get("message")
        if "message" not in doc:
            out.append(Problem(paths.key(at, "message"), N_("missing: the text to show when the check fails")))
        elif message == "" or (isinstance(message, dict) and not any(message.values())):
            out.append(Problem(paths.key(at, "message"), N_("must not be empty")))
        else:
            check_label(doc, "message", at, out)
        targets = doc.get("fields", [])
        where = paths.key(at, "fields")
        if not isinstance(targets, list):
            out.append(Problem(where, N_("must be a list of field keys")))
            continue
        for index, key in enumerate(targets):
            if not isinstance(key, str):
                out.append(Problem(paths.index(where, index),
                                   N_("must be a field key, got %(key)s", key=show_value(key))))
            elif key not in keys:
                out.append(Problem(paths.index(where, index), N_('unknown field "%(key)s"', key=key)))


def _options(doc: dict[str, Any], kind: str, path: str, out: list[Problem]) -> None:
    where = paths.key(path, "options")
    options = doc.get("options")
    if not isinstance(options, list) or not options:
        if "options" in doc and not isinstance(options, list):
            out.append(Problem(where, N_("must be a list")))
        else:
            out.append(Problem(where, N_("a %(kind)s field needs at least one option", kind=word(kind))))
        return
    for position, option in enumerate(options):
        at = paths.index(where, position)
        if not isinstance(option, dict):
            out.append(Problem(at, N_("must be an object")))
            continue
        unknown_keys(option, OPTION_PROPERTIES, at, out)
        value = option.get("value")
        if "value" not in option:
            out.append(Problem(paths.key(at, "value"), N_("missing")))
        elif not isinstance(value, str) or not value:
            out.append(Problem(paths.key(at, "value"),
                               N_("must be non-empty text, got %(value)s", value=show_value(value))))
        check_label(option, "label", at, out)
    duplicates(options, "value", where, N_("value"), out)


def _table(doc: dict[str, Any], path: str, out: list[Problem]) -> None:
    where = paths.key(path, "columns")
    columns = doc.get("columns")
    if "columns" in doc and not isinstance(columns, list):
        out.append(Problem(where, N_("must be a list")))
    elif not columns:
        out.append(Problem(where, N_("a table needs at least one column")))
    elif len(columns) > MAX_COLUMNS:
        out.append(Problem(where, N_("at most %(max_columns)s columns (%(count)s given)",
                                     max_columns=MAX_COLUMNS, count=len(columns))))
    check_bounds(doc, "min_rows", "max_rows", path, out,
            lambda v: is_int(v) and v >= 0, N_("a whole number, 0 or more"))


def _computed(doc: dict[str, Any], path: str, out: list[Problem], scope: _Scope) -> None:
    where = paths.key(path, "computed")
    expression = doc["computed"]
    if not isinstance(expression, str) or not expression.strip():
        if expression != "":
            out.append(Problem(where, N_("must be an expression (text)")))
        return
    if doc.get("required") is True:
        out.append(Problem(paths.key(path, "required"), N_("a computed field can't be required")))
    try:
        used = expression_fields(expression)
    except RuleError:
        used = set()
    own = doc.get("key")
    if isinstance(own, str) and any(name.split(".")[0] == own for name in used):
        out.append(Problem(where, N_('a computed field can\'t use itself ("%(own)s")', own=own)))
    if not _refers_to_broken(used, scope.broken):
        problems = validate_expression(expression, scope.expression_types, where)
        out.extend(problems)
        if not problems and not used:
            _constant_result(doc, expression, where, out)


def _constant_result(doc: dict[str, Any], expression: str, where: str, out: list[Problem]) -> None:
    """An expression that reads no field gives the same value on every form: it must fit the
    field (a constant of 1e616 would be "too large" at every start, for everyone)."""
    try:
        field = Field.from_dict({**doc, "computed": expression})
        value = compute(expression, {})
        if value is not None:
            computed_value(field, value)
    except (KeyError, TypeError, AttributeError):
        return  # the field's own problems are reported elsewhere
    except (RuleError, ValueError) as exc:
        out.append(Problem(where, N_("always gives a value the field refuses: %(exc)s", exc=exc)))


def _computed_cycles(fields: list[Any], fields_path: str, out: list[Problem]) -> None:
    """Computed fields may use each other, but not in a loop (a → b → a)."""
    graph: dict[str, set[str]] = {}
    position: dict[str, int] = {}
    for index, f in enumerate(fields):
        if isinstance(f, dict) and isinstance(f.get("key"), str) \
                and isinstance(f.get("computed"), str) and f["computed"].strip():
            try:
                used = expression_fields(f["computed"])
            except RuleError:
                continue
            position.setdefault(f["key"], index)
            graph.setdefault(f["key"], {n.split(".")[0] for n in used} - {f["key"]})
    reported: set[str] = set()
    for start in graph:
        loop = _find_loop(start, graph)
        if loop and start not in reported:
            reported.update(loop[:-1])
            for name in loop[:-1]:
                out.append(Problem(paths.key(paths.index(fields_path, position[name]), "computed"),
                                   N_("computed fields use each other in a loop: %(loop)s",
                                      loop=" → ".join(_rotate(loop, name)))))


def _find_loop(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A path start → … → start through `graph`, if there is one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        node, trail = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return trail + [start]
            if nxt not in visited and nxt in graph:
                visited.add(nxt)
                stack.append((nxt, trail + [nxt]))
    return None


def _rotate(loop: list[str], first: str) -> list[str]:
    ring = loop[:-1]
    at = ring.index(first)
    ring = ring[at:] + ring[:at]
    return ring + [first]


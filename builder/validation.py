"""Validation of form and flow definitions: every problem, each with its JSON path.

The designer, the publisher and the importer all call these, so a person fixing a definition
sees the same messages wherever it came from. The validators accept anything (`Any`: a document
fresh from JSON may be of any shape) and never raise on malformed input; they return the list
of problems, in document order. `parse_form` / `parse_flow` validate and then build the frozen
dataclasses, raising `DefinitionError` with all problems at once.

The properties a document may hold are read from the dataclasses themselves, so a field added to
`Field` or a step kind added to `STEP_KINDS` is accepted here without a second list to update.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

from builder import paths
from builder.deadlines import DECIDING_ACTIONS, ESCALATION_ACTIONS, MAX_AMOUNT, TIME_UNITS
from builder.flows import (APPROVAL_MODES, ASSIGNEE_KINDS, ASSIGNEE_USES, POLICY_CHOICES, STEP_KINDS, Assignee,
                           Branch, Flow, Lane, ProcessMeta, Urgent, step_paths)
from builder.forms import (FIELD_TYPES, NUMERIC_TYPES, SCALAR_TYPES, Field, Form, Option,
                           Validation)
from builder.permissions import permission_problems
from rules.conditions import condition_fields, validate_condition
from rules.derived import is_iso_date
from rules.errors import DefinitionError, Problem, RuleError
from rules.expressions import expression_fields, validate_expression
from rules.ruleset import Ruleset, output_value_problem

SLUG = re.compile(r"[a-z][a-z0-9_-]*\Z")
SLUG_TEXT = "[a-z][a-z0-9_-]*"
MAX_DEPT_LEVELS = 5
PROCESS_LEVELS = ("main", "sub", "operation")

# Which field types may carry which type-specific property.
TYPE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "options": ("select",),
    "columns": ("table",),
    "min_rows": ("table",),
    "max_rows": ("table",),
    "min": NUMERIC_TYPES,
    "max": NUMERIC_TYPES,
    "max_length": ("text", "textarea"),
    "placeholder": SCALAR_TYPES,
    "computed": ("text", "textarea", "number", "money", "date"),
}


def _json_names(cls: type) -> tuple[str, ...]:
    return tuple(f.metadata.get("json", f.name) for f in dataclasses.fields(cls))


FORM_PROPERTIES = _json_names(Form)
FIELD_PROPERTIES = _json_names(Field)
OPTION_PROPERTIES = _json_names(Option)
VALIDATION_PROPERTIES = _json_names(Validation)
FLOW_PROPERTIES = _json_names(Flow)
META_PROPERTIES = _json_names(ProcessMeta)
BRANCH_PROPERTIES = _json_names(Branch)
LANE_PROPERTIES = _json_names(Lane)
ASSIGNEE_PROPERTIES = _json_names(Assignee)
STEP_PROPERTIES: dict[str, tuple[str, ...]] = {
    kind: ("kind",) + _json_names(cls) for kind, cls in STEP_KINDS.items()
}


# ---------------------------------------------------------------------------------------------
# Public API


def validate_form(doc: Any, path: str = "") -> list[Problem]:
    """Every problem in a form definition document, located under `path`."""
    if not isinstance(doc, dict):
        return [Problem(path, "must be an object")]
    out: list[Problem] = []
    _unknown(doc, FORM_PROPERTIES, path, out)
    _slug(doc, "key", path, out, required=True)
    _version(doc, path, out)
    _label(doc, "title", path, out)
    _label(doc, "description", path, out)
    fields = _required_list(doc, "fields", path, "a form needs at least one field", out)
    if fields:
        _fields(fields, paths.key(path, "fields"), out)
    if "validations" in doc:
        _validations(doc["validations"], fields or [], paths.key(path, "validations"), out)
    return out


def validate_flow(doc: Any, *, form: Form | None, rulesets: dict[str, Ruleset],
                  roles: set[str], users: set[str], path: str = "") -> list[Problem]:
    """Every problem in a flow definition document, checked against the form it uses, the
    rulesets it may consult (by key) and the organisation's roles and users."""
    return flow_problems(doc, form_key=form.key if form is not None else None,
                         rulesets=rulesets, known_rulesets=set(rulesets), roles=roles,
                         users=users, path=path,
                         field_types=form.field_types() if form is not None else None)


def parse_form(doc: Any, path: str = "") -> Form:
    """The `Form` a document describes; raises DefinitionError with every problem."""
    problems = validate_form(doc, path)
    if problems:
        raise DefinitionError(problems)
    return Form.from_dict(doc)


def parse_flow(doc: Any, *, form: Form | None, rulesets: dict[str, Ruleset], roles: set[str],
               users: set[str], path: str = "") -> Flow:
    """The `Flow` a document describes; raises DefinitionError with every problem."""
    problems = validate_flow(doc, form=form, rulesets=rulesets, roles=roles, users=users,
                             path=path)
    if problems:
        raise DefinitionError(problems)
    return Flow.from_dict(doc)


def flow_problems(doc: Any, *, form_key: str | None, rulesets: dict[str, Ruleset],
                  known_rulesets: set[str], roles: set[str], users: set[str],
                  path: str = "", field_types: dict[str, str] | None = None) -> list[Problem]:
    """`validate_flow` for callers that know more rulesets by key (`known_rulesets`) than they
    could parse (`rulesets`): the importer, whose broken rulesets are reported on their own
    and must not also be called unknown. Outcomes are checked against parsed rulesets only."""
    if not isinstance(doc, dict):
        return [Problem(path, "must be an object")]
    out: list[Problem] = []
    _unknown(doc, FLOW_PROPERTIES, path, out)
    _slug(doc, "key", path, out, required=True)
    _version(doc, path, out)
    _label(doc, "title", path, out, required=True)
    _label(doc, "description", path, out)
    if _slug(doc, "form", path, out, required=True) and form_key is not None \
            and doc["form"] != form_key:
        out.append(Problem(paths.key(path, "form"),
                           f'the flow uses form "{doc["form"]}" but the form is "{form_key}"'))
    listed = _ruleset_list(doc, path, known_rulesets, out)
    if "meta" in doc:
        _meta(doc["meta"], paths.key(path, "meta"), out)
    if "policies" in doc:
        _policies(doc["policies"], paths.key(path, "policies"), out)
    if "reject_codes" in doc:
        _reject_codes(doc["reject_codes"], paths.key(path, "reject_codes"), out)
    if "start_fields" in doc:
        out.extend(permission_problems(doc["start_fields"], paths.key(path, "start_fields"), field_types))
    context = _FlowContext(field_types=field_types, rulesets=rulesets, known=known_rulesets, listed=listed,
                           roles=set(roles), users=set(users), seen_ids=set())
    steps = _required_list(doc, "steps", path, "a flow needs at least one step", out)
    if steps:
        _steps(steps, paths.key(path, "steps"), context, out)
    if "urgent" in doc:
        _urgent(doc["urgent"], paths.key(path, "urgent"), steps or [], out)
    return out


def form_field_types(doc: Any) -> dict[str, str]:
    """`Form.field_types()` for a raw form document, skipping what is malformed; lets
    conditions and expressions be checked even while the form itself has problems."""
    types: dict[str, str] = {}
    fields = doc.get("fields") if isinstance(doc, dict) else None
    for f in fields if isinstance(fields, list) else ():
        if not _typed(f):
            continue
        types.setdefault(f["key"], f["type"])
        columns = f.get("columns")
        if f["type"] == "table" and isinstance(columns, list):
            for c in columns:
                if _typed(c):
                    types.setdefault(f"{f['key']}.{c['key']}", c["type"])
    return types


def form_options(doc: Any) -> dict[str, tuple[str, ...]]:
    """The option values of each well-formed select field of a raw form document."""
    found: dict[str, tuple[str, ...]] = {}
    fields = doc.get("fields") if isinstance(doc, dict) else None
    for f in fields if isinstance(fields, list) else ():
        if _typed(f) and f["type"] == "select" and isinstance(f.get("options"), list):
            found.setdefault(f["key"], tuple(o["value"] for o in f["options"]
                                             if isinstance(o, dict)
                                             and isinstance(o.get("value"), str)))
    return found


# ---------------------------------------------------------------------------------------------
# Small checks shared by forms and flows


def _unknown(doc: dict[str, Any], allowed: Iterable[str], path: str, out: list[Problem]) -> None:
    allowed = set(allowed)
    for name in doc:
        if name not in allowed:
            out.append(Problem(paths.key(path, str(name)), "unknown key"))


def _slug(doc: dict[str, Any], name: str, path: str, out: list[Problem], *,
          required: bool = False) -> bool:
    """Check `doc[name]` is a slug; True when it is."""
    where = paths.key(path, name)
    if name not in doc:
        if required:
            out.append(Problem(where, "missing"))
        return False
    value = doc[name]
    if not isinstance(value, str) or not SLUG.match(value):
        out.append(Problem(where, f"must be a slug ({SLUG_TEXT}), got {show_value(value)}"))
        return False
    return True


def _version(doc: dict[str, Any], path: str, out: list[Problem]) -> None:
    where = paths.key(path, "version")
    if "version" not in doc:
        out.append(Problem(where, "missing"))
    elif not _is_int(doc["version"]) or doc["version"] < 1:
        out.append(Problem(where, f"must be a positive integer, got {show_value(doc['version'])}"))


def _label(doc: dict[str, Any], name: str, path: str, out: list[Problem], *,
           required: bool = False) -> None:
    where = paths.key(path, name)
    if name not in doc:
        if required:
            out.append(Problem(where, "missing"))
        return
    value = doc[name]
    if isinstance(value, str):
        return
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                       for k, v in value.items()):
        return
    out.append(Problem(where, "must be text or a mapping of locale to text"))


def _bool(doc: dict[str, Any], name: str, path: str, out: list[Problem]) -> None:
    if name in doc and not isinstance(doc[name], bool):
        out.append(Problem(paths.key(path, name), f"must be true or false, got {show_value(doc[name])}"))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _typed(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("key"), str) \
        and doc.get("type") in FIELD_TYPES


def _required_list(doc: dict[str, Any], name: str, path: str, when_empty: str,
                   out: list[Problem]) -> list[Any] | None:
    """`doc[name]` when it is a non-empty list; otherwise the problem with it goes to `out`."""
    value, where = doc.get(name), paths.key(path, name)
    if name not in doc:
        out.append(Problem(where, "missing"))
    elif not isinstance(value, list):
        out.append(Problem(where, "must be a list"))
    elif not value:
        out.append(Problem(where, when_empty))
    else:
        return value
    return None


def show_value(value: Any) -> str:
    """A JSON value as a problem message names it: `"cfo"`, `12`, `true`, `an object`."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


def _duplicates(items: list[Any], name: str, list_path: str, what: str,
                out: list[Problem]) -> None:
    """Report every item after the first whose `name` repeats an earlier one."""
    seen: set[Any] = set()
    for position, item in enumerate(items):
        value = item.get(name) if isinstance(item, dict) else None
        if not isinstance(value, str):
            continue
        if value in seen:
            out.append(Problem(paths.key(paths.index(list_path, position), name),
                               f'duplicate {what} "{value}"'))
        seen.add(value)


# ---------------------------------------------------------------------------------------------
# Forms


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
        if isinstance(f, dict) and f.get("type") == "table" and isinstance(f.get("columns"), list):
            _columns(f["columns"], paths.key(where, "columns"), out, scope)
    _duplicates(fields, "key", fields_path, "key", out)
    _computed_cycles(fields, fields_path, out)


def _columns(columns: list[Any], columns_path: str, out: list[Problem], form: _Scope) -> None:
    """A table's columns: expressions see the sibling columns; `required_when` sees the form."""
    scope = _Scope(expression_types={c["key"]: c["type"] for c in columns if _typed(c)},
                   condition_types=form.condition_types, options=form.options,
                   broken=frozenset(c["key"] for c in columns if isinstance(c, dict)
                                    and isinstance(c.get("key"), str)
                                    and c.get("type") not in FIELD_TYPES) | form.broken)
    for position, c in enumerate(columns):
        _field(c, paths.index(columns_path, position), out, column=True, scope=scope)
    _duplicates(columns, "key", columns_path, "key", out)
    _computed_cycles(columns, columns_path, out)


def _refers_to_broken(names: set[str], broken: frozenset[str]) -> bool:
    return any(n in broken for n in names)


def _field(doc: Any, path: str, out: list[Problem], *, column: bool, scope: _Scope) -> None:
    if not isinstance(doc, dict):
        out.append(Problem(path, "must be an object"))
        return
    _unknown(doc, FIELD_PROPERTIES, path, out)
    _slug(doc, "key", path, out, required=True)
    kind = doc.get("type")
    if "type" not in doc:
        out.append(Problem(paths.key(path, "type"), "missing"))
    elif kind not in FIELD_TYPES:
        out.append(Problem(paths.key(path, "type"), f"unknown field type {show_value(kind)}"))
        kind = None
    elif column and kind not in SCALAR_TYPES:
        out.append(Problem(paths.key(path, "type"),
                           f'a table column must be one of {", ".join(SCALAR_TYPES)}, '
                           f'not "{kind}"'))
    for name in ("label", "help", "placeholder"):
        _label(doc, name, path, out)
    _bool(doc, "required", path, out)
    if kind is not None:
        _type_properties(doc, kind, path, out)
    if kind == "select":
        _options(doc, path, out)
    if kind == "table":
        _table(doc, path, out)
    if kind in NUMERIC_TYPES:
        _bounds(doc, "min", "max", path, out, _is_number, "a number")
    if kind in ("text", "textarea") and "max_length" in doc:
        value = doc["max_length"]
        if not _is_int(value) or value < 1:
            out.append(Problem(paths.key(path, "max_length"),
                               f"must be a positive integer, got {show_value(value)}"))
    if doc.get("computed") is not None:
        _computed(doc, path, out, scope)
    if doc.get("visible_when") is not None:
        where = paths.key(path, "visible_when")
        if column:
            out.append(Problem(where, "a table column can't have visible_when; "
                                      "put it on the table"))
        elif not _refers_to_broken(condition_fields(doc["visible_when"]), scope.broken):
            out.extend(validate_condition(doc["visible_when"], scope.condition_types, where,
                                          options=scope.options))
    if doc.get("required_when") is not None:
        _required_when(doc, path, out, scope)


def _required_when(doc: dict[str, Any], path: str, out: list[Problem], scope: _Scope) -> None:
    where = paths.key(path, "required_when")
    if doc.get("required") is True:
        out.append(Problem(where, "a field is either required or required_when, not both"))
    elif isinstance(doc.get("computed"), str) and doc["computed"].strip():
        out.append(Problem(where, "a computed field can't be required"))
    elif not _refers_to_broken(condition_fields(doc["required_when"]), scope.broken):
        out.extend(validate_condition(doc["required_when"], scope.condition_types, where,
                                      options=scope.options))


def _validations(docs: Any, fields: list[Any], path: str, out: list[Problem]) -> None:
    """The form's cross-field checks, against the form's fields and their derived facts."""
    if not isinstance(docs, list):
        out.append(Problem(path, "must be a list"))
        return
    scope = _form_scope(fields)
    keys = {f["key"] for f in fields if isinstance(f, dict) and isinstance(f.get("key"), str)}
    for position, doc in enumerate(docs):
        at = paths.index(path, position)
        if not isinstance(doc, dict):
            out.append(Problem(at, "must be an object"))
            continue
        _unknown(doc, VALIDATION_PROPERTIES, at, out)
        if "when" not in doc:
            out.append(Problem(paths.key(at, "when"), "missing"))
        elif not _refers_to_broken(condition_fields(doc["when"]), scope.broken):
            out.extend(validate_condition(doc["when"], scope.condition_types,
                                          paths.key(at, "when"), options=scope.options))
        message = doc.get("message")
        if "message" not in doc:
            out.append(Problem(paths.key(at, "message"), "missing: the text to show when the "
                                                         "check fails"))
        elif message == "" or (isinstance(message, dict) and not any(message.values())):
            out.append(Problem(paths.key(at, "message"), "must not be empty"))
        else:
            _label(doc, "message", at, out)
        targets = doc.get("fields", [])
        where = paths.key(at, "fields")
        if not isinstance(targets, list):
            out.append(Problem(where, "must be a list of field keys"))
            continue
        for index, key in enumerate(targets):
            if not isinstance(key, str):
                out.append(Problem(paths.index(where, index),
                                   f"must be a field key, got {show_value(key)}"))
            elif key not in keys:
                out.append(Problem(paths.index(where, index), f'unknown field "{key}"'))


def _type_properties(doc: dict[str, Any], kind: str, path: str, out: list[Problem]) -> None:
    for name, kinds in TYPE_PROPERTIES.items():
        if name in doc and kind not in kinds:
            where = paths.key(path, name)
            out.append(Problem(where, f'a {kind} field can\'t have {name} '
                                      f'(only {", ".join(kinds)})'))


def _options(doc: dict[str, Any], path: str, out: list[Problem]) -> None:
    where = paths.key(path, "options")
    options = doc.get("options")
    if not isinstance(options, list) or not options:
        if "options" in doc and not isinstance(options, list):
            out.append(Problem(where, "must be a list"))
        else:
            out.append(Problem(where, "a select field needs at least one option"))
        return
    for position, option in enumerate(options):
        at = paths.index(where, position)
        if not isinstance(option, dict):
            out.append(Problem(at, "must be an object"))
            continue
        _unknown(option, OPTION_PROPERTIES, at, out)
        value = option.get("value")
        if "value" not in option:
            out.append(Problem(paths.key(at, "value"), "missing"))
        elif not isinstance(value, str) or not value:
            out.append(Problem(paths.key(at, "value"),
                               f"must be non-empty text, got {show_value(value)}"))
        _label(option, "label", at, out)
    _duplicates(options, "value", where, "value", out)


def _table(doc: dict[str, Any], path: str, out: list[Problem]) -> None:
    where = paths.key(path, "columns")
    columns = doc.get("columns")
    if "columns" in doc and not isinstance(columns, list):
        out.append(Problem(where, "must be a list"))
    elif not columns:
        out.append(Problem(where, "a table needs at least one column"))
    _bounds(doc, "min_rows", "max_rows", path, out,
            lambda v: _is_int(v) and v >= 0, "a whole number, 0 or more")


def _bounds(doc: dict[str, Any], low: str, high: str, path: str, out: list[Problem],
            valid: Callable[[Any], bool], wanted: str) -> None:
    ok = True
    for name in (low, high):
        if name in doc and doc[name] is not None and not valid(doc[name]):
            out.append(Problem(paths.key(path, name), f"must be {wanted}, got {show_value(doc[name])}"))
            ok = False
    if ok and doc.get(low) is not None and doc.get(high) is not None and doc[low] > doc[high]:
        out.append(Problem(paths.key(path, low),
                           f"{low} {show_value(doc[low])} is greater than {high} {show_value(doc[high])}"))


def _computed(doc: dict[str, Any], path: str, out: list[Problem], scope: _Scope) -> None:
    where = paths.key(path, "computed")
    expression = doc["computed"]
    if not isinstance(expression, str) or not expression.strip():
        if expression != "":
            out.append(Problem(where, "must be an expression (text)"))
        return
    if doc.get("required") is True:
        out.append(Problem(paths.key(path, "required"), "a computed field can't be required"))
    try:
        used = expression_fields(expression)
    except RuleError:
        used = set()
    own = doc.get("key")
    if isinstance(own, str) and any(name.split(".")[0] == own for name in used):
        out.append(Problem(where, f'a computed field can\'t use itself ("{own}")'))
    if not _refers_to_broken(used, scope.broken):
        out.extend(validate_expression(expression, scope.expression_types, where))


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
                                   "computed fields use each other in a loop: "
                                   + " → ".join(_rotate(loop, name))))


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


# ---------------------------------------------------------------------------------------------
# Flows


@dataclasses.dataclass
class _FlowContext:
    field_types: dict[str, str] | None
    rulesets: dict[str, Ruleset]
    known: set[str]
    listed: set[str]
    roles: set[str]
    users: set[str]
    seen_ids: set[str]


def _ruleset_list(doc: dict[str, Any], path: str, known: set[str],
                  out: list[Problem]) -> set[str]:
    where = paths.key(path, "rulesets")
    listed = doc.get("rulesets", [])
    if not isinstance(listed, list):
        out.append(Problem(where, "must be a list"))
        return set()
    keys: set[str] = set()
    for position, name in enumerate(listed):
        at = paths.index(where, position)
        if not isinstance(name, str):
            out.append(Problem(at, f"must be a ruleset key, got {show_value(name)}"))
        elif name in keys:
            out.append(Problem(at, f'duplicate ruleset "{name}"'))
        elif name not in known:
            out.append(Problem(at, f'unknown ruleset "{name}"'))
        if isinstance(name, str):
            keys.add(name)
    return keys


def _reject_codes(codes: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(codes, list):
        out.append(Problem(path, "must be a list of {value, label}"))
        return
    for position, code in enumerate(codes):
        where = paths.index(path, position)
        if not isinstance(code, dict) or not isinstance(code.get("value"), str) or not code["value"]:
            out.append(Problem(where, "must be an object with a text value and a label"))
        else:
            _unknown(code, ("value", "label"), where, out)
            _label(code, "label", where, out)
    _duplicates(codes, "value", path, "value", out)


def _policies(policies: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(policies, dict):
        out.append(Problem(path, "must be an object"))
        return
    _unknown(policies, tuple(POLICY_CHOICES), path, out)
    for name, choices in POLICY_CHOICES.items():
        chosen = policies.get(name, choices[0])
        if chosen not in choices:
            out.append(Problem(paths.key(path, name),
                               f'unknown policy {show_value(chosen)} (one of {", ".join(choices)})'))


def _urgent(urgent: Any, path: str, steps: list[Any], out: list[Problem]) -> None:
    """The green channel: its execution step must be a task step on the main path (reached
    whichever branches an instance takes) with at least one step before it to skip."""
    if not isinstance(urgent, dict):
        out.append(Problem(path, "must be an object"))
        return
    _unknown(urgent, _json_names(Urgent), path, out)
    for name in ("allowed", "deadline", "execution"):
        if name not in urgent:
            out.append(Problem(paths.key(path, name), "missing"))
    _bool(urgent, "allowed", path, out)
    if "deadline" in urgent:
        _duration(urgent["deadline"], paths.key(path, "deadline"), out)
    if "execution" not in urgent:
        return
    where, execution = paths.key(path, "execution"), urgent["execution"]
    main = {s["id"]: (index, s.get("kind")) for index, s in reversed(list(enumerate(steps)))
            if isinstance(s, dict) and isinstance(s.get("id"), str)}
    if not isinstance(execution, str):
        out.append(Problem(where, f"must be a step id, got {show_value(execution)}"))
    elif execution not in main:
        nested = any(step.get("id") == execution for _, step in step_paths(steps, ""))
        out.append(Problem(where, f'step "{execution}" is inside a branch: the execution step must be on the main path'
                           if nested else f'unknown step "{execution}"'))
    elif (kind := main[execution][1]) != "task":
        if isinstance(kind, str) and kind in STEP_KINDS:  # an unknown kind is reported at the step
            out.append(Problem(where, f'step "{execution}" is {"an" if kind[0] in "aeiou" else "a"} {kind} step: '
                                      "the execution step must be a task step"))
    elif main[execution][0] == 0:
        out.append(Problem(where, f'step "{execution}" is the first step: an urgent start would skip nothing'))
    else:
        valid_before = [s for s in steps[:main[execution][0]] if isinstance(s, dict)]
        for _, before in step_paths(valid_before, ""):
            if before.get("kind") in ("parallel", "subflow"):
                out.append(Problem(where, f'step "{before.get("id")}" before it is a {before["kind"]} step, '
                                          "which an urgent start cannot skip past"))


def _meta(meta: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(meta, dict):
        out.append(Problem(path, "must be an object"))
        return
    _unknown(meta, META_PROPERTIES, path, out)
    for f in dataclasses.fields(ProcessMeta):
        if f.name not in meta:
            continue
        value, where = meta[f.name], paths.key(path, f.name)
        if f.type == "Label":
            _label(meta, f.name, path, out)
        elif f.type.startswith("tuple"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                out.append(Problem(where, "must be a list of text"))
        elif not isinstance(value, str):
            out.append(Problem(where, f"must be text, got {show_value(value)}"))
    level = meta.get("level")
    if isinstance(level, str) and level and level not in PROCESS_LEVELS:
        out.append(Problem(paths.key(path, "level"),
                           f'unknown level "{level}" (one of {", ".join(PROCESS_LEVELS)})'))
    effective = meta.get("effective_date")
    if isinstance(effective, str) and effective and not is_iso_date(effective):
        out.append(Problem(paths.key(path, "effective_date"),
                           f'must be a date (YYYY-MM-DD), got "{effective}"'))


def _steps(steps: Any, path: str, context: _FlowContext, out: list[Problem]) -> None:
    if not isinstance(steps, list):
        out.append(Problem(path, "must be a list"))
        return
    for position, step in enumerate(steps):
        _step(step, paths.index(path, position), context, out)


def _step(doc: Any, path: str, context: _FlowContext, out: list[Problem]) -> None:
    if not isinstance(doc, dict):
        out.append(Problem(path, "must be an object"))
        return
    if _slug(doc, "id", path, out, required=True):
        if doc["id"] in context.seen_ids:
            out.append(Problem(paths.key(path, "id"), f'duplicate step id "{doc["id"]}"'))
        context.seen_ids.add(doc["id"])
    _label(doc, "title", path, out)
    _label(doc, "description", path, out)
    kind = doc.get("kind")
    if "kind" not in doc:
        out.append(Problem(paths.key(path, "kind"), "missing"))
        return
    if not isinstance(kind, str) or kind not in STEP_KINDS:
        out.append(Problem(paths.key(path, "kind"),
                           f'unknown step kind {show_value(kind)} (one of {", ".join(STEP_KINDS)})'))
        return
    _unknown(doc, STEP_PROPERTIES[kind], path, out)
    if "assignee" in STEP_PROPERTIES[kind]:
        where = paths.key(path, "assignee")
        if "assignee" not in doc:
            out.append(Problem(where, f"missing: {'an' if kind[0] in 'aeiou' else 'a'} {kind} step needs an assignee"))
        else:
            _assignee(doc["assignee"], where, context, out)
    if "mode" in doc and "mode" in STEP_PROPERTIES[kind] and doc["mode"] not in APPROVAL_MODES:
        out.append(Problem(paths.key(path, "mode"), f'unknown mode {show_value(doc["mode"])} '
                                                    f'(one of {", ".join(APPROVAL_MODES)})'))
    if "fields" in doc and "fields" in STEP_PROPERTIES[kind]:
        out.extend(permission_problems(doc["fields"], paths.key(path, "fields"), context.field_types))
    if "deadline" in STEP_PROPERTIES[kind]:
        _timing(doc, path, kind, out)
    if kind == "branch":
        _branch_step(doc, path, context, out)
    elif kind == "parallel":
        _parallel_step(doc, path, context, out)
    elif kind == "subflow":
        _subflow_step(doc, path, context, out)


def _assignee(doc: Any, path: str, context: _FlowContext, out: list[Problem]) -> None:
    if not isinstance(doc, dict):
        out.append(Problem(path, "must be an object"))
        return
    _unknown(doc, ASSIGNEE_PROPERTIES, path, out)
    kind = doc.get("kind")
    if "kind" not in doc:
        out.append(Problem(paths.key(path, "kind"), "missing"))
        return
    if kind not in ASSIGNEE_KINDS:
        out.append(Problem(paths.key(path, "kind"), f'unknown assignee kind {show_value(kind)} '
                                                    f'(one of {", ".join(ASSIGNEE_KINDS)})'))
        return
    uses = ASSIGNEE_USES[kind]
    for name in uses:
        where = paths.key(path, name)
        value = doc.get(name)
        if name == "levels":
            levels = doc.get("levels", 1)
            if not _is_int(levels) or not 1 <= levels <= MAX_DEPT_LEVELS:
                out.append(Problem(where, f"must be a whole number from 1 to {MAX_DEPT_LEVELS}, "
                                          f"got {show_value(levels)}"))
        elif name not in doc:
            out.append(Problem(where, f'missing: a "{kind}" assignee names a {name}'))
        elif not isinstance(value, str):
            out.append(Problem(where, f"must be a {name} key, got {show_value(value)}"))
        else:
            problem = _assignee_reference(name, value, doc, context)
            if problem:
                out.append(Problem(where, problem))
    for name in ASSIGNEE_PROPERTIES:
        if name not in uses and name != "kind" and name in doc:
            out.append(Problem(paths.key(path, name), f'not used by a "{kind}" assignee'))


def _assignee_reference(name: str, value: str, doc: dict[str, Any], context: _FlowContext) -> str:
    """What is wrong with the user, role, field, ruleset or output an assignee names, if anything."""
    if name == "user" and value not in context.users:
        return f'unknown user "{value}"'
    if name == "role" and value not in context.roles:
        return f'unknown role "{value}"'
    if name == "field" and context.field_types is not None:
        kind = context.field_types.get(value)
        if kind is None:
            return f'unknown field "{value}"'
        if kind not in ("text", "select"):
            return f'field "{value}" is a {kind}; a user or department is chosen in a text or select field'
    if name == "ruleset":
        if value not in context.known:
            return f'unknown ruleset "{value}"'
        if value not in context.listed:
            return f'ruleset "{value}" is not listed in the flow\'s rulesets'
    if name == "output" and isinstance(doc.get("ruleset"), str) and doc["ruleset"] in context.rulesets:
        ruleset = context.rulesets[doc["ruleset"]]
        if ruleset.output(value) is None:
            names = ", ".join(o.key for o in ruleset.outputs) or "none"
            return f'"{value}" is not an output of ruleset "{ruleset.key}" (outputs: {names})'
    return ""


def _branch_step(doc: dict[str, Any], path: str, context: _FlowContext,
                 out: list[Problem]) -> None:
    where = paths.key(path, "ruleset")
    name = doc.get("ruleset")
    ruleset: Ruleset | None = None
    if "ruleset" not in doc:
        pass  # each branch carries its own condition
    elif not isinstance(name, str):
        out.append(Problem(where, f"must be a ruleset key, got {show_value(name)}"))
    elif name not in context.known:
        out.append(Problem(where, f'unknown ruleset "{name}"'))
    elif name not in context.listed:
        out.append(Problem(where, f'ruleset "{name}" is not listed in the flow\'s rulesets'))
    else:
        ruleset = context.rulesets.get(name)
    branches_path = paths.key(path, "branches")
    branches = doc.get("branches")
    if not isinstance(branches, list) or not branches:
        out.append(Problem(branches_path, "must be a list" if "branches" in doc
                           and not isinstance(branches, list)
                           else "a branch step needs at least one branch"))
        branches = branches if isinstance(branches, list) else []
    for position, branch in enumerate(branches):
        _branch(branch, paths.index(branches_path, position), ruleset, "ruleset" in doc, context, out)
    if "else" in doc:
        _steps(doc["else"], paths.key(path, "else"), context, out)


def _parallel_step(doc: dict[str, Any], path: str, context: _FlowContext, out: list[Problem]) -> None:
    where = paths.key(path, "branches")
    lanes = doc.get("branches")
    if not isinstance(lanes, list) or len(lanes) < 2:
        out.append(Problem(where, "a parallel step needs a list of at least two branches"))
        return
    for position, lane in enumerate(lanes):
        at = paths.index(where, position)
        if not isinstance(lane, dict):
            out.append(Problem(at, "must be an object"))
            continue
        _unknown(lane, LANE_PROPERTIES, at, out)
        _label(lane, "label", at, out)
        if not isinstance(lane.get("steps"), list) or not lane["steps"]:
            out.append(Problem(paths.key(at, "steps"), "each parallel branch needs at least one step"))
        else:
            _steps(lane["steps"], paths.key(at, "steps"), context, out)


def _subflow_step(doc: dict[str, Any], path: str, context: _FlowContext, out: list[Problem]) -> None:
    _slug(doc, "process", path, out, required=True)
    inputs = doc.get("inputs", {})
    where = paths.key(path, "inputs")
    if not isinstance(inputs, dict):
        out.append(Problem(where, 'must map the sub-process\'s fields to this form\'s, e.g. {"amount": "total"}'))
        return
    for child, parent in inputs.items():
        if not isinstance(parent, str):
            out.append(Problem(paths.key(where, child), f"must be a field key, got {show_value(parent)}"))
        elif context.field_types is not None and parent not in context.field_types:
            out.append(Problem(paths.key(where, child), f'unknown field "{parent}"'))


def _branch(doc: Any, path: str, ruleset: Ruleset | None, by_ruleset: bool,
            context: _FlowContext, out: list[Problem]) -> None:
    if not isinstance(doc, dict):
        out.append(Problem(path, "must be an object"))
        return
    _unknown(doc, BRANCH_PROPERTIES, path, out)
    _label(doc, "label", path, out)
    if not by_ruleset:
        _branch_condition(doc, path, context, out)
    elif "when" in doc:
        out.append(Problem(paths.key(path, "when"),
                           "this step's ruleset picks the branch: match its outcome instead"))
    where = paths.key(path, "outcome")
    outcome = doc.get("outcome")
    if not by_ruleset:
        pass
    elif not isinstance(outcome, dict) or not outcome:
        out.append(Problem(where, "must be an object" if "outcome" in doc
                           and not isinstance(outcome, dict)
                           else "a branch needs an outcome to match, e.g. {\"tier\": \"vp\"}"))
    elif ruleset is not None:
        _outcome(outcome, where, ruleset, out)
    if "steps" in doc:
        _steps(doc["steps"], paths.key(path, "steps"), context, out)


def _branch_condition(doc: dict[str, Any], path: str, context: _FlowContext,
                      out: list[Problem]) -> None:
    where = paths.key(path, "when")
    if "outcome" in doc:
        out.append(Problem(paths.key(path, "outcome"),
                           "only a branch step that consults a ruleset matches outcomes; give this branch a condition (when)"))
    if "when" not in doc:
        out.append(Problem(where, 'missing: the condition that takes this branch, e.g. {"$gt": {"total": 5000}}'))
    else:
        out.extend(validate_condition(doc["when"], context.field_types, where))


def _outcome(outcome: dict[str, Any], path: str, ruleset: Ruleset, out: list[Problem]) -> None:
    for name, value in outcome.items():
        where = paths.key(path, str(name))
        output = ruleset.output(name)
        if output is None:
            names = ", ".join(o.key for o in ruleset.outputs) or "none"
            out.append(Problem(where, f'"{name}" is not an output of ruleset "{ruleset.key}" '
                                      f'(outputs: {names})'))
            continue
        problem = output_value_problem(output, value)
        if problem:
            out.append(Problem(where, f'{problem} (output "{name}" of ruleset "{ruleset.key}")'))


def _timing(doc: dict[str, Any], path: str, kind: str, out: list[Problem]) -> None:
    """A human step's `deadline` and `escalation` ladder (builder.deadlines).

    The rung that decides (auto_approve / auto_reject) ends the task, so it comes last, and only an
    approval can be decided. Rungs in the same unit must climb; hours against days depend on the
    calendar's working day, so they are not compared here."""
    if "deadline" in doc:
        _duration(doc["deadline"], paths.key(path, "deadline"), out)
    if "escalation" not in doc:
        return
    ladder, where = doc["escalation"], paths.key(path, "escalation")
    if not isinstance(ladder, list):
        out.append(Problem(where, "must be a list of rungs, each {after, action}"))
        return
    last: dict[str, int] = {}  # unit -> the latest amount so far in that unit
    for position, rung in enumerate(ladder):
        at = paths.index(where, position)
        if not isinstance(rung, dict):
            out.append(Problem(at, "must be an object with after and action"))
            continue
        _unknown(rung, ("after", "action"), at, out)
        if "after" not in rung:
            out.append(Problem(paths.key(at, "after"), "missing: how long after the task was created"))
        elif (after := _duration(rung["after"], paths.key(at, "after"), out)) is not None:
            amount, unit = after
            if unit in last and amount <= last[unit]:
                out.append(Problem(paths.key(at, "after"),
                                   f"must be later than the rung before it ({last[unit]} {unit})"))
            last[unit] = max(amount, last.get(unit, 0))
        action, action_at = rung.get("action"), paths.key(at, "action")
        if "action" not in rung:
            out.append(Problem(action_at, f'missing: one of {", ".join(ESCALATION_ACTIONS)}'))
        elif not isinstance(action, str) or action not in ESCALATION_ACTIONS:
            out.append(Problem(action_at, f"unknown action {show_value(action)} "
                                          f'(one of {", ".join(ESCALATION_ACTIONS)})'))
        elif action in DECIDING_ACTIONS and kind != "approval":
            out.append(Problem(action_at, f'a {kind} step is completed, not decided: {action} needs an approval step'))
        elif action in DECIDING_ACTIONS and position != len(ladder) - 1:
            out.append(Problem(action_at, f"{action} ends the task, so it must be the last rung"))


def _duration(doc: Any, path: str, out: list[Problem]) -> tuple[int, str] | None:
    """An amount of working time {"amount": n, "unit": "hours"|"days"}; (amount, unit) when valid."""
    if not isinstance(doc, dict):
        out.append(Problem(path, f'must be {{"amount": n, "unit": "hours" or "days"}}, got {show_value(doc)}'))
        return None
    _unknown(doc, ("amount", "unit"), path, out)
    amount, unit = doc.get("amount"), doc.get("unit")
    valid = True
    if "amount" not in doc:
        out.append(Problem(paths.key(path, "amount"), "missing"))
        valid = False
    elif not _is_int(amount) or not 1 <= amount <= MAX_AMOUNT:
        out.append(Problem(paths.key(path, "amount"),
                           f"must be a whole number from 1 to {MAX_AMOUNT}, got {show_value(amount)}"))
        valid = False
    if "unit" not in doc:
        out.append(Problem(paths.key(path, "unit"), f'missing: {" or ".join(TIME_UNITS)}'))
        valid = False
    elif unit not in TIME_UNITS:
        out.append(Problem(paths.key(path, "unit"),
                           f'unknown unit {show_value(unit)} (one of {", ".join(TIME_UNITS)})'))
        valid = False
    return (amount, unit) if valid else None

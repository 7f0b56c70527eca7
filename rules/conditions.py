"""The one condition language: JSON in durable-rules' own operator shapes.

Ruleset rows, `visible_when`, branch `when` and validation checks all use it, so admins learn one
notation and nothing they type is ever `eval`-ed. durable-rules accepts nearly anything and type
checks nothing (`"abc" > 50000` is true, unknown operators silently never match), so this module is
where conditions are checked against the form's field types, with a JSON path for every problem.
`matches` is the plain-Python meaning of a condition: the reference the durable adapter is tested
against.

Shapes::

    {"category": "travel"}                       equality (one field)
    {"$gt": {"total": 50000}}                    $lt $lte $gt $gte $ne
    {"$and": [c, ...]}   {"$or": [c, ...]}
    {"$ex": {"field": 1}}  {"$nex": {"field": 1}} the field is present / absent
    {"$mt": {"field": "[A-Z]+-[0-9]+"}}          the whole value matches a (restricted) pattern
    {"$in": {"field": [..]}}  {"$nin": {"field": [..]}}   (for a multiselect field: any chosen
                                                 value is / none is in the list)
    {"$gte": {"end_date": {"$m": "start_date"}}} compare with another field (equality, $ne and
                                                 the orderings), durable's own `$m` shape

A field that is absent (or null) makes every comparison false, `$ne` and `$nin` included; so does
an absent field on the right of a `$m` comparison. A field may also be a derived fact of a table,
`items.amount.sum`, `items.amount.max`, `items.count` (see `rules.derived`): with field types,
table columns themselves are replaced by their derived facts (`derived.condition_types`).
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import re
import warnings
from collections.abc import Mapping
from typing import Any

from rules.derived import condition_types, derive
from rules.errors import Problem, RuleError
from rules.messages import N_
from rules.words import word

LOGICAL = ("$and", "$or")
ORDERING = ("$lt", "$lte", "$gt", "$gte")
EXISTENCE = ("$ex", "$nex")
MEMBERSHIP = ("$in", "$nin")
OPERATORS = LOGICAL + ORDERING + EXISTENCE + MEMBERSHIP + ("$ne", "$mt")
EQ = "$eq"  # internal name for a bare `{"field": value}`; not accepted as an operator
REF = "$m"  # `{"$m": "other_field"}` as a value: the other field's value (durable's shape)
REF_OPERATORS = (EQ, "$ne") + ORDERING

MAX_DEPTH = 16
MAX_LIST = 100
MAX_PATTERN = 200
MAX_INTERVAL = 20
MAX_NUMBER = 2**53  # beyond this floats lose integers; durable also needs plain (no exponent) numbers
MIN_FRACTION = 1e-4  # smaller non-zero numbers serialise with an exponent durable cannot parse

NUMERIC_TYPES = ("number", "money", "percent")
STRING_TYPES = ("text", "textarea", "select", "radio", "user", "department", "phone", "email")
DATE_TYPES = ("date",)
DATETIME_TYPES = ("datetime",)
BOOLEAN_TYPES = ("checkbox",)
MULTI_TYPES = ("multiselect",)  # a list of chosen values: $in / $nin mean "any chosen value in"
COMPARABLE_TYPES = NUMERIC_TYPES + STRING_TYPES + DATE_TYPES + DATETIME_TYPES + BOOLEAN_TYPES

_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\Z")
_HINTS = {"$neq": "$ne", "$eq": N_("a bare {field: value}"), "$not": N_("$nex or $ne"),
          "$ge": "$gte", "$le": "$lte", "$regex": "$mt", "$exists": "$ex"}


# ---------------------------------------------------------------- value classes


def value_class(field_type: str) -> str:
    """What a field's value is, for comparisons: number, string, date, datetime, boolean or opaque."""
    if field_type in NUMERIC_TYPES:
        return "number"
    if field_type in STRING_TYPES:
        return "string"
    if field_type in DATE_TYPES:
        return "date"
    if field_type in DATETIME_TYPES:
        return "datetime"
    if field_type in BOOLEAN_TYPES:
        return "boolean"
    return "opaque"


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def number_problem(value: Any) -> str | None:
    """Why `value` cannot be a number in a condition or an outcome, or None."""
    if not is_number(value):
        return N_("expected a number, got %(value)s", value=_show(value))
    if isinstance(value, float) and not math.isfinite(value):
        return N_("expected a finite number, got %(value)s", value=repr(value))
    if abs(value) >= MAX_NUMBER:
        return N_("number %(value)s is too large (at most 2^53)", value=repr(value))
    if value and abs(value) < MIN_FRACTION:
        return N_("number %(value)s is too small (at most 4 decimals)", value=repr(value))
    return None


def literal_problem(value: Any, field_type: str | None, field: str, options: tuple[str, ...] = (),
                    ordering: bool = False) -> str | None:
    """Why `value` cannot be compared with `field` (of `field_type`, when known), or None."""
    if field_type is None:
        if isinstance(value, str):
            return None
        if isinstance(value, bool):
            return N_("cannot order by a boolean") if ordering else None
        if is_number(value):
            return number_problem(value)
        return N_("a value must be a string, number or boolean, got %(type)s", type=word(json_type(value)))
    cls = value_class(field_type)
    if cls == "opaque":
        return N_('field "%(field)s" of type %(field_type)s can only be tested with $ex or $nex',
                  field=field, field_type=word(field_type))
    if cls == "number":
        problem = number_problem(value)
        return N_('%(field_type)s field "%(field)s": %(problem)s',
                  field_type=word(field_type), field=field, problem=problem) if problem else None
    if cls == "boolean":
        if ordering:
            return N_('%(field_type)s field "%(field)s" cannot be ordered; use equality or $ne',
                      field_type=word(field_type), field=field)
        return None if isinstance(value, bool) else \
            N_('%(field_type)s field "%(field)s" needs true or false, got %(value)s',
               field_type=word(field_type), field=field, value=_show(value))
    if not isinstance(value, str):
        return N_('%(field_type)s field "%(field)s" needs a string, got %(value)s',
                  field_type=word(field_type), field=field, value=_show(value))
    if cls == "date" and not is_iso_date(value):
        return N_('date field "%(field)s" needs a date "YYYY-MM-DD", got %(value)s',
                  field=field, value=_show(value))
    if cls == "datetime" and not is_iso_datetime(value):
        return N_('datetime field "%(field)s" needs "YYYY-MM-DDTHH:MM:SS", got %(value)s',
                  field=field, value=_show(value))
    if options and not ordering and value not in options:
        return N_('%(value)s is not an option of "%(field)s" (%(options)s)',
                  value=_show(value), field=field, options=", ".join(options))
    return None


def is_iso_date(value: str) -> bool:
    if not _DATE_RE.match(value):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_iso_datetime(value: str) -> bool:
    if not _DATETIME_RE.match(value):
        return False
    try:
        _dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _show(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# ---------------------------------------------------------------- validation


def validate_condition(cond: Any, field_types: Mapping[str, str] | None = None, path: str = "", *,
                       options: Mapping[str, tuple[str, ...]] | None = None) -> list[Problem]:
    """Every problem in `cond`, each with its JSON path under `path`.

    With `field_types` (field key → form field type, as `Form.field_types()` gives them) unknown
    fields and type mismatches are refused; table columns are named through their derived facts
    (`items.amount.sum`). `options` (field key → allowed values) also checks equality against
    select options. Never raises: malformed input is reported, not thrown.
    """
    problems: list[Problem] = []
    types = None
    if field_types is not None:
        types = _Types(condition_types(field_types), field_types)
    _check(cond, types, options or {}, path, problems, 0)
    return problems


class _Types(dict):
    """Condition field types, remembering the form's own names for better messages."""

    def __init__(self, types: Mapping[str, str], given: Mapping[str, str]) -> None:
        super().__init__(types)
        self.given = given

    def unknown(self, field: str) -> str:
        if field in self.given and f"{field}.count" in self:
            aggregates = [a for a in ("sum", "min", "max") if f"{field}.{a}" in self]
            names = ", ".join(f"{field}.{a}" for a in aggregates + ["count"])
            return N_('"%(field)s" is a table column with a value per row; use %(names)s',
                      field=field, names=names)
        return N_('unknown field "%(field)s"', field=field)


def _check(cond: Any, types: Mapping[str, str] | None, options: Mapping[str, tuple[str, ...]],
           path: str, out: list[Problem], depth: int) -> None:
    if depth > MAX_DEPTH:
        out.append(Problem(path, N_("conditions are nested too deeply (at most %(max_depth)s levels)",
                                    max_depth=MAX_DEPTH)))
        return
    if not isinstance(cond, Mapping):
        out.append(Problem(path, N_("a condition must be an object, got %(type)s", type=word(json_type(cond)))))
        return
    if not cond:
        out.append(Problem(path, N_("a condition must not be empty")))
        return
    if len(cond) > 1:
        names = ", ".join(f'"{k}"' for k in cond)
        out.append(Problem(path, N_("a condition holds exactly one operator or field, got %(names)s; combine "
                                    "several with $and", names=names)))
        return
    ((key, arg),) = cond.items()
    if not isinstance(key, str):
        out.append(Problem(path, N_("invalid key %(key)s", key=repr(key))))
        return
    if key in LOGICAL:
        here = _join(path, key)
        if not isinstance(arg, list):
            out.append(Problem(here, N_("%(key)s expects a list of conditions, got %(type)s",
                                        key=key, type=word(json_type(arg)))))
        elif not arg:
            out.append(Problem(here, N_("%(key)s needs at least one condition", key=key)))
        else:
            for i, sub in enumerate(arg):
                _check(sub, types, options, f"{here}[{i}]", out, depth + 1)
        return
    if key.startswith("$"):
        if key not in OPERATORS:
            out.append(Problem(path, N_('unknown operator "%(key)s" (did you mean %(hint)s?)', key=key, hint=_HINTS[key])
                               if key in _HINTS else N_('unknown operator "%(key)s"', key=key)))
            return
        here = _join(path, key)
        if not isinstance(arg, Mapping):
            out.append(Problem(here, N_("%(key)s expects an object naming one field, got %(type)s",
                                        key=key, type=word(json_type(arg)))))
            return
        if len(arg) != 1:
            out.append(Problem(here, N_("%(key)s expects exactly one field, got %(count)s",
                                        key=key, count=len(arg))))
            return
        ((field, value),) = arg.items()
        _check_operand(key, field, value, types, options, _join(here, str(field)), out)
        return
    _check_operand(EQ, key, arg, types, options, _join(path, key), out)


def _check_operand(op: str, field: Any, value: Any, types: Mapping[str, str] | None,
                   options: Mapping[str, tuple[str, ...]], path: str, out: list[Problem]) -> None:
    if not isinstance(field, str) or not _FIELD_RE.match(field):
        out.append(Problem(path, N_("invalid field name %(field)s", field=_show(field))))
        return
    field_type: str | None = None
    if types is not None:
        if field not in types:
            out.append(Problem(path, types.unknown(field) if isinstance(types, _Types)
                               else f'unknown field "{field}"'))
            return
        field_type = types[field]
    if field_type in MULTI_TYPES and op not in MEMBERSHIP + EXISTENCE:
        out.append(Problem(path, N_('%(field_type)s field "%(field)s" holds several values: test it with $in '
                                    "(any chosen value in the list), $nin, $ex or $nex",
                                    field_type=word(field_type), field=field)))
        return
    if field_type in MULTI_TYPES:
        field_type = "select"  # each listed value is one option
    if isinstance(value, Mapping) and op not in EXISTENCE:
        _check_reference(op, field, field_type, value, types, path, out)
        return
    if op in EXISTENCE:
        if not (type(value) is int and value == 1):
            out.append(Problem(path, N_("%(op)s expects 1, got %(value)s", op=op, value=_show(value))))
        return
    opts = tuple(options.get(field, ()))
    if op == "$mt":
        _check_pattern(field, value, field_type, path, out)
        return
    if op in MEMBERSHIP:
        if not isinstance(value, list):
            out.append(Problem(path, N_("%(op)s expects a list of values, got %(type)s",
                                        op=op, type=word(json_type(value)))))
        elif not value:
            out.append(Problem(path, N_("%(op)s needs at least one value", op=op)))
        elif len(value) > MAX_LIST:
            out.append(Problem(path, N_("%(op)s lists %(count)s values; at most %(max_list)s are allowed",
                                        op=op, count=len(value), max_list=MAX_LIST)))
        else:
            for i, item in enumerate(value):
                problem = literal_problem(item, field_type, field, opts)
                if problem:
                    out.append(Problem(f"{path}[{i}]", problem))
        return
    problem = literal_problem(value, field_type, field, opts, ordering=op in ORDERING)
    if problem:
        out.append(Problem(path, problem))


def _check_reference(op: str, field: str, field_type: str | None, value: Mapping[Any, Any],
                     types: Mapping[str, str] | None, path: str, out: list[Problem]) -> None:
    if op not in REF_OPERATORS:
        shown = N_("equality") if op == EQ else op
        out.append(Problem(path, N_("%(shown)s cannot compare with another field; only equality, $ne, $lt, "
                                    "$lte, $gt and $gte can", shown=shown)))
        return
    if len(value) != 1 or REF not in value:
        out.append(Problem(path, N_('a value must be a string, number or boolean, or {"$m": "other_field"}, '
                                    "got %(value)s", value=_show(value))))
        return
    other = value[REF]
    here = _join(path, REF)
    if not isinstance(other, str) or not _FIELD_RE.match(other):
        out.append(Problem(here, N_("invalid field name %(other)s", other=_show(other))))
        return
    if other == field:
        out.append(Problem(here, N_('"%(field)s" is compared with itself', field=field)))
        return
    if types is None or field_type is None:
        return
    if other not in types:
        out.append(Problem(here, types.unknown(other) if isinstance(types, _Types)
                           else f'unknown field "{other}"'))
        return
    other_type = types[other]
    cls, other_cls = value_class(field_type), value_class(other_type)
    if cls == "opaque" or other_cls == "opaque":
        opaque = field if cls == "opaque" else other
        kind = field_type if cls == "opaque" else other_type
        out.append(Problem(here, N_('field "%(opaque)s" of type %(kind)s can only be tested with $ex or $nex',
                                    opaque=opaque, kind=word(kind))))
    elif cls != other_cls:
        out.append(Problem(here, N_('cannot compare %(field_type)s field "%(field)s" with %(other_type)s '
                                    'field "%(other)s"',
                                    field_type=word(field_type), field=field, other_type=word(other_type), other=other)))
    elif cls == "boolean" and op in ORDERING:
        out.append(Problem(here, N_("%(field_type)s fields cannot be ordered; use equality or $ne",
                                    field_type=word(field_type))))


def _check_pattern(field: str, value: Any, field_type: str | None, path: str,
                   out: list[Problem]) -> None:
    if field_type is not None and value_class(field_type) not in ("string", "date", "datetime"):
        out.append(Problem(path, N_('$mt needs a text field; "%(field)s" is %(field_type)s',
                                    field=field, field_type=word(field_type))))
        return
    if not isinstance(value, str):
        out.append(Problem(path, N_("$mt expects a pattern string, got %(type)s", type=word(json_type(value)))))
        return
    problem = pattern_problem(value)
    if problem:
        out.append(Problem(path, problem))


# ---------------------------------------------------------------- patterns ($mt)

# durable-rules compiles `$mt` patterns with its own small regex engine: no escapes, no anchors,
# `{0}` means "unbounded", and a pattern always has to match the whole value. We accept only the
# subset on which it and Python's `re.fullmatch` agree (checked by a differential test).
_CLASS_RANGES = ("09", "az", "AZ")


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is outside the supported `$mt` subset, or None.

    Supported: literal characters, `.`, classes `[abc]`, `[a-z0-9]`, groups `( )`,
    alternatives `|`, and `* + ? {n} {n,} {n,m}` after a character, class or group (a repeated
    group holds no repetition itself: durable's automaton would outgrow its limits).
    """
    if not pattern:
        return N_("a pattern must not be empty")
    if len(pattern) > MAX_PATTERN:
        return N_("a pattern is at most %(max_pattern)s characters", max_pattern=MAX_PATTERN)
    problem = _scan_pattern(pattern)
    if problem:
        return N_("unsupported pattern: %(problem)s", problem=problem)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            re.compile(pattern)
        except (re.error, Warning) as exc:
            return N_("invalid pattern: %(exc)s", exc=exc)
    return None


def _scan_pattern(p: str) -> str | None:
    groups: list[tuple[bool, bool]] = []  # per open group: (outer `empty`, outer `repeats`)
    empty = True  # the current alternative has nothing yet
    atom = False  # the previous token can take a quantifier
    group_repeats = False  # the group just closed holds a quantifier
    repeats = False  # the innermost open group (or the pattern) holds a quantifier
    i = 0
    while i < len(p):
        ch = p[i]
        closed, group_repeats = group_repeats, False
        if ch == "\\":
            return N_('backslash escapes are not supported; put the character in a class, like "[.]"')
        if ch in "^$":
            return N_('"%(ch)s" is not supported; a pattern always matches the whole value', ch=ch)
        if ch == "(":
            if p.startswith("(?", i):
                return N_('"(?" groups are not supported')
            groups.append((empty, repeats))
            empty, atom, repeats = True, False, False
        elif ch == ")":
            if not groups:
                return N_('unbalanced ")"')
            if empty:
                return N_("empty group or alternative")
            group_repeats = repeats
            empty, outer_repeats = groups.pop()
            repeats = outer_repeats or group_repeats
            empty, atom = False, True
        elif ch == "|":
            if empty:
                return N_("empty alternative")
            empty, atom = True, False
        elif ch in "*+?{":
            if not atom:
                return N_('"%(ch)s" must follow a character, class or group', ch=ch)
            if closed:
                return N_("a repeated group must not contain a repetition itself")
            if ch == "{":
                end = p.find("}", i)
                if end < 0:
                    return N_('unbalanced "{"')
                problem = _interval_problem(p[i + 1:end])
                if problem:
                    return problem
                i = end
            atom, repeats = False, True
        elif ch in "}]":
            return N_('unbalanced "%(ch)s"', ch=ch)
        elif ch == "[":
            end, problem = _scan_class(p, i)
            if problem:
                return problem
            empty, atom = False, True
            i = end
        else:
            empty, atom = False, True
        i += 1
    if groups:
        return N_('unbalanced "("')
    if empty:
        return N_("empty alternative")
    return None


def _interval_problem(body: str) -> str | None:
    m = re.fullmatch(r"([0-9]{1,3})(,([0-9]{0,3}))?", body)
    if not m:
        return N_('invalid repetition "{%(body)s}"; use {n}, {n,} or {n,m}', body=body)
    low = int(m.group(1))
    high = low if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
    if high == 0:
        return N_("a repetition of zero is not supported")
    if high is not None and low > high:
        return N_('invalid repetition "{%(body)s}": %(low)s > %(high)s', body=body, low=low, high=high)
    if max(low, high or 0) > MAX_INTERVAL:
        return N_("a repetition is at most %(max_interval)s", max_interval=MAX_INTERVAL)
    return None


def _scan_class(p: str, start: int) -> tuple[int, str | None]:
    i = start + 1
    if p.startswith("^", i):
        return i, N_('negated classes "[^...]" are not supported')
    members = 0
    while i < len(p) and p[i] != "]":
        ch = p[i]
        if ch in "\\[^&|~":
            return i, N_('"%(ch)s" inside a class is not supported', ch=ch)
        if ch == "-":
            if members == 0 or p[i + 1:i + 2] != "]":
                return i, N_('in a class "-" must come last or join a range like "a-z"')
        elif p[i + 1:i + 2] == "-" and p[i + 2:i + 3] not in ("", "]"):
            low, high = ch, p[i + 2]
            if not any(a <= low <= high <= b for a, b in _CLASS_RANGES):
                return i, N_('unsupported range "%(low)s-%(high)s"; use ranges within 0-9, a-z or A-Z',
                             low=low, high=high)
            i += 2
        members += 1
        i += 1
    if i >= len(p):
        return i, N_('unbalanced "["')
    if members == 0:
        return i, N_("empty class")
    return i, None


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


# ---------------------------------------------------------------- reference semantics


def matches(cond: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether `facts` satisfy `cond`, by the reference semantics.

    A field is read as a literal key first (`"applicant.level"`), else as a path through nested
    objects. Absent or null fields make every comparison false. Numbers compare with numbers and
    strings with strings; anything else is simply unequal. A malformed condition raises RuleError.
    """
    key, arg = _single(cond)
    if key in LOGICAL:
        if not isinstance(arg, list) or not arg:
            raise RuleError(N_("%(key)s expects a non-empty list of conditions", key=key))
        if key == "$and":
            return all(matches(sub, facts) for sub in arg)
        return any(matches(sub, facts) for sub in arg)
    if key.startswith("$"):
        if key not in OPERATORS:
            raise RuleError(N_('unknown operator "%(key)s"', key=key))
        if not isinstance(arg, Mapping) or len(arg) != 1:
            raise RuleError(N_("%(key)s expects an object naming one field", key=key))
        ((field, value),) = arg.items()
        op = key
    else:
        op, field, value = EQ, key, arg
    actual = lookup(facts, field)
    if op == "$ex":
        return actual is not None
    if op == "$nex":
        return actual is None
    if actual is None:
        return False
    if isinstance(value, Mapping):
        value = _referenced(op, value, facts)
        if value is None:
            return False
    return _compare(op, actual, value)


def _referenced(op: str, value: Mapping[Any, Any], facts: Mapping[str, Any]) -> Any:
    if op not in REF_OPERATORS or len(value) != 1 or not isinstance(value.get(REF), str):
        raise RuleError(N_("%(op)s cannot compare with %(value)s", op=op, value=_show(value)))
    return lookup(facts, value[REF])


def _single(cond: Any) -> tuple[str, Any]:
    if not isinstance(cond, Mapping) or len(cond) != 1:
        raise RuleError(N_("a condition must be an object with exactly one key, got %(cond)s",
                           cond=_show(cond)))
    ((key, arg),) = cond.items()
    if not isinstance(key, str):
        raise RuleError(N_("invalid condition key %(key)s", key=repr(key)))
    return key, arg


def _compare(op: str, actual: Any, value: Any) -> bool:
    if op == EQ:
        return equal(actual, value)
    if op == "$ne":
        return not equal(actual, value)
    if op in MEMBERSHIP:
        if not isinstance(value, list):
            raise RuleError(N_("%(op)s expects a list of values", op=op))
        chosen = actual if isinstance(actual, list) else [actual]  # a multiselect: any chosen
        found = any(equal(one, item) for one in chosen for item in value)
        return found if op == "$in" else not found
    if op == "$mt":
        if not isinstance(value, str):
            raise RuleError(N_("$mt expects a pattern string"))
        try:
            regex = _compiled(value)
        except re.error as exc:
            raise RuleError(N_("invalid pattern %(value)s: %(exc)s", value=repr(value), exc=exc)) from exc
        return isinstance(actual, str) and regex.fullmatch(actual) is not None
    comparable = (is_number(actual) and is_number(value)) or \
                 (isinstance(actual, str) and isinstance(value, str))
    if not comparable:
        return False
    if op == "$lt":
        return actual < value
    if op == "$lte":
        return actual <= value
    if op == "$gt":
        return actual > value
    return actual >= value  # $gte


def equal(a: Any, b: Any) -> bool:
    """Type-aware equality: 1 == 1.0, but True != 1 and "2" != 2."""
    if is_number(a) and is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def lookup(facts: Mapping[str, Any], field: str) -> Any:
    """The value of `field` in `facts` (literal key, else a dotted path, else a derived fact of a
    table in `facts` such as `items.amount.sum`), or None when absent."""
    if field in facts:
        return facts[field]
    current: Any = facts
    for part in field.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _derived(facts, field)
        current = current[part]
    return current


def _derived(facts: Mapping[str, Any], field: str) -> Any:
    try:
        return derive(facts, field)
    except ValueError:
        return None


# ---------------------------------------------------------------- structure


def condition_fields(cond: Any) -> set[str]:
    """The field names a condition reads (tolerates malformed input)."""
    fields: set[str] = set()
    _collect_fields(cond, fields, 0)
    return fields


def _collect_fields(cond: Any, out: set[str], depth: int) -> None:
    if not isinstance(cond, Mapping) or depth > MAX_DEPTH:
        return
    for key, arg in cond.items():
        if not isinstance(key, str):
            continue
        if key in LOGICAL:
            for sub in arg if isinstance(arg, list) else ():
                _collect_fields(sub, out, depth + 1)
        elif key.startswith("$"):
            if isinstance(arg, Mapping):
                for field, value in arg.items():
                    if isinstance(field, str):
                        out.add(field)
                    _collect_reference(value, out)
        else:
            out.add(key)
            _collect_reference(arg, out)


def compared_fields(cond: Any) -> set[str]:
    """The fields a condition compares with something (every field it reads except those only
    tested with $ex / $nex): when one of them is empty, a comparison cannot be judged."""
    fields: set[str] = set()
    _collect_compared(cond, fields, 0)
    return fields


def _collect_compared(cond: Any, out: set[str], depth: int) -> None:
    if not isinstance(cond, Mapping) or depth > MAX_DEPTH:
        return
    for key, arg in cond.items():
        if key in LOGICAL:
            for sub in arg if isinstance(arg, list) else ():
                _collect_compared(sub, out, depth + 1)
        elif key in EXISTENCE:
            continue
        else:
            _collect_fields({key: arg}, out, depth)


def _collect_reference(value: Any, out: set[str]) -> None:
    if isinstance(value, Mapping) and isinstance(value.get(REF), str):
        out.add(value[REF])


def alternatives(cond: Any, in_values: bool = True) -> int:
    """How many conjunctions `cond` expands to in disjunctive normal form (durable expands it so).

    `$or` adds, `$and` multiplies, `$in` counts one alternative per value. With
    `in_values=False` an `$in` counts once: at most one of its values can match at a time, so
    this bounds how many alternatives can match one fact together.
    """
    if not isinstance(cond, Mapping) or len(cond) != 1:
        return 1
    ((key, arg),) = cond.items()
    if key == "$or" and isinstance(arg, list):
        return sum(alternatives(sub, in_values) for sub in arg) or 1
    if key == "$and" and isinstance(arg, list):
        return math.prod(alternatives(sub, in_values) for sub in arg)
    if key == "$in" and in_values and isinstance(arg, Mapping) and len(arg) == 1:
        (values,) = arg.values()
        return max(len(values), 1) if isinstance(values, list) else 1
    return 1

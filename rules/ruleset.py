"""Decision tables: typed inputs, outputs, ordered rows, a hit policy and a default.

A ruleset is the "why" behind a branch: its rows are what admins edit, and the numbers of the rows
that fired go into the audit log. It is frozen data keyed by `key@version`; editing one means
publishing a new version, so a running instance can keep the version it started with.

`Ruleset.from_dict` trusts its input; `validate_ruleset` reports every problem with its JSON path
and `parse_ruleset` does both.
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.conditions import (
    COMPARABLE_TYPES,
    alternatives,
    is_iso_date,
    is_iso_datetime,
    json_type,
    number_problem,
    validate_condition,
    value_class,
)
from rules.derived import condition_types
from rules.errors import DefinitionError, Problem
from rules.messages import N_
from rules.words import word

Label = str | Mapping[str, str]

HIT_POLICIES = ("first", "unique", "collect")
MAX_ROWS = 200  # durable-rules hangs at 512 rules in one ruleset; keep far below
MAX_INPUTS = 50  # durable-rules caps the properties of one fact
MAX_ALTERNATIVES = 32  # per row, alternatives that can match together (conditions.alternatives)
MAX_EXPANSION = 1000  # per row, alternatives once $in lists are expanded too
OPTION_TYPES = ("select", "radio")
RESERVED_KEYS = ("id", "sid")  # durable-rules' own message keys

_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}\Z")
_FIELD_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_RULESET_KEYS = ("key", "version", "title", "description", "hit_policy", "inputs", "outputs",
                 "rows", "default")
_COLUMN_KEYS = ("key", "type", "options", "label")
_ROW_KEYS = ("when", "then", "note")


@dataclass(frozen=True)
class Column:
    """One typed input or output of a decision table; `options` restrict select/radio values."""

    key: str
    type: str
    options: tuple[str, ...] = ()
    label: Label = ""

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Column:
        return cls(key=doc["key"], type=doc["type"], options=tuple(doc.get("options", ())),
                   label=_copy_label(doc.get("label", "")))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "type": self.type}
        if self.options:
            out["options"] = list(self.options)
        if self.label:
            out["label"] = _copy_label(self.label)
        return out


@dataclass(frozen=True)
class Row:
    """One line of the table: when `when` holds, `then` gives output values."""

    when: dict[str, Any]
    then: dict[str, Any]
    note: Label = ""

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Row:
        return cls(when=copy.deepcopy(dict(doc["when"])), then=copy.deepcopy(dict(doc["then"])),
                   note=_copy_label(doc.get("note", "")))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"when": copy.deepcopy(self.when), "then": copy.deepcopy(self.then)}
        if self.note:
            out["note"] = _copy_label(self.note)
        return out


@dataclass(frozen=True)
class Ruleset:
    """A published decision table, immutable and named `key@version`."""

    key: str
    version: int
    title: Label = ""
    inputs: tuple[Column, ...] = ()
    outputs: tuple[Column, ...] = ()
    hit_policy: str = "first"
    rows: tuple[Row, ...] = ()
    default: dict[str, Any] = field(default_factory=dict)
    description: Label = ""

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.version}"

    def outcomes(self) -> list[dict[str, Any]]:
        """Every outcome the table can give, each as written: its rows', then its default
        (a `collect` table gathers those of the rows that match)."""
        return [row.then for row in self.rows] + ([self.default] if self.default else [])

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Ruleset:
        return cls(
            key=doc["key"],
            version=int(doc["version"]),
            title=_copy_label(doc.get("title", "")),
            inputs=tuple(Column.from_dict(c) for c in doc.get("inputs", ())),
            outputs=tuple(Column.from_dict(c) for c in doc.get("outputs", ())),
            hit_policy=doc.get("hit_policy", "first"),
            rows=tuple(Row.from_dict(r) for r in doc.get("rows", ())),
            default=copy.deepcopy(dict(doc.get("default") or {})),
            description=_copy_label(doc.get("description", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; optional keys that are empty are left out."""
        out: dict[str, Any] = {"key": self.key, "version": self.version}
        if self.title:
            out["title"] = _copy_label(self.title)
        if self.description:
            out["description"] = _copy_label(self.description)
        out["hit_policy"] = self.hit_policy
        if self.inputs:
            out["inputs"] = [c.to_dict() for c in self.inputs]
        if self.outputs:
            out["outputs"] = [c.to_dict() for c in self.outputs]
        out["rows"] = [r.to_dict() for r in self.rows]  # required, so written even when empty
        if self.default:
            out["default"] = copy.deepcopy(self.default)
        return out

    def input(self, key: str) -> Column | None:
        return next((c for c in self.inputs if c.key == key), None)

    def output(self, key: str) -> Column | None:
        return next((c for c in self.outputs if c.key == key), None)

    def output_label(self, key: str) -> Label:
        """What people call output `key`: its label; else, when it is the table's one output,
        the table's title (what "Major contract" decides is the major contract); else the key."""
        column = self.output(key)
        if column is not None and column.label:
            return column.label
        if column is not None and len(self.outputs) == 1 and self.title:
            return self.title
        return key


def _copy_label(label: Any) -> Any:
    return dict(label) if isinstance(label, Mapping) else label


# ---------------------------------------------------------------- validation


def parse_ruleset(doc: Any, field_types: Mapping[str, str] | None = None) -> Ruleset:
    """A validated Ruleset, or DefinitionError carrying every problem."""
    problems = validate_ruleset(doc, field_types)
    if problems:
        raise DefinitionError(problems)
    return Ruleset.from_dict(doc)


def validate_ruleset(doc: Any, field_types: Mapping[str, str] | None = None,
                     path: str = "") -> list[Problem]:
    """Every problem in a ruleset document, each with a JSON path prefixed by `path`.

    Row conditions are checked against the ruleset's declared inputs; with `field_types`
    (the form's `Form.field_types()`) each input must also be a form field of a compatible type,
    or a derived fact of one of its tables (`items.amount.sum`, `items.count`).
    """
    at = _Paths(path)
    if not isinstance(doc, Mapping):
        return [Problem(path, N_("a ruleset must be an object, got %(type)s", type=word(json_type(doc))))]
    problems: list[Problem] = []
    for key in doc:
        if key not in _RULESET_KEYS:
            problems.append(Problem(at(str(key)), N_("unknown key")))
    key = doc.get("key")
    if key is None:
        problems.append(Problem(at("key"), N_("missing")))
    elif not isinstance(key, str) or not _KEY_RE.match(key):
        problems.append(Problem(at("key"), N_("invalid key %(key)s: use letters, digits, '-', '_' or '.' (at "
                                              "most 80)", key=_quote(key))))
    version = doc.get("version")
    if version is None:
        problems.append(Problem(at("version"), N_("missing")))
    elif type(version) is not int or version < 1:
        problems.append(Problem(at("version"), N_("must be a positive integer, got %(version)s",
                                                  version=_quote(version))))
    for name in ("title", "description"):
        if name in doc and not _is_label(doc[name]):
            problems.append(Problem(at(name), N_("must be text or an object of locale → text")))
    policy = doc.get("hit_policy", "first")
    if policy not in HIT_POLICIES:
        problems.append(Problem(at("hit_policy"), N_("unknown hit policy %(policy)s; use first, unique or "
                                                     "collect", policy=_quote(policy))))
    inputs = _validate_columns(doc.get("inputs", []), "inputs", at, problems, field_types)
    outputs = _validate_columns(doc.get("outputs"), "outputs", at, problems, None)
    _validate_rows(doc.get("rows"), inputs, outputs, at, problems)
    if doc.get("default") is not None:
        _validate_outcome(doc["default"], outputs, at("default"), problems, allow_empty=True)
    return problems


class _Paths:
    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, suffix: str) -> str:
        if not self.base:
            return suffix
        return self.base + suffix if suffix.startswith("[") else f"{self.base}.{suffix}"


def _validate_columns(docs: Any, name: str, at: _Paths, out: list[Problem],
                      field_types: Mapping[str, str] | None) -> dict[str, Column]:
    columns: dict[str, Column] = {}
    if docs is None:
        out.append(Problem(at(name), N_("missing")))
        return columns
    if not isinstance(docs, list):
        out.append(Problem(at(name), N_("must be a list, got %(type)s", type=word(json_type(docs)))))
        return columns
    if name == "outputs" and not docs:
        out.append(Problem(at(name), N_("at least one output is required")))
    if name == "inputs" and len(docs) > MAX_INPUTS:
        out.append(Problem(at(name), N_("%(count)s inputs; at most %(max_inputs)s are allowed",
                                        count=len(docs), max_inputs=MAX_INPUTS)))
    for i, doc in enumerate(docs):
        here = at(f"{name}[{i}]")
        column = _validate_column(doc, here, name == "inputs", out)
        if column is None:
            continue
        if column.key in columns:
            out.append(Problem(f"{here}.key", N_('duplicate %(name)s "%(key)s"',
                                                 name=word(name[:-1]), key=column.key)))
            continue
        clash = next((k for k in columns if k.startswith(column.key + ".")
                      or column.key.startswith(k + ".")), None)
        if clash is not None:
            out.append(Problem(f"{here}.key", N_('"%(key)s" and "%(clash)s" overlap; an input cannot hold '
                                                 "another", key=column.key, clash=clash)))
            continue
        columns[column.key] = column
        if field_types is not None:
            _check_form_field(column, field_types, here, out)
    return columns


def _validate_column(doc: Any, here: str, is_input: bool, out: list[Problem]) -> Column | None:
    if not isinstance(doc, Mapping):
        out.append(Problem(here, N_("must be an object, got %(type)s", type=word(json_type(doc)))))
        return None
    before = len(out)
    for key in doc:
        if key not in _COLUMN_KEYS:
            out.append(Problem(f"{here}.{key}", N_("unknown key")))
    key, kind = doc.get("key"), doc.get("type")
    if key is None:
        out.append(Problem(f"{here}.key", N_("missing")))
    elif not isinstance(key, str) or not _FIELD_KEY_RE.match(key):
        out.append(Problem(f"{here}.key", N_("invalid key %(key)s", key=_quote(key))))
    elif key in RESERVED_KEYS or key.split(".")[0] in RESERVED_KEYS:
        out.append(Problem(f"{here}.key", N_('"%(key)s" is reserved; choose another key', key=key)))
    if kind is None:
        out.append(Problem(f"{here}.type", N_("missing")))
    elif kind not in COMPARABLE_TYPES:
        allowed = ", ".join(COMPARABLE_TYPES)
        out.append(Problem(f"{here}.type", N_("unsupported type %(kind)s; use one of %(allowed)s",
                                              kind=_quote(kind), allowed=allowed)))
    options = doc.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) and o for o in options):
        out.append(Problem(f"{here}.options", N_("must be a list of non-empty strings")))
        options = []
    elif len(set(options)) != len(options):
        out.append(Problem(f"{here}.options", N_("options must be unique")))
    if options and kind not in OPTION_TYPES:
        out.append(Problem(f"{here}.options", N_("options only apply to select and radio")))
    if not options and kind in OPTION_TYPES and not is_input:
        out.append(Problem(f"{here}.options", N_("a %(kind)s output needs options", kind=word(kind))))
    if "label" in doc and not _is_label(doc["label"]):
        out.append(Problem(f"{here}.label", N_("must be text or an object of locale → text")))
    if len(out) > before:
        return None
    return Column(key=key, type=kind, options=tuple(options))


def _check_form_field(column: Column, field_types: Mapping[str, str], here: str,
                      out: list[Problem]) -> None:
    form_type = condition_types(field_types).get(column.key)
    if form_type is None:
        out.append(Problem(f"{here}.key", N_('unknown form field "%(key)s"; a table column is read through '
                                             "%(key)s.sum, .min, .max or .count", key=column.key)
                           if field_types.get(column.key) is not None else
                           N_('unknown form field "%(key)s"', key=column.key)))
    elif value_class(form_type) != value_class(column.type):
        out.append(Problem(f"{here}.type", N_('input "%(key)s" is %(type)s but form field "%(key)s" is '
                                              "%(form_type)s",
                                              key=column.key, type=word(column.type), form_type=word(form_type))))


def _validate_rows(rows: Any, inputs: dict[str, Column], outputs: dict[str, Column], at: _Paths,
                   out: list[Problem]) -> None:
    if rows is None:
        out.append(Problem(at("rows"), N_("missing")))
        return
    if not isinstance(rows, list):
        out.append(Problem(at("rows"), N_("must be a list, got %(type)s", type=word(json_type(rows)))))
        return
    if len(rows) > MAX_ROWS:
        out.append(Problem(at("rows"), N_("%(count)s rows; at most %(max_rows)s are allowed",
                                          count=len(rows), max_rows=MAX_ROWS)))
    types = {key: c.type for key, c in inputs.items()}
    options = {key: c.options for key, c in inputs.items() if c.options}
    for i, row in enumerate(rows):
        here = at(f"rows[{i}]")
        if not isinstance(row, Mapping):
            out.append(Problem(here, N_("a row must be an object, got %(type)s", type=word(json_type(row)))))
            continue
        for key in row:
            if key not in _ROW_KEYS:
                out.append(Problem(f"{here}.{key}", N_("unknown key")))
        if "when" not in row:
            out.append(Problem(f"{here}.when", N_("missing")))
        else:
            problems = validate_condition(row["when"], types, f"{here}.when", options=options)
            out.extend(problems)
            if not problems:
                out.extend(_complexity(row["when"], f"{here}.when"))
        if "then" not in row:
            out.append(Problem(f"{here}.then", N_("missing")))
        else:
            _validate_outcome(row["then"], outputs, f"{here}.then", out, allow_empty=False)
        if "note" in row and not _is_label(row["note"]):
            out.append(Problem(f"{here}.note", N_("must be text or an object of locale → text")))


def _complexity(cond: Any, here: str) -> list[Problem]:
    count = alternatives(cond, in_values=False)
    if count > MAX_ALTERNATIVES:
        return [Problem(here, N_("too complex: %(count)s alternatives ($or branches); at most "
                                 "%(max_alternatives)s are allowed",
                                 count=count, max_alternatives=MAX_ALTERNATIVES))]
    expanded = alternatives(cond)
    if expanded > MAX_EXPANSION:
        return [Problem(here, N_("too complex: expands to %(expanded)s combinations of $or and $in; at most "
                                 "%(max_expansion)s are allowed",
                                 expanded=expanded, max_expansion=MAX_EXPANSION))]
    return []


def _validate_outcome(doc: Any, outputs: dict[str, Column], here: str, out: list[Problem],
                      allow_empty: bool) -> None:
    if not isinstance(doc, Mapping):
        out.append(Problem(here, N_("must be an object of output values, got %(type)s",
                                    type=word(json_type(doc)))))
        return
    if not doc and not allow_empty:
        out.append(Problem(here, N_("must set at least one output")))
    for key, value in doc.items():
        column = outputs.get(key)
        if column is None:
            out.append(Problem(f"{here}.{key}", N_('unknown output "%(key)s"', key=key)))
            continue
        problem = output_value_problem(column, value)
        if problem:
            out.append(Problem(f"{here}.{key}", problem))


def output_value_problem(column: Column, value: Any) -> str | None:
    """Why `value` is not allowed for output `column`, or None."""
    cls = value_class(column.type)
    if cls == "number":
        return number_problem(value)
    if cls == "boolean":
        return None if isinstance(value, bool) else N_("expected true or false, got %(value)s",
                                                       value=_quote(value))
    if not isinstance(value, str):
        return N_("expected a string, got %(value)s", value=_quote(value))
    if column.options and value not in column.options:
        return N_("%(value)s is not one of %(options)s", value=_quote(value), options=', '.join(column.options))
    if cls == "date" and not is_iso_date(value):
        return N_('expected a date "YYYY-MM-DD", got %(value)s', value=_quote(value))
    if cls == "datetime" and not is_iso_datetime(value):
        return N_('expected "YYYY-MM-DDTHH:MM:SS", got %(value)s', value=_quote(value))
    return None


def _is_label(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _quote(value: Any) -> str:
    if isinstance(value, (list, tuple, Mapping)):
        return json_type(value)
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)

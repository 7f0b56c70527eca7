"""The condition builder: a condition as groups of clauses a person edits, and back.

A condition (`rules.conditions`' JSON) is shown as groups of clauses — subject, operator, value —
joined by AND or OR inside a group and between groups: the depth a process admin reasons in
("category is travel and (total ≥ 5,000 or nights > 3)"). What is deeper than that, or cannot be
shown with the pickers, is edited as JSON. Posted form pairs become a condition again, each value
parsed by its subject's type and each problem placed on the clause it concerns. Independent of
forms: it takes a list of `Subject`s (the form designer's fields, later the flow designer's
branch inputs). Pure functions; `templates/designer/_condition_builder.html` renders the form.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from builder import paths
from rules.conditions import EXISTENCE, LOGICAL, OPERATORS, REF, validate_condition
from runtime import i18n
from runtime.web.condition_subjects import (FIELD_SUFFIX, Subject, comparable, subject,
                                            value_shape)
from runtime.web.values import parse_amount, parse_date, parse_datetime, raw_value

_ = i18n.gettext

JOINS = ("and", "or")
MODES = ("builder", "json")
_LIST_SPLIT = re.compile(r"[,，、;；]")


@dataclass
class Clause:
    """One comparison as the builder carries it: text as typed (`values` for ticked options)."""

    subject: str
    op: str
    value: str = ""
    values: list[str] = field(default_factory=list)
    problem: str = ""


@dataclass
class Group:
    join: str = "and"
    clauses: list[Clause] = field(default_factory=list)


@dataclass
class ConditionForm:
    """What the builder shows: groups joined by `join`, or the JSON text in mode "json";
    `problems` are those no single clause owns (JSON syntax, the JSON view's findings)."""

    groups: list[Group] = field(default_factory=list)
    join: str = "and"
    mode: str = "builder"
    json: str = ""
    problems: list[str] = field(default_factory=list)
    focus: str = ""  # the id of the control to focus after a re-render

    @property
    def has_problems(self) -> bool:
        return bool(self.problems) or any(c.problem for g in self.groups for c in g.clauses)

    @property
    def is_empty(self) -> bool:
        return not any(g.clauses for g in self.groups)


def pretty(cond: Any) -> str:
    return json.dumps(cond, ensure_ascii=False, indent=2)


# ---------------------------------------------------------------- condition → form


def condition_form(cond: Mapping[str, Any] | None, subjects: list[Subject]) -> ConditionForm:
    """The builder for `cond` (an empty builder for None); mode "json" with the pretty JSON when
    the builder cannot show it."""
    if cond is None:
        return ConditionForm()
    groups = groups_of(cond, subjects)
    if groups is None:
        return ConditionForm(mode="json", json=pretty(cond))
    join, groups = groups
    return ConditionForm(groups=groups, join=join)


def groups_of(cond: Any, subjects: list[Subject]) -> tuple[str, list[Group]] | None:
    """(join between groups, groups) for `cond`, or None when it needs the JSON view."""
    clause = clause_of(cond, subjects)
    if clause is not None:
        return "and", [Group("and", [clause])]
    items = _logical(cond)
    if items is None:
        return None
    join, parts = items
    clauses = [clause_of(p, subjects) for p in parts]
    if all(c is not None for c in clauses):
        return "and", [Group(join, clauses)]  # type: ignore[arg-type]
    groups = []
    for part, one in zip(parts, clauses):
        if one is not None:
            groups.append(Group("and", [one]))
            continue
        inner = _logical(part)
        if inner is None:
            return None
        inner_clauses = [clause_of(p, subjects) for p in inner[1]]
        if any(c is None for c in inner_clauses):
            return None
        groups.append(Group(inner[0], inner_clauses))  # type: ignore[arg-type]
    return join, groups


def _logical(cond: Any) -> tuple[str, list[Any]] | None:
    if isinstance(cond, Mapping) and len(cond) == 1:
        ((key, arg),) = cond.items()
        if key in LOGICAL and isinstance(arg, list) and arg:
            return key[1:], arg
    return None


def clause_of(cond: Any, subjects: list[Subject]) -> Clause | None:
    """The single comparison `cond` as a clause, or None when the pickers cannot show it."""
    if not isinstance(cond, Mapping) or len(cond) != 1:
        return None
    ((key, arg),) = cond.items()
    if not isinstance(key, str) or key in LOGICAL:
        return None
    if key.startswith("$"):
        if key not in OPERATORS or not isinstance(arg, Mapping) or len(arg) != 1:
            return None
        ((name, value),) = arg.items()
        op = key
    else:
        name, value, op = key, arg, "="
    one = subject(subjects, name) if isinstance(name, str) else None
    if one is None:
        return None
    if isinstance(value, Mapping) and op not in EXISTENCE:
        other = value.get(REF)
        code = op + FIELD_SUFFIX
        if len(value) != 1 or code not in one.ops or not isinstance(other, str) \
                or other not in {s.name for s in comparable(subjects, one)}:
            return None
        return Clause(name, code, other)
    if one.kind == "boolean":
        return Clause(name, "ticked" if value else "unticked") \
            if op == "=" and isinstance(value, bool) else None
    if op not in one.ops:
        return None
    if op in EXISTENCE:
        return Clause(name, op) if value == 1 and type(value) is int else None
    if op in ("$in", "$nin"):
        return _list_clause(one, op, value)
    if not _fits(one, value):
        return None
    return Clause(name, op, raw_value(value))


def _list_clause(one: Subject, op: str, value: Any) -> Clause | None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return None
    if one.kind == "choice":
        if not set(value) <= set(one.option_values()):
            return None
        return Clause(one.name, op, values=[v for v in one.option_values() if v in value])
    if any(_LIST_SPLIT.search(v) or v != v.strip() or not v for v in value):
        return None
    return Clause(one.name, op, ", ".join(value))


def _fits(one: Subject, value: Any) -> bool:
    """Whether `value` reads back the same from its text in the subject's picker."""
    if one.kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if not isinstance(value, str) or not value or value != value.strip():
        return False
    if one.kind == "choice":
        return value in one.option_values()
    try:
        return _parsed(one, value) == value
    except ValueError:
        return False


# ---------------------------------------------------------------- posted pairs → form


def form_from_pairs(pairs: Iterable[tuple[str, str]], prefix: str,
                    subjects: list[Subject]) -> ConditionForm:
    """The builder as posted (names `{prefix}-g{G}-c{C}-subject` …), each clause normalised so
    its operator and value follow its subject: a changed subject starts from its first operator."""
    posted: dict[str, list[str]] = {}
    for name, value in pairs:
        if name.startswith(prefix + "-"):
            posted.setdefault(name[len(prefix) + 1:], []).append(value)

    def one(name: str) -> str:
        return posted.get(name, [""])[0]

    mode = one("mode") if one("mode") in MODES else "builder"
    cf = ConditionForm(join=_join(one("join")), mode=mode, json=one("json"))
    shape = re.compile(r"g(\d+)-(?:join|c(\d+)-subject)\Z")
    found: dict[int, set[int]] = {}
    for name in posted:
        if m := shape.match(name):
            found.setdefault(int(m.group(1)), set()).update({int(m.group(2))} if m.group(2) else ())
    for g in sorted(found):
        group = Group(_join(one(f"g{g}-join")))
        for c in sorted(found[g]):
            base = f"g{g}-c{c}-"
            group.clauses.append(_normalised(
                Clause(one(base + "subject"), one(base + "op"), one(base + "value").strip(),
                       [v for v in posted.get(base + "value", []) if v]),
                one(base + "was"), subjects))
        cf.groups.append(group)
    return cf


def _join(text: str) -> str:
    return text if text in JOINS else "and"


def _normalised(clause: Clause, was: str, subjects: list[Subject]) -> Clause:
    one = subject(subjects, clause.subject)
    if one is None:
        return clause
    if clause.op not in one.ops or (was and was != clause.subject):
        return new_clause(one)
    many = value_shape(clause.op) == "many" and one.kind == "choice"
    clause.values = [v for v in one.option_values() if v in clause.values] if many else []
    return clause


def new_clause(one: Subject) -> Clause:
    """A fresh clause on `one`: its first operator and a neutral value (the first option)."""
    op = one.ops[0]
    value = one.options[0][0] if one.kind == "choice" and value_shape(op) == "one" and one.options else ""
    return Clause(one.name, op, value)


# ---------------------------------------------------------------- form → condition


def read_condition(pairs: Iterable[tuple[str, str]], prefix: str,
                   subjects: list[Subject]) -> tuple[ConditionForm, dict[str, Any] | None]:
    """The posted builder and its condition: None when it is empty or has problems (then
    `form.has_problems`, each problem on the clause it concerns)."""
    cf = form_from_pairs(pairs, prefix, subjects)
    return cf, build_condition(cf, subjects)


def build_condition(cf: ConditionForm, subjects: list[Subject]) -> dict[str, Any] | None:
    """The condition `cf` says, checked against the subjects' types and options (problems are
    set on `cf`, replacing earlier ones); None when empty or wrong."""
    cf.problems = []
    for group in cf.groups:
        for clause in group.clauses:
            clause.problem = ""
    if cf.mode == "json":
        return _json_condition(cf, subjects)
    parts: list[tuple[dict[str, Any], list[tuple[str, Clause]]]] = []
    for group in cf.groups:
        built = [(c, _clause_condition(c, subjects)) for c in group.clauses]
        conds = [(c, cond) for c, cond in built if cond is not None]
        if not conds:
            continue
        if len(conds) == 1:
            parts.append((conds[0][1], [("", conds[0][0])]))
        else:
            key = "$" + group.join
            parts.append(({key: [cond for _c, cond in conds]},
                          [(f"{key}[{i}]", c) for i, (c, _cond) in enumerate(conds)]))
    if not parts:
        return None
    if len(parts) == 1:
        cond, where = parts[0]
    else:
        key = "$" + cf.join
        cond = {key: [p for p, _w in parts]}
        where = [(f"{key}[{i}]" + (("." + path) if path else ""), c)
                 for i, (_p, paths) in enumerate(parts) for path, c in paths]
    _place(cf, validate_condition(cond, _types(subjects), options=_options(subjects)), where)
    return None if cf.has_problems else cond


def _json_condition(cf: ConditionForm, subjects: list[Subject]) -> dict[str, Any] | None:
    if not cf.json.strip():
        return None
    try:
        cond = json.loads(cf.json)
    except ValueError as exc:
        cf.problems.append(_("The condition is not valid JSON: %(error)s") % {"error": exc})
        return None
    cf.problems += [str(p) for p in validate_condition(cond, _types(subjects), options=_options(subjects))]
    return None if cf.problems else cond


def _place(cf: ConditionForm, problems: list[Any], where: list[tuple[str, Clause]]) -> None:
    """Each problem on the clause whose JSON path it lies under (the longest such path)."""
    for problem in problems:
        owners = [(path, c) for path, c in where if paths.under(problem.path, path)]
        if not owners:
            cf.problems.append(str(problem))
            continue
        clause = max(owners, key=lambda o: len(o[0]))[1]
        clause.problem = f"{clause.problem} {problem.message}" if clause.problem else problem.message


def _types(subjects: list[Subject]) -> dict[str, str]:
    return {s.name: s.type for s in subjects}


def _options(subjects: list[Subject]) -> dict[str, tuple[str, ...]]:
    return {s.name: s.option_values() for s in subjects if s.options}


def _clause_condition(clause: Clause, subjects: list[Subject]) -> dict[str, Any] | None:
    """The clause as a condition, or None with `clause.problem` saying why."""
    one = subject(subjects, clause.subject)
    if one is None:
        clause.problem = _("Choose a field.")
        return None
    shape = value_shape(clause.op)
    base = clause.op.removesuffix(FIELD_SUFFIX)
    if shape == "none":
        if clause.op in ("ticked", "unticked"):
            return {one.name: clause.op == "ticked"}
        return {base: {one.name: 1}}
    if shape == "field":
        if clause.value not in {s.name for s in comparable(subjects, one)}:
            clause.problem = _("Choose the field to compare with.")
            return None
        value: Any = {REF: clause.value}
    elif shape == "many":
        items = clause.values if one.kind == "choice" else \
            [v.strip() for v in _LIST_SPLIT.split(clause.value) if v.strip()]
        if not items:
            clause.problem = _("Tick at least one value.") if one.kind == "choice" \
                else _("Enter at least one value, separated by commas.")
            return None
        value = items
    else:
        if clause.value == "":
            clause.problem = _("Enter a value.")
            return None
        try:
            value = _parsed(one, clause.value)
        except ValueError:
            clause.problem = _bad_value(one, clause.value)
            return None
    return {one.name: value} if base == "=" else {base: {one.name: value}}


def _parsed(one: Subject, text: str) -> Any:
    if one.kind == "number":
        return parse_amount(text)
    if one.kind == "date":
        return parse_date(text)
    if one.kind == "datetime":
        return parse_datetime(text)
    return text


def _bad_value(one: Subject, text: str) -> str:
    if one.kind == "number":
        return _("“%(value)s” is not a number.") % {"value": text}
    if one.kind == "date":
        return _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": text}
    return _("“%(value)s” is not a date and time.") % {"value": text}


# ---------------------------------------------------------------- operations


def operation_for(pairs: Iterable[tuple[str, str]], prefix: str) -> str | None:
    """The builder operation a post asks for (`_op={prefix}:add-clause:0` → "add-clause:0")."""
    for name, value in pairs:
        if name == "_op" and value.startswith(prefix + ":"):
            return value[len(prefix) + 1:]
    return None


def apply_operation(cf: ConditionForm, op: str, subjects: Sequence[Subject] = ()) -> None:
    """Add or remove a clause or group, change a join or switch between builder and JSON; sets
    `cf.focus`. An operation that does not fit (a stale index) changes nothing."""
    name, *args = op.split(":")
    numbers = [int(a) for a in args if a.isdigit()]
    groups = cf.groups
    g = numbers[0] if numbers else -1
    first = subjects[0] if subjects else None
    if name == "add-group" and first is not None:
        groups.append(Group("and", [new_clause(first)]))
        cf.focus = f"g{len(groups) - 1}-c0-subject"
    elif name == "join" and args and args[0] in JOINS:
        cf.join = args[0]
        cf.focus = f"join-{args[0]}"
    elif name == "mode" and args and args[0] in MODES:
        _switch_mode(cf, args[0], list(subjects))
    elif not 0 <= g < len(groups):
        return
    elif name == "remove-group":
        del groups[g]
        cf.focus = "add-group"
    elif name == "add-clause" and first is not None:
        last = groups[g].clauses[-1].subject if groups[g].clauses else first.name
        groups[g].clauses.append(new_clause(subject(subjects, last) or first))
        cf.focus = f"g{g}-c{len(groups[g].clauses) - 1}-subject"
    elif name == "remove-clause" and len(numbers) == 2 and 0 <= numbers[1] < len(groups[g].clauses):
        del groups[g].clauses[numbers[1]]
        if not groups[g].clauses:
            del groups[g]
        cf.focus = f"g{g}-add-clause" if g < len(groups) else "add-group"
    elif name == "group-join" and len(args) == 2 and args[1] in JOINS:
        groups[g].join = args[1]
        cf.focus = f"g{g}-join-{args[1]}"


def _switch_mode(cf: ConditionForm, mode: str, subjects: list[Subject]) -> None:
    if mode == cf.mode:
        return
    if mode == "json":
        cond = build_condition(cf, subjects)
        if cf.has_problems:
            cf.problems.append(_("Fix the marked conditions before switching to JSON."))
            return
        cf.mode, cf.json = "json", pretty(cond) if cond is not None else ""
        cf.focus = "json"
        return
    if not cf.json.strip():
        cf.mode, cf.groups, cf.focus = "builder", [], "add-group"
        return
    try:
        shown = groups_of(json.loads(cf.json), subjects)
    except ValueError:
        shown = None
    if shown is None:
        cf.problems.append(_("The builder cannot show this condition; keep editing it as JSON."))
        return
    cf.mode, (cf.join, cf.groups), cf.focus = "builder", shown, "g0-c0-subject"


def form_pairs(cf: ConditionForm, prefix: str) -> list[tuple[str, str]]:
    """The pairs a browser posts for `cf` as the builder renders it (for tests and for
    carrying a builder's state in hidden inputs)."""
    pairs = [(f"{prefix}-mode", cf.mode), (f"{prefix}-join", cf.join), (f"{prefix}-json", cf.json)]
    for g, group in enumerate(cf.groups):
        pairs.append((f"{prefix}-g{g}-join", group.join))
        for c, clause in enumerate(group.clauses):
            base = f"{prefix}-g{g}-c{c}-"
            pairs += [(base + "subject", clause.subject), (base + "was", clause.subject),
                      (base + "op", clause.op)]
            pairs += [(base + "value", v) for v in clause.values] if clause.values \
                else [(base + "value", clause.value)]
    return pairs

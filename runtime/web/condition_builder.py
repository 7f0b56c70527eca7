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

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from builder import json_text
from rules.conditions import EXISTENCE, LOGICAL, OPERATORS, REF
from runtime import i18n
from runtime.web.condition_subjects import (FIELD_SUFFIX, Subject, comparable, subject,
                                            value_shape)
from runtime.web.condition_check import build_condition, parse_text, place_problems
from runtime.web.condition_model import (JOINS, LIST_SPLIT, MODES, Clause, ConditionForm, Group,
                                         pretty)
from runtime.web.editor_values import raw_value

__all__ = ["Clause", "ConditionForm", "Group", "apply_operation", "build_condition", "clause_of",
           "condition_form", "form_from_pairs", "form_pairs", "groups_of", "new_clause",
           "operation_for", "pending_clause", "place_problems", "pretty", "read_condition"]

_ = i18n.gettext


# ---------------------------------------------------------------- condition → form


def condition_form(cond: Mapping[str, Any] | None, subjects: Sequence[Subject]) -> ConditionForm:
    """The builder for `cond` (an empty builder for None); mode "json" with the pretty JSON when
    the builder cannot show it."""
    if cond is None:
        return ConditionForm()
    groups = groups_of(cond, subjects)
    if groups is None:
        return ConditionForm(mode="json", json=pretty(cond))
    join, groups = groups
    return ConditionForm(groups=groups, join=join)


def groups_of(cond: Any, subjects: Sequence[Subject]) -> tuple[str, list[Group]] | None:
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


def clause_of(cond: Any, subjects: Sequence[Subject]) -> Clause | None:
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
    if any(LIST_SPLIT.search(v) or v != v.strip() or not v for v in value):
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
        return parse_text(one, value) == value
    except ValueError:
        return False


# ---------------------------------------------------------------- posted pairs → form


def form_from_pairs(pairs: Iterable[tuple[str, str]], prefix: str,
                    subjects: Sequence[Subject]) -> ConditionForm:
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


def _normalised(clause: Clause, was: str, subjects: Sequence[Subject]) -> Clause:
    one = subject(subjects, clause.subject)
    if one is None:
        return clause
    if clause.pending:  # a new clause whose field was just picked: its operator is next
        return Clause(one.name, "")
    if clause.op not in one.ops or (was and was != clause.subject):
        return new_clause(one)
    many = value_shape(clause.op) == "many" and one.kind == "choice"
    clause.values = [v for v in one.option_values() if v in clause.values] if many else []
    return clause


def new_clause(one: Subject) -> Clause:
    """A clause moved to subject `one`: its first operator and a neutral value (the first option)."""
    op = one.ops[0]
    value = one.options[0][0] if one.kind == "choice" and value_shape(op) == "one" and one.options else ""
    return Clause(one.name, op, value)


def pending_clause() -> Clause:
    """A clause just added: nothing chosen, so it counts for nothing (never a default nobody
    picked) until the person picks its field and how it compares."""
    return Clause("", "")


def read_condition(pairs: Iterable[tuple[str, str]], prefix: str,
                   subjects: Sequence[Subject]) -> tuple[ConditionForm, dict[str, Any] | None]:
    """The posted builder and its condition: None when it is empty or has problems (then
    `form.has_problems`, each problem on the clause it concerns)."""
    cf = form_from_pairs(pairs, prefix, subjects)
    return cf, build_condition(cf, subjects)


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
        groups.append(Group("and", [pending_clause()]))
        cf.focus = f"g{len(groups) - 1}-c0-subject"
    elif name == "join" and args and args[0] in JOINS:
        cf.join = args[0]
        cf.focus = f"join-{args[0]}"
    elif name == "mode" and args and args[0] in MODES:
        _switch_mode(cf, args[0], subjects)
    elif not 0 <= g < len(groups):
        return
    elif name == "remove-group":
        del groups[g]
        cf.focus = "add-group"
    elif name == "add-clause" and first is not None:  # on the last clause's field, the likeliest next
        last = subject(subjects, groups[g].clauses[-1].subject) if groups[g].clauses else None
        groups[g].clauses.append(Clause(last.name, "") if last is not None else pending_clause())
        cf.focus = f"g{g}-c{len(groups[g].clauses) - 1}-subject"
    elif name == "remove-clause" and len(numbers) == 2 and 0 <= numbers[1] < len(groups[g].clauses):
        del groups[g].clauses[numbers[1]]
        if not groups[g].clauses:
            del groups[g]
        cf.focus = f"g{g}-add-clause" if g < len(groups) else "add-group"
    elif name == "group-join" and len(args) == 2 and args[1] in JOINS:
        groups[g].join = args[1]
        cf.focus = f"g{g}-join-{args[1]}"


def _switch_mode(cf: ConditionForm, mode: str, subjects: Sequence[Subject]) -> None:
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
        shown = groups_of(json_text.loads(cf.json), subjects)
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

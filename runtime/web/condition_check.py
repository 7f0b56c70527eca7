"""The builder's condition, checked: each clause's value parsed by its subject's type and each
problem — of the value, or found by `rules.conditions.validate_condition` — set on the clause
whose JSON path it lies under. Pure functions on `runtime.web.condition_model`.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from builder import json_text
from builder import paths
from rules.conditions import REF, validate_condition
from rules.errors import Problem
from runtime import i18n
from runtime.web.condition_model import LIST_SPLIT, Clause, ConditionForm
from runtime.web.condition_subjects import FIELD_SUFFIX, Subject, comparable, subject, value_shape
from runtime.web.editor_values import parse_amount, parse_date, parse_datetime

_ = i18n.gettext


def build_condition(cf: ConditionForm, subjects: Sequence[Subject]) -> dict[str, Any] | None:
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
        built = [(c, _clause_condition(c, subjects)) for c in group.clauses if not c.pending]
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


def _json_condition(cf: ConditionForm, subjects: Sequence[Subject]) -> dict[str, Any] | None:
    if not cf.json.strip():
        return None
    try:
        cond = json_text.loads(cf.json)
    except ValueError as exc:
        cf.problems.append(_("The condition is not valid JSON: %(error)s") % {"error": exc})
        return None
    cf.problems += [i18n.localized_problem(p) for p in validate_condition(cond, _types(subjects), options=_options(subjects))]
    return None if cf.problems else cond


def _place(cf: ConditionForm, problems: list[Any], where: list[tuple[str, Clause]]) -> None:
    """Each problem on the clause whose JSON path it lies under (the longest such path)."""
    for problem in problems:
        owners = [(path, c) for path, c in where if paths.under(problem.path, path)]
        if not owners:
            cf.problems.append(i18n.localized_problem(problem))
            continue
        clause = max(owners, key=lambda o: len(o[0]))[1]
        message = i18n.localized(problem.message)
        clause.problem = f"{clause.problem} {message}" if clause.problem else message


def place_problems(cf: ConditionForm, problems: Iterable[Any], path: str) -> None:
    """Problems found elsewhere (saving the whole form: `fields[3].visible_when.$and[1].$gt.total`)
    on the clause of `cf` they concern; `path` is where `cf`'s condition sits in that document."""
    mine = [p for p in problems if paths.under(p.path, path)]
    relative = [Problem(p.path[len(path):].lstrip("."), p.message) for p in mine]
    if cf.mode == "json":
        cf.problems += [i18n.localized_problem(p) for p in relative]
        return
    _place(cf, relative, _where(cf))


def _where(cf: ConditionForm) -> list[tuple[str, Clause]]:
    """The JSON path of each clause in the condition `cf` says when every clause is complete."""
    chosen = [[c for c in g.clauses if not c.pending] for g in cf.groups]  # pending ones say nothing
    groups = [(g, clauses) for g, clauses in zip(cf.groups, chosen) if clauses]
    inner = [[("" if len(clauses) == 1 else f"${g.join}[{c}]", clause) for c, clause in enumerate(clauses)]
             for g, clauses in groups]
    if not inner:
        return []
    if len(groups) == 1:
        return inner[0]
    return [(f"${cf.join}[{i}]" + ("." + path if path else ""), clause)
            for i, group_paths in enumerate(inner) for path, clause in group_paths]


def _types(subjects: Sequence[Subject]) -> dict[str, str]:
    return {s.name: s.type for s in subjects}


def _options(subjects: Sequence[Subject]) -> dict[str, tuple[str, ...]]:
    return {s.name: s.option_values() for s in subjects if s.options}


def _clause_condition(clause: Clause, subjects: Sequence[Subject]) -> dict[str, Any] | None:
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
            [v.strip() for v in LIST_SPLIT.split(clause.value) if v.strip()]
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
            value = parse_text(one, clause.value)
        except ValueError:
            clause.problem = _bad_value(one, clause.value)
            return None
    return {one.name: value} if base == "=" else {base: {one.name: value}}


def parse_text(one: Subject, text: str) -> Any:
    """Typed text as the value a `one` clause compares with; ValueError when it is not one."""
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

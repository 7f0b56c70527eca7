"""The decision table as the rule designer's form shows it, and back: pure functions.

A ruleset document becomes rows of field/operator/value clauses (or JSON where the clause editor
cannot say it), posted form fields become a ruleset document again, and problems and lint findings
are placed on the rows they concern. No requests and no storage here; `runtime.web.designer`
routes call these.
"""

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from builder import json_text
from builder.text import localize
from rules.conditions import value_class
from rules.evaluation import Decision
from runtime import i18n
from runtime.errors import Problem
from runtime.rulesets import TestCase
from runtime.service import Workflow
from runtime.web import editor_values
from runtime.web.editor_values import OP_SYMBOLS, parse_number, raw_value


_ = i18n.gettext

# Operators the clause editor offers, by what an input's value is. Anything else is edited as JSON.
_NUMBER_OPS = ("$gt", "$gte", "$lt", "$lte", "=", "$ne")
OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "number": _NUMBER_OPS, "date": _NUMBER_OPS, "datetime": _NUMBER_OPS,
    "choice": ("=", "$ne", "$in"), "text": ("=", "$ne"), "boolean": ("=",),
}
HIT_POLICY_NAMES = ("first", "unique", "collect")
MODES = ("clauses", "json", "json-edit")
DRAFT_CHANGED = "ruleset-changed"

_ROW_RE = re.compile(r"rows-(\d+)-mode\Z")
_CLAUSE_RE = re.compile(r"rows-(\d+)-c-(\d+)-field\Z")
_ROW_PATH_RE = re.compile(r"ruleset\.rows\[(\d+)\](.*)\Z")
_CLAUSE_PATH_RE = re.compile(r"\.when\.\$and\[(\d+)\]")
TEST_PATH_RE = re.compile(r"tests\[(\d+)\]")


# ---------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """An input or output of the table as the editor shows it: label, kind, allowed values."""

    key: str
    type: str
    label: str
    kind: str  # number, choice, text, date, datetime, boolean
    options: tuple[tuple[str, str], ...] = ()  # (value, label)

    @property
    def ops(self) -> tuple[str, ...]:
        return OPS_BY_KIND.get(self.kind, ("=", "$ne"))

    def option_label(self, value: Any) -> str:
        return next((label for v, label in self.options if v == value), str(value))


@dataclass(frozen=True)
class Columns:
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...]

    def input(self, key: str) -> Column | None:
        return next((c for c in self.inputs if c.key == key), None)


def _kind(type_: str, options: tuple[Any, ...]) -> str:
    cls = value_class(type_)
    if cls == "string":
        return "choice" if options else "text"
    return cls if cls in ("number", "date", "datetime", "boolean") else "text"


def columns_for(workflow: Workflow, ruleset: dict[str, Any]) -> Columns:
    """The draft's columns, labelled (and select inputs given options) from the forms using it."""
    locale = i18n.current_locale.get()
    fields: dict[str, Any] = {}
    for flow in workflow.processes():
        if ruleset["key"] in flow.rulesets:
            for f in workflow.definition("form", flow.form).fields:
                fields.setdefault(f.key, f)

    def column(doc: dict[str, Any], is_input: bool) -> Column:
        form_field = fields.get(doc["key"]) if is_input else None
        label = localize(doc.get("label"), locale) or (localize(form_field.label, locale) if form_field else "")
        form_options = {o.value: localize(o.label, locale) or o.value
                        for o in getattr(form_field, "options", ()) or ()}
        values = tuple(doc.get("options", ())) or tuple(form_options)
        options = tuple((v, form_options.get(v, v)) for v in values)
        return Column(doc["key"], doc["type"], label or doc["key"], _kind(doc["type"], options), options)

    return Columns(tuple(column(c, True) for c in ruleset.get("inputs", ())),
                   tuple(column(c, False) for c in ruleset.get("outputs", ())))


# ---------------------------------------------------------------- values


def parse_value(column: Column, text: str) -> Any:
    """A typed value as the column's JSON value; ValueError says it is not one."""
    if column.kind == "number":
        return parse_number(text)
    if column.kind == "boolean":
        if text not in ("true", "false"):
            raise ValueError(text)
        return text == "true"
    if column.kind == "datetime" and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text):
        return text + ":00"
    return text


def show_value(column: Column | None, value: Any) -> str:
    """A value for reading: grouped numbers, option labels, yes/no."""
    return editor_values.show_value(value, column.options if column is not None else ())


def condition_text(cond: Any, columns: Columns) -> str:
    """A condition in words: `{"$gt": {"total": 5000}}` → `Total > 5,000`."""
    if not isinstance(cond, dict) or len(cond) != 1:
        return json.dumps(cond, ensure_ascii=False)
    ((key, arg),) = cond.items()
    if key in ("$and", "$or") and isinstance(arg, list):
        joiner = _(" and ") if key == "$and" else _(" or ")
        parts = [condition_text(c, columns) for c in arg]
        text = joiner.join(f"({p})" if isinstance(c, dict) and set(c) & {"$and", "$or"} else p
                           for c, p in zip(arg, parts))
        return text
    if key.startswith("$"):
        if not isinstance(arg, dict) or len(arg) != 1:
            return json.dumps(cond, ensure_ascii=False)
        ((name, value),) = arg.items()
    else:
        name, value, key = key, arg, "="
    column = columns.input(name)
    label = column.label if column else name
    if key in OP_SYMBOLS:
        return f"{label} {OP_SYMBOLS[key]} {show_value(column, value)}"
    words = {"$in": _("is one of"), "$nin": _("is none of"), "$mt": _("matches the pattern")}
    if key in words:
        return f"{label} {words[key]} {show_value(column, value)}"
    if key == "$ex":
        return _("%(field)s is filled in") % {"field": label}
    if key == "$nex":
        return _("%(field)s is empty") % {"field": label}
    return json.dumps(cond, ensure_ascii=False)


def outcome_text(outcome: dict[str, Any], columns: Columns) -> str:
    by_key = {c.key: c for c in columns.outputs}
    return ", ".join(f"{k} = {show_value(by_key.get(k), v)}" for k, v in outcome.items()) or "—"


def data_text(data: dict[str, Any], columns: Columns) -> str:
    return ", ".join(f"{(columns.input(k).label if columns.input(k) else k)} = {show_value(columns.input(k), v)}"
                     for k, v in data.items()) or "—"


# ---------------------------------------------------------------- the table as a form


@dataclass
class ClauseForm:
    field: str
    op: str
    values: list[str]

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""


@dataclass
class RowForm:
    """One row as the form carries it (text as typed), with what is wrong with it."""

    mode: str = "clauses"
    clauses: list[ClauseForm] = field(default_factory=list)
    json: str = ""
    then: dict[str, str] = field(default_factory=dict)
    note: str | dict[str, str] = ""
    problems: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)

    def note_text(self, locale: str) -> str:
        return self.note.get(locale, "") if isinstance(self.note, dict) else self.note

    def other_notes(self, locale: str) -> dict[str, str]:
        return {k: v for k, v in self.note.items() if k != locale} if isinstance(self.note, dict) else {}

    def note_placeholder(self, locale: str) -> str:
        return localize(self.note, locale) if isinstance(self.note, dict) else ""


@dataclass
class TableForm:
    hit_policy: str = "first"
    rows: list[RowForm] = field(default_factory=list)
    default: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    default_problems: list[str] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)
    focus: str = ""

    @property
    def has_problems(self) -> bool:
        return bool(self.problems or self.default_problems or any(r.problems for r in self.rows))


def clauses_of(cond: Any, columns: Columns) -> list[ClauseForm] | None:
    """The condition as an AND of editable clauses, or None when it needs the JSON editor."""
    if isinstance(cond, dict) and list(cond) == ["$and"] and isinstance(cond["$and"], list) and cond["$and"]:
        parts = cond["$and"]
    else:
        parts = [cond]
    clauses = []
    for part in parts:
        clause = _clause_of(part, columns)
        if clause is None:
            return None
        clauses.append(clause)
    return clauses


def _clause_of(part: Any, columns: Columns) -> ClauseForm | None:
    if not isinstance(part, dict) or len(part) != 1:
        return None
    ((key, arg),) = part.items()
    if key.startswith("$"):
        if not isinstance(arg, dict) or len(arg) != 1:
            return None
        ((name, value),) = arg.items()
        op = key
    else:
        name, value, op = key, arg, "="
    column = columns.input(name)
    if column is None or op not in column.ops:
        return None
    if op == "$in":
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            return None
        return ClauseForm(name, op, list(value))
    if isinstance(value, (list, dict)) or value is None:
        return None
    if column.kind == "choice" and value not in dict(column.options):
        return None
    return ClauseForm(name, op, [raw_value(value)])


def table_from_ruleset(doc: dict[str, Any], columns: Columns, modes: list[str] | None = None) -> TableForm:
    """The form for a saved ruleset; `modes` keeps rows the designer chose to edit as JSON so."""
    rows = []
    for i, row in enumerate(doc.get("rows", ())):
        clauses = clauses_of(row["when"], columns)
        wanted = modes[i] if modes and i < len(modes) else "clauses"
        mode = "clauses" if clauses is not None and wanted == "clauses" else "json"
        rows.append(RowForm(mode=mode, clauses=clauses or [], json=pretty(row["when"]),
                            then={k: raw_value(v) for k, v in row["then"].items()},
                            note=dict(row["note"]) if isinstance(row.get("note"), dict) else row.get("note", "")))
    default = {k: raw_value(v) for k, v in (doc.get("default") or {}).items()}
    return TableForm(hit_policy=doc.get("hit_policy", "first"), rows=rows, default=default)


def pretty(cond: Any) -> str:
    return json.dumps(cond, ensure_ascii=False, indent=2)


def table_from_form(form: dict[str, list[str]], columns: Columns) -> TableForm:
    """The table as posted, normalised so every clause offers what its field allows."""
    def one(name: str) -> str:
        return form.get(name, [""])[0]

    indexes = sorted(int(m.group(1)) for name in form if (m := _ROW_RE.match(name)))
    rows = []
    for i in indexes:
        mode = one(f"rows-{i}-mode")
        clause_ids = sorted(int(m.group(2)) for name in form
                            if (m := _CLAUSE_RE.match(name)) and int(m.group(1)) == i)
        clauses = [_normalised(ClauseForm(one(f"rows-{i}-c-{j}-field"), one(f"rows-{i}-c-{j}-op"),
                                          [v.strip() for v in form.get(f"rows-{i}-c-{j}-value", [])]),
                               columns)
                   for j in clause_ids]
        localized = {loc: one(f"rows-{i}-note-{loc}").strip() for loc in i18n.LOCALES
                     if f"rows-{i}-note-{loc}" in form}
        note: str | dict[str, str] = localized if localized else one(f"rows-{i}-note").strip()
        rows.append(RowForm(mode=mode if mode in MODES else "clauses", clauses=clauses,
                            json=one(f"rows-{i}-json"),
                            then={c.key: one(f"rows-{i}-then-{c.key}").strip() for c in columns.outputs},
                            note=note))
    default = {c.key: one(f"default-{c.key}").strip() for c in columns.outputs}
    return TableForm(hit_policy=one("hit_policy") or "first", rows=rows, default=default)


def _normalised(clause: ClauseForm, columns: Columns) -> ClauseForm:
    column = columns.input(clause.field) or (columns.inputs[0] if columns.inputs else None)
    if column is None:
        return clause
    op = clause.op if clause.op in column.ops else column.ops[0]
    values = [v for v in clause.values if v != ""]
    if column.kind == "choice":
        allowed = [v for v, _label in column.options]
        values = [v for v in values if v in allowed]
        if not values and op != "$in":
            values = allowed[:1]
    if op != "$in":
        values = values[:1]
    return ClauseForm(column.key, op, values)


def new_clause(columns: Columns) -> ClauseForm:
    """A harmless clause to edit: equality with a neutral value (nothing matches by surprise)."""
    column = columns.inputs[0]
    blank = {"number": "0", "boolean": "true", "date": dt.date.today().isoformat(),
             "datetime": dt.datetime.now().replace(microsecond=0).isoformat(),
             "choice": column.options[0][0] if column.options else ""}
    return ClauseForm(column.key, "=", [blank.get(column.kind, "")])


def apply_operation(table: TableForm, operation: str, columns: Columns) -> None:
    """Add, remove or move a row, add or remove a clause, or switch a row's editor; sets focus."""
    name, *args = operation.split(":")
    try:
        numbers = [int(a) for a in args]
    except ValueError:
        return
    rows = table.rows
    i = numbers[0] if numbers else -1
    if name != "add-row" and not 0 <= i < len(rows):
        return
    if name == "add-row" and columns.inputs:
        outputs = {c.key: (c.options[0][0] if c.options else "") for c in columns.outputs}
        rows.append(RowForm(clauses=[new_clause(columns)], then=outputs))
        table.focus = f"rows-{len(rows) - 1}-c-0-value"
    elif name == "remove-row":
        if len(rows) == 1:
            rows[0].problems.append(_("A table needs at least one row; use the default for "
                                      "“otherwise”."))
            return
        del rows[i]
        table.focus = f"remove-row-{i}" if i < len(rows) else "add-row"
    elif name in ("up", "down"):
        j = i - 1 if name == "up" else i + 1
        if 0 <= j < len(rows):
            rows[i], rows[j] = rows[j], rows[i]
            at_edge = (name == "up" and j == 0) or (name == "down" and j == len(rows) - 1)
            table.focus = f"{'down' if name == 'up' else 'up'}-{j}" if at_edge else f"{name}-{j}"
    elif name == "add-clause" and columns.inputs:
        rows[i].clauses.append(new_clause(columns))
        table.focus = f"rows-{i}-c-{len(rows[i].clauses) - 1}-value"
    elif name == "remove-clause" and len(numbers) == 2 and 0 <= numbers[1] < len(rows[i].clauses):
        del rows[i].clauses[numbers[1]]
        table.focus = f"add-clause-{i}"
    elif name == "json" and rows[i].mode == "clauses":
        cond = condition_from_clauses(rows[i], i, columns)
        if cond is not None:
            rows[i].mode, rows[i].json = "json-edit", pretty(cond)
            table.focus = f"rows-{i}-json"
    elif name == "edit-json":
        rows[i].mode = "json-edit"
        table.focus = f"rows-{i}-json"
    elif name == "clauses" and rows[i].mode != "clauses":
        try:
            clauses = clauses_of(json_text.loads(rows[i].json), columns)
        except ValueError:
            clauses = None
        if clauses is None:
            rows[i].problems.append(_("This condition is more than an AND of simple clauses; "
                                      "keep editing it as JSON."))
            rows[i].invalid.add(f"rows-{i}-json")
        else:
            rows[i].mode, rows[i].clauses = "clauses", clauses
            table.focus = f"rows-{i}-c-0-field"


def condition_from_clauses(row: RowForm, i: int, columns: Columns) -> dict[str, Any] | None:
    """The row's clauses as one condition, or None with the problems noted on the row."""
    parts = []
    for j, clause in enumerate(row.clauses):
        column = columns.input(clause.field)
        control = f"rows-{i}-c-{j}-value"
        if column is None:
            row.problems.append(_("Choose a field for condition %(n)s.") % {"n": j + 1})
            row.invalid.add(f"rows-{i}-c-{j}-field")
            continue
        if clause.op == "$in":
            if not clause.values:
                row.problems.append(_("%(field)s: tick at least one value.") % {"field": column.label})
                row.invalid.add(control)
                continue
            parts.append({"$in": {column.key: list(clause.values)}})
            continue
        if clause.value == "" and column.kind != "text":
            row.problems.append(_("%(field)s: enter a value.") % {"field": column.label})
            row.invalid.add(control)
            continue
        try:
            value = parse_value(column, clause.value)
        except ValueError:
            row.problems.append(_("%(field)s: “%(value)s” is not a number.") %
                                {"field": column.label, "value": clause.value})
            row.invalid.add(control)
            continue
        parts.append({column.key: value} if clause.op == "=" else {clause.op: {column.key: value}})
    if not row.clauses:
        row.problems.append(_("Add at least one condition."))
        return None
    if len(parts) != len(row.clauses):
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def outcome_from_values(values: dict[str, str], columns: Columns, prefix: str,
             problems: list[str], invalid: set[str]) -> dict[str, Any]:
    outcome = {}
    for column in columns.outputs:
        text = values.get(column.key, "")
        if text == "":
            continue
        try:
            outcome[column.key] = parse_value(column, text)
        except ValueError:
            problems.append(_("%(field)s: “%(value)s” is not a number.") % {"field": column.label, "value": text})
            invalid.add(f"{prefix}{column.key}")
    return outcome


def ruleset_from_table(table: TableForm, columns: Columns, base: dict[str, Any]) -> dict[str, Any] | None:
    """The draft document with the table's rows, default and hit policy; None when it cannot be
    built (the problems are on the table's rows)."""
    rows = []
    for i, row in enumerate(table.rows):
        if row.mode == "clauses":
            when = condition_from_clauses(row, i, columns)
        else:
            try:
                when = json_text.loads(row.json)
            except ValueError as exc:
                row.problems.append(_("The condition is not valid JSON: %(error)s") % {"error": exc})
                row.invalid.add(f"rows-{i}-json")
                when = None
        then = outcome_from_values(row.then, columns, f"rows-{i}-then-", row.problems, row.invalid)
        if not then and columns.outputs:
            row.problems.append(_("Set at least one output."))
            row.invalid.update(f"rows-{i}-then-{c.key}" for c in columns.outputs)
        doc: dict[str, Any] = {"when": when, "then": then}
        if row.note:
            note = {k: v for k, v in row.note.items() if v} if isinstance(row.note, dict) else row.note
            if note:
                doc["note"] = note
        rows.append(doc)
    if not table.rows:
        table.problems.append(_("A table needs at least one row."))
    default = outcome_from_values(table.default, columns, "default-", table.default_problems, table.invalid)
    if table.has_problems:
        return None
    doc = {**base, "hit_policy": table.hit_policy, "rows": rows}
    doc.pop("default", None)
    if default:
        doc["default"] = default
    return doc


def place_problems(table: TableForm, problems: list[Problem]) -> None:
    """Each problem from validation on the row (and control) it concerns: `ruleset.rows[2]` is row 3."""
    for problem in problems:
        message = i18n.localized(problem.message)
        match = _ROW_PATH_RE.match(problem.path)
        if match and int(match.group(1)) < len(table.rows):
            i, rest = int(match.group(1)), match.group(2)
            row = table.rows[i]
            where = rest.lstrip(".")
            if row.mode != "clauses" and rest.startswith(".when"):
                inner = rest[len(".when"):].lstrip(".")
                row.problems.append(f"{inner}: {message}" if inner else message)
                row.invalid.add(f"rows-{i}-json")
            elif rest.startswith(".when"):
                clause = _CLAUSE_PATH_RE.match(rest)
                j = int(clause.group(1)) if clause else (0 if len(row.clauses) == 1 else None)
                row.problems.append(message)
                if j is not None and j < len(row.clauses):
                    row.invalid.add(f"rows-{i}-c-{j}-value")
            elif rest.startswith(".then."):
                row.problems.append(f"{where[len('then.'):]}: {message}")
                row.invalid.add(f"rows-{i}-then-{where[len('then.'):]}")
            else:
                row.problems.append(message)
        elif problem.path.startswith("ruleset.default"):
            key = problem.path[len("ruleset.default."):]
            table.default_problems.append(f"{key}: {message}" if key else message)
            if key:
                table.invalid.add(f"default-{key}")
        elif problem.path == "ruleset.hit_policy":
            table.problems.append(message)
            table.invalid.add("hit_policy")
        else:
            table.problems.append(i18n.localized_problem(problem))


def place_findings(table: TableForm, findings: list[dict[str, Any]]) -> None:
    """Lint findings on their rows (a finding's `row` is 1-based); the rest above the table."""
    for finding in findings:
        row = finding.get("row")
        message = i18n.localized(finding.get("message", ""))
        if isinstance(row, int) and 1 <= row <= len(table.rows):
            table.rows[row - 1].findings.append(message)
        else:
            table.findings.append(message)


# ---------------------------------------------------------------- what-if and test cases


def data_from_form(form: dict[str, list[str]], columns: Columns, prefix: str,
                   errors: dict[str, str]) -> dict[str, Any]:
    """Sample input values from a what-if or test form; typed values, blanks left out."""
    data: dict[str, Any] = {}
    for column in columns.inputs:
        text = form.get(f"{prefix}{column.key}", [""])[0].strip()
        if text == "":
            continue
        try:
            data[column.key] = parse_value(column, text)
        except ValueError:
            errors[f"{prefix}{column.key}"] = _("“%(value)s” is not a number.") % {"value": text}
    return data


@dataclass
class WhatIf:
    """The what-if panel's answer for the draft, and the published version's for comparison."""

    data: dict[str, Any]
    decision: Decision | None = None
    published: Decision | None = None
    published_version: int = 0
    error: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def differs(self) -> bool:
        return bool(self.decision and self.published and self.decision.outcome != self.published.outcome)


@dataclass
class TestEditor:
    """The add/edit form for one saved test case."""

    index: int | None = None
    name: str = ""
    data: dict[str, str] = field(default_factory=dict)
    expect: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def editor_for(case: TestCase | None, index: int | None = None) -> TestEditor:
    if case is None:
        return TestEditor()
    return TestEditor(index=index, name=case.name, data={k: raw_value(v) for k, v in case.data.items()},
                      expect={k: raw_value(v) for k, v in case.expect.items()})


def version_changes(before: dict[str, Any], after: dict[str, Any], columns: Columns) -> list[str]:
    """What one published version changed against the previous one, a line per change."""
    def rule(row: dict[str, Any]) -> str:
        return f"{condition_text(row['when'], columns)} ⇒ {outcome_text(row['then'], columns)}"

    lines = []
    if before.get("hit_policy", "first") != after.get("hit_policy", "first"):
        lines.append(_("Hit policy: %(old)s → %(new)s") % {"old": before.get("hit_policy", "first"),
                                                           "new": after.get("hit_policy", "first")})
    old_rows, new_rows = before.get("rows", []), after.get("rows", [])
    keys = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in old_rows]
    matcher = difflib.SequenceMatcher(a=keys, b=[json.dumps(r, sort_keys=True, ensure_ascii=False)
                                                 for r in new_rows], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for old, new, n in zip(old_rows[i1:i2], new_rows[j1:j2], range(j1 + 1, j2 + 1)):
                parts = []
                if old["when"] != new["when"]:
                    parts.append(f"{condition_text(old['when'], columns)} → {condition_text(new['when'], columns)}")
                if old["then"] != new["then"]:
                    parts.append(f"{outcome_text(old['then'], columns)} → {outcome_text(new['then'], columns)}")
                if not parts:
                    parts.append(_("note changed"))
                lines.append(_("Row %(row)s: %(change)s") % {"row": n, "change": "; ".join(parts)})
            continue
        lines += [_("Removed row %(row)s: %(rule)s") % {"row": n, "rule": rule(r)}
                  for n, r in zip(range(i1 + 1, i2 + 1), old_rows[i1:i2])]
        lines += [_("Added row %(row)s: %(rule)s") % {"row": n, "rule": rule(r)}
                  for n, r in zip(range(j1 + 1, j2 + 1), new_rows[j1:j2])]
    if (before.get("default") or {}) != (after.get("default") or {}):
        lines.append(_("Default: %(old)s → %(new)s") % {"old": outcome_text(before.get("default") or {}, columns),
                                                        "new": outcome_text(after.get("default") or {}, columns)})
    if [c.get("key") for c in before.get("inputs", [])] != [c.get("key") for c in after.get("inputs", [])]:
        lines.append(_("Inputs: %(old)s → %(new)s") % {
            "old": ", ".join(c["key"] for c in before.get("inputs", [])),
            "new": ", ".join(c["key"] for c in after.get("inputs", []))})
    return lines

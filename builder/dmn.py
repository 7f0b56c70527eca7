"""formflow rulesets as DMN 1.3 decision tables, for the people who keep their rules in DMN tools.

One `decision` with one `decisionTable` per ruleset, its inputs, outputs and rows in order. The
entries are Python (the document's expressionLanguage), the dialect SpiffWorkflow evaluates: a
plain value means equality, anything else is an expression in which `?` is the column's input.
formflow's `default` (what a table gives when no row matches) has no place in a DMN table that
engines agree on, so it becomes a last row that holds exactly when no other row does: for a
`first` table that is simply "any input" (`-`). With no default, that row gives null outputs, so
a gateway reading an output always finds the variable.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any

from builder.bpmn_expressions import literal, none_of, python_condition, variable
from builder.xml_export import DMN, PYTHON, chinese, document, ncname, sub
from rules.conditions import condition_fields
from rules.ruleset import Column, Ruleset

HIT_POLICIES = {"first": "FIRST", "unique": "UNIQUE", "collect": "COLLECT"}
NONE = ""  # a tag in the document's default namespace, DMN
_TYPE_REFS = {"number": "number", "money": "number", "percent": "number", "checkbox": "boolean",
              "date": "date", "datetime": "dateTime"}


def decision_id(ruleset_key: str) -> str:
    """The DMN decision id of a ruleset: what a BPMN businessRuleTask names to call it."""
    return ncname(ruleset_key)


def rulesets_to_dmn(rulesets: Iterable[Ruleset]) -> str:
    """A DMN 1.3 `definitions` document with one decision per ruleset, sorted by key (give it
    one ruleset for an engine that reads one decision per file, as SpiffWorkflow does)."""
    # DMN's own elements in the default namespace, the way DMN tools write them (SpiffWorkflow
    # reads no other prefix); ElementTree's `default_namespace` refuses plain attributes, so the
    # tags are left unqualified under an explicit xmlns.
    root = ET.Element("definitions", {"xmlns": DMN, "id": "formflow_rulesets", "name": "formflow rulesets",
                                      "namespace": "urn:formflow:rulesets", "expressionLanguage": PYTHON})
    for ruleset in sorted(rulesets, key=lambda r: r.key):
        _decision(root, ruleset)
    return document(root)


def _decision(root: ET.Element, ruleset: Ruleset) -> None:
    did = decision_id(ruleset.key)
    decision = sub(root, NONE, "decision", id=did, name=chinese(ruleset.title, ruleset.key))
    about = f"formflow ruleset {ruleset.ref}. " + chinese(ruleset.description)
    sub(decision, NONE, "description", about.strip())
    table = sub(decision, NONE, "decisionTable", id=f"{did}.table",
                hitPolicy=HIT_POLICIES.get(ruleset.hit_policy, "FIRST"))
    for index, column in enumerate(ruleset.inputs):
        element = sub(table, NONE, "input", id=f"{did}.input.{index}", label=chinese(column.label, column.key))
        expression = sub(element, NONE, "inputExpression", id=f"{did}.input.{index}.expression",
                         typeRef=_type_ref(column))
        sub(expression, NONE, "text", variable(column.key))
        if column.options:
            values = sub(element, NONE, "inputValues", id=f"{did}.input.{index}.values")
            sub(values, NONE, "text", ", ".join(literal(o) for o in column.options))
    for index, column in enumerate(ruleset.outputs):
        sub(table, NONE, "output", id=f"{did}.output.{index}", name=variable(column.key),
            label=chinese(column.label, column.key), typeRef=_type_ref(column))
    for number, row in enumerate(ruleset.rows, start=1):
        _rule(table, f"{did}.rule.{number}", ruleset, _entries(row.when, ruleset.inputs), row.then,
              chinese(row.note))
    _rule(table, f"{did}.rule.default", ruleset, _default_entries(ruleset), ruleset.default,
          "默认：没有规则适用时" if ruleset.default else "没有规则适用时：无结果")


def _rule(table: ET.Element, rid: str, ruleset: Ruleset, entries: list[str], then: dict[str, Any],
          note: str) -> None:
    rule = sub(table, NONE, "rule", id=rid)
    if note:
        sub(rule, NONE, "description", note)
    for index, text in enumerate(entries):
        sub(sub(rule, NONE, "inputEntry", id=f"{rid}.in.{index}"), NONE, "text", text)
    for index, column in enumerate(ruleset.outputs):
        sub(sub(rule, NONE, "outputEntry", id=f"{rid}.out.{index}"), NONE, "text", literal(then.get(column.key)))


def _entries(when: dict[str, Any], inputs: tuple[Column, ...]) -> list[str]:
    """One entry per input column: the parts of the row's condition that read only that column,
    and parts that read several columns in the entry of the first column they read."""
    keys = [c.key for c in inputs]
    parts = when["$and"] if set(when) == {"$and"} else [when]
    by_column: dict[str, list[Any]] = {key: [] for key in keys}
    for part in parts:
        read = condition_fields(part)
        by_column[next((key for key in keys if key in read), keys[0])].append(part)
    return [_entry(key, by_column[key]) for key in keys]


def _entry(key: str, parts: list[Any]) -> str:
    if not parts:
        return "-"
    if len(parts) == 1 and _is_plain_equality(parts[0], key):
        return literal(parts[0][key])
    cond = parts[0] if len(parts) == 1 else {"$and": parts}
    return python_condition(cond, name=_column_as_placeholder(key))


def _column_as_placeholder(key: str) -> Callable[[str], str]:
    """How an entry of column `key` spells fields: its own input `?`, any other by its variable."""
    return lambda field: "?" if field == key else variable(field)


def _is_plain_equality(part: Any, key: str) -> bool:
    ((op, value),) = part.items()
    return op == key and not isinstance(value, dict)


def _default_entries(ruleset: Ruleset) -> list[str]:
    """"Any input" under `first`; under `unique` and `collect` (where an always-true row would
    overlap or be collected too) a first-column test that no other row holds."""
    entries = ["-"] * len(ruleset.inputs)
    if ruleset.hit_policy == "first" or not ruleset.rows or not ruleset.inputs:
        return entries
    read = set().union(*(condition_fields(r.when) for r in ruleset.rows))
    index, key = next((i, c.key) for i, c in enumerate(ruleset.inputs) if c.key in read)
    spelled = [python_condition(r.when, name=_column_as_placeholder(key)) for r in ruleset.rows]
    entries[index] = none_of(spelled)
    return entries


def _type_ref(column: Column) -> str:
    return _TYPE_REFS.get(column.type, "string")

"""The flow designer's edits as pure operations: a flow document in, a new document out.

Like `builder.form_editing`: every operation copies the document and never touches the one it
was given, and returns the new document with the id of the step to select, so the runtime saves
the result as the draft and undo is just the previous document. A place in the tree is a
container and an index (`builder.flow_tree`). New steps get defaults a DingTalk user expects (an
approval by the submitter's department head) and readable ids unique in the flow (`approval_2`).

Bad input (a place or step that does not exist, a step moved into itself, the last branch
deleted, a level that is not 1-5) raises `DefinitionError` with a Problem at the JSON path it
concerns. Whether the whole flow is sound (a role nobody holds, a branch without a condition) is
for validation and the checks, shown while the designer works, never refused here.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from builder import json_text
from builder import paths
from builder.deadlines import MAX_AMOUNT, TIME_UNITS
from builder.flow_tree import Doc, containers, find, nested_ids, owner_of, step_ids, steps_at, walk
from builder.flows import APPROVAL_MODES, ASSIGNEE_KINDS, ASSIGNEE_USES
from builder.form_editing import copy_label, set_label, unique_key
from builder.ladder_editing import set_ladder
from builder.permissions import PERMISSIONS
from builder.step_rules_editing import set_on_reject, set_policy
from builder.validation import MAX_DEPT_LEVELS
from rules.errors import DefinitionError, Problem
from rules.messages import N_
from rules.words import word

KINDS = ("approval", "task", "notify", "branch", "parallel", "subflow")
HUMAN_KINDS = ("approval", "task")
TITLES: dict[str, dict[str, str]] = {
    "approval": {"zh_CN": "审批人", "en": "Approval"},
    "task": {"zh_CN": "办理人", "en": "Task"},
    "notify": {"zh_CN": "抄送人", "en": "Copy to"},
    "branch": {"zh_CN": "条件分支", "en": "Branch"},
    "parallel": {"zh_CN": "并行审批", "en": "In parallel"},
    "subflow": {"zh_CN": "子流程", "en": "Sub-process"},
}
assert set(TITLES) == set(KINDS)
LABEL_PROPERTIES = ("title", "description")
HEAD = {"kind": "dept_head", "levels": 1}


# ---------------------------------------------------------------- new steps


def new_step(kind: str, taken: set[str]) -> Doc:
    """A step of `kind` with its defaults; its id (and its nested steps' ids) are unique against
    `taken`, which gains them."""
    if kind not in KINDS:
        raise DefinitionError([Problem("kind", N_('unknown step kind "%(kind)s" (one of %(kinds)s)',
                                                  kind=word(kind), kinds=", ".join(KINDS)))])
    step: Doc = {"id": _fresh_id(kind, taken), "kind": kind, "title": dict(TITLES[kind])}
    if kind in HUMAN_KINDS or kind == "notify":
        step["assignee"] = dict(HEAD)
    elif kind == "branch":
        step["branches"] = [_new_branch(1)]
        step["else"] = []
    elif kind == "parallel":
        step["branches"] = [_new_lane(n, taken) for n in (1, 2)]
    elif kind == "subflow":
        step["process"] = ""  # still to be chosen: the checks say so until it is
    return step


def _fresh_id(base: str, taken: set[str]) -> str:
    fresh = unique_key(re.sub(r"_\d+\Z", "", base) or "step", taken)
    taken.add(fresh)
    return fresh


def _new_branch(n: int) -> Doc:
    return {"label": {"zh_CN": f"条件{n}", "en": f"Condition {n}"}, "steps": []}


def _new_lane(n: int, taken: set[str]) -> Doc:
    return {"label": {"zh_CN": f"并行分支{n}", "en": f"Lane {n}"}, "steps": [new_step("approval", taken)]}


def _clamp(index: int | None, size: int) -> int:
    return size if index is None else max(0, min(index, size))


# ---------------------------------------------------------------- steps


def insert_step(doc: Doc, container: str, index: int | None, kind: str) -> tuple[Doc, str]:
    """A new step of `kind` at `index` of `container` (its end when None); the new document and
    the new step's id."""
    out = copy.deepcopy(doc)
    steps = steps_at(out, container)
    step = new_step(kind, set(step_ids(out)))
    steps.insert(_clamp(index, len(steps)), step)
    return out, step["id"]


def move_step(doc: Doc, step_id: str, container: str, index: int) -> tuple[Doc, str]:
    """The step moved to `index` of `container` (its final position there), also into another
    branch or lane; never into itself."""
    out = copy.deepcopy(doc)
    place, step = find(out, step_id)
    if owner_of(container) in nested_ids(out, step_id):
        raise DefinitionError([Problem(place.path, N_("a step cannot move into itself"))])
    steps_at(out, place.container).pop(place.index)
    target = steps_at(out, container)
    target.insert(_clamp(index, len(target)), step)
    return out, step_id


def move_by(doc: Doc, step_id: str, offset: int) -> tuple[Doc, str]:
    """One place up (-1) or down (+1) in its own container; at the edge it stays."""
    place, _ = find(doc, step_id)
    return move_step(doc, step_id, place.container, max(0, place.index + offset))


def copy_step(doc: Doc, step_id: str) -> tuple[Doc, str]:
    """A copy right after the step, "(copy)" in its title, with fresh ids for it and for every
    step inside it; the document and the copy's id."""
    out = copy.deepcopy(doc)
    place, step = find(out, step_id)
    twin = copy.deepcopy(step)
    taken = set(step_ids(out))
    for _, inner in walk({"steps": [twin]}):
        inner["id"] = _fresh_id(str(inner.get("id", "step")), taken)
    twin["title"] = copy_label(twin.get("title") or TITLES.get(str(twin.get("kind")), ""))
    steps_at(out, place.container).insert(place.index + 1, twin)
    return out, twin["id"]


def delete_step(doc: Doc, step_id: str) -> tuple[Doc, str]:
    """The step and everything inside it removed; the document and the step to select next (the
    one before it, else after it, else the step that held it, else "")."""
    out = copy.deepcopy(doc)
    place, _ = find(out, step_id)
    steps = steps_at(out, place.container)
    steps.pop(place.index)
    _sync_rulesets(out, before=doc)
    near = steps[place.index - 1] if place.index > 0 else (steps[0] if steps else None)
    return out, str(near.get("id")) if near else owner_of(place.container)


# ---------------------------------------------------------------- branches and lanes


def _lanes(doc: Doc, step_id: str, kind: str) -> tuple[list[Doc], str]:
    place, step = find(doc, step_id)
    if step.get("kind") != kind:
        raise DefinitionError([Problem(place.path, N_('"%(step_id)s" is not a %(kind)s step',
                                                      step_id=step_id, kind=word(kind)))])
    lanes = step.setdefault("branches", [])
    if not isinstance(lanes, list):
        raise DefinitionError([Problem(paths.key(place.path, "branches"), N_("must be a list"))])
    return lanes, paths.key(place.path, "branches")


def _lane_index(lanes: list[Doc], index: int, where: str) -> int:
    if not 0 <= index < len(lanes):
        raise DefinitionError([Problem(where, N_("there is no branch %(index)s", index=index + 1))])
    return index


def add_branch(doc: Doc, step_id: str) -> tuple[Doc, str]:
    """One more branch, after the others and so before "otherwise" (always last)."""
    out = copy.deepcopy(doc)
    lanes, _ = _lanes(out, step_id, "branch")
    lanes.append(_new_branch(len(lanes) + 1))
    return out, step_id


def move_branch(doc: Doc, step_id: str, index: int, offset: int) -> tuple[Doc, str]:
    """Branch `index` one priority up (-1) or down (+1); "otherwise" is not among the branches,
    so it never moves."""
    out = copy.deepcopy(doc)
    lanes, where = _lanes(out, step_id, "branch")
    lane = lanes.pop(_lane_index(lanes, index, where))
    lanes.insert(max(0, min(index + offset, len(lanes))), lane)
    return out, step_id


def delete_branch(doc: Doc, step_id: str, index: int) -> tuple[Doc, str]:
    """Branch `index` and its steps removed; one branch always stays (otherwise is not one)."""
    return _remove_lane(doc, step_id, index, "branch", 1,
                        N_("a branch step keeps at least one branch besides “otherwise”"))


def add_lane(doc: Doc, step_id: str) -> tuple[Doc, str]:
    """One more lane of a parallel step, with an approval in it (a lane needs a step)."""
    out = copy.deepcopy(doc)
    lanes, _ = _lanes(out, step_id, "parallel")
    lanes.append(_new_lane(len(lanes) + 1, set(step_ids(out))))
    return out, step_id


def delete_lane(doc: Doc, step_id: str, index: int) -> tuple[Doc, str]:
    """Lane `index` and its steps removed; a parallel step keeps at least two lanes."""
    return _remove_lane(doc, step_id, index, "parallel", 2, N_("a parallel step keeps at least two lanes"))


def _remove_lane(doc: Doc, step_id: str, index: int, kind: str, keep: int, why: str) -> tuple[Doc, str]:
    out = copy.deepcopy(doc)
    lanes, where = _lanes(out, step_id, kind)
    _lane_index(lanes, index, where)
    if len(lanes) <= keep:
        raise DefinitionError([Problem(where, why)])
    lanes.pop(index)
    _sync_rulesets(out, before=doc)
    return out, step_id


# ---------------------------------------------------------------- the panel


def set_step(doc: Doc, step_id: str, changes: Mapping[str, Any]) -> tuple[Doc, str]:
    """The panel's changes to one step, each a property and the text typed or chosen:
    `title.zh_CN`, `description.en`, `assignee.kind`, `assignee.<role|user|levels|field|ruleset|
    output|multiple>`, `mode`, `deadline.amount` (empty: no time limit), `deadline.unit`,
    `escalation.add` / `escalation.<i>.<amount|unit|action|remove|up|down>` (builder.ladder_editing), `fields.<key>`
    (hidden|readonly|editable; empty: as by default), `policies.<name>` and `on_reject.<to|resume>`
    (builder.step_rules_editing), `ruleset` (a branch step decided by it;
    empty: by conditions), `process` and `inputs.<field of the sub-process>`. An empty text
    removes the property."""
    out = copy.deepcopy(doc)
    place, step = find(out, step_id)
    kind = step.get("kind")
    for name, value in changes.items():
        base, _, rest = name.partition(".")
        at = paths.key(place.path, base)
        text = value.strip() if isinstance(value, str) else value
        if base in LABEL_PROPERTIES:
            set_label(step, base, rest, str(text or ""), at)
        elif base == "assignee" and "assignee" in step:
            _set_assignee(step, rest, str(text or ""), at)
        elif base == "mode" and not rest and kind == "approval":
            _choose(step, "mode", text, APPROVAL_MODES, at, default="single")
        elif base == "deadline" and rest in ("amount", "unit") and kind in HUMAN_KINDS:
            _set_deadline(step, rest, str(text or ""), at)
        elif base == "escalation" and rest and kind in HUMAN_KINDS:
            set_ladder(step, rest, str(text or ""), at)
        elif base == "fields" and rest and kind in HUMAN_KINDS:
            _set_permission(step, rest, str(text or ""), at)
        elif base == "policies" and rest and kind in HUMAN_KINDS:
            set_policy(step, rest, str(text or ""), at)
        elif base == "on_reject" and rest:
            set_on_reject(out, step, rest, str(text or ""), at)
        elif base == "ruleset" and not rest and kind == "branch":
            _set_branch_ruleset(step, str(text or ""))
        elif base == "process" and not rest and kind == "subflow":
            step["process"] = str(text or "")
        elif base == "inputs" and rest and kind == "subflow":
            inputs = step.setdefault("inputs", {})
            _put(inputs, rest, text or None)
            if not inputs:
                step.pop("inputs")
        else:
            raise DefinitionError([Problem(at, N_('"%(name)s" cannot be set on a %(kind)s step',
                                                  name=name, kind=word(kind)))])
    _sync_rulesets(out, before=doc)
    return out, step_id


def set_branch(doc: Doc, step_id: str, index: int, changes: Mapping[str, Any]) -> tuple[Doc, str]:
    """One branch of a branch step: `label.zh_CN` / `label.en`, `when` (a condition, None to
    remove it) and `outcome.<output>` (the ruleset outcome it matches: the value's JSON, or its
    text; empty removes it)."""
    out = copy.deepcopy(doc)
    lanes, where = _lanes(out, step_id, "branch")
    branch = lanes[_lane_index(lanes, index, where)]
    at = paths.index(where, index)
    for name, value in changes.items():
        base, _, rest = name.partition(".")
        if base == "label":
            set_label(branch, "label", rest, str(value or ""), paths.key(at, "label"))
        elif base == "when" and not rest:
            if value is not None and not isinstance(value, dict):
                raise DefinitionError([Problem(paths.key(at, "when"), N_("must be a condition (a JSON object)"))])
            _put(branch, "when", value or None)
        elif base == "outcome" and rest:
            outcome = branch.setdefault("outcome", {})
            _put(outcome, rest, _outcome_value(value))
            if not outcome:
                branch.pop("outcome")
        else:
            raise DefinitionError([Problem(at, N_('"%(name)s" cannot be set on a branch', name=name))])
    return out, step_id


def _outcome_value(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json_text.loads(value)
    except ValueError:
        return value.strip()


def _put(doc: Doc, name: str, value: Any) -> None:
    if value is None:
        doc.pop(name, None)
    else:
        doc[name] = value


def _choose(doc: Doc, name: str, text: Any, choices: tuple[str, ...], at: str, *, default: str) -> None:
    if text not in choices:
        raise DefinitionError([Problem(at, N_('must be one of %(choices)s, got "%(text)s"',
                                              choices=", ".join(choices), text=text))])
    _put(doc, name, None if text == default else text)


def _set_assignee(step: Doc, prop: str, text: str, at: str) -> None:
    current = step["assignee"] if isinstance(step["assignee"], dict) else {}
    kind = current.get("kind")
    if prop == "kind":
        if text not in ASSIGNEE_KINDS:
            raise DefinitionError([Problem(paths.key(at, "kind"), N_("must be one of %(assignee_kinds)s, got "
                                                                     '"%(text)s"',
                                                                     assignee_kinds=", ".join(ASSIGNEE_KINDS), text=text))])
        kept = {name: current[name] for name in ASSIGNEE_USES[text] if name in current}
        step["assignee"] = {"kind": text, **({"levels": 1} if "levels" in ASSIGNEE_USES[text] else {}), **kept}
    elif kind in ASSIGNEE_USES and prop in ASSIGNEE_USES[kind]:
        if prop == "levels":
            value: Any = _levels(text, paths.key(at, prop))
        elif prop == "multiple":  # a box: ticked or not (the submitter picks one person, or several)
            value = text.lower() in ("on", "true", "1", "yes") or None
        else:
            value = text or None
        _put(current, prop, value)
    else:
        raise DefinitionError([Problem(paths.key(at, prop), N_('"%(prop)s" is not used by a "%(kind)s" '
                                                               "assignee", prop=prop, kind=word(kind)))])


def _levels(text: str, at: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_DEPT_LEVELS:
        raise DefinitionError([Problem(at, N_("must be a whole number from 1 to %(max_dept_levels)s, got "
                                              '"%(text)s"', max_dept_levels=MAX_DEPT_LEVELS, text=text))])
    return int(text)


def _set_deadline(step: Doc, part: str, text: str, at: str) -> None:
    current = step.get("deadline") if isinstance(step.get("deadline"), dict) else None
    if part == "amount":
        if not text:
            step.pop("deadline", None)
            return
        if not text.isdigit() or not 1 <= int(text) <= MAX_AMOUNT:
            raise DefinitionError([Problem(paths.key(at, "amount"),
                                           N_('must be a whole number from 1 to %(max_amount)s, got "%(text)s"',
                                              max_amount=MAX_AMOUNT, text=text))])
        step["deadline"] = {"amount": int(text), "unit": (current or {}).get("unit", "days")}
    else:
        if text not in TIME_UNITS:
            raise DefinitionError([Problem(paths.key(at, "unit"), N_("must be one of %(time_units)s, got "
                                                                     '"%(text)s"',
                                                                     time_units=", ".join(TIME_UNITS), text=text))])
        if current is not None:
            current["unit"] = text


def _set_permission(step: Doc, key: str, text: str, at: str) -> None:
    if text and text not in PERMISSIONS:
        raise DefinitionError([Problem(paths.key(at, key), N_('must be one of %(permissions)s, got "%(text)s"',
                                                              permissions=", ".join(PERMISSIONS), text=text))])
    fields = step.setdefault("fields", {})
    _put(fields, key, text or None)
    if not fields:
        step.pop("fields")


def _set_branch_ruleset(step: Doc, name: str) -> None:
    """Decided by a ruleset (branches match its outcome) or by each branch's condition: the
    branches keep their steps, and drop what the other way of deciding used."""
    if name == step.get("ruleset", ""):
        return
    _put(step, "ruleset", name or None)
    for branch in step.get("branches", []) if isinstance(step.get("branches"), list) else ():
        if isinstance(branch, dict):
            branch.pop("when" if name else "outcome", None)


def consulted_rulesets(doc: Doc) -> list[str]:
    """The rulesets the flow's steps consult (branch steps and ruleset assignees), in order."""
    found: list[str] = []
    for _, step in walk(doc):
        assignee = step.get("assignee") if isinstance(step.get("assignee"), dict) else {}
        for name in (step.get("ruleset") if step.get("kind") == "branch" else None,
                     assignee.get("ruleset") if assignee.get("kind") == "ruleset" else None):
            if isinstance(name, str) and name and name not in found:
                found.append(name)
    return found


def _sync_rulesets(doc: Doc, before: Doc) -> None:
    """The flow lists the rulesets its steps consult: one a change started consulting is added,
    one no step consults any more since the change is dropped (others listed stay)."""
    listed = doc.get("rulesets") if isinstance(doc.get("rulesets"), list) else []
    used, was = consulted_rulesets(doc), consulted_rulesets(before)
    kept = [r for r in listed if r in used or r not in was]
    kept += [r for r in used if r not in kept]
    if kept:
        doc["rulesets"] = kept
    else:
        doc.pop("rulesets", None)


def places(doc: Doc, step_id: str) -> list[str]:
    """The containers a step may move to (not into itself), for the panel's "move to…"."""
    return containers(doc, outside=step_id)


__all__ = ["KINDS", "TITLES", "add_branch", "add_lane", "consulted_rulesets", "copy_step",
           "delete_branch", "delete_lane", "delete_step", "insert_step", "move_branch", "move_by",
           "move_step", "new_step", "places", "set_branch", "set_step"]

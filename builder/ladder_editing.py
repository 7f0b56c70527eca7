"""The step panel's edits of a human step's escalation ladder (builder.deadlines), for `set_step`.

Properties (after `escalation.`): `add` appends a rung; `<i>.amount`, `<i>.unit`, `<i>.action`
change rung i; `<i>.remove` drops it; `<i>.up` / `<i>.down` move it one place.

The rungs keep the order the designer gives them, they are not re-sorted by time: sorting while
someone types an amount would move the row (and the focus) away under their hands. The engine
fires rungs by their moment whatever their order (runtime.escalation), and the checks
(builder.validation.timing) say when a rung is not later than the one before it, or when a rung
that decides the task is not the last.

A new rung comes after the last one (one more of its unit), or at the time limit, or after one
working day, and climbs the ladder: remind, then urge, then hand to the superior (never an
automatic decision: that is chosen on purpose). Bad input (an amount that is not 1-1000, an
unknown unit or action, a rung that does not exist) raises `DefinitionError` at the rung's path,
`steps[2].escalation[1].after.amount`; the document is edited in place (set_step has copied it).
"""
from __future__ import annotations

from typing import Any

from builder import paths
from builder.deadlines import DECIDING_ACTIONS, ESCALATION_ACTIONS, MAX_AMOUNT, TIME_UNITS
from rules.errors import DefinitionError, Problem
from rules.messages import N_
from rules.words import word

Doc = dict[str, Any]
CLIMB = ("remind", "urge", "transfer_superior")  # what "add" proposes, one rung higher each time
MOVES = {"up": -1, "down": 1}


def set_ladder(step: Doc, prop: str, text: str, at: str) -> None:
    """One change of `step`'s ladder; `at` is the ladder's path (`steps[2].escalation`)."""
    ladder = step.get("escalation", [])
    if not isinstance(ladder, list):
        raise DefinitionError([Problem(at, N_("must be a list of rungs, each {after, action}"))])
    if prop == "add":
        step["escalation"] = [*ladder, new_rung(ladder, step.get("deadline"))]
        return
    number, _, part = prop.partition(".")
    if not number.isdigit() or part not in ("amount", "unit", "action", "remove", *MOVES):
        raise DefinitionError([Problem(at, N_('"escalation.%(prop)s" is not a change of the ladder',
                                              prop=prop))])
    index = int(number)
    where = paths.index(at, index)
    if index >= len(ladder):
        raise DefinitionError([Problem(where, N_("there is no rung %(index)s", index=index + 1))])
    if part == "remove":
        ladder.pop(index)
    elif part in MOVES:
        other = max(0, min(index + MOVES[part], len(ladder) - 1))
        ladder[index], ladder[other] = ladder[other], ladder[index]
    else:
        rung = ladder[index] if isinstance(ladder[index], dict) else {}
        ladder[index] = rung
        _set_rung(rung, part, text, where, str(step.get("kind")))
    if ladder:
        step["escalation"] = ladder
    else:
        step.pop("escalation", None)


def new_rung(ladder: list[Any], deadline: Any) -> Doc:
    """The rung "add" appends: later than the last rung, else at the time limit, else one day."""
    last = ladder[-1] if ladder and isinstance(ladder[-1], dict) else None
    after = _duration(last.get("after")) if last else None
    if after is not None:
        after = {"amount": min(after["amount"] + 1, MAX_AMOUNT), "unit": after["unit"]}
    else:
        after = _duration(deadline) or {"amount": 1, "unit": "days"}
    action = last.get("action") if last else None
    climbed = CLIMB[min(CLIMB.index(action) + 1, len(CLIMB) - 1)] if action in CLIMB else CLIMB[0]
    return {"after": after, "action": climbed}


def _duration(doc: Any) -> dict[str, Any] | None:
    if isinstance(doc, dict) and isinstance(doc.get("amount"), int) and doc.get("unit") in TIME_UNITS:
        return {"amount": doc["amount"], "unit": doc["unit"]}
    return None


def _set_rung(rung: Doc, part: str, text: str, where: str, kind: str) -> None:
    after = rung.get("after") if isinstance(rung.get("after"), dict) else {}
    if part == "amount":
        if not text.isdigit() or not 1 <= int(text) <= MAX_AMOUNT:
            raise DefinitionError([Problem(paths.key(where, "after.amount"),
                                           N_('must be a whole number from 1 to %(max_amount)s, got "%(text)s"',
                                              max_amount=MAX_AMOUNT, text=text))])
        rung["after"] = {"amount": int(text), "unit": after.get("unit", "days")}
    elif part == "unit":
        if text not in TIME_UNITS:
            raise DefinitionError([Problem(paths.key(where, "after.unit"),
                                           N_('must be one of %(time_units)s, got "%(text)s"',
                                              time_units=", ".join(TIME_UNITS), text=text))])
        rung["after"] = {"amount": after.get("amount", 1), "unit": text}
    else:
        if text not in ESCALATION_ACTIONS:
            raise DefinitionError([Problem(paths.key(where, "action"),
                                           N_('must be one of %(escalation_actions)s, got "%(text)s"',
                                              escalation_actions=", ".join(ESCALATION_ACTIONS), text=text))])
        if text in DECIDING_ACTIONS and kind != "approval":
            raise DefinitionError([Problem(paths.key(where, "action"),
                                           N_("a %(kind)s step is completed, not decided: %(text)s needs an "
                                              "approval step", kind=word(kind), text=text))])
        rung["action"] = text


def actions_for(kind: str) -> tuple[str, ...]:
    """The actions a rung of a `kind` step may take: only an approval is decided automatically."""
    return ESCALATION_ACTIONS if kind == "approval" else tuple(a for a in ESCALATION_ACTIONS if a not in DECIDING_ACTIONS)


STRUCTURAL = ("add", "remove", *MOVES)  # changes that shift the rungs after them


def is_structural(prop: str) -> bool:
    """Whether a panel property adds, removes or moves a rung (a plain post applies those last,
    so the rows' own inputs still reach the rungs they were drawn for)."""
    return prop.startswith("escalation.") and prop.rpartition(".")[2] in STRUCTURAL

"""Validation of a human step's time limit and escalation ladder (builder.deadlines)."""
from __future__ import annotations

from typing import Any

from builder import paths
from builder.deadlines import DECIDING_ACTIONS, ESCALATION_ACTIONS, MAX_AMOUNT, TIME_UNITS
from builder.validation.common import is_int, show_value, unknown_keys
from rules.errors import Problem
from rules.messages import N_
from rules.words import word


_NOT_LATER = {"days": N_("must be later than the rung before it (%(last)s days)"),  # by unit (a valid one)
              "hours": N_("must be later than the rung before it (%(last)s hours)")}

def timing(doc: dict[str, Any], path: str, kind: str, out: list[Problem]) -> None:
    """A human step's `deadline` and `escalation` ladder (builder.deadlines).

    The rung that decides (auto_approve / auto_reject) ends the task, so it comes last, and only an
    approval can be decided. Rungs in the same unit must climb; hours against days depend on the
    calendar's working day, so they are not compared here."""
    if "deadline" in doc:
        duration(doc["deadline"], paths.key(path, "deadline"), out)
    if "escalation" not in doc:
        return
    ladder, where = doc["escalation"], paths.key(path, "escalation")
    if not isinstance(ladder, list):
        out.append(Problem(where, N_("must be a list of rungs, each {after, action}")))
        return
    last: dict[str, int] = {}  # unit -> the latest amount so far in that unit
    for position, rung in enumerate(ladder):
        at = paths.index(where, position)
        if not isinstance(rung, dict):
            out.append(Problem(at, N_("must be an object with after and action")))
            continue
        unknown_keys(rung, ("after", "action"), at, out)
        if "after" not in rung:
            out.append(Problem(paths.key(at, "after"), N_("missing: how long after the task was created")))
        elif (after := duration(rung["after"], paths.key(at, "after"), out)) is not None:
            amount, unit = after
            if unit in last and amount <= last[unit]:
                out.append(Problem(paths.key(at, "after"),
                                   _NOT_LATER[unit].fill(last=last[unit])))
            last[unit] = max(amount, last.get(unit, 0))
        action, action_at = rung.get("action"), paths.key(at, "action")
        if "action" not in rung:
            out.append(Problem(action_at, N_("missing: one of %(escalation_actions)s",
                                             escalation_actions=", ".join(ESCALATION_ACTIONS))))
        elif not isinstance(action, str) or action not in ESCALATION_ACTIONS:
            out.append(Problem(action_at, N_("unknown action %(action)s (one of %(escalation_actions)s)",
                                             action=show_value(action), escalation_actions=", ".join(ESCALATION_ACTIONS))))
        elif action in DECIDING_ACTIONS and kind != "approval":
            out.append(Problem(action_at, N_("a %(kind)s step is completed, not decided: %(action)s needs an "
                                             "approval step", kind=word(kind), action=action)))
        elif action in DECIDING_ACTIONS and position != len(ladder) - 1:
            out.append(Problem(action_at, N_("%(action)s ends the task, so it must be the last rung",
                                             action=action)))


def duration(doc: Any, path: str, out: list[Problem]) -> tuple[int, str] | None:
    """An amount of working time {"amount": n, "unit": "hours"|"days"}; (amount, unit) when valid."""
    if not isinstance(doc, dict):
        out.append(Problem(path, N_('must be {"amount": n, "unit": "hours" or "days"}, got %(doc)s',
                                    doc=show_value(doc))))
        return None
    unknown_keys(doc, ("amount", "unit"), path, out)
    amount, unit = doc.get("amount"), doc.get("unit")
    valid = True
    if "amount" not in doc:
        out.append(Problem(paths.key(path, "amount"), N_("missing")))
        valid = False
    elif not is_int(amount) or not 1 <= amount <= MAX_AMOUNT:
        out.append(Problem(paths.key(path, "amount"),
                           N_("must be a whole number from 1 to %(max_amount)s, got %(amount)s",
                              max_amount=MAX_AMOUNT, amount=show_value(amount))))
        valid = False
    if "unit" not in doc:
        out.append(Problem(paths.key(path, "unit"), N_("missing: %(time_units)s",
                                                       time_units=" or ".join(TIME_UNITS))))
        valid = False
    elif unit not in TIME_UNITS:
        out.append(Problem(paths.key(path, "unit"),
                           N_("unknown unit %(unit)s (one of %(time_units)s)",
                              unit=show_value(unit), time_units=", ".join(TIME_UNITS))))
        valid = False
    return (amount, unit) if valid else None

"""The people a submitter chooses at the start (发起人自选): the steps whose assignee is `chosen`
ask the submitter to pick who acts there, one person or several, among a role's holders when the
step names one. The choices travel in the start event (`chosen`: step id → usernames) and the
engine gives those steps to exactly these people, the flow's policies applying as for any other.
"""
from __future__ import annotations

from typing import Any

from builder.flows import Flow, HumanStep
from runtime import notes
from runtime.i18n import N_
from runtime.org import Organisation

FIELD_PREFIX = "_chosen."  # the start form's input names: _chosen.<step id>


def chosen_steps(flow: Flow) -> list[HumanStep]:
    """The steps whose people the submitter chooses, in the order the flow lists them."""
    return [s for s in flow.walk() if isinstance(s, HumanStep) and s.assignee.kind == "chosen"]


def check_choices(flow: Flow, raw: Any, org: Organisation) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The submitter's choices, cleaned (step id → usernames), and the problems by `chosen.<step>`:
    someone must be chosen for every such step, a person who exists and holds the step's role,
    and only one unless the step allows several."""
    raw = raw if isinstance(raw, dict) else {}
    clean: dict[str, list[str]] = {}
    errors: dict[str, Any] = {}
    for step in chosen_steps(flow):
        where = f"chosen.{step.id}"
        given = raw.get(step.id)
        people = [given] if isinstance(given, str) else given if isinstance(given, list) else []
        people = list(dict.fromkeys(p for p in people if isinstance(p, str) and p.strip()))
        role = step.assignee.role
        if not people:
            errors[where] = N_("choose who acts at this step")
        elif len(people) > 1 and not step.assignee.multiple:
            errors[where] = N_("choose one person for this step")
        elif unknown := [p for p in people if p not in org.users]:
            errors[where] = N_('no user "%(who)s"', who=unknown[0])
        elif role and (outside := [p for p in people if not org.users[p].has_role(role)]):
            errors[where] = N_('%(who)s does not hold the role this step asks for', who=outside[0])
        elif readers := [p for p in people if org.users[p].reads_only]:
            errors[where] = notes.READS_ONLY.fill(who=readers[0])
        else:
            clean[step.id] = people
    return clean, errors


def choices_from_pairs(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """The choices a start form posted (its `_chosen.<step>` inputs)."""
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        if name.startswith(FIELD_PREFIX) and value.strip():
            out.setdefault(name[len(FIELD_PREFIX):], []).append(value.strip())
    return out


def choice_rows(flow: Flow, org: Organisation, chosen: dict[str, list[str]], errors: dict[str, Any],
                locale: str) -> list[dict[str, Any]]:
    """What the start form shows for each step whose people the submitter chooses: the step, who
    may be chosen (a role's holders, else everyone), who is chosen, and what is wrong, if anything."""
    rows = []
    for step in chosen_steps(flow):
        role = step.assignee.role
        people = org.holders(role) if role else sorted(org.users)
        rows.append({"step": step, "multiple": step.assignee.multiple, "role": role,
                     "options": sorted(((u, org.name_of(u, locale)) for u in people), key=lambda p: p[1]),
                     "selected": chosen.get(step.id, []), "error": errors.get(f"chosen.{step.id}", ""),
                     "name": FIELD_PREFIX + step.id})
    return rows

"""Who a step goes to, against the organisation as it is: roles nobody holds, ruleset outputs
that name nobody, and heads N levels up that some departments do not have.

Each of these makes the step find nobody for some requests, which is where the flow's
no-assignee policy takes over; the designer should hear of it before anyone files one. A chain
of heads *up to* N levels (`dept_heads`) always finds its department's own head (an
organisation cannot have a department without one), so it is fine however short a chain is.
"""
from __future__ import annotations

from typing import Any

from builder.validation.flows import MAX_DEPT_LEVELS
from rules.errors import Problem
from rules.ruleset import Ruleset
from runtime.flow_checks.facts import Facts
from runtime.i18n import N_, Names
from runtime.org import Department, Organisation

NOBODY_HOLDS = N_('nobody holds the role "%(role)s": the step finds nobody, and the no-assignee policy applies')
RULESET_ROLE_NOBODY_HOLDS = N_('ruleset "%(ruleset)s" can name the role "%(role)s", which nobody holds')
RULESET_NAMES_NOBODY = N_('ruleset "%(ruleset)s" can name "%(named)s", who is neither a user nor a role')
PAST_THE_TOP = N_("the head %(levels)s levels up runs past the top for: %(departments)s; there the "
                  "no-assignee policy applies")


def assignee_people(path: str, step: dict[str, Any], facts: Facts) -> list[Problem]:
    """What the organisation cannot supply for the step's assignee."""
    assignee = step.get("assignee")
    if not isinstance(assignee, dict):
        return []
    where, kind, org, role = f"{path}.assignee", assignee.get("kind"), facts.org, assignee.get("role")
    if kind == "role" and isinstance(role, str) and role in org.roles and not org.holders(role):
        return [Problem(f"{where}.role", NOBODY_HOLDS.fill(role=Names(org.roles[role])))]
    if kind == "ruleset" and isinstance(assignee.get("ruleset"), str) and assignee["ruleset"] in facts.rulesets:
        return [Problem(f"{where}.output", message)
                for message in _named_nobody(facts.rulesets[assignee["ruleset"]], assignee.get("output"), org)]
    levels = assignee.get("levels", 1)
    if kind == "dept_head" and type(levels) is int and 1 <= levels <= MAX_DEPT_LEVELS \
            and (short := past_the_top(org, levels)):
        return [Problem(f"{where}.levels",
                        PAST_THE_TOP.fill(levels=levels, departments=Names(*(d.name for d in short))))]
    return []


def past_the_top(org: Organisation, levels: int) -> list[Department]:
    """The departments where someone who is not the head finds nobody `levels` heads up: the
    first is their own department's head, each next one that head's superior, as the engine
    resolves them (`Organisation.head_levels_up`)."""
    short = []
    for department in org.departments.values():
        head: str | None = department.head
        for _ in range(levels - 1):
            head = org.superior(head) if head else None
        if head is None:
            short.append(department)
    return short


def _named_nobody(ruleset: Ruleset, output: Any, org: Organisation) -> list[str]:
    """Why each person or role the ruleset can give as `output` is nobody, if it is."""
    values = [outcome.get(output) for outcome in ruleset.outcomes()]
    out = []
    for named in dict.fromkeys(v for v in values if isinstance(v, str)):
        if named in org.roles and not org.holders(named):
            out.append(RULESET_ROLE_NOBODY_HOLDS.fill(ruleset=ruleset.key, role=Names(org.roles[named])))
        elif named not in org.roles and named not in org.users:
            out.append(RULESET_NAMES_NOBODY.fill(ruleset=ruleset.key, named=named))
    return out

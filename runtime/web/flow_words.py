"""A flow step in words, for the cards of the flow designer's tree.

Who acts ("head of the submitter's department, 2 levels up", "Finance (all must approve)", "the
person chosen in “Reviewer”"), the time limit and its ladder ("3 working days, then reminds") and, for a branch, its priority
and condition ("priority 1", "Amount > 1,000,000", "otherwise"); and what a step does
differently from the process ("rejected → back to the submitter, starts over"). Pure functions over the plain
step documents of a draft (which may be unfinished: what is not chosen yet says so) and the
names the organisation, the form and the rulesets give, in the reader's language.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runtime import i18n, policy_words
from runtime.i18n import N_
from runtime.ladder_words import timing_words
from runtime.web.condition_subjects import Subject
from runtime.web.condition_words import describe

_ = i18n.gettext

HEAD = N_("head of the submitter's department")
HEAD_UP = N_("head of the submitter's department, %(levels)s levels up")
HEADS = N_("every head up to %(levels)s levels, in turn")
CHOSEN_PERSON = N_("the person chosen in “%(field)s”")
CHOSEN_DEPARTMENT = N_("the head of the department chosen in “%(field)s”")
BY_RULESET = N_("named by ruleset “%(ruleset)s” (output %(output)s)")
MODES = {"any": N_("%(who)s (any one)"), "all": N_("%(who)s (all must approve)"),
         "sequential": N_("%(who)s (one after another)")}
NOT_CHOSEN = {"user": N_("nobody chosen yet"), "role": N_("no role chosen yet"),
              "field": N_("no field chosen yet"), "ruleset": N_("no ruleset chosen yet")}
CHOSEN = N_("chosen by the submitter")
CHOSEN_SEVERAL = N_("chosen by the submitter, one or more")
CHOSEN_AMONG = N_("chosen by the submitter among %(role)s")
CHOSEN_SEVERAL_AMONG = N_("chosen by the submitter among %(role)s, one or more")
PRIORITY = N_("priority %(n)s")
OTHERWISE = N_("otherwise")
NO_CONDITION = N_("no condition yet")
OUTCOME = N_("%(output)s is %(value)s")
DECIDED_BY = N_("decided by ruleset “%(ruleset)s”")
STARTS = N_("starts “%(process)s”")
NO_PROCESS = N_("no process chosen yet")


@dataclass(frozen=True)
class Names:
    """What a step's words name, in the reader's language: roles and rulesets by key, the form's
    fields by key as (label, type), people through `person` (a username → the person's name)."""

    roles: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    rulesets: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # ruleset → output → its label
    processes: Mapping[str, str] = field(default_factory=dict)
    person: Callable[[str], str] = str


GROUPS = ("role", "field", "ruleset", "chosen")  # the assignee kinds that may name several people at once


def who_acts(assignee: Any, names: Names, mode: str = "single") -> str:
    """Who a step's assignee names, with how they decide together when the mode says so (and
    the assignee may name several: one person, one head, or heads in turn need no mode)."""
    assignee = assignee if isinstance(assignee, Mapping) else {}
    words = _assignee(assignee, names)
    return i18n.localized(MODES[mode].fill(who=words)) if mode in MODES and assignee.get("kind") in GROUPS else words


def _assignee(assignee: Mapping[str, Any], names: Names) -> str:
    kind = assignee.get("kind")
    value = assignee.get(str(kind)) if kind in NOT_CHOSEN else None
    if kind in NOT_CHOSEN and (not isinstance(value, str) or not value):
        return i18n.localized(NOT_CHOSEN[str(kind)])
    levels = assignee.get("levels", 1)
    if kind == "dept_head":
        return i18n.localized(HEAD if levels == 1 else HEAD_UP.fill(levels=levels))
    if kind == "dept_heads":
        return i18n.localized(HEADS.fill(levels=levels))
    if kind == "user":
        return names.person(str(value))
    if kind == "role":
        return names.roles.get(str(value), str(value))
    if kind == "field":
        label, type_ = names.fields.get(str(value), (str(value), ""))
        return i18n.localized((CHOSEN_DEPARTMENT if type_ == "department" else CHOSEN_PERSON).fill(field=label))
    if kind == "chosen":  # 发起人自选
        role = assignee.get("role")
        if isinstance(role, str) and role:
            template = CHOSEN_SEVERAL_AMONG if assignee.get("multiple") else CHOSEN_AMONG
            return i18n.localized(template.fill(role=names.roles.get(role, role)))
        return i18n.localized(CHOSEN_SEVERAL if assignee.get("multiple") else CHOSEN)
    if kind == "ruleset":
        return i18n.localized(BY_RULESET.fill(ruleset=names.rulesets.get(str(value), str(value)),
                                              output=str(assignee.get("output") or "?")))
    return str(kind or "")


def time_limit(deadline: Any, escalation: Any = ()) -> str:
    """ "3 working days", with the escalation ladder in short ("2 working days, then reminds;
    after 3 working days goes to the superior"), or "" when the step has neither (an unfinished
    time limit or rung is left out)."""
    return timing_words(deadline, escalation)


def own_rules(step: Mapping[str, Any], step_title: Callable[[str], str]) -> tuple[str, ...]:
    """What a human step does its own way: where a rejection sends the request, then each
    special case it settles differently from the process ("When nobody fits: skip the step")."""
    rejected = policy_words.on_reject(step.get("on_reject"), step_title) if step.get("kind") == "approval" else ""
    own = step.get("policies") if isinstance(step.get("policies"), Mapping) else {}
    return tuple(([rejected] if rejected else []) + [policy_words.policy_line(k, str(v)) for k, v in own.items() if v])


def priority(index: int) -> str:
    return i18n.localized(PRIORITY.fill(n=index + 1))


def otherwise() -> str:
    return i18n.localized(OTHERWISE)


def branch_condition(branch: Any, subjects: Sequence[Subject], locale: str, *, by_ruleset: bool,
                     outputs: Mapping[str, str] | None = None) -> str:
    """The case a branch takes: its condition in words, or (decided by a ruleset) the outcome it
    matches, each output by its label in `outputs` ("Contract grade is major"); "no condition
    yet" while it has none."""
    outputs = outputs or {}
    branch = branch if isinstance(branch, Mapping) else {}
    if by_ruleset:
        outcome = branch.get("outcome")
        if not isinstance(outcome, Mapping) or not outcome:
            return i18n.localized(NO_CONDITION)
        return _(" and ").join(i18n.localized(OUTCOME.fill(output=outputs.get(str(k), str(k)), value=_shown(v))) for k, v in outcome.items())
    if branch.get("when") is None:
        return i18n.localized(NO_CONDITION)
    return describe(branch["when"], subjects, locale)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def decided_by(step: Mapping[str, Any], names: Names) -> str:
    """A branch step decided by a ruleset: which one; "" when each branch has a condition."""
    name = step.get("ruleset")
    if not isinstance(name, str) or not name:
        return ""
    return i18n.localized(DECIDED_BY.fill(ruleset=names.rulesets.get(name, name)))


def starts(step: Mapping[str, Any], names: Names) -> str:
    """A sub-process step: the process it starts."""
    process = step.get("process")
    if not isinstance(process, str) or not process:
        return i18n.localized(NO_PROCESS)
    return i18n.localized(STARTS.fill(process=names.processes.get(process, process)))

"""A flow's special cases and a step's rejection rule in words, in the reader's language.

The step panel's choices, the process properties page, the step card ("rejected → back to
“Legal review”, starts over") and the change log all say them the same way, from here. Pure
over plain documents, which may be unfinished (a value the checks will refuse reads as itself).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from builder.policies import POLICY_CHOICES, REJECT_TO_END, REJECT_TO_SUBMITTER, RESUME_CHOICES
from runtime import i18n
from runtime.i18n import N_

POLICY_QUESTIONS = {
    "no_assignee": N_("When nobody fits"),
    "submitter_approver": N_("When the submitter is an approver"),
    "repeat_approver": N_("When the approver approved the step just before"),
}
POLICY_HINTS = {
    "no_assignee": N_("Nobody holds the role, the head's post is empty, the form's person field is blank…"),
    "submitter_approver": N_("The submitter is the named person, their own head, or one of the heads in turn."),
    "repeat_approver": N_("The same person decided the step before this one."),
}
CHOICE_NAMES = {
    ("no_assignee", "admin"): N_("hand it to the process admin"),
    ("no_assignee", "skip"): N_("skip the step"),
    ("no_assignee", "auto_approve"): N_("approve it automatically"),
    ("submitter_approver", "superior"): N_("send it to their superior instead"),
    ("submitter_approver", "skip"): N_("skip them"),
    ("submitter_approver", "self"): N_("let them decide"),
    ("repeat_approver", "ask"): N_("ask them again"),
    ("repeat_approver", "auto_approve"): N_("approve it for them"),
}
assert set(CHOICE_NAMES) == {(name, c) for name, choices in POLICY_CHOICES.items() for c in choices}
AS_THE_PROCESS = N_("as the process says (%(choice)s)")
CARD_POLICY = N_("%(question)s: %(choice)s")

REJECT_TO_NAMES = {REJECT_TO_END: N_("the request ends"), REJECT_TO_SUBMITTER: N_("back to the submitter")}
BACK_TO_STEP = N_("back to “%(step)s”")
RESUME_NAMES = {"here": N_("once fixed, it comes straight back here"),
                "start": N_("once fixed, it starts over from the first step")}
RESUME_SHORT = {"here": N_("then straight back here"), "start": N_("starts over")}
assert set(RESUME_NAMES) == set(RESUME_SHORT) == set(RESUME_CHOICES)
REJECTED = N_("rejected → %(rule)s")
RESUMED = N_("%(where)s, %(resume)s")
ENDS_RETURNS_START_OVER = N_("%(where)s; sent back by a return, it starts over")


def choice_name(policy: str, choice: str) -> str:
    """One choice of a policy: "skip the step"; an unknown one as it is written."""
    message = CHOICE_NAMES.get((policy, choice))
    return i18n.gettext(message) if message else choice


def policy_line(policy: str, choice: str) -> str:
    """ "When nobody fits: skip the step" (a card's note)."""
    return i18n.localized(CARD_POLICY.fill(question=i18n.gettext(POLICY_QUESTIONS.get(policy, policy)),
                                           choice=choice_name(policy, choice)))


def inherited(policy: str, flow_policies: Any) -> str:
    """The step's empty choice: "as the process says (hand it to the process admin)"."""
    chosen = flow_policies.get(policy) if isinstance(flow_policies, Mapping) else None
    return i18n.localized(AS_THE_PROCESS.fill(choice=choice_name(policy, str(chosen or POLICY_CHOICES[policy][0]))))


def reject_to(to: str, step_title: Callable[[str], str]) -> str:
    """Where a rejection sends the request: "the request ends", "back to “Legal review”"."""
    if to in REJECT_TO_NAMES:
        return i18n.gettext(REJECT_TO_NAMES[to])
    return i18n.localized(BACK_TO_STEP.fill(step=step_title(to)))


def reject_rule(rule: Any, step_title: Callable[[str], str]) -> str:
    """A rejection rule in short: "the request ends", "back to the submitter, starts over"."""
    rule = rule if isinstance(rule, Mapping) else {}
    to = str(rule.get("to", REJECT_TO_END))
    where = reject_to(to, step_title)
    resume = str(rule.get("resume", "here"))
    if to == REJECT_TO_END and resume == "start":
        return i18n.localized(ENDS_RETURNS_START_OVER.fill(where=where))
    if to == REJECT_TO_END or resume not in RESUME_SHORT:
        return where
    return i18n.localized(RESUMED.fill(where=where, resume=i18n.gettext(RESUME_SHORT[resume])))


def on_reject(rule: Any, step_title: Callable[[str], str]) -> str:
    """A step's rejection rule for its card: "rejected → back to the submitter, starts over";
    "" for the default (a rejection ends the request, which no card needs to say)."""
    if not isinstance(rule, Mapping) or (rule.get("to", REJECT_TO_END) == REJECT_TO_END
                                         and rule.get("resume", "here") == "here"):
        return ""
    return i18n.localized(REJECTED.fill(rule=reject_rule(rule, step_title)))

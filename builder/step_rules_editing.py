"""The step panel's edits of a human step's own rules (builder.policies), for `set_step`.

Properties: `policies.<name>` sets one of the flow's special cases for this step alone (an empty
choice: as the process says, which removes it); `on_reject.to` (`end`, `submitter` or an
earlier step on every path here) says what a rejection at an approval does, and
`on_reject.resume` (`here` or `start`) where a request this step sent back (by such a rejection
or by a return, 退回) goes once resubmitted. Defaults are not written, so a step that follows the process has neither
`policies` nor `on_reject`. Bad input raises `DefinitionError` at its path
(`steps[3].on_reject.to`); the document is edited in place (set_step has copied it).
"""
from __future__ import annotations

from builder import paths
from builder.flow_tree import Doc, earlier_steps
from builder.policies import APPROVAL_ONLY, POLICY_CHOICES, REJECT_TO_END, REJECT_TO_SUBMITTER, RESUME_CHOICES
from rules.errors import DefinitionError, Problem
from rules.messages import N_
from rules.words import word


def set_policy(step: Doc, name: str, text: str, at: str) -> None:
    """One of the step's own policies; `at` is the step's `policies` path."""
    where = paths.key(at, name)
    if name not in POLICY_CHOICES or (name in APPROVAL_ONLY and step.get("kind") != "approval"):
        raise DefinitionError([Problem(where, N_('"%(name)s" is not a policy this %(kind)s step can set',
                                                 name=name, kind=word(step.get("kind"))))])
    if text and text not in POLICY_CHOICES[name]:
        raise DefinitionError([Problem(where, N_('must be one of %(policy_choices)s, got "%(text)s"',
                                                 policy_choices=", ".join(POLICY_CHOICES[name]), text=text))])
    own = step.get("policies") if isinstance(step.get("policies"), dict) else {}
    own = {k: v for k, v in own.items() if k != name} | ({name: text} if text else {})
    if own:
        step["policies"] = own
    else:
        step.pop("policies", None)


def set_on_reject(flow: Doc, step: Doc, part: str, text: str, at: str) -> None:
    """Where a rejection at the approval `step` sends the request (`to`), and where the request goes
    once resubmitted after this step sent it back, by such a rejection or by a return (`resume`);
    `at` is the step's `on_reject` path."""
    where = paths.key(at, part)
    if step.get("kind") != "approval" or part not in ("to", "resume"):
        raise DefinitionError([Problem(where, N_('"on_reject.%(part)s" cannot be set on a %(kind)s step',
                                                 part=part, kind=word(step.get("kind"))))])
    rule = dict(step["on_reject"]) if isinstance(step.get("on_reject"), dict) else {}
    if part == "to":
        earlier = earlier_steps(flow, str(step.get("id")))
        if text not in (REJECT_TO_END, REJECT_TO_SUBMITTER, *earlier):
            choices = ", ".join((REJECT_TO_END, REJECT_TO_SUBMITTER, *earlier))
            raise DefinitionError([Problem(where, N_('must be one of %(choices)s, got "%(text)s"',
                                                     choices=choices, text=text))])
        rule["to"] = text
        if text == REJECT_TO_END:
            rule.pop("to")  # the default; `resume` stays: a return from this step comes back by it too
    else:
        if text not in RESUME_CHOICES:
            raise DefinitionError([Problem(where, N_('must be one of %(resume_choices)s, got "%(text)s"',
                                                     resume_choices=", ".join(RESUME_CHOICES), text=text))])
        rule["resume"] = text
        if text == "here":
            rule.pop("resume")
    if rule:
        step["on_reject"] = rule
    else:
        step.pop("on_reject", None)


def policy_choices(step: Doc) -> dict[str, tuple[str, ...]]:
    """The policies a step may set itself, with their choices (a task has no approver to repeat)."""
    return {name: choices for name, choices in POLICY_CHOICES.items()
            if name not in APPROVAL_ONLY or step.get("kind") == "approval"}


__all__ = ["policy_choices", "set_on_reject", "set_policy"]

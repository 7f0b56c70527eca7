"""Validation of a human step's own rules: its policies (each overriding the flow's) and, at an
approval, what a rejection does (`on_reject`: end, or back to the submitter or an earlier step
on the way there)."""
from __future__ import annotations

from typing import Any

from builder import flow_tree, paths
from builder.policies import APPROVAL_ONLY, POLICY_CHOICES, REJECT_TO_END, REJECT_TO_SUBMITTER, RESUME_CHOICES
from builder.validation.common import show_value, unknown_keys
from rules.errors import Problem
from rules.messages import N_


def step_policies(doc: Any, path: str, kind: str, out: list[Problem]) -> None:
    """A step's `policies`: any subset of the flow's, each one of its choices."""
    if not isinstance(doc, dict):
        out.append(Problem(path, N_("must be an object")))
        return
    unknown_keys(doc, tuple(POLICY_CHOICES), path, out)
    for name, choices in POLICY_CHOICES.items():
        if name not in doc:
            continue
        where = paths.key(path, name)
        if name in APPROVAL_ONLY and kind != "approval":
            out.append(Problem(where, N_("only an approval step has a %(policy)s policy",
                                         policy=name.replace('_', ' '))))
        elif doc[name] not in choices:
            out.append(Problem(where, N_("must be one of %(choices)s, got %(doc)s",
                                         choices=", ".join(choices), doc=show_value(doc[name]))))


def on_reject_problems(flow: dict[str, Any], path: str, out: list[Problem]) -> None:
    """Every approval's `on_reject`: `to` the end, the submitter or an earlier step on every path
    to it (outside parallel lanes), `resume` here or start (for a return as well as a rejection that
    sends the request back)."""
    for place, step in flow_tree.walk(flow):
        if "on_reject" not in step or step.get("kind") != "approval":
            continue
        where = paths.key(paths.key(path, place.path), "on_reject")
        rule = step["on_reject"]
        if not isinstance(rule, dict):
            out.append(Problem(where, N_('must be an object, e.g. {"to": "submitter", "resume": "here"}')))
            continue
        unknown_keys(rule, ("to", "resume"), where, out)
        to = rule.get("to", REJECT_TO_END)
        earlier = flow_tree.earlier_steps(flow, str(step.get("id")))
        if to not in (REJECT_TO_END, REJECT_TO_SUBMITTER, *earlier):
            steps = f" or an earlier step on the way here ({', '.join(earlier)})" if earlier else ""
            out.append(Problem(paths.key(where, "to"),
                               N_('must be "%(reject_to_end)s", "%(reject_to_submitter)s"%(steps)s, got %(to)s',
                                  reject_to_end=REJECT_TO_END, reject_to_submitter=REJECT_TO_SUBMITTER, steps=steps, to=show_value(to))))
        if rule.get("resume", "here") not in RESUME_CHOICES:
            out.append(Problem(paths.key(where, "resume"),
                               N_("must be one of %(resume_choices)s, got %(resume)s",
                                  resume_choices=", ".join(RESUME_CHOICES), resume=show_value(rule["resume"]))))

"""Hidden means hidden: what of a request's data a reader may see, by how they are involved.

A reader sees a field when any of their involvements shows it: as the submitter, unless the
start form hides it; at each step where they hold (or held) a task or were copied in, unless that
step hides it. Admins and auditors see everything; the caller decides that, these functions only
know flows. The record leaks nothing either: `redact_events` takes hidden fields out of the
data, the diffs and the branch inputs the events carry, and an approval's digest out altogether.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from builder.flows import Flow
from builder.forms import Form
from builder.permissions import HIDDEN, start_permission, step_permission


def visible_fields(flow: Flow, form: Form, step_ids_of_viewer: Iterable[str],
                   is_submitter: bool) -> frozenset[str]:
    """The keys of the fields this reader may see."""
    steps = []
    for step_id in step_ids_of_viewer:
        try:
            steps.append(flow.step(step_id))
        except KeyError:
            continue  # a step of another flow version: grants nothing
    return frozenset(f.key for f in form.fields
                     if (is_submitter and start_permission(flow, f.key) != HIDDEN)
                     or any(step_permission(s, f.key) != HIDDEN for s in steps))


def redact_events(events: Iterable[dict[str, Any]], hidden: frozenset[str]) -> tuple[dict[str, Any], ...]:
    """The events without the `hidden` fields: in the data a start or resubmission carries, in
    the diff of an edit, in the inputs a branch read (`items.amount.sum` belongs to `items`)."""
    if not hidden:
        return tuple(events)
    return tuple(_redact(e, hidden) for e in events)


def _redact(event: dict[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    out = event
    if "digest" in event:  # an approval's digest (runtime/coverage.py) may cover what this reader may not see:
        out = {k: v for k, v in event.items() if k != "digest"}  # a salary's few likely values are quickly hashed
    for name in ("data", "changes", "inputs"):
        value = event.get(name)
        if isinstance(value, dict) and any(k.split(".")[0] in hidden for k in value):
            out = {**out, name: {k: v for k, v in value.items() if k.split(".")[0] not in hidden}}
    if "changes" in out and not out["changes"]:
        out = {k: v for k, v in out.items() if k != "changes"}
    return out

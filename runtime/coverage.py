"""What an approval covers: the data its approver saw, as a digest, and which approvals a change
of the data no longer covers.

**Recorded.** A person's approval carries `digest`: SHA-256 over a canonical encoding
(`canonical`: compact JSON, keys sorted) of the values of the fields it covers (`covered`): those not
hidden at that step, except fields still empty that are not the submitter's to fill (a later step
fills them in: filling in the GM's decision changes nothing an earlier approver saw; changing a
value, or adding one on a resubmission, does). Each approver records their own, so in a
countersign (会签) or a sequential step each approval covers what that person approved, edits
included. A task step's completion records one too: it lets the step stand on a re-run.

**Invalidated.** When the data changes after approvals were given, by a resubmission or by an
edit at a later step (finance corrects a line), every approval that still stands (`standing`) is
checked against the new data; one whose digest no longer matches is invalidated: an `invalidate`
event per step names the approvers, the fields that changed since (old → new, only those it
covered) and the steps whose approvals still stand. The request then goes to the *first*
invalidated step in the order the approvals were given (inside a parallel review: the whole
parallel step) and walks on from there as on a first arrival. On that walk a human step whose
approvals (or completion) all still match is passed by (`stands`: a `skip` whose reason says
so) rather than asked again: only the people whose data changed approve again, and branches
are decided on the new data. The step that returned the request runs as usual when the walk
reaches it. A task step's completion alone never sends the request back; but one after the
first invalidated approval whose data changed is invalidated too (the walk reaches it: it runs
again, recorded as such), and one whose data did not change stands.

**Edits at a later step** send the request back at once to the first invalidated step (the
editor's own approval is recorded and stands, unless their step still waits for others, which
then runs again whole): nothing downstream (payment) happens on data an earlier approver has not
seen, and every approval on the record covers the data as it went ahead: what an auditor expects.

**From the start.** A rejection whose `on_reject.resume` is `start` walks the whole flow again;
the invalidations are recorded all the same (the record and the task page say what changed), and
nothing stands on that walk.

Declared in `runtime.events`: `DIGEST` on approve/complete events, the `INVALIDATE` kind
(built by `invalidation`); the `skip` reason `notes.APPROVAL_STANDS`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from builder.flows import Flow, Step
from builder.forms import Form
from builder.permissions import HIDDEN, Changes, editable_at_start, step_permission
from runtime import events
from runtime.state import apply_changes

DIGEST = "digest"  # on approve/complete events: hex SHA-256 of the data the person passed (`covered`)
INVALIDATE = "invalidate"  # event: an earlier step's approvals no longer cover the data (fields: runtime.events)
CAUSE_RESUBMIT, CAUSE_EDIT = "resubmit", "edit"
SIGNED = ("approve", "complete")  # the decisions that carry a digest
ENDS_RERUN = ("return", "resubmit", "start")  # a later one of these ends what an invalidation let stand


@dataclass(frozen=True)
class Approval:
    """An approval that still stands: who gave it, at which step and task, on what data."""

    step: str
    task: str
    approver: str
    digest: str
    seen: dict[str, Any]
    kind: str = "approve"  # or "complete": a task step's


@dataclass(frozen=True)
class Invalid:
    """A step whose approvals the new data no longer matches, and what changed since."""

    step: str
    approvals: tuple[Approval, ...]
    changes: Changes


def visible_at(step: Step, form: Form) -> frozenset[str]:
    """The fields an approver at `step` could see: every one the step does not hide."""
    return frozenset(f.key for f in form.fields if step_permission(step, f.key) != HIDDEN)


def covered(flow: Flow, form: Form, step_id: str, seen: dict[str, Any]) -> frozenset[str]:
    """What an approval at `step_id` on `seen` covers: the fields visible there, except those
    still empty that are not the submitter's to fill (a later step fills them in: the GM's
    decision, HR's salary); filling one in changes nothing this approver saw. A value changed,
    or one the submitter adds on a resubmission, does."""
    start = editable_at_start(flow, form)
    return frozenset(k for k in visible_at(flow.step(step_id), form) if k in start or not _empty(seen.get(k)))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def canonical(data: dict[str, Any], keys: Iterable[str]) -> bytes:
    """The values of `keys` (those present) as compact UTF-8 JSON with every object's keys sorted
    (orjson's encoding, as the store writes values): one encoding per data."""
    return orjson.dumps({k: data[k] for k in keys if k in data}, option=orjson.OPT_SORT_KEYS, default=str)


def digest(data: dict[str, Any], keys: Iterable[str]) -> str:
    return hashlib.sha256(canonical(data, keys)).hexdigest()


def step_digest(flow: Flow, form: Form, step_id: str, data: dict[str, Any]) -> str:
    """The digest an approval at `step_id` records when its approver passes it on `data`."""
    return digest(data, covered(flow, form, step_id, data))


def around(flow: Flow, step_id: str) -> str:
    """The step that runs again for `step_id`: itself, or the parallel step whose lanes hold it."""
    parallel = flow.parallel_of(step_id)
    return parallel.id if parallel else step_id


def standing(events: Iterable[dict[str, Any]], flow: Flow) -> list[Approval]:
    """The approvals on the record that still stand, oldest first, each with the data it saw.

    An approval stands until its step runs again: the same person approves it again, it is
    invalidated, the request is returned from or to it (from inside a parallel review: all of
    it), or a resubmission walks the flow from the start."""
    first = flow.steps[0].id if flow.steps else ""
    data: dict[str, Any] = {}
    held: dict[tuple[str, str], Approval] = {}

    def drop(steps: set[str]) -> None:
        for key in [k for k in held if around(flow, k[0]) in steps or k[0] in steps]:
            del held[key]

    for e in events:
        action = e["action"]
        if action == "start":
            data = e["data"]
        elif action == "resubmit":
            data = e["data"]
            if e.get("resumed") == first:
                held.clear()
        elif action in SIGNED:
            if e.get("changes"):
                data = apply_changes(data, e["changes"])
            if e.get(DIGEST):
                held.pop((e["step"], e["actor"]), None)  # again: the newer one is what counts, and when
                held[(e["step"], e["actor"])] = Approval(e["step"], e["task"], e["actor"], e[DIGEST], data,
                                                          action)
        elif action == INVALIDATE:
            drop({e["step"]})
        if action == "return" or (action == "reject" and "to" in e):
            drop({e["step"], around(flow, e["step"]), e["to"]})
    return list(held.values())


def invalidated(flow: Flow, form: Form, approvals: Sequence[Approval], data: dict[str, Any]) -> list[Invalid]:
    """What a change of the data invalidates: the approvals it no longer matches, the first one
    first; and, once one is, the task completions after it that it no longer matches (the walk
    from there reaches them: they run again too, recorded as such). Completions alone never are."""
    decided = invalid(flow, form, [a for a in approvals if a.kind == "approve"], data)
    if not decided:
        return []
    first = next(i for i, a in enumerate(approvals) if a.step == decided[0].step)
    return decided + invalid(flow, form, [a for a in approvals[first:] if a.kind != "approve"], data)


def invalid(flow: Flow, form: Form, approvals: Sequence[Approval], data: dict[str, Any]) -> list[Invalid]:
    """The steps of `approvals` that `data` no longer matches, in the order they were approved,
    each with what changed since its first such approval (the fields it covered)."""
    out: dict[str, list[Approval]] = {}
    for approval in approvals:
        if not matches(flow, form, approval, data):
            out.setdefault(approval.step, []).append(approval)
    result = []
    for step_id, given in out.items():
        seen = given[0].seen
        changes = {k: {"from": seen.get(k), "to": data.get(k)}
                   for k in sorted(covered(flow, form, step_id, seen)) if seen.get(k) != data.get(k)}
        result.append(Invalid(step_id, tuple(given), changes))
    return result


def matches(flow: Flow, form: Form, approval: Approval, data: dict[str, Any]) -> bool:
    """Whether `data` holds what `approval` covered, unchanged (a step of another flow: no)."""
    try:
        return digest(data, covered(flow, form, approval.step, approval.seen)) == approval.digest
    except KeyError:
        return False


def still_covered(flow: Flow, form: Form, approvals: Sequence[Approval], data: dict[str, Any]) -> set[str]:
    """The steps whose every standing approval (or completion) `data` still matches: on a
    re-run, they are passed by."""
    steps = {a.step for a in approvals}
    return steps - {a.step for a in approvals if not matches(flow, form, a, data)}


def invalidation(instance: str, at: str, actor: str, invalid_step: Invalid, cause: str,
                 still_standing: Iterable[str]) -> dict[str, Any]:
    """The `invalidate` event for one step (the system's, as what the change caused)."""
    return events.new(INVALIDATE, instance, at, actor, step=invalid_step.step,
                      approvers=[a.approver for a in invalid_step.approvals],
                      tasks=[a.task for a in invalid_step.approvals],
                      changes=invalid_step.changes, cause=cause, standing=sorted(set(still_standing)))


def stands(newest_first: Iterable[dict[str, Any]], step_id: str) -> bool:
    """Whether, on the walk an invalidation started, `step_id`'s approvals still stand (so the
    step is passed by): the latest invalidation says so, and nothing since ran the step or ended
    that walk (a return, a resubmission). Reads the instance's events newest first, as far as needed."""
    for e in newest_first:
        action = e["action"]
        if action == INVALIDATE:
            return step_id in e.get("standing", ())
        if action in ENDS_RERUN or (action == "reject" and "to" in e):
            return False
        if action in ("task", "skip") and e.get("step") == step_id:
            return False
    return False


def changed_since(events: Sequence[dict[str, Any]], task_id: str) -> Changes:
    """What changed since the invalidated approval that made `task`'s step run again: the
    changes of the latest invalidation of its step before the task was opened ({} if none)."""
    opened = next((i for i, e in enumerate(events) if e["action"] == "task" and e.get("task") == task_id), None)
    if opened is None:
        return {}
    step = events[opened]["step"]
    for at in range(opened - 1, -1, -1):
        e = events[at]
        if e["action"] == INVALIDATE and e["step"] == step:
            return e.get("changes", {})
        if e["action"] == "resubmit" and e.get("resumed") == step:  # straight back to the step that returned it
            return data_changes(data_before(events, at), e["data"])
        if e["action"] in ENDS_RERUN or (e["action"] == "reject" and "to" in e):
            return {}
    return {}


def data_before(events: Sequence[dict[str, Any]], index: int) -> dict[str, Any]:
    """The request's data as it stood just before `events[index]`: the latest start or
    resubmission's, with the edits made at steps since."""
    data: dict[str, Any] = {}
    for e in events[:index]:
        if e["action"] in ("start", "resubmit"):
            data = e["data"]
        elif e["action"] in SIGNED and e.get("changes"):  # an edit at a step, as runtime.state applies it
            data = apply_changes(data, e["changes"])
    return data


def data_changes(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """What differs between two states of a request's data, as a recorded diff."""
    return {k: {"from": before.get(k), "to": after.get(k)} for k in dict.fromkeys([*before, *after])
            if before.get(k) != after.get(k)}

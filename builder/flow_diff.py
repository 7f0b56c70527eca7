"""What changed between two versions of a flow, as structured data (the change log in words is
built from it by `runtime.flow_changes`, in the reader's language).

Pure: two flow documents in, a list of `FlowChange` out — the process first (title, form,
rulesets, policies, properties), then step by step in the new version's order (added, moved,
renamed, who acts, how, time limit, field permissions, its own special cases and rejection rule,
branch conditions), then removed steps.
Steps are matched by id, so a step renamed or moved is one change, not a removal and an addition.
Documents are read through `Flow.from_dict` so defaults never show as changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.flows import ApprovalStep, BranchStep, Flow, HumanStep, ParallelStep, Step
from builder.policies import POLICY_CHOICES
from builder.serial import to_plain
from builder.text import Label

# Step properties compared one by one (besides title, place, and the branches of a branch step).
STEP_PROPERTIES = ("assignee", "mode", "deadline", "escalation", "fields", "ruleset", "process", "inputs")
FLOW_PROPERTIES = ("title", "description", "form", "form_version", "rulesets", "reject_codes", "start_fields", "urgent", "scenarios")


@dataclass(frozen=True)
class FlowChange:
    """One difference. `kind` says what (see CHANGE_KINDS); `step` the step's id ("" for the
    process itself) and `title` its name, for showing it; `name` the property, policy or branch
    concerned; `before`/`after` the values (plain JSON)."""

    kind: str
    step: str = ""
    title: Label = ""
    name: str = ""
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> FlowChange:
        return cls(kind=doc["kind"], step=doc.get("step", ""), title=doc.get("title", ""),
                   name=doc.get("name", ""), before=doc.get("before"), after=doc.get("after"))


CHANGE_KINDS = ("created", "process", "policy", "meta", "step_added", "step_removed", "step_moved",
                "step_renamed", "step", "branch_added", "branch_removed", "branch_changed")


@dataclass(frozen=True)
class _Placed:
    step: Step
    container: str  # "" for the main column, "<step>/b<i>", "<step>/else", "<step>/l<i>"
    index: int


def flow_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FlowChange]:
    """Every change from `before` (None: a new process) to `after`, both flow documents."""
    new = Flow.from_dict(after)
    if before is None:
        return [FlowChange("created", title=new.title)]
    old = Flow.from_dict(before)
    out = _process_changes(old, new)
    old_steps, new_steps = _placed(old.steps), _placed(new.steps)
    for step_id, placed in new_steps.items():
        step = placed.step
        if step_id not in old_steps:
            out.append(FlowChange("step_added", step_id, step.title, step.kind, after=placed.container))
            continue
        was = old_steps[step_id]
        if (was.container, _rank(was, old_steps, new_steps)) != (placed.container, _rank(placed, new_steps, old_steps)):
            out.append(FlowChange("step_moved", step_id, step.title, before=was.container, after=placed.container))
        out += _step_changes(was.step, step)
    out += [FlowChange("step_removed", step_id, placed.step.title, placed.step.kind)
            for step_id, placed in old_steps.items() if step_id not in new_steps]
    return out


def _process_changes(old: Flow, new: Flow) -> list[FlowChange]:
    out = [FlowChange("process", name=name, before=to_plain(getattr(old, name)), after=to_plain(getattr(new, name)))
           for name in FLOW_PROPERTIES if getattr(old, name) != getattr(new, name)]
    old_policies, new_policies = to_plain(old.policies), to_plain(new.policies)
    out += [FlowChange("policy", name=name, before=getattr(old.policies, name), after=getattr(new.policies, name))
            for name in sorted(set(old_policies) | set(new_policies))
            if getattr(old.policies, name) != getattr(new.policies, name)]
    old_meta, new_meta = to_plain(old.meta), to_plain(new.meta)
    out += [FlowChange("meta", name=name, before=old_meta.get(name), after=new_meta.get(name))
            for name in _ordered(old_meta, new_meta) if old_meta.get(name) != new_meta.get(name)]
    return out


def _step_changes(old: Step, new: Step) -> list[FlowChange]:
    out = []
    if old.title != new.title:
        out.append(FlowChange("step_renamed", new.id, new.title, before=old.title, after=new.title))
    if old.kind != new.kind:
        out.append(FlowChange("step", new.id, new.title, "kind", old.kind, new.kind))
        return out
    old_doc, new_doc = old.to_dict(), new.to_dict()
    out += [FlowChange("step", new.id, new.title, name, old_doc.get(name), new_doc.get(name))
            for name in STEP_PROPERTIES if old_doc.get(name) != new_doc.get(name)]
    if isinstance(old, HumanStep) and isinstance(new, HumanStep):  # a step's own special cases: None = as the process says
        was, now = old.policies.own(), new.policies.own()
        out += [FlowChange("step", new.id, new.title, name, was.get(name), now.get(name))
                for name in POLICY_CHOICES if was.get(name) != now.get(name)]
    if isinstance(old, ApprovalStep) and isinstance(new, ApprovalStep) and old.on_reject != new.on_reject:
        out.append(FlowChange("step", new.id, new.title, "on_reject", to_plain(old.on_reject), to_plain(new.on_reject)))
    if isinstance(old, BranchStep) and isinstance(new, BranchStep):
        out += _branch_changes(old, new)
    return out


def _branch_changes(old: BranchStep, new: BranchStep) -> list[FlowChange]:
    """Branches by priority: what decides each one (its condition, or the outcome it matches)."""
    out = []
    for index in range(max(len(old.branches), len(new.branches))):
        priority = str(index + 1)
        if index >= len(old.branches):
            out.append(FlowChange("branch_added", new.id, new.title, priority, after=_decides(new.branches[index])))
        elif index >= len(new.branches):
            out.append(FlowChange("branch_removed", new.id, new.title, priority, before=_decides(old.branches[index])))
        elif _decides(old.branches[index]) != _decides(new.branches[index]):
            out.append(FlowChange("branch_changed", new.id, new.title, priority,
                                  _decides(old.branches[index]), _decides(new.branches[index])))
    return out


def _decides(branch: Any) -> dict[str, Any]:
    return {"outcome": dict(branch.outcome)} if branch.outcome else {"when": branch.when}


def _placed(steps: tuple[Step, ...], container: str = "") -> dict[str, _Placed]:
    out: dict[str, _Placed] = {}
    for index, step in enumerate(steps):
        out[step.id] = _Placed(step, container, index)
        if isinstance(step, BranchStep):
            for number, branch in enumerate(step.branches):
                out.update(_placed(branch.steps, f"{step.id}/b{number}"))
            out.update(_placed(step.otherwise, f"{step.id}/else"))
        elif isinstance(step, ParallelStep):
            for number, lane in enumerate(step.branches):
                out.update(_placed(lane.steps, f"{step.id}/l{number}"))
    return out


def _rank(placed: _Placed, here: dict[str, _Placed], there: dict[str, _Placed]) -> int:
    """The step's position among the siblings both versions have, so that inserting or removing
    a neighbour does not call every step after it moved."""
    siblings = sorted((p.index, step_id) for step_id, p in here.items()
                      if p.container == placed.container and step_id in there)
    return [step_id for _, step_id in siblings].index(placed.step.id)


def _ordered(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys([*b, *a]))

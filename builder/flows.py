"""Flow definitions: structured approval flows (the DingTalk/Feishu shape), as frozen data.

A flow is an ordered list of steps; a `branch` step holds ordered branches, each its own list of
steps, plus an `else` list. Structured flows cannot dangle or deadlock, and the engine walks them
with `Flow.successor`. Step kinds are a registry (`STEP_KINDS`) so new kinds slot in without
touching the walker.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from builder.deadlines import Duration, Rung, timing_from_dict
from builder.forms import Option
from builder.serial import to_plain
from builder.text import Label

ASSIGNEE_KINDS = ("user", "role", "dept_head")
APPROVAL_MODES = ("single", "any", "all", "sequential")  # 或签: any; 会签: all; 依次: sequential


@dataclass(frozen=True)
class Assignee:
    """Who a step's task goes to: a named user, a role, or the submitter's head `levels` up."""

    kind: str
    user: str = ""
    role: str = ""
    levels: int = 1

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Assignee:
        return cls(kind=doc["kind"], user=doc.get("user", ""), role=doc.get("role", ""),
                   levels=int(doc.get("levels", 1)))

    def to_dict(self) -> dict[str, Any]:
        """The kind and the one property it uses, always spelled out (`levels` even when 1), so
        an export reads the same whatever defaults the importer assumed."""
        if self.kind == "user":
            return {"kind": self.kind, "user": self.user}
        if self.kind == "role":
            return {"kind": self.kind, "role": self.role}
        if self.kind == "dept_head":
            return {"kind": self.kind, "levels": self.levels}
        return {"kind": self.kind, **to_plain(self)}


@dataclass(frozen=True, kw_only=True)
class Step:
    id: str
    title: Label = ""
    description: Label = ""
    kind: ClassVar[str] = ""
    is_human: ClassVar[bool] = False

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Step:
        return STEP_KINDS[doc["kind"]]._from_dict(doc)

    @classmethod
    def _base(cls, doc: dict[str, Any]) -> dict[str, Any]:
        return {"id": doc["id"], "title": doc.get("title", ""),
                "description": doc.get("description", "")}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **to_plain(self)}


@dataclass(frozen=True, kw_only=True)
class ApprovalStep(Step):
    """Someone decides: approve, or reject with a reason."""

    assignee: Assignee
    mode: str = "single"
    deadline: Duration | None = None  # working time the task may take (builder.deadlines)
    escalation: tuple[Rung, ...] = ()  # what happens as that time passes
    kind: ClassVar[str] = "approval"
    is_human: ClassVar[bool] = True

    @classmethod
    def _from_dict(cls, doc: dict[str, Any]) -> ApprovalStep:
        return cls(**cls._base(doc), assignee=Assignee.from_dict(doc["assignee"]),
                   mode=doc.get("mode", "single"), **timing_from_dict(doc))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "assignee": self.assignee.to_dict()}


@dataclass(frozen=True, kw_only=True)
class TaskStep(Step):
    """Someone does work the flow waits for (pay, sign, archive) and marks it complete."""

    assignee: Assignee
    deadline: Duration | None = None  # working time the task may take (builder.deadlines)
    escalation: tuple[Rung, ...] = ()  # what happens as that time passes
    kind: ClassVar[str] = "task"
    is_human: ClassVar[bool] = True

    @classmethod
    def _from_dict(cls, doc: dict[str, Any]) -> TaskStep:
        return cls(**cls._base(doc), assignee=Assignee.from_dict(doc["assignee"]), **timing_from_dict(doc))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "assignee": self.assignee.to_dict()}


@dataclass(frozen=True, kw_only=True)
class NotifyStep(Step):
    """Copies people in (抄送): they are told and can read the request; nobody has to act."""

    assignee: Assignee
    kind: ClassVar[str] = "notify"

    @classmethod
    def _from_dict(cls, doc: dict[str, Any]) -> NotifyStep:
        return cls(**cls._base(doc), assignee=Assignee.from_dict(doc["assignee"]))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "assignee": self.assignee.to_dict()}


@dataclass(frozen=True)
class Branch:
    """One path of a branch step: taken when its condition `when` holds on the form data, or,
    in a step that consults a ruleset, when the ruleset's outcome matches `outcome`."""

    outcome: dict[str, Any] = field(default_factory=dict)
    when: dict[str, Any] | None = None
    label: Label = ""
    steps: tuple[Step, ...] = ()

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Branch:
        return cls(outcome=dict(doc.get("outcome", {})), when=doc.get("when"), label=doc.get("label", ""),
                   steps=tuple(Step.from_dict(s) for s in doc.get("steps", ())))

    def matches(self, outcome: dict[str, Any]) -> bool:
        return all(outcome.get(k) == v for k, v in self.outcome.items())

    def to_dict(self) -> dict[str, Any]:
        return {**to_plain(self), "steps": [s.to_dict() for s in self.steps]}


@dataclass(frozen=True, kw_only=True)
class BranchStep(Step):
    """Picks the first branch that applies, else `otherwise`: by the outcome of `ruleset` when it
    names one, by each branch's own condition when it does not."""

    ruleset: str = ""
    branches: tuple[Branch, ...] = ()
    otherwise: tuple[Step, ...] = field(default=(), metadata={"json": "else"})
    kind: ClassVar[str] = "branch"

    @classmethod
    def _from_dict(cls, doc: dict[str, Any]) -> BranchStep:
        return cls(**cls._base(doc), ruleset=doc.get("ruleset", ""),
                   branches=tuple(Branch.from_dict(b) for b in doc.get("branches", ())),
                   otherwise=tuple(Step.from_dict(s) for s in doc.get("else", ())))

    def to_dict(self) -> dict[str, Any]:
        """Nested steps carry their `kind`; `else` is always written, even when empty."""
        out = super().to_dict()
        out["branches"] = [b.to_dict() for b in self.branches]
        out["else"] = [s.to_dict() for s in self.otherwise]
        return out

    def choose(self, applies: Callable[[Branch], bool]) -> tuple[int | None, tuple[Step, ...]]:
        """The index of the first branch that applies (None for else) and its steps."""
        for index, branch in enumerate(self.branches):
            if applies(branch):
                return index, branch.steps
        return None, self.otherwise

    def lanes(self) -> tuple[tuple[Step, ...], ...]:
        return tuple(b.steps for b in self.branches) + (self.otherwise,)


STEP_KINDS: dict[str, type[Step]] = {k.kind: k for k in (ApprovalStep, TaskStep, NotifyStep, BranchStep)}


@dataclass(frozen=True)
class ProcessMeta:
    """The process document's header (000 §6.1): what a policy says about the process itself."""

    purpose: Label = ""
    scope: Label = ""
    owner: str = ""
    performers: tuple[str, ...] = ()
    collaborators: tuple[str, ...] = ()
    input_forms: tuple[str, ...] = ()
    output_forms: tuple[str, ...] = ()
    start: Label = ""
    end: Label = ""
    metrics: Label = ""
    effective_date: str = ""
    category: str = ""
    level: str = ""
    parent: str = ""

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ProcessMeta:
        tuples = {"performers", "collaborators", "input_forms", "output_forms"}
        return cls(**{k: tuple(v) if k in tuples else v for k, v in doc.items()})


REPEAT_APPROVER = ("ask", "auto_approve")


@dataclass(frozen=True)
class Policies:
    """Per-flow handling of special cases. `repeat_approver`: when the next approver is the person
    who approved the step just before, ask them again, or record an automatic approval."""

    repeat_approver: str = "ask"

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Policies:
        return cls(repeat_approver=doc.get("repeat_approver", "ask"))


@dataclass(frozen=True)
class Flow:
    key: str
    version: int
    title: Label
    form: str
    steps: tuple[Step, ...] = field(default=(), metadata={"always": True})
    rulesets: tuple[str, ...] = ()
    description: Label = ""
    meta: ProcessMeta = field(default_factory=ProcessMeta)
    policies: Policies = field(default_factory=Policies)
    reject_codes: tuple[Option, ...] = ()  # when set, a rejection names one of these as well as its reason

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Flow:
        return cls(
            key=doc["key"],
            version=int(doc.get("version", 1)),
            title=doc.get("title", doc["key"]),
            form=doc["form"],
            steps=tuple(Step.from_dict(s) for s in doc.get("steps", ())),
            rulesets=tuple(doc.get("rulesets", ())),
            description=doc.get("description", ""),
            meta=ProcessMeta.from_dict(doc.get("meta", {})),
            policies=Policies.from_dict(doc.get("policies", {})),
            reject_codes=tuple(Option.from_dict(o) for o in doc.get("reject_codes", ())),
        )

    def to_dict(self) -> dict[str, Any]:
        out = to_plain(self)
        out["steps"] = [s.to_dict() for s in self.steps]
        return out

    def walk(self) -> Iterator[Step]:
        """Every step, depth first, in document order."""
        yield from _walk(self.steps)

    def step(self, step_id: str) -> Step:
        for s in self.walk():
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def successor(self, step_id: str) -> Step | None:
        """The step that runs after `step_id` finishes (leaving branches as needed), or None at the end."""
        found = _successor(self.steps, step_id, None)
        return found if isinstance(found, Step) else None


def _walk(steps: tuple[Step, ...]) -> Iterator[Step]:
    for s in steps:
        yield s
        if isinstance(s, BranchStep):
            for lane in s.lanes():
                yield from _walk(lane)


_NOT_HERE = object()


def _successor(steps: tuple[Step, ...], step_id: str, after: Step | None) -> Any:
    """Search `steps` for `step_id`; `after` is what follows this whole list."""
    for index, s in enumerate(steps):
        follow = steps[index + 1] if index + 1 < len(steps) else after
        if s.id == step_id:
            return follow
        if isinstance(s, BranchStep):
            for lane in s.lanes():
                found = _successor(lane, step_id, follow)
                if found is not _NOT_HERE:
                    return found
    return _NOT_HERE

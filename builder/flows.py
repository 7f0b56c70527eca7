"""Flow definitions: structured approval flows (the DingTalk/Feishu shape), as frozen data.

A flow is an ordered list of steps; a `branch` step holds ordered branches, each its own list of
steps, plus an `else` list; a `parallel` step holds lanes that all run and are joined before the
step after it. Structured flows cannot dangle or deadlock, and the engine walks them with
`Flow.successor`, which names a `Join` where a parallel lane ends. Step kinds are a registry (`STEP_KINDS`) so new kinds slot in without
touching the walker.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from builder.deadlines import Duration, Rung, timing_from_dict
from builder.forms import Option
from builder.policies import POLICY_CHOICES, OnReject, Policies, StepPolicies  # noqa: F401 (importable from here)
from builder.serial import to_plain
from builder.text import Label

# dept_heads: every head up to `levels` (连续多级主管); field: the user or department a form field
# names; ruleset: the user or role a ruleset's output names; chosen: whoever the submitter picks
# when filing (发起人自选: one, or several when `multiple`; among the holders of `role` when set).
ASSIGNEE_KINDS = ("user", "role", "dept_head", "dept_heads", "field", "ruleset", "chosen")
APPROVAL_MODES = ("single", "any", "all", "sequential")  # 或签: any; 会签: all; 依次: sequential
# The properties each assignee kind uses; to_dict writes exactly these, so an export reads the
# same whatever defaults the importer assumed.
ASSIGNEE_USES: dict[str, tuple[str, ...]] = {
    "user": ("user",), "role": ("role",), "dept_head": ("levels",), "dept_heads": ("levels",),
    "field": ("field",), "ruleset": ("ruleset", "output"), "chosen": ("role", "multiple")}


@dataclass(frozen=True)
class Assignee:
    """Who a step's task goes to (see ASSIGNEE_KINDS)."""

    kind: str
    user: str = ""
    role: str = ""
    levels: int = 1
    field: str = ""
    ruleset: str = ""
    output: str = ""
    multiple: bool = False

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Assignee:
        return cls(kind=doc["kind"], user=doc.get("user", ""), role=doc.get("role", ""),
                   levels=int(doc.get("levels", 1)), field=doc.get("field", ""),
                   ruleset=doc.get("ruleset", ""), output=doc.get("output", ""),
                   multiple=bool(doc.get("multiple", False)))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **{name: getattr(self, name) for name in ASSIGNEE_USES[self.kind]}}


@dataclass(frozen=True, kw_only=True)
class Step:
    id: str
    title: Label = ""
    description: Label = ""
    kind: ClassVar[str] = ""

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Step:
        return STEP_KINDS[doc["kind"]]._from_dict(doc)

    @classmethod
    def _base(cls, doc: dict[str, Any]) -> dict[str, Any]:
        return {"id": doc["id"], "title": doc.get("title", ""), "description": doc.get("description", "")}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **to_plain(self)}


@dataclass(frozen=True, kw_only=True)
class HumanStep(Step):
    """A step a person acts on: who (`assignee`), which fields they see or change (`fields`), and
    how long they may take (`deadline`, with an escalation ladder)."""

    assignee: Assignee
    fields: dict[str, str] = field(default_factory=dict)  # field key → hidden|readonly|editable here
    deadline: Duration | None = None  # working time the task may take (builder.deadlines)
    escalation: tuple[Rung, ...] = ()  # what happens as that time passes
    policies: StepPolicies = field(default_factory=StepPolicies)  # this step's own special cases

    @classmethod
    def _from_dict(cls, doc: dict[str, Any]) -> Any:
        return cls(**cls._base(doc), assignee=Assignee.from_dict(doc["assignee"]),
                   fields=dict(doc.get("fields", {})), **timing_from_dict(doc),
                   policies=StepPolicies.from_dict(doc.get("policies", {})), **cls._own(doc))

    @classmethod
    def _own(cls, doc: dict[str, Any]) -> dict[str, Any]:
        """What this kind of step adds to the others."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "assignee": self.assignee.to_dict()}


@dataclass(frozen=True, kw_only=True)
class ApprovalStep(HumanStep):
    """Someone decides: approve, or reject with a reason (which ends the request, or sends it
    back, as `on_reject` says)."""

    mode: str = "single"
    on_reject: OnReject = field(default_factory=OnReject)
    kind: ClassVar[str] = "approval"

    @classmethod
    def _own(cls, doc: dict[str, Any]) -> dict[str, Any]:
        return {"mode": doc.get("mode", "single"), "on_reject": OnReject.from_dict(doc.get("on_reject", {}))}


@dataclass(frozen=True, kw_only=True)
class TaskStep(HumanStep):
    """Someone does work the flow waits for (pay, sign, archive) and marks it complete."""

    kind: ClassVar[str] = "task"


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


@dataclass(frozen=True)
class Lane:
    """One lane of a parallel step: its steps run alongside the other lanes'."""

    label: Label = ""
    steps: tuple[Step, ...] = ()

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Lane:
        return cls(label=doc.get("label", ""), steps=tuple(Step.from_dict(s) for s in doc.get("steps", ())))

    def to_dict(self) -> dict[str, Any]:
        return {**to_plain(self), "steps": [s.to_dict() for s in self.steps]}


@dataclass(frozen=True, kw_only=True)
class ParallelStep(Step):
    """并行: every lane runs at once; the flow goes on once all of them have finished."""

    branches: tuple[Lane, ...] = ()
    kind: ClassVar[str] = "parallel"

    @classmethod
    def _from_dict(cls, doc: dict[str, Any]) -> ParallelStep:
        return cls(**cls._base(doc), branches=tuple(Lane.from_dict(b) for b in doc.get("branches", ())))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "branches": [b.to_dict() for b in self.branches]}

    def lanes(self) -> tuple[tuple[Step, ...], ...]:
        return tuple(b.steps for b in self.branches)


@dataclass(frozen=True, kw_only=True)
class SubflowStep(Step):
    """Starts another published process for the same submitter and waits until it ends.

    `inputs` maps the sub-process's form fields to this form's fields whose values they take."""

    process: str
    inputs: dict[str, str] = field(default_factory=dict)
    kind: ClassVar[str] = "subflow"

    @classmethod
    def _from_dict(cls, doc: dict[str, Any]) -> SubflowStep:
        return cls(**cls._base(doc), process=doc["process"], inputs=dict(doc.get("inputs", {})))


@dataclass(frozen=True)
class Join:
    """Where a parallel lane ends: the engine records the lane's arrival and, once every lane of
    `step` has arrived, goes on after it. Its `kind` names its handler, as a step's does."""

    step: str
    lane: int
    kind: ClassVar[str] = "join"


STEP_KINDS: dict[str, type[Step]] = {k.kind: k for k in (ApprovalStep, TaskStep, NotifyStep, BranchStep,
                                                         ParallelStep, SubflowStep)}


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
    category: str = ""  # business | management | approval (业务 / 管理 / 审批)
    level: str = ""  # main | sub | operation, under `parent` when not main
    parent: str = ""
    value_chain: str = ""  # core | support (核心 / 支持)
    time_limit: Duration | None = None  # how long a whole request should take (a metric)
    target_pass_rate: int | None = None  # percent of requests expected through without a rejection
    cost_bearing: Label = ""  # who bears the process's costs (费用承担)
    change_approval: bool = False  # a new version is published only once the owner approves it (000 §五)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ProcessMeta:
        tuples = {"performers", "collaborators", "input_forms", "output_forms"}
        plain = {k: tuple(v) if k in tuples else v for k, v in doc.items() if k != "time_limit"}
        limit = doc.get("time_limit")
        return cls(**plain, time_limit=Duration.from_dict(limit) if limit is not None else None)


@dataclass(frozen=True)
class Urgent:
    """The green channel (003 §二(二)3, 特事特办，事后补齐审批手续): an urgent start goes straight to
    the `execution` task step; the approvals it skips are done afterwards, each within `deadline`.
    All three properties are always written, so a switched-off channel keeps its settings."""

    allowed: bool
    execution: str
    deadline: Duration

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Urgent:
        return cls(allowed=doc["allowed"], execution=doc["execution"],
                   deadline=Duration.from_dict(doc["deadline"]))


@dataclass(frozen=True)
class Scenario:
    """A what-if saved with the flow (Camunda's Play mode kept as a test): who files what, and the
    route it took when it was saved (`route`, step ids in the order the simulator reached them).
    Every publish re-runs it; a different route blocks publishing until it is confirmed."""

    name: str
    submitter: str
    data: dict[str, Any] = field(default_factory=dict, metadata={"always": True})
    route: tuple[str, ...] = field(default=(), metadata={"always": True})
    chosen: dict[str, list[str]] = field(default_factory=dict)  # the people picked for 自选 steps, by step id

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Scenario:
        return cls(name=doc["name"], submitter=doc["submitter"], data=dict(doc.get("data", {})),
                   route=tuple(doc.get("route", ())),
                   chosen={step: list(people) for step, people in doc.get("chosen", {}).items()})


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
    start_fields: dict[str, str] = field(default_factory=dict)  # field key → hidden|editable on the start form
    urgent: Urgent | None = None  # the green channel, when the process has one
    scenarios: tuple[Scenario, ...] = ()  # saved what-ifs, re-run on every publish
    form_version: int | None = None  # the form version pinned at publish; None: the latest published

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
            start_fields=dict(doc.get("start_fields", {})),
            urgent=Urgent.from_dict(doc["urgent"]) if "urgent" in doc else None,
            scenarios=tuple(Scenario.from_dict(s) for s in doc.get("scenarios", ())),
            form_version=int(doc["form_version"]) if doc.get("form_version") is not None else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out = to_plain(self)
        out["steps"] = [s.to_dict() for s in self.steps]
        return out

    def walk(self) -> Iterator[Step]:
        """Every step, depth first, in document order."""
        yield from _walk(self.steps)

    def step(self, step_id: str) -> Step:
        return self._by_id[step_id]

    @cached_property
    def _by_id(self) -> dict[str, Step]:
        """Every step by its id, built once per (immutable) flow: commands look steps up often."""
        return {s.id: s for s in self.walk()}

    @cached_property
    def _outermost_parallel(self) -> dict[str, ParallelStep]:
        around: dict[str, ParallelStep] = {}
        for s in self.walk():
            if isinstance(s, ParallelStep):
                for lane in s.lanes():
                    for inner in _walk(lane):
                        around.setdefault(inner.id, s)
        return around

    def successor(self, step_id: str) -> Step | Join | None:
        """What runs after `step_id` finishes: the next step (leaving branches as needed), the
        `Join` of the parallel lane it ends, or None at the end of the flow."""
        found = _successor(self.steps, step_id, None)
        return None if found is _NOT_HERE else found

    def parallel_of(self, step_id: str) -> ParallelStep | None:
        """The outermost parallel step whose lanes hold `step_id`, if any."""
        return self._outermost_parallel.get(step_id)


def step_paths(steps: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every step document under a list of step documents, with its JSON path, depth first
    (whatever is not shaped like a step is passed over: validation reports it)."""
    for index, step in enumerate(steps if isinstance(steps, list) else ()):
        if not isinstance(step, dict):
            continue
        where = f"{path}[{index}]"
        yield where, step
        lanes = step.get("branches")
        for number, lane in enumerate(lanes if isinstance(lanes, list) else ()):
            if isinstance(lane, dict):
                yield from step_paths(lane.get("steps"), f"{where}.branches[{number}].steps")
        yield from step_paths(step.get("else"), f"{where}.else")


def _walk(steps: tuple[Step, ...]) -> Iterator[Step]:
    for s in steps:
        yield s
        if isinstance(s, (BranchStep, ParallelStep)):
            for lane in s.lanes():
                yield from _walk(lane)


_NOT_HERE = object()


def _successor(steps: tuple[Step, ...], step_id: str, after: Step | None) -> Any:
    """Search `steps` for `step_id`; `after` is what follows this whole list."""
    for index, s in enumerate(steps):
        follow = steps[index + 1] if index + 1 < len(steps) else after
        if s.id == step_id:
            return follow
        if isinstance(s, (BranchStep, ParallelStep)):
            for index, lane in enumerate(s.lanes()):
                end = Join(s.id, index) if isinstance(s, ParallelStep) else follow
                found = _successor(lane, step_id, end)
                if found is not _NOT_HERE:
                    return found
    return _NOT_HERE

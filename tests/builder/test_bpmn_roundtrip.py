"""The BPMN + DMN export runs: every demo process, exported and parsed by SpiffWorkflow (with the
BPMN and DMN schemas checked), takes the same route as formflow's engine on generated data.

Both engines are driven in lockstep: after the start and after every task, the steps each one has
reached since the last look, and the steps it waits at, must be the same; then the task formflow
opened first is done in both (its assignee acts in formflow; in Spiff the user task runs with the
variables of formflow's data as it now is). The data come from `bpmn_data`: a filled-in form and
its variations on every value a branch condition or ruleset row reads, and every branch of every
branch step must have been taken by some of them.
"""
from __future__ import annotations

import functools
from collections import Counter
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from builder.bpmn import flow_to_bpmn, is_multi_instance, people_variable
from builder.bpmn_expressions import process_variables
from builder.dmn import rulesets_to_dmn
from builder.flows import BranchStep, Flow
from rules.errors import RuleError
from runtime.errors import ValidationFailed
from runtime.engine import Definitions
from runtime.service import Workflow
from runtime.setup import INSTALLER, open_workflow
from runtime.state import TaskStatus
from runtime.store.repository import MemoryRepository
from tests.builder.bpmn_data import filler, submissions
from tests.builder.bpmn_demo import PROCESSES, bundle, child, definitions, every_kind
from tests.support import FakeClock

SUBMITTER = "zhang.wei"
EXTRA = ("purchase", "every-kind")  # published next to the demo: each step kind and approval mode
REACHED = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.COMPLETED | TaskState.CANCELLED
ROUTE_EVENTS = ("decide", "fork", "task", "notify", "subflow")

Step = tuple[str, str]  # (process, step id)


@pytest.fixture(scope="module")
def formflow() -> Workflow:
    workflow = open_workflow(MemoryRepository(), demo=True)
    workflow.engine.now = FakeClock()
    workflow.import_bundle(INSTALLER, child())
    workflow.import_bundle(INSTALLER, every_kind())
    return workflow


@functools.cache
def exports() -> dict[str, dict[str, Any]]:
    """What is exported, by process key (read once)."""
    return {**{p: bundle(p) for p in PROCESSES}, "purchase": child(), "every-kind": every_kind()}


@pytest.fixture(scope="module", params=["camunda", "spiff"])
def parser(request: pytest.FixtureRequest) -> Any:
    """Every exported process in one parser (call activities find the processes they call), each
    ruleset's decision on its own (Spiff reads one decision per DMN document)."""
    parser = (CamundaParser(validator=BpmnValidator()) if request.param == "camunda"
              else SpiffBpmnParser(validator=VALIDATOR))
    decisions: set[str] = set()
    for name, doc in exports().items():
        flow, form, rulesets = definitions(doc)
        parser.add_bpmn_str(flow_to_bpmn(flow, form, rulesets).encode(), filename=f"{name}.bpmn")
        for ruleset in rulesets.values():
            if ruleset.key not in decisions:
                decisions.add(ruleset.key)
                parser.add_dmn_str(rulesets_to_dmn([ruleset]).encode(), filename=f"{ruleset.key}.dmn")
    return parser


class Lockstep:
    """One request, run by formflow and by SpiffWorkflow side by side."""

    def __init__(self, formflow: Workflow, parser: Any, process: str, data: dict[str, Any]) -> None:
        self.ff = formflow
        self.root = formflow.start(formflow.org.user(SUBMITTER), process, data).id
        self.spiff = BpmnWorkflow(parser.get_spec(process), parser.get_subprocess_specs(process))
        start = self.spiff.get_next_task(state=TaskState.READY)
        start.data.update(self.variables(self.root))
        self.spiff.do_engine_steps()
        self.seen_events: set[tuple[str, int]] = set()
        self.seen_tasks: set[Any] = set()
        self.route: list[tuple[frozenset[Step], frozenset[Step]]] = []
        self.spiff_route: list[tuple[frozenset[Step], frozenset[Step]]] = []

    # formflow's side

    def instances(self, root: str | None = None) -> list[Any]:
        instance = self.ff.state.instances[root or self.root]
        return [instance] + [i for c in instance.children for i in self.instances(c)]

    def defs(self, instance: Any) -> Definitions:
        return self.ff.pinned(instance)

    def open_tasks(self) -> list[tuple[Any, Any]]:
        return [(i, self.ff.state.tasks[t]) for i in self.instances() for t in i.task_ids
                if self.ff.state.tasks[t].status is TaskStatus.OPEN]

    def variables(self, instance_id: str) -> dict[str, Any]:
        """What Spiff runs on: formflow's facts as process variables, and who acts at each step
        with several people (formflow resolves them from the organisation)."""
        instance = self.ff.state.instances[instance_id]
        defs = self.defs(instance)
        out = process_variables(defs.form, defs.form.facts(instance.data))
        people: dict[str, list[str]] = {}
        for task_id in instance.task_ids:
            task = self.ff.state.tasks[task_id]
            if is_multi_instance(defs.flow.step(task.step)):
                people.setdefault(task.step, []).extend([task.assignee, *task.queue])
        out.update({people_variable(defs.flow.step(s)): list(dict.fromkeys(names)) for s, names in people.items()})
        return out

    def formflow_reached(self) -> frozenset[Step]:
        reached = set()
        for instance in self.instances():
            for index, event in enumerate(instance.events):
                if (instance.id, index) not in self.seen_events:
                    self.seen_events.add((instance.id, index))
                    if event["action"] in ROUTE_EVENTS:
                        reached.add((instance.process, event["step"]))
        return frozenset(reached)

    def formflow_waiting(self) -> Counter[Step]:
        return Counter((i.process, t.step) for i, t in self.open_tasks())

    # Spiff's side

    def spiff_tasks(self, **kwargs: Any) -> list[Any]:
        return [t for t in self.spiff.get_tasks(**kwargs) if self.step_of(t) is not None]  # sub-processes too

    def step_of(self, task: Any) -> Step | None:
        bpmn_id = task.task_spec.bpmn_id
        process = task.workflow.spec.name
        if bpmn_id is None or process not in exports():
            return None
        return (process, bpmn_id) if bpmn_id in flow_steps(process) else None  # not joins: their step began before

    def spiff_reached(self) -> frozenset[Step]:
        fresh = [t for t in self.spiff_tasks(state=REACHED) if t.id not in self.seen_tasks]
        self.seen_tasks.update(t.id for t in fresh)
        return frozenset(self.step_of(t) for t in fresh)

    def spiff_waiting(self) -> Counter[Step]:
        return Counter(self.step_of(t) for t in self.spiff_tasks(state=TaskState.READY, manual=True))

    # both

    def look(self) -> None:
        self.route.append((self.formflow_reached(), frozenset(self.formflow_waiting())))
        self.spiff_route.append((self.spiff_reached(), frozenset(self.spiff_waiting())))
        assert self.route == self.spiff_route
        assert self.formflow_waiting() == self.spiff_waiting()

    def run(self) -> list[tuple[frozenset[Step], frozenset[Step]]]:
        self.look()
        while open_ := self.open_tasks():
            instance, task = open_[0]
            act(self.ff, instance, task, self.defs(instance))
            (ready, *_) = [t for t in self.spiff_tasks(state=TaskState.READY, manual=True)
                           if self.step_of(t) == (instance.process, task.step)]
            ready.data.update(self.variables(instance.id))
            ready.run()
            self.spiff.do_engine_steps()
            self.look()
        assert str(self.ff.state.instances[self.root].status) == "completed"
        assert self.spiff.is_completed()
        return self.route


def act(formflow: Workflow, instance: Any, task: Any, defs: Definitions) -> None:
    """The assignee approves or completes; fields the step asks for are filled in first."""
    action = "approve" if task.kind == "approval" else "complete"
    data: dict[str, Any] = {}
    for _ in range(5):
        try:
            formflow.act(formflow.org.user(task.assignee), task.id, action, "ok", data=data or None)
            return
        except ValidationFailed as failed:
            missing = {k for k, v in failed.errors.items() if str(v) == "required"}
            if not missing or missing <= set(data):
                raise
            data.update({k: filler(defs.form.field(k)) for k in missing})


def started(formflow: Workflow, parser: Any, process: str, data: dict[str, Any], form: Any) -> Lockstep | None:
    """A lockstep run of `data` as the start form takes it: fields it asks for filled in, fields
    it refuses left out; None when it still refuses (a variation the form's own checks rule
    out) or the rules cannot decide (a `unique` table with two rows matching)."""
    for _ in range(5):
        try:
            return Lockstep(formflow, parser, process, data)
        except ValidationFailed as failed:
            errors = {k: str(v) for k, v in failed.errors.items()}
            refused = {k for k, v in errors.items() if v == "cannot be filled in here"}
            missing = {k for k, v in errors.items() if v == "required" and form.field(k) is not None}
            if set(errors) - refused - missing:
                return None
            data = {k: v for k, v in data.items() if k not in refused}
            data.update({k: filler(form.field(k)) for k in missing})
        except RuleError:
            return None
    return None


@functools.cache
def flow_steps(process: str) -> frozenset[str]:
    flow, _, _ = definitions(exports()[process])
    return frozenset(s.id for s in flow.walk())


def branch_choices(formflow: Workflow, root: str) -> set[tuple[str, int | None]]:
    return {(e["step"], e["branch"]) for e in formflow.state.instances[root].events if e["action"] == "decide"}


def reachable_choices(flow: Flow, form: Any, rulesets: dict[str, Any]) -> set[tuple[str, int | None]]:
    """Every (branch step, branch) some data can take: a ruleset's branches by the outcomes the
    table can give; a condition's otherwise unless its branches list every option of one
    required select field between them."""
    out: set[tuple[str, int | None]] = set()
    for step in flow.walk():
        if not isinstance(step, BranchStep):
            continue
        if step.ruleset:
            table = rulesets[step.ruleset]
            outcomes = [row.then for row in table.rows] + [table.default]
            out |= {(step.id, step.choose(lambda b, o=o: b.matches(o))[0]) for o in outcomes}
            continue
        out |= {(step.id, index) for index in range(len(step.branches))}
        if not _exhaustive(step, form):
            out.add((step.id, None))
    return out


def _exhaustive(step: BranchStep, form: Any) -> bool:
    listed: dict[str, set[str]] = {}
    for branch in step.branches:
        ((key, arg),) = (branch.when or {"": None}).items()
        if key == "$in":
            ((field, values),) = arg.items()
            listed.setdefault(field, set()).update(values)
        elif not key.startswith("$"):
            listed.setdefault(key, set()).add(arg)
        else:
            return False
    if len(listed) != 1:
        return False
    ((field, values),) = listed.items()
    f = form.field(field)
    return f is not None and f.required and f.visible_when is None and values >= set(f.option_values())


@pytest.mark.parametrize("process", [*PROCESSES, "every-kind"])
def test_the_exported_process_takes_formflow_s_route_on_every_generated_submission(formflow, parser, process):
    flow, form, rulesets = definitions(exports()[process])
    taken: set[tuple[str, int | None]] = set()
    runs = 0
    for generated in submissions(flow, form, rulesets):
        lockstep = started(formflow, parser, process, generated, form)
        if lockstep is None:
            continue
        lockstep.run()
        taken |= branch_choices(formflow, lockstep.root)
        runs += 1
    assert runs >= 1
    assert taken == reachable_choices(flow, form, rulesets)
